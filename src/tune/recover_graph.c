/* recover_graph.c: what recovery writes into the tuned graph: the compensated weights (a layer's view <-> row
 * major), their quant info, corrected biases (made where a layer has none), and a cached result written back the
 * same way. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/quant_info.h"
#include "tune/recover_cache.h"
#include "tune/recover_internal.h"
#include "util/mem.h"

/* The float32 data of a constant as an aligned copy (model files may leave it unaligned). NULL on OOM. */
float *et_recover_copy_floats(const et_value *v) {
    float *out = et_aligned_alloc(v->nbytes ? v->nbytes : 4);
    if (out)
        memcpy(out, v->data, v->nbytes);
    return out;
}

/* Row-major [channels x per] from a weight view and back. */
void et_recover_gather(const float *w, const et_wview *v, float *out) {
    for (int64_t o = 0; o < v->n_ch; o++)
        for (int64_t i = 0; i < v->per_ch; i++)
            out[o * v->per_ch + i] = w[o * v->ch_stride + i * v->el_stride];
}
void et_recover_scatter(float *w, const et_wview *v, const float *in) {
    for (int64_t o = 0; o < v->n_ch; o++)
        for (int64_t i = 0; i < v->per_ch; i++)
            w[o * v->ch_stride + i * v->el_stride] = in[o * v->per_ch + i];
}

/* Adds delta (per output channel) to layer l's bias, making one when the layer has none (Conv input 2, Gemm C).
 * MatMul has no bias input: nothing is added (noted once). */
et_status et_recover_add_bias(et_recover_run *R, int l, const double *delta, float *bias_out) {
    et_tune_ctx *c = R->c;
    et_graph *g = c->g;
    const et_wlayer *L = &c->layers[l];
    et_node *n = &g->nodes[L->node];
    int64_t n_ch = L->view.n_ch;
    if (n->op == ET_OP_MATMUL) {
        if (!R->matmul_noted)
            et_tune_note(c, false,
                         "MatMul layers have no bias: their weights are compensated, their mean error is not");
        R->matmul_noted = true;
        return ET_OK;
    }
    float beta = n->op == ET_OP_GEMM ? et_node_attr_float(n, "beta", 1.0f) : 1.0f;
    if (beta == 0.0f)
        return ET_OK;
    int bv = n->n_inputs > 2 ? n->inputs[2] : -1;
    const et_value *b = bv >= 0 ? &g->values[bv] : NULL;
    if (b && b->kind == ET_VAL_CONST && b->dtype == ET_DT_F32 && et_shape_numel(&b->shape) == n_ch &&
        b->n_consumers == 1) {
        float *w = et_tune_writable(c, bv);
        if (!w)
            return et_fail(c->err, ET_E_NOMEM, "out of memory correcting a bias");
        for (int64_t o = 0; o < n_ch; o++)
            w[o] += (float)(delta[o] / beta);
        memcpy(bias_out, w, (size_t)n_ch * sizeof *bias_out);
        return ET_OK;
    }
    /* a new [n_ch] bias: the old one broadcast (a scalar or none) plus the correction */
    float *data = malloc((size_t)n_ch * sizeof *data);
    if (!data)
        return et_fail(c->err, ET_E_NOMEM, "out of memory correcting a bias");
    float base = 0.0f;
    if (b && b->kind == ET_VAL_CONST && b->dtype == ET_DT_F32 && et_shape_numel(&b->shape) == 1)
        memcpy(&base, b->data, sizeof base);
    else if (b) { /* a bias we cannot rewrite (shared, or not per channel) */
        free(data);
        et_tune_note(c, false, "%s: bias not corrected (shared or not per channel)", n->name);
        return ET_OK;
    }
    for (int64_t o = 0; o < n_ch; o++)
        data[o] = base + (float)(delta[o] / beta);
    char name[256];
    snprintf(name, sizeof name, "%.200s.bias", n->name);
    et_shape shape = {.rank = 1, .dim = {n_ch}};
    int nb = et_graph_add_const(g, name, ET_DT_F32, &shape, data, c->err);
    memcpy(bias_out, data, (size_t)n_ch * sizeof *bias_out);
    free(data);
    if (nb < 0)
        return c->err ? c->err->status : ET_E_NOMEM;
    n = &g->nodes[L->node]; /* adding a value may move nothing in nodes, but stay safe */
    if (n->n_inputs > 2) {
        n->inputs[2] = nb;
    } else {
        int *ins = et_arena_calloc(&g->arena, 3, sizeof *ins);
        if (!ins)
            return et_fail(c->err, ET_E_NOMEM, "out of memory correcting a bias");
        ins[0] = n->inputs[0], ins[1] = n->inputs[1], ins[2] = nb;
        n->inputs = ins;
        n->n_inputs = 3;
    }
    et_graph_count_uses(g);
    return ET_OK;
}

/* The quant info of a compensated weight: its scales along the output-channel axis, as wquant.c writes them. */
et_status et_recover_attach_quant(et_tune_ctx *c, const et_wlayer *L, int bits, bool symmetric, bool per_channel,
                                  const float *scale, const int32_t *zp) {
    et_graph *g = c->g;
    if (bits == 16) {
        et_quant_info *qi = et_quant_info_new(g, 0, NULL, NULL);
        if (!qi)
            return et_fail(c->err, ET_E_NOMEM, "out of memory quantizing weights");
        qi->n = 0;
        qi->storage_bits = qi->value_bits = 16;
        g->values[L->weight].quant = qi;
        return ET_OK;
    }
    int n_q = per_channel ? (int)L->view.n_ch : 1;
    float *qs;
    int32_t *qz;
    et_quant_info *qi = et_quant_info_new(g, n_q, &qs, &qz);
    if (!qi)
        return et_fail(c->err, ET_E_NOMEM, "out of memory quantizing weights");
    memcpy(qs, scale, (size_t)n_q * sizeof *qs);
    memcpy(qz, zp, (size_t)n_q * sizeof *qz);
    qi->axis = n_q > 1 ? (L->view.ch_stride == 1 && L->view.n_ch > 1 ? 1 : 0) : -1;
    qi->value_bits = qi->storage_bits = bits;
    et_wq_range(bits, symmetric, &qi->qmin, &qi->qmax);
    g->values[L->weight].quant = qi;
    return ET_OK;
}

void et_recover_current_bias(const et_tune_ctx *c, int l, float *out) {
    const et_wlayer *L = &c->layers[l];
    const et_node *n = &c->g->nodes[L->node];
    int64_t n_ch = L->view.n_ch;
    float beta = n->op == ET_OP_GEMM ? et_node_attr_float(n, "beta", 1.0f) : 1.0f;
    int bv = n->n_inputs > 2 ? n->inputs[2] : -1;
    const et_value *b = bv >= 0 ? &c->g->values[bv] : NULL;
    int64_t nb = b ? et_shape_numel(&b->shape) : 0;
    for (int64_t o = 0; o < n_ch; o++) {
        float v = 0.0f;
        if (b && b->dtype == ET_DT_F32 && (nb == n_ch || nb == 1))
            memcpy(&v, (const char *)b->data + (size_t)(nb == 1 ? 0 : o) * sizeof v, sizeof v);
        out[o] = v * beta;
    }
}

void et_recover_cache_result(et_recover_run *R, const char *key) {
    et_tune_ctx *c = R->c;
    const et_graph *g = c->g;
    if (!c->opt->cache)
        return;
    size_t reserve = 0;
    int64_t most = 1;
    for (int l = 0; l < c->n_layers; l++)
        if (R->result[l]) {
            const et_wview *v = &c->layers[l].view;
            reserve += et_recover_blob_layer_bytes(v->n_ch * v->per_ch, v->n_ch);
            most = v->n_ch * v->per_ch > most ? v->n_ch * v->per_ch : most;
        }
    et_recover_blob *b = et_recover_blob_new(reserve);
    float *w = malloc((size_t)most * sizeof *w);
    for (int l = 0; l < c->n_layers && b && w; l++) {
        if (!R->result[l])
            continue;
        const et_wlayer *L = &c->layers[l];
        const et_node *n = &g->nodes[L->node];
        int64_t n_ch = L->view.n_ch;
        float *aux = malloc((size_t)n_ch * 2 * sizeof *aux);
        int32_t *zp = malloc((size_t)n_ch * sizeof *zp);
        if (!aux || !zp) {
            free(aux), free(zp);
            et_recover_blob_free(b);
            b = NULL;
            break;
        }
        et_recover_gather(g->values[L->weight].data, &L->view, w);
        /* scales and zero points as recovery attached them (a per-tensor one repeated per channel) */
        const et_quant_info *qi = g->values[L->weight].quant;
        bool quant = (R->result[l] & ET_RECOVER_QUANT) != 0, scaled = quant && qi && qi->n > 0;
        for (int64_t o = 0; scaled && o < n_ch; o++) {
            aux[o] = qi->scale[qi->n > 1 ? o : 0];
            zp[o] = qi->zero_point[qi->n > 1 ? o : 0];
        }
        /* the bias as it acts (times Gemm's beta): applying it back sets the same */
        if (n->op != ET_OP_MATMUL)
            et_recover_current_bias(c, l, aux + n_ch);
        et_recover_blob_add_layer(b, L->node, w, n_ch * L->view.per_ch, quant, scaled ? aux : NULL, zp, n_ch,
                                  n->op != ET_OP_MATMUL ? aux + n_ch : NULL);
        free(aux), free(zp);
    }
    free(w);
    if (b)
        et_recover_blob_store(b, c, key);
    et_recover_blob_free(b);
}

/* The cached result of the same configuration, written into the graph as recover_layer would: *found false
 * when there is none (or it does not fit this graph: then nothing is written). ET_E_NOMEM half way. */
et_status et_recover_apply_cached(et_recover_run *R, const char *key, bool *found) {
    *found = false;
    et_tune_ctx *c = R->c;
    size_t bytes = 0;
    et_tune_report saved = *c->rep;
    const void *blob = et_recover_blob_find(c, key, &bytes);
    if (!blob)
        return ET_OK;
    /* check first, so that a mismatch leaves the graph untouched */
    size_t pos = 0;
    et_recover_layer_rec r;
    int n_rec = 0;
    while (et_recover_blob_next(blob, bytes, &pos, &r)) {
        int l = 0;
        while (l < c->n_layers && c->layers[l].node != r.node)
            l++;
        if (l == c->n_layers || r.n != c->layers[l].view.n_ch * c->layers[l].view.per_ch ||
            r.n_ch != c->layers[l].view.n_ch) {
            *c->rep = saved;
            return ET_OK;
        }
        n_rec++;
    }
    pos = 0;
    while (et_recover_blob_next(blob, bytes, &pos, &r)) {
        int l = 0;
        while (c->layers[l].node != r.node)
            l++;
        const et_wlayer *L = &c->layers[l];
        const et_knobs *k = et_tune_knobs_at(c, l); /* each layer's own bits under per-layer overrides */
        bool symmetric = k->act_bits == 8 || k->symmetric;
        float *w = et_tune_writable(c, L->weight);
        double *delta = calloc((size_t)r.n_ch, sizeof *delta);
        float *now = calloc((size_t)r.n_ch, sizeof *now), *out = calloc((size_t)r.n_ch, sizeof *out);
        bool ok = w && delta && now && out;
        if (ok) {
            et_recover_scatter(w, &L->view, r.w);
            if (r.quantized)
                ok = et_recover_attach_quant(c, L, k->weight_bits, symmetric,
                                             k->granularity == ET_GRAN_CHANNEL || k->weight_bits == 16, r.scale,
                                             r.zp) == ET_OK;
        }
        if (ok && r.bias) {
            et_recover_current_bias(c, l, now);
            for (int64_t o = 0; o < r.n_ch; o++)
                delta[o] = (double)r.bias[o] - (double)now[o];
            ok = et_recover_add_bias(R, l, delta, out) == ET_OK;
        }
        free(delta), free(now), free(out);
        if (!ok) /* half way: the caller fails the derivation */
            return et_fail(c->err, ET_E_NOMEM, "out of memory applying cached recovery");
    }
    (void)n_rec;
    *found = true;
    return ET_OK;
}
