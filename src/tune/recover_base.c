/* recover_base.c: the base's per-layer recovery record in the tune cache (recover_base.h).
 *
 * An entry per layer under "<key>|n<node>": a header, then H and the sums, the reference's terms when it has them,
 * then the result (weights, scales and zero points, bias) and its report line. Native byte order: the cache lives
 * in one process. */
#include "tune/recover_base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/recover_cache.h"
#include "tune/tune_cache.h"
#include "util/fnv.h"

typedef struct rec_head {
    uint64_t print;
    int32_t flags; /* 1 result, 2 quantized, 4 scale, 8 bias, 16 reference */
    int32_t pad;
    int64_t groups, d, rows, rows_g, n, n_ch;
} rec_head;

void et_recover_base_key(const et_tune_ctx *c, const et_knobs *base, uint64_t calib_fp, char *key, size_t len) {
    char k[256];
    et_recover_key_fp(c, base, calib_fp, 0, k, sizeof k);
    snprintf(key, len, "recbase|%s", k + strlen("recover|"));
}

bool et_recover_is_base(const et_tune_ctx *c, const et_knobs *base, uint64_t calib_fp) {
    char a[256], b[256];
    et_recover_key_fp(c, c->k, calib_fp, 0, a, sizeof a);
    et_recover_key_fp(c, base, calib_fp, 0, b, sizeof b);
    return strcmp(a, b) == 0;
}

/* The input channels of layer l (chan_keep's length). */
static int64_t in_channels(const et_wlayer *L) {
    if (L->kind != ET_WL_CONV)
        return L->view.per_ch;
    int64_t k = L->ksize > 0 ? L->ksize : 1;
    return L->group * (L->view.per_ch / k);
}

uint64_t et_recover_layer_print(const et_tune_ctx *c, int l, bool quant, bool masked, bool refit, const float *wc,
                                int64_t n) {
    const et_knobs *k = et_tune_knobs_at(c, l);
    int32_t f[12] = {quant,          masked,         refit,
                     c->keep[l],     k->weight_bits, k->act_bits == 8 || k->symmetric,
                     k->granularity, (int)k->clip,   masked ? (int)k->prune_method : -1,
                     k->nm_n,        k->nm_m,        (int)k->recover};
    uint64_t h = et_fnv64(ET_FNV64_INIT, f, sizeof f);
    if (refit)
        h = et_fnv64(h, c->chan_keep[l], (size_t)in_channels(&c->layers[l]));
    return et_fnv64(h, wc, (size_t)n * sizeof *wc);
}

static size_t entry_bytes(const et_recover_rec *r) {
    size_t b = sizeof(rec_head) + (size_t)(r->groups * r->d * r->d + r->groups * r->d) * sizeof(double);
    if (r->has_ref)
        b += (size_t)(r->groups * r->rows_g * r->d + r->groups * r->d + r->groups) * sizeof(double);
    if (r->has_result)
        b += (size_t)r->n * sizeof(float) + (size_t)r->n_ch * (2 * sizeof(float) + sizeof(int32_t)) +
             sizeof(et_tune_layer_err);
    return b;
}

static char *put(char *p, const void *src, size_t n) {
    if (src)
        memcpy(p, src, n);
    else
        memset(p, 0, n);
    return p + n;
}

bool et_recover_rec_put(et_tune_ctx *c, const char *key, int node, const et_recover_rec *r) {
    if (!c->opt->cache)
        return false;
    size_t bytes = entry_bytes(r);
    char *blob = malloc(bytes), *p = blob;
    if (!blob)
        return false;
    rec_head h = {.print = r->print,
                  .flags = (r->has_result ? 1 : 0) | (r->quantized ? 2 : 0) | (r->has_scale ? 4 : 0) |
                           (r->has_bias ? 8 : 0) | (r->has_ref ? 16 : 0),
                  .groups = r->groups,
                  .d = r->d,
                  .rows = r->rows,
                  .rows_g = r->rows_g,
                  .n = r->n,
                  .n_ch = r->n_ch};
    p = put(p, &h, sizeof h);
    p = put(p, r->h, (size_t)(r->groups * r->d * r->d) * sizeof(double));
    p = put(p, r->sum, (size_t)(r->groups * r->d) * sizeof(double));
    if (r->has_ref) {
        p = put(p, r->cross, (size_t)(r->groups * r->rows_g * r->d) * sizeof(double));
        p = put(p, r->sum_ref, (size_t)(r->groups * r->d) * sizeof(double));
        p = put(p, r->y2, (size_t)r->groups * sizeof(double));
    }
    if (r->has_result) {
        p = put(p, r->w, (size_t)r->n * sizeof(float));
        p = put(p, r->scale, (size_t)r->n_ch * sizeof(float));
        p = put(p, r->zp, (size_t)r->n_ch * sizeof(int32_t));
        p = put(p, r->bias, (size_t)r->n_ch * sizeof(float));
        put(p, &r->err, sizeof r->err);
    }
    char k[320];
    snprintf(k, sizeof k, "%s|n%d", key, node);
    et_tune_cache_trim(c->opt->cache, "recbase|", (size_t)ET_RECOVER_BASE_MIB << 20, bytes);
    return et_tune_cache_put_owned(c->opt->cache, k, blob, bytes);
}

bool et_recover_rec_get(const et_tune_ctx *c, const char *key, int node, et_recover_rec *out) {
    char k[320];
    snprintf(k, sizeof k, "%s|n%d", key, node);
    size_t bytes = 0;
    const char *p = et_tune_cache_get(c->opt->cache, k, &bytes);
    rec_head h;
    if (!p || bytes < sizeof h)
        return false;
    memcpy(&h, p, sizeof h);
    memset(out, 0, sizeof *out);
    out->print = h.print;
    out->has_result = h.flags & 1, out->quantized = h.flags & 2, out->has_scale = h.flags & 4;
    out->has_bias = h.flags & 8, out->has_ref = h.flags & 16;
    out->groups = h.groups, out->d = h.d, out->rows = h.rows, out->rows_g = h.rows_g, out->n = h.n;
    out->n_ch = h.n_ch;
    if (entry_bytes(out) != bytes)
        return false;
    p += sizeof h;
    out->h = (const double *)p, p += (size_t)(h.groups * h.d * h.d) * sizeof(double);
    out->sum = (const double *)p, p += (size_t)(h.groups * h.d) * sizeof(double);
    if (out->has_ref) {
        out->cross = (const double *)p, p += (size_t)(h.groups * h.rows_g * h.d) * sizeof(double);
        out->sum_ref = (const double *)p, p += (size_t)(h.groups * h.d) * sizeof(double);
        out->y2 = (const double *)p, p += (size_t)h.groups * sizeof(double);
    }
    if (out->has_result) {
        out->w = (const float *)p, p += (size_t)h.n * sizeof(float);
        out->scale = out->has_scale ? (const float *)p : NULL, p += (size_t)h.n_ch * sizeof(float);
        out->zp = out->has_scale ? (const int32_t *)p : NULL, p += (size_t)h.n_ch * sizeof(int32_t);
        out->bias = out->has_bias ? (const float *)p : NULL, p += (size_t)h.n_ch * sizeof(float);
        memcpy(&out->err, p, sizeof out->err);
    }
    return true;
}

void et_recover_rec_complete(et_tune_ctx *c, const char *key) {
    char k[320];
    snprintf(k, sizeof k, "%s|done", key);
    et_tune_cache_put(c->opt->cache, k, "1", 1);
}

bool et_recover_rec_is_complete(const et_tune_ctx *c, const char *key) {
    char k[320];
    snprintf(k, sizeof k, "%s|done", key);
    size_t bytes = 0;
    return et_tune_cache_get(c->opt->cache, k, &bytes) != NULL;
}
