/* qmath.c: weight and activation quantization arithmetic (see qmath.h). */
#include "tune/qmath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/dtype.h"

void et_wq_range(int bits, bool symmetric, int32_t *qmin, int32_t *qmax) {
    int32_t hi = (1 << (bits - 1)) - 1;
    *qmax = hi;
    *qmin = symmetric ? -hi : -hi - 1;
}

/* Order-preserving map of a float to uint32 (negatives reversed below positives; NaN above +inf). */
static inline uint32_t key_of(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
static inline float float_of(uint32_t k) {
    uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Radix select for large arrays: a histogram of the key's top 16 bits finds the bucket of the k-th element, a
 * second pass over that bucket's low 16 bits finds the element. Two streaming passes, no data movement: about
 * ten times faster than quickselect's branchy partitions on millions of weights. NULL hist: not enough memory. */
static bool radix_select(const float *a, int64_t n, int64_t k, float *out) {
    uint32_t *hist = calloc(65536, sizeof *hist);
    if (!hist)
        return false;
    for (int64_t i = 0; i < n; i++)
        hist[key_of(a[i]) >> 16]++;
    uint32_t bucket = 0;
    int64_t below = 0;
    for (; bucket < 65535 && below + hist[bucket] <= k; bucket++)
        below += hist[bucket];
    memset(hist, 0, 65536 * sizeof *hist);
    for (int64_t i = 0; i < n; i++) {
        uint32_t key = key_of(a[i]);
        if ((key >> 16) == bucket)
            hist[key & 0xffffu]++;
    }
    uint32_t low = 0;
    for (; low < 65535 && below + hist[low] <= k; low++)
        below += hist[low];
    free(hist);
    *out = float_of(bucket << 16 | low);
    return true;
}

float et_select_kth(float *a, int64_t n, int64_t k) {
    float r;
    if (n > 65536 && radix_select(a, n, k, &r))
        return r;
    int64_t lo = 0, hi = n - 1;
    while (hi > lo) {
        /* median of three as pivot keeps sorted and constant runs linear */
        int64_t mid = lo + (hi - lo) / 2;
        float x = a[lo], y = a[mid], z = a[hi];
        float pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                float t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return a[k];
    }
    return a[k];
}

/* Range of one group of weights (a channel, or the whole tensor): [lo, hi] after clipping. scratch holds at
 * least `count` floats when percentile clipping is on. */
static void group_range(const float *w, const et_wview *v, int64_t c0, int64_t c1, const et_wq_config *cfg,
                        float *scratch, float *lo, float *hi) {
    float mn = 0.0f, mx = 0.0f;
    if (cfg->clip == ET_CLIP_PERCENTILE && scratch) {
        int64_t n = 0;
        for (int64_t c = c0; c < c1; c++)
            for (int64_t i = 0; i < v->per_ch; i++)
                scratch[n++] = w[c * v->ch_stride + i * v->el_stride];
        if (n == 0) {
            *lo = *hi = 0.0f;
            return;
        }
        double tail = (100.0 - (double)cfg->percentile) / 100.0;
        int64_t skip = (int64_t)floor(tail * (double)n); /* elements outside the range on each side */
        if (cfg->symmetric) {
            for (int64_t i = 0; i < n; i++)
                scratch[i] = fabsf(scratch[i]);
            mx = et_select_kth(scratch, n, n - 1 - skip);
            mn = -mx;
        } else {
            mx = et_select_kth(scratch, n, n - 1 - skip);
            mn = et_select_kth(scratch, n, skip);
        }
    } else {
        for (int64_t c = c0; c < c1; c++) {
            const float *row = w + c * v->ch_stride;
            for (int64_t i = 0; i < v->per_ch; i++) {
                float x = row[i * v->el_stride];
                mn = x < mn ? x : mn;
                mx = x > mx ? x : mx;
            }
        }
        if (cfg->symmetric) {
            float a = fmaxf(-mn, mx);
            mn = -a, mx = a;
        }
    }
    *lo = fminf(mn, 0.0f);
    *hi = fmaxf(mx, 0.0f);
}

et_status et_quantize_weights(const float *w, const et_wview *v, const et_wq_config *cfg, float *scale,
                              int32_t *zero_point, int8_t *q, float *deq, et_err *err) {
    if (cfg->bits < 2 || cfg->bits > 8)
        return et_fail(err, ET_E_USAGE, "--bits %d: integer weights take 2 to 8 bits", cfg->bits);
    int32_t qmin, qmax;
    et_wq_range(cfg->bits, cfg->symmetric, &qmin, &qmax);
    float *scratch = NULL;
    if (cfg->clip == ET_CLIP_PERCENTILE) {
        int64_t need = cfg->per_channel ? v->per_ch : v->per_ch * v->n_ch;
        scratch = malloc((size_t)(need > 0 ? need : 1) * sizeof *scratch);
        if (!scratch)
            return et_fail(err, ET_E_NOMEM, "out of memory quantizing weights");
    }
    int64_t groups = cfg->per_channel ? v->n_ch : 1;
    for (int64_t gi = 0; gi < groups; gi++) {
        int64_t c0 = cfg->per_channel ? gi : 0, c1 = cfg->per_channel ? gi + 1 : v->n_ch;
        float lo, hi;
        group_range(w, v, c0, c1, cfg, scratch, &lo, &hi);
        float s;
        int32_t zp = 0;
        if (cfg->symmetric) {
            s = hi / (float)qmax;
        } else {
            s = (hi - lo) / (float)(qmax - qmin);
            if (s > 0.0f) {
                long z = (long)qmin - lrintf(lo / s);
                zp = (int32_t)(z < qmin ? qmin : z > qmax ? qmax : z);
            }
        }
        if (!(s > 0.0f) || !isfinite(s))
            s = 1.0f, zp = 0;
        float inv = 1.0f / s;
        for (int64_t c = c0; c < c1; c++) {
            scale[c] = s;
            zero_point[c] = zp;
            const float *row = w + c * v->ch_stride;
            for (int64_t i = 0; i < v->per_ch; i++) {
                int64_t at = c * v->ch_stride + i * v->el_stride;
                long r = lrintf(row[i * v->el_stride] * inv) + zp;
                int32_t qi = (int32_t)(r < qmin ? qmin : r > qmax ? qmax : r);
                if (q)
                    q[at] = (int8_t)qi;
                if (deq)
                    deq[at] = s * (float)(qi - zp);
            }
        }
    }
    free(scratch);
    return ET_OK;
}

void et_quantize_on_grid(const float *w, const et_wview *v, const float *scale, const int32_t *zero_point,
                         bool per_channel, int32_t qmin, int32_t qmax, int8_t *q) {
    for (int64_t c = 0; c < v->n_ch; c++) {
        float s = scale[per_channel ? c : 0], inv = 1.0f / s;
        int32_t zp = zero_point[per_channel ? c : 0];
        for (int64_t i = 0; i < v->per_ch; i++) {
            int64_t at = c * v->ch_stride + i * v->el_stride;
            long r = lrintf(w[at] * inv) + zp;
            q[at] = (int8_t)(r < qmin ? qmin : r > qmax ? qmax : r);
        }
    }
}

void et_act_qparams(float lo, float hi, float *scale, int32_t *zero_point) {
    lo = fminf(lo, 0.0f);
    hi = fmaxf(hi, 0.0f);
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = isfinite(lo) ? lo : -1e30f;
        hi = isfinite(hi) ? hi : 1e30f;
    }
    float s = (hi - lo) / 255.0f;
    if (!(s > 0.0f) || !isfinite(s)) {
        *scale = 1.0f;
        *zero_point = 0;
        return;
    }
    long z = -128 - lrintf(lo / s);
    *scale = s;
    *zero_point = (int32_t)(z < -128 ? -128 : z > 127 ? 127 : z);
}

int8_t et_quantize_f32(float x, float scale, int32_t zp) {
    float f = x / scale, lo = (float)(-128 - zp), hi = (float)(127 - zp);
    f = f >= lo ? f : lo; /* NaN and -inf saturate low, as the kernels' clamps do */
    f = f <= hi ? f : hi;
    return (int8_t)(lrintf(f) + zp);
}

void et_round_fp16(const float *in, float *out, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        out[i] = et_f16_to_f32(et_f32_to_f16(in[i]));
}
