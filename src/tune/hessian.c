/* hessian.c: H = X X^T and sum(X) of a weight layer's inputs (hessian.h).
 *
 * Per input tensor and group, X^T is built a chunk of rows at a time as "feature rows" (At: d rows of P
 * positions; a 1x1 stride-1 convolution reads its input planes in place), then
 *   wide problems:   At is packed as the B of the GEMM kernels, and each tile of mr rows of H is
 *                    At[tile] * At^T over the chunk, from the tile's diagonal on (H is symmetric), added into
 *                    the double H; tiles run on the pool
 *   narrow problems: the d(d+1)/2 dot products directly, eight partial sums each, one group per task
 * The order of every sum is fixed by the chunking, which does not depend on the thread count. */
#include "tune/hessian.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/nn_util.h"
#include "tune/tgemm.h"
#include "util/mem.h"

enum { NARROW_D = 16, CHUNK_FLOATS = 1 << 21 };

static const int64_t MAX_HESS_BYTES = (int64_t)3 << 30; /* beyond this a layer is not compensated */

typedef struct geom {
    bool conv;
    int64_t groups, d, c_in, cg, ksize, batch, rows_per, row_len;
    et_window win;
} geom;

static et_status geom_of(const et_graph *g, int node, bool per_channel, geom *o, et_err *err) {
    const et_node *n = &g->nodes[node];
    const et_value *x = et_node_cin(g, n, 0), *w = et_node_cin(g, n, 1);
    memset(o, 0, sizeof *o);
    if (!x || !w || x->dtype != ET_DT_F32)
        return et_fail(err, ET_E_UNSUPPORTED, "%s: not a float weight layer", n->name);
    if (n->op == ET_OP_CONV) {
        if (w->shape.rank < 3 || x->shape.rank != w->shape.rank || w->shape.rank > 5)
            return et_fail(err, ET_E_UNSUPPORTED, "%s: convolution of rank %d", n->name, w->shape.rank);
        int64_t kernel[3] = {1, 1, 1};
        int n_sp = w->shape.rank - 2;
        for (int i = 0; i < n_sp; i++)
            kernel[i] = w->shape.dim[2 + i];
        et_status st = et_window_init(n, &x->shape, kernel, false, &o->win, err);
        if (st != ET_OK)
            return st;
        o->conv = true;
        o->groups = et_node_attr_int(n, "group", 1);
        o->c_in = x->shape.dim[1];
        o->cg = w->shape.dim[1];
        o->ksize = et_window_k_size(&o->win);
        o->batch = x->shape.dim[0];
        o->d = o->cg * o->ksize;
        o->rows_per = et_window_out_size(&o->win);
        if (o->groups < 1 || o->cg * o->groups != o->c_in)
            return et_fail(err, ET_E_UNSUPPORTED, "%s: %lld input channels in %lld groups of %lld", n->name,
                           (long long)o->c_in, (long long)o->groups, (long long)o->cg);
        if (per_channel) { /* every input channel its own block */
            o->groups = o->c_in;
            o->cg = 1;
            o->d = o->ksize;
        }
        return ET_OK;
    }
    if (n->op != ET_OP_GEMM && n->op != ET_OP_MATMUL)
        return et_fail(err, ET_E_UNSUPPORTED, "%s: not a weight layer", n->name);
    bool tb = n->op == ET_OP_GEMM && et_node_attr_int(n, "transB", 0) != 0;
    o->d = w->shape.dim[tb ? 1 : 0];
    o->groups = 1;
    int64_t numel = et_shape_numel(&x->shape);
    if (o->d <= 0 || numel % o->d != 0)
        return et_fail(err, ET_E_UNSUPPORTED, "%s: input does not split into rows of %lld", n->name, (long long)o->d);
    o->batch = 1;
    o->rows_per = numel / o->d;
    o->row_len = o->d;
    if (per_channel) {
        o->groups = o->d;
        o->d = 1;
    }
    return ET_OK;
}

int64_t et_hess_bytes(const et_graph *g, int node, bool per_channel) {
    geom o;
    if (geom_of(g, node, per_channel, &o, NULL) != ET_OK)
        return -1;
    return o.groups * (o.d * o.d + o.d) * (int64_t)sizeof(double);
}

et_status et_hess_init(et_hess *hs, const et_graph *g, int node, bool per_channel, et_err *err) {
    memset(hs, 0, sizeof *hs);
    geom o;
    et_status st = geom_of(g, node, per_channel, &o, err);
    if (st != ET_OK)
        return st;
    int64_t bytes = o.groups * (o.d * o.d + o.d) * (int64_t)sizeof(double);
    if (bytes > MAX_HESS_BYTES)
        return et_fail(err, ET_E_NOMEM, "%s: its Hessian would need %.1f GiB (%lld inputs per output)",
                       g->nodes[node].name, (double)bytes / (1 << 30), (long long)o.d);
    hs->groups = o.groups, hs->d = o.d, hs->conv = o.conv;
    hs->c_in = o.c_in, hs->cg = o.cg, hs->ksize = o.ksize, hs->batch = o.conv ? o.batch : o.rows_per;
    hs->row_len = o.row_len;
    for (int i = 0; i < 3; i++) {
        hs->in[i] = o.win.in[i], hs->out[i] = o.win.out[i], hs->k[i] = o.win.k[i];
        hs->stride[i] = o.win.stride[i], hs->dil[i] = o.win.dil[i], hs->pad0[i] = o.win.pad0[i];
    }
    hs->h = et_aligned_calloc((size_t)(o.groups * o.d * o.d) * sizeof *hs->h);
    hs->sum = calloc((size_t)(o.groups * o.d), sizeof *hs->sum);
    if (!hs->h || !hs->sum) {
        et_hess_free(hs);
        return et_fail(err, ET_E_NOMEM, "%s: out of memory for its Hessian (%.1f MiB)", g->nodes[node].name,
                       (double)bytes / (1 << 20));
    }
    return ET_OK;
}

void et_hess_free(et_hess *hs) {
    et_aligned_free(hs->h);
    free(hs->sum);
    hs->h = NULL;
    hs->sum = NULL;
}

void et_hess_finish(et_hess *hs) {
    for (int64_t g = 0; g < hs->groups; g++) {
        double *h = hs->h + g * hs->d * hs->d;
        for (int64_t i = 0; i < hs->d; i++)
            for (int64_t j = 0; j < i; j++)
                h[i * hs->d + j] = h[j * hs->d + i];
    }
}

/* ---- building feature rows -------------------------------------------------------------------------------- */

static int64_t out_positions(const et_hess *hs) { return hs->out[0] * hs->out[1] * hs->out[2]; }
static int64_t in_size(const et_hess *hs) { return hs->in[0] * hs->in[1] * hs->in[2]; }

/* Feature row f (input channel f / ksize of the group, kernel element f % ksize) of a convolution over output
 * positions [p0, p0 + n): the input value each position reads there, 0 in the padding. plane points at the
 * group's first input channel. */
static void conv_row(const et_hess *hs, const float *plane, int64_t f, int64_t p0, int64_t n, float *row) {
    int64_t ci = f / hs->ksize, kk = f % hs->ksize;
    int64_t k2 = kk % hs->k[2], k1 = (kk / hs->k[2]) % hs->k[1], k0 = kk / (hs->k[2] * hs->k[1]);
    const float *src = plane + ci * in_size(hs);
    int64_t o2 = p0 % hs->out[2], o1 = (p0 / hs->out[2]) % hs->out[1], o0 = p0 / (hs->out[2] * hs->out[1]);
    for (int64_t p = 0; p < n; p++) {
        int64_t i0 = o0 * hs->stride[0] - hs->pad0[0] + k0 * hs->dil[0];
        int64_t i1 = o1 * hs->stride[1] - hs->pad0[1] + k1 * hs->dil[1];
        int64_t i2 = o2 * hs->stride[2] - hs->pad0[2] + k2 * hs->dil[2];
        bool in = i0 >= 0 && i0 < hs->in[0] && i1 >= 0 && i1 < hs->in[1] && i2 >= 0 && i2 < hs->in[2];
        row[p] = in ? src[(i0 * hs->in[1] + i1) * hs->in[2] + i2] : 0.0f;
        if (++o2 == hs->out[2]) {
            o2 = 0;
            if (++o1 == hs->out[1])
                o1 = 0, o0++;
        }
    }
}

static bool pointwise(const et_hess *hs) {
    for (int i = 0; i < 3; i++)
        if (hs->k[i] != 1 || hs->stride[i] != 1 || hs->pad0[i] != 0 || hs->out[i] != hs->in[i])
            return false;
    return true;
}

/* Sum of a row in eight partial sums (vectorised), returned in double. */
static double row_sum(const float *x, int64_t n) {
    float s8[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int q = 0; q < 8; q++)
            s8[q] += x[i + q];
    double s = 0;
    for (int q = 0; q < 8; q++)
        s += s8[q];
    for (; i < n; i++)
        s += x[i];
    return s;
}

static double dot(const float *x, const float *y, int64_t n) {
    float s8[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int q = 0; q < 8; q++)
            s8[q] += x[i + q] * y[i + q];
    double s = 0;
    for (int q = 0; q < 8; q++)
        s += s8[q];
    for (; i < n; i++)
        s += (double)x[i] * y[i];
    return s;
}

typedef struct acc_job {
    et_hess *hs;
    const float *x;      /* this tensor (one batch item for a convolution) */
    const float *at;     /* the chunk's feature rows (wide problems) */
    int64_t lda, p0, np; /* row stride of at; the chunk's positions */
    int64_t group;
    const float *packed;
    float *at_buf;       /* where feature rows are built */
    const et_f32_gemm_config *gc;
    atomic_int *failed;  /* set by a task that could not get its scratch */
} acc_job;

/* Narrow problems: groups [b, e), all positions, dot products. */
static void narrow_task(void *ctx, size_t b, size_t e) {
    const acc_job *J = ctx;
    et_hess *hs = J->hs;
    int64_t d = hs->d, P = hs->conv ? out_positions(hs) : hs->batch;
    int64_t chunk = P < 4096 ? P : 4096;
    float *rows = malloc((size_t)(d * chunk) * sizeof *rows);
    if (!rows) {
        atomic_store(J->failed, 1);
        return;
    }
    for (size_t g = b; g < e; g++) {
        double *h = hs->h + (int64_t)g * d * d, *sum = hs->sum + (int64_t)g * d;
        for (int64_t p0 = 0; p0 < P; p0 += chunk) {
            int64_t n = P - p0 < chunk ? P - p0 : chunk;
            for (int64_t f = 0; f < d; f++) {
                if (hs->conv)
                    conv_row(hs, J->x + (int64_t)g * hs->cg * in_size(hs), f, p0, n, rows + f * chunk);
                else
                    for (int64_t p = 0; p < n; p++)
                        rows[f * chunk + p] = J->x[(p0 + p) * hs->row_len + (int64_t)g * d + f];
            }
            for (int64_t i = 0; i < d; i++) {
                sum[i] += row_sum(rows + i * chunk, n);
                for (int64_t j = i; j < d; j++)
                    h[i * d + j] += dot(rows + i * chunk, rows + j * chunk, n);
            }
        }
    }
    free(rows);
}

/* Wide problems: feature rows [b, e) of the chunk into at_buf, and their sums. */
static void rows_task(void *ctx, size_t b, size_t e) {
    const acc_job *J = ctx;
    et_hess *hs = J->hs;
    for (size_t f = b; f < e; f++) {
        float *row = J->at_buf + (int64_t)f * J->lda;
        if (J->at_buf) {
            if (hs->conv)
                conv_row(hs, J->x + J->group * hs->cg * in_size(hs), (int64_t)f, J->p0, J->np, row);
            else
                for (int64_t p = 0; p < J->np; p++)
                    row[p] = J->x[(J->p0 + p) * hs->row_len + J->group * hs->d + (int64_t)f];
        }
        const float *r = J->at + (int64_t)f * J->lda;
        hs->sum[J->group * hs->d + (int64_t)f] += row_sum(r, J->np);
    }
}

/* Wide problems: packs panels [b, e) of At^T. */
static void pack_task(void *ctx, size_t b, size_t e) {
    const acc_job *J = ctx;
    size_t nr = J->gc->nr, d = (size_t)J->hs->d;
    size_t n0 = b * nr, n1 = e * nr < d ? e * nr : d;
    et_f32_gemm_pack(nr, n1 - n0, (size_t)J->np, J->at + n0 * (size_t)J->lda, (size_t)J->lda, 1, NULL,
                     (float *)J->packed + n0 * (size_t)(J->np + 1));
}

/* Wide problems: tiles [b, e) of mr rows of H, from their diagonal on. */
static void gemm_task(void *ctx, size_t b, size_t e) {
    const acc_job *J = ctx;
    et_hess *hs = J->hs;
    int64_t d = hs->d, mr = (int64_t)J->gc->mr, nr = (int64_t)J->gc->nr;
    float *c = malloc((size_t)(mr * d) * sizeof *c);
    if (!c) {
        atomic_store(J->failed, 1);
        return;
    }
    double *h = hs->h + J->group * d * d;
    for (size_t t = b; t < e; t++) {
        int64_t i0 = (int64_t)t * mr, rows = d - i0 < mr ? d - i0 : mr;
        int64_t j0 = i0 / nr * nr, nc = d - j0;
        et_tgemm(J->gc, (size_t)rows, (size_t)nc, (size_t)J->np, J->at + i0 * J->lda, (size_t)J->lda,
                 et_tgemm_panel(J->gc, J->packed, (size_t)J->np, (size_t)j0), c, (size_t)nc);
        for (int64_t r = 0; r < rows; r++) {
            double *hr = h + (i0 + r) * d;
            const float *cr = c + r * nc;
            for (int64_t j = i0 + r; j < d; j++)
                hr[j] += cr[j - j0];
        }
    }
    free(c);
}

static void par(et_threadpool *pool, size_t n, size_t chunk, et_task_fn fn, void *ctx) {
    if (n == 0)
        return;
    if (pool && n > 1)
        et_threadpool_parallel_for_chunked(pool, n, chunk, fn, ctx);
    else
        fn(ctx, 0, n);
}

static bool all_finite(const float *x, int64_t n) {
    float m8[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int q = 0; q < 8; q++)
            m8[q] += x[i + q] * 0.0f; /* NaN for NaN and infinities, 0 otherwise */
    float m = 0;
    for (int q = 0; q < 8; q++)
        m += m8[q];
    for (; i < n; i++)
        m += x[i] * 0.0f;
    return m == 0.0f;
}

et_status et_hess_add(et_hess *hs, const float *x, et_threadpool *pool, et_err *err) {
    int64_t per_item = hs->conv ? hs->c_in * in_size(hs) : hs->batch * hs->row_len;
    int64_t items = hs->conv ? hs->batch : 1;
    if (!all_finite(x, per_item * items))
        return et_fail(err, ET_E_INPUT, "the layer's input holds NaN or infinite values");
    const et_f32_gemm_config *gc = et_f32_gemm_config_get();
    int64_t d = hs->d, P = hs->conv ? out_positions(hs) : hs->batch;
    atomic_int failed = 0;
    for (int64_t it = 0; it < items && !atomic_load(&failed); it++) {
        const float *xi = x + it * per_item;
        hs->rows += P;
        if (d <= NARROW_D) {
            acc_job J = {.hs = hs, .x = xi, .failed = &failed};
            par(pool, (size_t)hs->groups, 1, narrow_task, &J);
            continue;
        }
        int64_t chunk = CHUNK_FLOATS / d;
        chunk = chunk < 64 ? 64 : chunk > 1024 ? 1024 : chunk;
        chunk = chunk < P ? chunk : P;
        bool in_place = hs->conv && pointwise(hs);
        float *at_buf = in_place ? NULL : et_aligned_alloc((size_t)(d * chunk) * sizeof *at_buf);
        float *packed = et_aligned_alloc(et_tgemm_packed_floats(gc, (size_t)d, (size_t)chunk) * sizeof *packed);
        if ((!in_place && !at_buf) || !packed) {
            et_aligned_free(at_buf);
            et_aligned_free(packed);
            return et_fail(err, ET_E_NOMEM, "out of memory accumulating a Hessian (%lld inputs per output)",
                           (long long)d);
        }
        for (int64_t g = 0; g < hs->groups; g++)
            for (int64_t p0 = 0; p0 < P; p0 += chunk) {
                int64_t np = P - p0 < chunk ? P - p0 : chunk;
                acc_job J = {.hs = hs, .x = xi, .p0 = p0, .np = np, .group = g, .packed = packed, .gc = gc,
                           .failed = &failed};
                if (in_place) {
                    J.at = xi + g * hs->cg * in_size(hs) + p0;
                    J.lda = in_size(hs);
                } else {
                    J.at = J.at_buf = at_buf;
                    J.lda = np;
                }
                par(pool, (size_t)d, 16, rows_task, &J);
                par(pool, (size_t)((d + (int64_t)gc->nr - 1) / (int64_t)gc->nr), 4, pack_task, &J);
                par(pool, (size_t)((d + (int64_t)gc->mr - 1) / (int64_t)gc->mr), 2, gemm_task, &J);
            }
        et_aligned_free(at_buf);
        et_aligned_free(packed);
    }
    if (atomic_load(&failed))
        return et_fail(err, ET_E_NOMEM, "out of memory accumulating a Hessian (%lld inputs per output)", (long long)d);
    return ET_OK;
}
