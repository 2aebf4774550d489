/* registry.c: operator -> implementation table, built from ET_OP_IMPL_LIST. */
#include "engine/nodes/nodes.h"

static const et_op_impl *const table[ET_OP_COUNT] = {
#define ET_X(op, impl) [ET_OP_##op] = &impl,
    ET_OP_IMPL_LIST(ET_X)
#undef ET_X
};

const et_op_impl *et_op_impl_get(et_op op) { return (unsigned)op < ET_OP_COUNT ? table[op] : NULL; }
