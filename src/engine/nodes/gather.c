/* gather.c: Gather along an axis with int32/int64 indices (negative indices count from the end). The indices
 * are data: they are bounds-checked at run time and an index out of range fails the run with the node's name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/nodes.h"

typedef struct params {
    int axis;
} params;

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 2, 2, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0), *idx = et_node_cin(g, n, 1);
    if (idx->dtype != ET_DT_I64 && idx->dtype != ET_DT_I32)
        return et_op_fail(err, n, "indices must be int32 or int64");
    int axis;
    if (!et_op_axis(et_node_attr_int(n, "axis", 0), x->shape.rank, &axis))
        return et_op_fail(err, n, "axis out of range");
    if (x->shape.rank - 1 + idx->shape.rank > ET_MAX_RANK)
        return et_op_fail(err, n, "output would have more than %d dims", ET_MAX_RANK);
    et_shape out = {0};
    for (int d = 0; d < axis; d++)
        out.dim[out.rank++] = x->shape.dim[d];
    for (int d = 0; d < idx->shape.rank; d++)
        out.dim[out.rank++] = idx->shape.dim[d];
    for (int d = axis + 1; d < x->shape.rank; d++)
        out.dim[out.rank++] = x->shape.dim[d];
    et_op_set_output(g, n, 0, x->dtype, &out);
    return ET_OK;
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    const et_tensor *x = &inst->in[0], *idx = &inst->in[1];
    const et_tensor *y = &inst->out[0];
    size_t es = et_dtype_size(x->dtype);
    int64_t outer = 1, inner = 1, dim = x->shape.dim[p->axis];
    for (int d = 0; d < p->axis; d++)
        outer *= x->shape.dim[d];
    for (int d = p->axis + 1; d < x->shape.rank; d++)
        inner *= x->shape.dim[d];
    int64_t n_idx = et_shape_numel(&idx->shape);
    for (int64_t k = 0; k < n_idx; k++) {
        int64_t i = et_dtype_load_i64(idx->dtype, idx->data, (size_t)k);
        if (i < -dim || i >= dim)
            return et_op_fail(err, inst->node, "index %lld is out of range for a dim of %lld", (long long)i,
                              (long long)dim);
        if (i < 0)
            i += dim;
        for (int64_t o = 0; o < outer; o++)
            memcpy((char *)y->data + (size_t)((o * n_idx + k) * inner) * es,
                   (const char *)x->data + (size_t)((o * dim + i) * inner) * es, (size_t)inner * es);
    }
    (void)ctx;
    return ET_OK;
}

static et_status prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    params *p = malloc(sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    et_op_axis(et_node_attr_int(n, "axis", 0), inst->in[0].shape.rank, &p->axis);
    inst->params = p;
    inst->run = run;
    (void)g;
    return ET_OK;
}

const et_op_impl et_impl_gather = {infer, prepare};
