/* fuse_bn.c: BatchNormalization folded into the convolution before it.
 *
 * y = gamma * (conv(x, W) + b - mean) / sqrt(var + eps) + beta  ==  conv(x, W * s) + (b - mean) * s + beta
 * with s = gamma / sqrt(var + eps) per output channel. New weights are graph-owned constants; the pristine
 * tensors are never modified. Computed in double to keep the fold within float rounding of the unfused graph. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/passes.h"

static bool const_float_vec(const et_graph *g, int v, int64_t len) {
    if (v < 0)
        return false;
    const et_value *val = &g->values[v];
    return val->kind == ET_VAL_CONST && et_dtype_is_float(val->dtype) && et_shape_numel(&val->shape) == len;
}

et_status et_pass_fold_batchnorm(et_graph *g, et_err *err) {
    et_graph_count_uses(g);
    bool changed = false;
    for (int i = 0; i < g->n_nodes; i++) {
        et_node *bn = &g->nodes[i];
        if (bn->dead || bn->op != ET_OP_BATCH_NORM || bn->n_inputs < 5 || bn->inputs[0] < 0)
            continue;
        if (et_node_attr_int(bn, "training_mode", 0) != 0 ||
            (bn->n_outputs > 1 && bn->outputs[1] >= 0 && g->values[bn->outputs[1]].n_consumers > 0))
            continue;
        const et_value *x = &g->values[bn->inputs[0]];
        if (x->producer < 0 || x->n_consumers != 1 || x->is_output)
            continue;
        et_node *conv = &g->nodes[x->producer];
        if (conv->dead || conv->op != ET_OP_CONV || conv->act.kind != ET_ACT_NONE)
            continue;
        const et_value *w = et_node_cin(g, conv, 1);
        if (!w || w->kind != ET_VAL_CONST || w->dtype != ET_DT_F32 || w->shape.rank < 3)
            continue;
        int64_t cout = w->shape.dim[0];
        const et_value *b = et_node_cin(g, conv, 2);
        if (b && !const_float_vec(g, conv->inputs[2], cout))
            continue;
        bool ok = true;
        for (int k = 1; k <= 4; k++)
            ok = ok && const_float_vec(g, bn->inputs[k], cout);
        if (!ok)
            continue;
        double eps = et_node_attr_float(bn, "epsilon", 1e-5f);
        int64_t per = et_shape_numel(&w->shape) / cout;
        int nw = et_graph_add_const(g, w->name, ET_DT_F32, &w->shape, NULL, err);
        et_shape bs = {.rank = 1, .dim = {cout}};
        int nb = nw >= 0 ? et_graph_add_const(g, "bn_folded_bias", ET_DT_F32, &bs, NULL, err) : -1;
        if (nw < 0 || nb < 0)
            return err ? err->status : ET_E_NOMEM;
        /* re-read pointers: adding values may have moved the arrays */
        bn = &g->nodes[i];
        conv = &g->nodes[g->values[bn->inputs[0]].producer];
        w = &g->values[conv->inputs[1]];
        b = conv->n_inputs > 2 && conv->inputs[2] >= 0 ? &g->values[conv->inputs[2]] : NULL;
        const et_value *scale = &g->values[bn->inputs[1]], *beta = &g->values[bn->inputs[2]],
                       *mean = &g->values[bn->inputs[3]], *var = &g->values[bn->inputs[4]];
        float *wd = (float *)g->values[nw].data, *bd = (float *)g->values[nb].data;
        for (int64_t c = 0; c < cout; c++) {
            double s = et_dtype_load(scale->dtype, scale->data, (size_t)c) /
                       sqrt(et_dtype_load(var->dtype, var->data, (size_t)c) + eps);
            for (int64_t k = 0; k < per; k++)
                wd[c * per + k] = (float)(et_dtype_load(ET_DT_F32, w->data, (size_t)(c * per + k)) * s);
            double b0 = b ? et_dtype_load(b->dtype, b->data, (size_t)c) : 0.0;
            bd[c] = (float)((b0 - et_dtype_load(mean->dtype, mean->data, (size_t)c)) * s +
                            et_dtype_load(beta->dtype, beta->data, (size_t)c));
        }
        int ins[3] = {conv->inputs[0], nw, nb};
        int *arr = et_arena_calloc(&g->arena, 3, sizeof(int));
        if (!arr)
            return et_fail(err, ET_E_NOMEM, "out of memory folding BatchNormalization");
        memcpy(arr, ins, sizeof ins);
        conv->inputs = arr;
        conv->n_inputs = 3;
        conv->outputs[0] = bn->outputs[0];
        bn->dead = true;
        changed = true;
        et_graph_count_uses(g);
    }
    return changed ? et_graph_compact(g, err) : ET_OK;
}
