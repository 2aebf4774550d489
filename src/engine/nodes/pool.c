/* pool.c: MaxPool (with the optional Indices output, storage_order, dilations, ceil_mode), AveragePool
 * (count_include_pad, ceil_mode, dilations), GlobalMaxPool and GlobalAveragePool, NCHW, 1-D to 3-D.
 *
 * Each output plane (one batch item, one channel) is independent; planes run in parallel on the pool. For
 * every output position the window is clipped to the input once per dimension (padding never takes part in a
 * max; it counts in an average's divisor only with count_include_pad, and then only the explicit pads, not
 * the extra ceil_mode room, as PyTorch and ONNX Runtime do). float32 has its own loops; float64, float16,
 * bfloat16, int8 and uint8 go through one generic instantiation that loads and stores via double. An empty
 * window (only possible with pads at least as large as the kernel) gives the lowest value for max, 0 for
 * average, and index -1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/nn_util.h"
#include "engine/nodes/nodes.h"

typedef struct params {
    et_window w;
    bool is_max, global, include_pad, col_major;
    int64_t planes;
    et_dtype dtype;
} params;

static bool type_ok(et_op op, et_dtype t) {
    bool is_max = op == ET_OP_MAX_POOL || op == ET_OP_GLOBAL_MAX_POOL;
    return et_dtype_is_float(t) || (is_max && (t == ET_DT_I8 || t == ET_DT_U8));
}

static et_status parse(const et_node *n, const et_shape *x, params *p, et_err *err) {
    memset(p, 0, sizeof *p);
    p->is_max = n->op == ET_OP_MAX_POOL || n->op == ET_OP_GLOBAL_MAX_POOL;
    p->global = n->op == ET_OP_GLOBAL_MAX_POOL || n->op == ET_OP_GLOBAL_AVERAGE_POOL;
    if (x->rank < 3)
        return et_op_fail(err, n, "input has rank %d; expected N x C x spatial dims (rank >= 3)", x->rank);
    int ns = x->rank - 2;
    if (p->global) {
        /* a window covering the whole input: Global* reduce every spatial position */
        if (ns > ET_WIN_MAX_SP) {
            /* collapse the spatial dims into one: the window is the whole plane anyway */
            int64_t sz = 1;
            for (int i = 2; i < x->rank; i++)
                sz *= x->dim[i];
            et_shape flat = {.rank = 3, .dim = {x->dim[0], x->dim[1], sz}};
            int64_t k = sz > 0 ? sz : 1;
            return et_window_init(n, &flat, &k, false, &p->w, err);
        }
        int64_t k[ET_WIN_MAX_SP];
        for (int i = 0; i < ns; i++)
            k[i] = x->dim[2 + i] > 0 ? x->dim[2 + i] : 1;
        et_status st = et_window_init(n, x, k, false, &p->w, err);
        return st;
    }
    int kc = 0;
    const int64_t *ks = et_node_attr_ints(n, "kernel_shape", &kc);
    if (!ks || kc != ns)
        return et_op_fail(err, n, "kernel_shape must have %d values", ns);
    int64_t ceil_mode = et_node_attr_int(n, "ceil_mode", 0);
    int64_t order = et_node_attr_int(n, "storage_order", 0);
    int64_t cip = et_node_attr_int(n, "count_include_pad", 0);
    if ((ceil_mode | order | cip) & ~(int64_t)1)
        return et_op_fail(err, n, "ceil_mode, storage_order and count_include_pad must be 0 or 1");
    p->include_pad = cip != 0;
    p->col_major = order != 0;
    return et_window_init(n, x, ks, ceil_mode != 0, &p->w, err);
}

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    bool with_idx = n->op == ET_OP_MAX_POOL;
    et_status st = et_op_check_arity(n, 1, 1, 1, with_idx ? 2 : 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    if (!type_ok(n->op, x->dtype))
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "element type %s is not supported", et_dtype_name(x->dtype));
    params p;
    if ((st = parse(n, &x->shape, &p, err)) != ET_OK)
        return st;
    et_shape out = x->shape;
    int ns = x->shape.rank - 2;
    for (int i = 0; i < ns; i++)
        out.dim[2 + i] = p.global ? 1 : p.w.out[ET_WIN_MAX_SP - ns + i];
    et_op_set_output(g, n, 0, x->dtype, &out);
    et_op_set_output(g, n, 1, ET_DT_I64, &out);
    return ET_OK;
}

/* Valid kernel taps [lo, hi) of one dimension for a window starting at `start` (may be negative). */
static inline void taps(int64_t start, int64_t k, int64_t dil, int64_t in, int64_t *lo, int64_t *hi) {
    if (dil == 1) { /* the common case, without divisions */
        *lo = start >= 0 ? 0 : -start;
        *hi = in - start;
    } else {
        *lo = start >= 0 ? 0 : (-start + dil - 1) / dil;
        *hi = in - start <= 0 ? 0 : (in - start + dil - 1) / dil;
    }
    if (*hi > k)
        *hi = k;
    if (*lo > *hi)
        *lo = *hi;
}

/* Taps of the window inside the explicitly padded range [-pad0, in + pad1). */
static inline int64_t padded_taps(int64_t start, int64_t k, int64_t dil, int64_t in, int64_t pad0, int64_t pad1) {
    int64_t lo, hi;
    taps(start + pad0, k, dil, in + pad0 + pad1, &lo, &hi);
    return hi - lo;
}

typedef struct job {
    const params *p;
    const void *x;
    void *y;
    int64_t *idx; /* MaxPool's Indices, or NULL */
} job;

/* One plane loop, instantiated for float32 (direct) and for every other type (via double). The window is
 * copied into locals first: stores through the output pointers could otherwise alias it and force reloads. */
#define POOL_PLANES(NAME, ACC, LOAD, STORE)                                                                            \
    static void NAME(void *ctx, size_t begin, size_t end) {                                                            \
        const job *j = ctx;                                                                                            \
        const params *p = j->p;                                                                                        \
        const et_window w = p->w;                                                                                      \
        const bool is_max = p->is_max, col_major = p->col_major, include_pad = p->include_pad;                         \
        int64_t *const idx = j->idx;                                                                                   \
        const int64_t in_plane = et_window_in_size(&w), out_plane = et_window_out_size(&w);                            \
        for (size_t pl = begin; pl < end; pl++) {                                                                      \
            const int64_t xo = (int64_t)pl * in_plane;                                                                 \
            int64_t yi = (int64_t)pl * out_plane;                                                                      \
            for (int64_t od = 0; od < w.out[0]; od++) {                                                                \
                int64_t sd = od * w.stride[0] - w.pad0[0], d0, d1;                                                     \
                taps(sd, w.k[0], w.dil[0], w.in[0], &d0, &d1);                                                         \
                for (int64_t oh = 0; oh < w.out[1]; oh++) {                                                            \
                    int64_t sh = oh * w.stride[1] - w.pad0[1], h0, h1;                                                 \
                    taps(sh, w.k[1], w.dil[1], w.in[1], &h0, &h1);                                                     \
                    for (int64_t ow = 0; ow < w.out[2]; ow++, yi++) {                                                  \
                        int64_t sw = ow * w.stride[2] - w.pad0[2], w0, w1;                                             \
                        taps(sw, w.k[2], w.dil[2], w.in[2], &w0, &w1);                                                 \
                        if (is_max && !idx) {                                                                          \
                            ACC best = -INFINITY;                                                                      \
                            for (int64_t kd = d0; kd < d1; kd++)                                                       \
                                for (int64_t kh = h0; kh < h1; kh++) {                                                 \
                                    int64_t id = sd + kd * w.dil[0], ih = sh + kh * w.dil[1];                          \
                                    int64_t row = xo + (id * w.in[1] + ih) * w.in[2] + sw;                             \
                                    for (int64_t kw = w0; kw < w1; kw++) {                                             \
                                        ACC v = LOAD(row + kw * w.dil[2]);                                             \
                                        best = v > best ? v : best;                                                    \
                                    }                                                                                  \
                                }                                                                                      \
                            STORE(yi, best);                                                                           \
                        } else if (is_max) {                                                                           \
                            ACC best = -INFINITY;                                                                      \
                            int64_t arg = -1;                                                                          \
                            for (int64_t kd = d0; kd < d1; kd++)                                                       \
                                for (int64_t kh = h0; kh < h1; kh++) {                                                 \
                                    int64_t id = sd + kd * w.dil[0], ih = sh + kh * w.dil[1];                          \
                                    int64_t row = xo + (id * w.in[1] + ih) * w.in[2];                                  \
                                    for (int64_t kw = w0; kw < w1; kw++) {                                             \
                                        int64_t iw = sw + kw * w.dil[2];                                               \
                                        ACC v = LOAD(row + iw);                                                        \
                                        if (v > best || arg < 0) {                                                     \
                                            best = v;                                                                  \
                                            arg = col_major ? xo + (iw * w.in[1] + ih) * w.in[0] + id : row + iw;      \
                                        }                                                                              \
                                    }                                                                                  \
                                }                                                                                      \
                            STORE(yi, best);                                                                           \
                            idx[yi] = arg;                                                                             \
                        } else {                                                                                       \
                            ACC sum = 0;                                                                               \
                            for (int64_t kd = d0; kd < d1; kd++)                                                       \
                                for (int64_t kh = h0; kh < h1; kh++) {                                                 \
                                    int64_t id = sd + kd * w.dil[0], ih = sh + kh * w.dil[1];                          \
                                    int64_t row = xo + (id * w.in[1] + ih) * w.in[2] + sw;                             \
                                    for (int64_t kw = w0; kw < w1; kw++)                                               \
                                        sum += LOAD(row + kw * w.dil[2]);                                              \
                                }                                                                                      \
                            int64_t cnt = include_pad                                                                  \
                                              ? padded_taps(sd, w.k[0], w.dil[0], w.in[0], w.pad0[0], w.pad1[0]) *     \
                                                    padded_taps(sh, w.k[1], w.dil[1], w.in[1], w.pad0[1], w.pad1[1]) * \
                                                    padded_taps(sw, w.k[2], w.dil[2], w.in[2], w.pad0[2], w.pad1[2])   \
                                              : (d1 - d0) * (h1 - h0) * (w1 - w0);                                     \
                            STORE(yi, cnt > 0 ? sum / (ACC)cnt : (ACC)0);                                              \
                        }                                                                                              \
                    }                                                                                                  \
                }                                                                                                      \
            }                                                                                                          \
        }                                                                                                              \
    }

#define LOAD_F32(i) (((const float *)j->x)[i])
#define STORE_F32(i, v) (((float *)j->y)[i] = (v))
#define LOAD_GEN(i) et_dtype_load(p->dtype, j->x, (size_t)(i))
#define STORE_GEN(i, v) store_gen(p->dtype, j->y, (i), (v))

/* Stores a pooled value; integer types round (an average of integers) and saturate. */
static inline void store_gen(et_dtype t, void *y, int64_t i, double v) {
    if (t == ET_DT_I8 || t == ET_DT_U8) {
        double lo = t == ET_DT_I8 ? -128.0 : 0.0, hi = t == ET_DT_I8 ? 127.0 : 255.0;
        v = isinf(v) ? (v < 0 ? lo : hi) : nearbyint(v);
        v = v < lo ? lo : (v > hi ? hi : v);
    }
    et_dtype_store(t, y, (size_t)i, v);
}

POOL_PLANES(planes_f32, float, LOAD_F32, STORE_F32)
POOL_PLANES(planes_gen, double, LOAD_GEN, STORE_GEN)

/* Global pools: one reduction per plane. */
static void global_f32(void *ctx, size_t begin, size_t end) {
    const job *j = ctx;
    const int64_t plane = et_window_in_size(&j->p->w);
    for (size_t pl = begin; pl < end; pl++) {
        const float *x = (const float *)j->x + (int64_t)pl * plane;
        float r;
        if (j->p->is_max) {
            r = plane > 0 ? x[0] : -INFINITY;
            for (int64_t i = 1; i < plane; i++)
                r = x[i] > r || isnan(x[i]) ? x[i] : r;
        } else {
            double s = 0;
            for (int64_t i = 0; i < plane; i++)
                s += x[i];
            r = plane > 0 ? (float)(s / (double)plane) : 0.0f;
        }
        ((float *)j->y)[pl] = r;
    }
}

static void global_gen(void *ctx, size_t begin, size_t end) {
    const job *j = ctx;
    const params *p = j->p;
    const int64_t plane = et_window_in_size(&p->w);
    for (size_t pl = begin; pl < end; pl++) {
        size_t x0 = pl * (size_t)plane;
        double r = p->is_max ? -INFINITY : 0.0;
        for (int64_t i = 0; i < plane; i++) {
            double v = et_dtype_load(p->dtype, j->x, x0 + (size_t)i);
            r = p->is_max ? (v > r || isnan(v) ? v : r) : r + v;
        }
        if (!p->is_max)
            r = plane > 0 ? r / (double)plane : 0.0;
        store_gen(p->dtype, j->y, (int64_t)pl, r);
    }
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    job j = {p, inst->in[0].data, inst->out[0].data, inst->n_out > 1 ? inst->out[1].data : NULL};
    bool f32 = p->dtype == ET_DT_F32;
    et_task_fn fn = p->global ? (f32 ? global_f32 : global_gen) : (f32 ? planes_f32 : planes_gen);
    et_par_for(ctx->pool, (size_t)p->planes, fn, &j);
    (void)err;
    return ET_OK;
}

static et_status prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    params *p = malloc(sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    et_status st = parse(n, &inst->in[0].shape, p, err);
    if (st != ET_OK) {
        free(p);
        return st;
    }
    p->dtype = inst->in[0].dtype;
    p->planes = inst->in[0].shape.dim[0] * inst->in[0].shape.dim[1];
    inst->params = p;
    inst->run = run;
    (void)g;
    return ET_OK;
}

const et_op_impl et_impl_pool = {infer, prepare};
