/* recover_cache.c: recovery's results in the tune cache (recover_cache.h).
 *
 * Blob layout (native byte order: the cache lives in one process): the report part (counts, peak bytes, the
 * per-layer errors), then per layer a header {node, n, n_ch, flags} and its floats: weights, then scales and
 * zero points when quantized, then the bias when there is one. */
#include "tune/recover_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/tune_cache.h"

typedef struct blob_head {
    int n_recovered, n_fallback, n_layer_errs;
    int64_t peak_bytes;
    double recover_ms;
} blob_head;

typedef struct layer_head {
    int32_t node, flags; /* 1: scales and zero points follow; 2: a bias follows; 4: quantized (fp16 without 1) */
    int64_t n, n_ch;
} layer_head;

struct et_recover_blob {
    char *data;
    size_t len, cap;
    bool failed;
};

static uint64_t mix(uint64_t h, uint64_t x) {
    h ^= x + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

/* A fingerprint of every calibration byte (8 at a time). */
uint64_t et_recover_calib_fingerprint(const et_calib_set *calib) {
    uint64_t h = mix(0x243F6A8885A308D3ull, (uint64_t)calib->n_sets * 131u + (uint64_t)calib->n_inputs);
    for (int s = 0; s < calib->n_sets * calib->n_inputs; s++) {
        const et_npy *x = &calib->sets[s];
        const unsigned char *p = x->data;
        size_t n = x->nbytes, i = 0;
        uint64_t a = 0x13198A2E03707344ull, b = 0xA4093822299F31D0ull;
        for (; i + 16 <= n; i += 16) {
            uint64_t u, v;
            memcpy(&u, p + i, 8);
            memcpy(&v, p + i + 8, 8);
            a = (a ^ u) * 0x100000001b3ull;
            b = (b ^ v) * 0x100000001b3ull;
        }
        for (; i < n; i++)
            a = (a ^ p[i]) * 0x100000001b3ull;
        h = mix(mix(h, a), b ^ n);
    }
    return h;
}

void et_recover_key(const et_tune_ctx *c, const et_calib_set *calib, uint64_t quant_hash, char *key, size_t len) {
    et_recover_key_fp(c, c->k, et_recover_calib_fingerprint(calib), quant_hash, key, len);
}

void et_recover_key_fp(const et_tune_ctx *c, const et_knobs *k, uint64_t calib_fp, uint64_t quant_hash, char *key,
                       size_t len) {
    snprintf(key, len, "recover|%d|%d|%d|%d|%d|%d|%.6f|%d|%d:%d|%d|%d%d|%016llx|%016llx|%d|L%016llx", (int)k->recover,
             k->weight_bits, k->act_bits, (int)k->granularity, k->symmetric ? 1 : 0, (int)k->clip,
             (double)k->prune_ratio, (int)k->prune_method, k->nm_n, k->nm_m, k->quantize_all ? 1 : 0,
             c->opt->recover_act_order ? 1 : 0,
             (c->opt->recover_reference ? 1 : 0) | (c->opt->recover_exact_masks ? 2 : 0) |
                 (c->opt->recover_prune_alloc ? 4 : 0),
             (unsigned long long)quant_hash, (unsigned long long)calib_fp, c->g->n_values, et_tune_layers_hash(k));
}

size_t et_recover_blob_layer_bytes(int64_t n, int64_t n_ch) {
    return sizeof(layer_head) + (size_t)n * sizeof(float) + (size_t)n_ch * (2 * sizeof(float) + sizeof(int32_t));
}

et_recover_blob *et_recover_blob_new(size_t reserve) {
    et_recover_blob *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cap = sizeof(blob_head) + reserve + ET_TUNE_MAX_LAYER_ERRS * sizeof(et_tune_layer_err);
    if (!(b->data = calloc(1, b->cap))) {
        free(b);
        return NULL;
    }
    b->len = sizeof(blob_head); /* filled in at store */
    return b;
}

void et_recover_blob_free(et_recover_blob *b) {
    if (!b)
        return;
    free(b->data);
    free(b);
}

static void put(et_recover_blob *b, const void *p, size_t n) {
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->len + n)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->failed = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void et_recover_blob_add_layer(et_recover_blob *b, int node, const float *w, int64_t n, bool quantized,
                               const float *scale, const int32_t *zp, int64_t n_ch, const float *bias) {
    if (!b)
        return;
    layer_head h = {.node = node,
                    .flags = (scale ? 1 : 0) | (bias ? 2 : 0) | (quantized ? 4 : 0),
                    .n = n,
                    .n_ch = n_ch};
    put(b, &h, sizeof h);
    put(b, w, (size_t)n * sizeof *w);
    if (scale) {
        put(b, scale, (size_t)n_ch * sizeof *scale);
        put(b, zp, (size_t)n_ch * sizeof *zp);
    }
    if (bias)
        put(b, bias, (size_t)n_ch * sizeof *bias);
}

void et_recover_blob_store(et_recover_blob *b, et_tune_ctx *c, const char *key) {
    if (!b || b->failed || !c->opt->cache)
        return;
    int n_err = c->rep->n_layer_errs;
    blob_head h = {.n_recovered = c->rep->n_recovered,
                   .n_fallback = c->rep->n_fallback,
                   .n_layer_errs = n_err,
                   .peak_bytes = c->rep->recover_peak_bytes,
                   .recover_ms = c->rep->recover_ms};
    memcpy(b->data, &h, sizeof h);
    put(b, c->rep->layer_err, (size_t)n_err * sizeof c->rep->layer_err[0]);
    if (b->failed)
        return;
    et_tune_cache_trim(c->opt->cache, "recover|", (size_t)ET_RECOVER_CACHE_MIB << 20, b->len);
    et_tune_cache_put_owned(c->opt->cache, key, b->data, b->len); /* no second copy of every weight */
    b->data = NULL;
    b->len = b->cap = 0;
}

const void *et_recover_blob_find(et_tune_ctx *c, const char *key, size_t *bytes) {
    const char *d = et_tune_cache_get(c->opt->cache, key, bytes);
    if (!d || *bytes < sizeof(blob_head))
        return NULL;
    blob_head h;
    memcpy(&h, d, sizeof h);
    size_t errs = (size_t)h.n_layer_errs * sizeof c->rep->layer_err[0];
    if (h.n_layer_errs < 0 || h.n_layer_errs > ET_TUNE_MAX_LAYER_ERRS || *bytes < sizeof h + errs)
        return NULL;
    c->rep->n_recovered = h.n_recovered;
    c->rep->n_fallback = h.n_fallback;
    c->rep->recover_peak_bytes = h.peak_bytes;
    c->rep->n_layer_errs = h.n_layer_errs;
    memcpy(c->rep->layer_err, d + *bytes - errs, errs);
    *bytes -= errs; /* the layers end where the errors begin */
    return d;
}

bool et_recover_blob_next(const void *blob, size_t bytes, size_t *pos, et_recover_layer_rec *out) {
    const char *d = blob;
    if (*pos == 0)
        *pos = sizeof(blob_head);
    if (*pos + sizeof(layer_head) > bytes)
        return false;
    layer_head h;
    memcpy(&h, d + *pos, sizeof h);
    size_t need = (size_t)h.n * 4 + ((h.flags & 1) ? (size_t)h.n_ch * 8 : 0) + ((h.flags & 2) ? (size_t)h.n_ch * 4 : 0);
    if (h.n < 0 || h.n_ch < 0 || *pos + sizeof h + need > bytes)
        return false;
    const char *p = d + *pos + sizeof h;
    out->node = h.node, out->n = h.n, out->n_ch = h.n_ch, out->quantized = (h.flags & 4) != 0;
    out->w = (const float *)p;
    p += h.n * 4;
    out->scale = NULL, out->zp = NULL, out->bias = NULL;
    if (h.flags & 1) {
        out->scale = (const float *)p;
        out->zp = (const int32_t *)(p + h.n_ch * 4);
        p += h.n_ch * 8;
    }
    if (h.flags & 2)
        out->bias = (const float *)p;
    *pos += sizeof h + need;
    return true;
}
