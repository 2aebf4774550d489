/* params.c: from master weights to the weights the forward reads, and the gradients back.
 *
 * Pruning masks are explicit (one byte per weight, 1 = kept), never "weight == 0": a kept weight that training
 * moves through 0 stays trainable, and a pruned one stays 0 whatever its gradient. The masked master weights
 * are set to 0 whenever they change, and their gradient is cleared after each backward (so momentum and Adam
 * moments of pruned weights stay 0 too).
 *
 * Fake quantization (quantization-aware training) rounds the masked weights to the grid tune will use
 * (qmath.h's et_quantize_weights with the same configuration: per channel or per tensor, symmetric or not,
 * min/max or percentile range, recomputed from the current weights at every step; 16 bits: fp16 rounding)
 * into a separate effective copy; the gradient with respect to the rounded weights is applied to the master
 * weights unchanged (the straight-through estimator). Since the range is the weights' own min/max (or
 * percentile), rounding never saturates with min/max, so no gradient needs masking for clipping. */
#include <stdlib.h>
#include <string.h>

#include "train/tnet.h"
#include "util/mem.h"

/* Output channels of a weight as qmath.h's view: Conv OIHW rows; Gemm B^T rows (transB) or B columns; MatMul
 * B columns. */
static et_wview weight_view(const et_tnet *n, const et_tparam *p) {
    const et_node *nd = &n->g->nodes[p->node];
    et_wview v = {.n_ch = 1, .per_ch = p->numel, .ch_stride = p->numel, .el_stride = 1};
    if (nd->op == ET_OP_CONV && p->shape.rank >= 1 && p->shape.dim[0] > 0) {
        v.n_ch = p->shape.dim[0];
        v.per_ch = v.ch_stride = p->numel / v.n_ch;
    } else if ((nd->op == ET_OP_GEMM || nd->op == ET_OP_MATMUL) && p->shape.rank == 2) {
        bool trans = nd->op == ET_OP_GEMM && et_node_attr_int(nd, "transB", 0);
        int64_t rows = p->shape.dim[0], cols = p->shape.dim[1];
        if (trans)
            v = (et_wview){.n_ch = rows, .per_ch = cols, .ch_stride = cols, .el_stride = 1};
        else
            v = (et_wview){.n_ch = cols, .per_ch = rows, .ch_stride = 1, .el_stride = cols};
    }
    return v;
}

et_status et_tnet_prepare_params(et_tnet *n, et_err *err) {
    for (int i = 0; i < n->n_params; i++) {
        et_tparam *p = &n->params[i];
        if (p->kind != ET_TPARAM_WEIGHT)
            continue;
        p->view = weight_view(n, p);
        p->quant = n->opt.fake_quant_weights && n->opt.quant_nodes && n->opt.quant_nodes[p->node];
        if (!p->quant)
            continue;
        if (!(p->w_eff = et_aligned_alloc((size_t)p->numel * sizeof(float))))
            return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
        n->param_bytes += p->numel * (int64_t)sizeof(float);
        n->values[p->value].data = p->w_eff;
    }
    return ET_OK;
}

et_status et_tnet_set_mask(et_tnet *n, int i, const uint8_t *mask, et_err *err) {
    et_tparam *p = &n->params[i];
    if (!mask) {
        free(p->mask);
        p->mask = NULL;
    } else {
        if (!p->mask && !(p->mask = malloc((size_t)p->numel)))
            return et_fail(err, ET_E_NOMEM, "out of memory for a pruning mask");
        memcpy(p->mask, mask, (size_t)p->numel);
    }
    n->weights_dirty = true;
    return ET_OK;
}

void et_tnet_weights_changed(et_tnet *n) { n->weights_dirty = true; }

et_status et_tnet_refresh_weights(et_tnet *n, et_err *err) {
    if (!n->weights_dirty)
        return ET_OK;
    float *scale = NULL;
    int32_t *zp = NULL;
    size_t cap = 0;
    for (int i = 0; i < n->n_params; i++) {
        et_tparam *p = &n->params[i];
        if (p->mask)
            for (int64_t e = 0; e < p->numel; e++)
                p->w[e] = p->mask[e] ? p->w[e] : 0.0f;
        if (!p->quant)
            continue;
        if (n->opt.wq.bits == 16) {
            et_round_fp16(p->w, p->w_eff, p->numel);
            continue;
        }
        if ((size_t)p->view.n_ch > cap) {
            cap = (size_t)p->view.n_ch;
            float *s2 = realloc(scale, cap * sizeof *s2);
            int32_t *z2 = s2 ? realloc(zp, cap * sizeof *z2) : NULL;
            scale = s2 ? s2 : scale;
            zp = z2 ? z2 : zp;
            if (!s2 || !z2) {
                free(scale), free(zp);
                return et_fail(err, ET_E_NOMEM, "out of memory quantizing weights");
            }
        }
        memcpy(p->w_eff, p->w, (size_t)p->numel * sizeof(float));
        et_status st = et_quantize_weights(p->w_eff, &p->view, &n->opt.wq, scale, zp, NULL, p->w_eff, err);
        if (st != ET_OK) {
            free(scale), free(zp);
            return st;
        }
    }
    free(scale), free(zp);
    n->weights_dirty = false;
    return ET_OK;
}

void et_tnet_finish_grads(et_tnet *n) {
    for (int i = 0; i < n->n_params; i++) {
        et_tparam *p = &n->params[i];
        const et_tval *v = &n->values[p->value];
        if (!v->grad_written) /* no path from this parameter to the loss */
            memset(p->grad, 0, (size_t)p->numel * sizeof(float));
        if (p->mask)
            for (int64_t e = 0; e < p->numel; e++)
                p->grad[e] = p->mask[e] ? p->grad[e] : 0.0f;
    }
}

int et_tnet_n_params(const et_tnet *n) { return n->n_params; }
et_tparam *et_tnet_param(et_tnet *n, int i) { return &n->params[i]; }
int et_tnet_n_buffers(const et_tnet *n) { return n->n_buffers; }
et_tbuffer *et_tnet_buffer(et_tnet *n, int i) { return &n->buffers[i]; }
