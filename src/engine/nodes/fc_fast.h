/* fc_fast.h: the packed-kernel path of Gemm and MatMul with constant weights (see fc_fast.c). */
#ifndef ET_ENGINE_NODES_FC_FAST_H
#define ET_ENGINE_NODES_FC_FAST_H

#include <stdbool.h>

#include "engine/op.h"

/* Prepares inst on the fast path when node n qualifies: returns true and sets *st (ET_OK, or an error from
 * creating the operator); returns false, touching nothing, when n must take the reference path. */
bool et_fc_fast_prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_status *st, et_err *err);

#endif
