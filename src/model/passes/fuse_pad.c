/* fuse_pad.c: a zero constant Pad in front of a Conv becomes the Conv's own padding.
 *
 * Exporters from TensorFlow and Paddle write explicit Pad nodes before convolutions ("SAME" padding); folding
 * them saves a full copy of the activation and lets the convolution kernels read the padding from their zero
 * buffer. Only exact cases fold: constant mode, pad value 0, non-negative pads on the spatial dims only, and a
 * Pad whose output feeds nothing but that Conv. */
#include <string.h>

#include "engine/op.h"
#include "model/passes.h"

/* Reads the Pad's pads (2 * rank values) and whether it pads with zeros in constant mode. */
static bool zero_constant_pad(const et_graph *g, const et_node *pad, int rank, int64_t *pads) {
    if (strcmp(et_node_attr_string(pad, "mode", "constant"), "constant") != 0)
        return false;
    int n;
    if (g->opset < 11) {
        const int64_t *p = et_node_attr_ints(pad, "pads", &n);
        if (!p || n != 2 * rank || et_node_attr_float(pad, "value", 0.0f) != 0.0f)
            return false;
        memcpy(pads, p, (size_t)n * sizeof *p);
        return true;
    }
    n = et_op_const_ints(g, pad, 1, pads, 2 * ET_MAX_RANK);
    if (n != 2 * rank)
        return false;
    const et_value *cv = et_node_cin(g, pad, 2);
    if (cv) {
        if (cv->kind != ET_VAL_CONST || et_shape_numel(&cv->shape) != 1 || et_dtype_load(cv->dtype, cv->data, 0) != 0.0)
            return false;
    }
    return true;
}

et_status et_pass_fuse_pad(et_graph *g, et_err *err) {
    et_graph_count_uses(g);
    bool changed = false;
    for (int i = 0; i < g->n_nodes; i++) {
        et_node *conv = &g->nodes[i];
        if (conv->dead || conv->op != ET_OP_CONV || conv->n_inputs < 2 || conv->inputs[0] < 0)
            continue;
        const et_value *x = &g->values[conv->inputs[0]];
        if (x->producer < 0 || x->n_consumers != 1 || x->is_output)
            continue;
        et_node *pad = &g->nodes[x->producer];
        int rank = x->shape.rank;
        int64_t pads[2 * ET_MAX_RANK];
        if (pad->op != ET_OP_PAD || pad->dead || rank < 3 || !zero_constant_pad(g, pad, rank, pads))
            continue;
        bool ok = pads[0] == 0 && pads[1] == 0 && pads[rank] == 0 && pads[rank + 1] == 0; /* N and C untouched */
        for (int k = 0; k < 2 * rank; k++)
            ok = ok && pads[k] >= 0;
        const char *auto_pad = et_node_attr_string(conv, "auto_pad", "NOTSET");
        if (!ok || (strcmp(auto_pad, "NOTSET") != 0 && strcmp(auto_pad, "VALID") != 0))
            continue;
        int n_sp = rank - 2, n_old;
        const int64_t *old = et_node_attr_ints(conv, "pads", &n_old);
        if (old && n_old != 2 * n_sp)
            continue;
        int64_t merged[2 * ET_MAX_RANK];
        for (int k = 0; k < n_sp; k++) {
            merged[k] = (old ? old[k] : 0) + pads[2 + k];
            merged[n_sp + k] = (old ? old[n_sp + k] : 0) + pads[rank + 2 + k];
        }
        if (!et_node_set_attr_ints(g, i, "pads", merged, 2 * n_sp) ||
            !et_node_set_attr_string(g, i, "auto_pad", "NOTSET"))
            return et_fail(err, ET_E_NOMEM, "out of memory folding Pad into Conv");
        conv = &g->nodes[i];
        pad = &g->nodes[g->values[conv->inputs[0]].producer];
        conv->inputs[0] = pad->inputs[0];
        pad->dead = true;
        changed = true;
        et_graph_count_uses(g);
    }
    return changed ? et_graph_compact(g, err) : ET_OK;
}
