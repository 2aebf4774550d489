/* op_types.c: operator names. */
#include "model/op_types.h"

#include <string.h>

static const char *const names[ET_OP_COUNT] = {[ET_OP_UNKNOWN] = "?",
#define ET_X(id, name) [ET_OP_##id] = name,
                                               ET_ONNX_OP_LIST(ET_X) ET_INTERNAL_OP_LIST(ET_X)
#undef ET_X
};

const char *et_op_name(et_op op) { return (unsigned)op < ET_OP_COUNT && names[op] ? names[op] : "?"; }

et_op et_op_from_onnx(const char *op_type) {
    for (int i = 1; i < ET_OP_FIRST_INTERNAL_; i++)
        if (names[i] && strcmp(names[i], op_type) == 0)
            return (et_op)i;
    return ET_OP_UNKNOWN;
}
