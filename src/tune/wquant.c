/* wquant.c: weight-only quantization (act-bits 32).
 *
 * Each eligible layer's weights are rounded to the knob's grid (2..8 bits: per channel or per tensor, symmetric
 * or asymmetric, min/max or percentile range; 16: fp16) and stored dequantized, so the fp32 kernels compute
 * exactly what a deployment with these weights computes. It is a simulation of the storage, not of the speed:
 * the report says exec "simulated" and the deploy size counts the bits a deployment stores. The float weights
 * carry an et_quant_info (their scales and zero points along the output-channel axis; fp16: n 0, storage 16), so
 * that `save` writes them as int8 codes (or float16) and the deploy size follows from it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/quant_info.h"

#include "tune/tune_internal.h"

et_status et_tune_quantize_weights_only(et_tune_ctx *c) {
    et_graph *g = c->g;
    const et_knobs *k = c->k;
    et_wq_config cfg = {.bits = k->weight_bits,
                        .symmetric = k->symmetric,
                        .per_channel = k->granularity == ET_GRAN_CHANNEL,
                        .clip = k->clip,
                        .percentile = 99.99f};
    float *scale = NULL;
    int32_t *zp = NULL;
    for (int l = 0; l < c->n_layers; l++) {
        if (c->keep[l])
            continue;
        const et_wlayer *L = &c->layers[l];
        if (g->values[L->weight].quant) { /* recovery put it on its grid already (recover.c) */
            c->rep->n_quantized_layers++;
            continue;
        }
        float *w = et_tune_writable(c, L->weight);
        if (!w)
            return et_fail(c->err, ET_E_NOMEM, "out of memory quantizing weights");
        int64_t n = et_shape_numel(&g->values[L->weight].shape);
        c->rep->n_quantized_layers++;
        if (k->weight_bits == 16) {
            et_round_fp16(w, w, n);
            et_quant_info *qi = et_quant_info_new(g, 0, NULL, NULL);
            if (!qi)
                return et_fail(c->err, ET_E_NOMEM, "out of memory quantizing weights");
            qi->n = 0;
            qi->storage_bits = qi->value_bits = 16;
            g->values[L->weight].quant = qi;
            continue;
        }
        {
            float *s2 = realloc(scale, (size_t)L->view.n_ch * sizeof *s2);
            if (s2)
                scale = s2;
            int32_t *z2 = s2 ? realloc(zp, (size_t)L->view.n_ch * sizeof *z2) : NULL;
            if (z2)
                zp = z2;
            if (!s2 || !z2) {
                free(scale), free(zp);
                return et_fail(c->err, ET_E_NOMEM, "out of memory quantizing weights");
            }
        }
        et_status st = et_quantize_weights(w, &L->view, &cfg, scale, zp, NULL, w, c->err);
        if (st != ET_OK) {
            free(scale), free(zp);
            return st;
        }
        /* the scales along the tensor's output-channel axis: Conv and Gemm^T dim 0, Gemm and MatMul B dim 1 */
        int n_q = cfg.per_channel ? (int)L->view.n_ch : 1;
        float *qs;
        int32_t *qz;
        et_quant_info *qi = et_quant_info_new(g, n_q, &qs, &qz);
        if (!qi) {
            free(scale), free(zp);
            return et_fail(c->err, ET_E_NOMEM, "out of memory quantizing weights");
        }
        memcpy(qs, scale, (size_t)n_q * sizeof *qs);
        memcpy(qz, zp, (size_t)n_q * sizeof *qz);
        qi->axis = n_q > 1 ? (L->view.ch_stride == 1 && L->view.n_ch > 1 ? 1 : 0) : -1;
        qi->value_bits = qi->storage_bits = k->weight_bits;
        et_wq_range(k->weight_bits, k->symmetric, &qi->qmin, &qi->qmax);
        g->values[L->weight].quant = qi;
    }
    free(scale), free(zp);
    snprintf(c->rep->exec, sizeof c->rep->exec, "simulated");
    if (k->weight_bits == 16)
        et_tune_note(c, true, "weight-only: fp16 weights, fp32 kernels");
    else
        et_tune_note(c, true, "weight-only: %d-bit weights stored dequantized, fp32 kernels", k->weight_bits);
    return ET_OK;
}
