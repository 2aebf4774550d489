/* hessian.c: H = X X^T and sum(X) of a weight layer's inputs (hessian.h).
 *
 * Per input tensor and group, X^T is built a chunk of rows at a time as "feature rows" (At: d rows of P
 * positions; a 1x1 stride-1 convolution reads its input planes in place), then
 *   wide problems:   At is packed as the B of the GEMM kernels, and each tile of mr rows of H is
 *                    At[tile] * At^T over the chunk, from the tile's diagonal on (H is symmetric), added into
 *                    the double H; tiles run on the pool
 *   grouped layers:  the same per group, whole groups per task (a depthwise layer: one 9 x 9 H per channel);
 *                    narrow groups (d <= NARROW_D) skip the GEMM: direct dot products in eight fp32 lanes per
 *                    chunk (a 9 x 9 problem fills a fraction of a GEMM tile and pays its packing; on
 *                    torchvision MobileNetV2 the depthwise layers' Hessians took over a third of recovery)
 * The order of every sum is fixed by the chunking, which does not depend on the thread count. */
#include "tune/hessian.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/nn_util.h"
#include "tune/tgemm.h"
#include "util/mem.h"

enum { CHUNK_FLOATS = 1 << 21, NARROW_D = 16 };

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
    free(hs->cross);
    free(hs->sum_ref);
    free(hs->y2);
    hs->y2 = NULL;
    hs->h = NULL;
    hs->sum = NULL;
    hs->cross = NULL;
    hs->sum_ref = NULL;
}

et_status et_hess_set_reference(et_hess *hs, const float *w_ref, int64_t rows_per_group, et_err *err) {
    hs->w_ref = w_ref;
    hs->rows_g = rows_per_group;
    hs->cross = calloc((size_t)(hs->groups * rows_per_group * hs->d), sizeof *hs->cross);
    hs->sum_ref = calloc((size_t)(hs->groups * hs->d), sizeof *hs->sum_ref);
    hs->y2 = calloc((size_t)hs->groups, sizeof *hs->y2);
    if (!hs->cross || !hs->sum_ref || !hs->y2)
        return et_fail(err, ET_E_NOMEM, "out of memory for a layer's reference statistics");
    return ET_OK;
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
 * group's first input channel. Walks whole output rows: the bounds are worked out once per row, and a row of a
 * stride-1 convolution is one copy. */
static void conv_row(const et_hess *hs, const float *plane, int64_t f, int64_t p0, int64_t n, float *row) {
    int64_t ci = f / hs->ksize, kk = f % hs->ksize;
    int64_t k2 = kk % hs->k[2], k1 = (kk / hs->k[2]) % hs->k[1], k0 = kk / (hs->k[2] * hs->k[1]);
    const float *src = plane + ci * in_size(hs);
    int64_t o2_step = hs->stride[2], off2 = k2 * hs->dil[2] - hs->pad0[2];
    /* output columns whose input column is inside: [c_lo, c_hi) */
    int64_t c_lo = off2 >= 0 ? 0 : (-off2 + o2_step - 1) / o2_step;
    int64_t c_hi = hs->in[2] - off2 <= 0 ? 0 : (hs->in[2] - off2 + o2_step - 1) / o2_step;
    c_hi = c_hi < hs->out[2] ? c_hi : hs->out[2];
    for (int64_t p = p0; p < p0 + n;) {
        int64_t o2 = p % hs->out[2], o1 = (p / hs->out[2]) % hs->out[1], o0 = p / (hs->out[2] * hs->out[1]);
        int64_t len = hs->out[2] - o2 < p0 + n - p ? hs->out[2] - o2 : p0 + n - p;
        float *dst = row + (p - p0);
        int64_t i0 = o0 * hs->stride[0] - hs->pad0[0] + k0 * hs->dil[0];
        int64_t i1 = o1 * hs->stride[1] - hs->pad0[1] + k1 * hs->dil[1];
        if (i0 < 0 || i0 >= hs->in[0] || i1 < 0 || i1 >= hs->in[1]) {
            memset(dst, 0, (size_t)len * sizeof *dst);
        } else {
            const float *line = src + (i0 * hs->in[1] + i1) * hs->in[2];
            for (int64_t t = 0; t < len; t++) {
                int64_t oc = o2 + t;
                if (oc < c_lo || oc >= c_hi) {
                    dst[t] = 0.0f;
                } else if (o2_step == 1) { /* the inside run of this row at once */
                    int64_t run = (c_hi < o2 + len ? c_hi : o2 + len) - oc;
                    memcpy(dst + t, line + oc + off2, (size_t)run * sizeof *dst);
                    t += run - 1;
                } else {
                    dst[t] = line[oc * o2_step + off2];
                }
            }
        }
        p += len;
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

/* Dot product of a and b in eight partial sums (vectorised), returned in double: one chunk's fp32 sum, as a
 * GEMM tile's would be. */
static double dot8(const float *a, const float *b, int64_t n) {
    float s8[8] = {0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int q = 0; q < 8; q++)
            s8[q] += a[i + q] * b[i + q];
    double s = 0;
    for (int q = 0; q < 8; q++)
        s += s8[q];
    for (; i < n; i++)
        s += (double)(a[i] * b[i]);
    return s;
}

/* Scratch of one worker: a chunk's feature rows, their packed transpose, a tile of products. */
typedef struct scratch {
    float *at, *packed, *c;
    float *at_ref, *packed_ref, *cross; /* with a reference */
} scratch;

static void scratch_free(scratch *S) {
    et_aligned_free(S->at);
    et_aligned_free(S->packed);
    free(S->c);
    et_aligned_free(S->at_ref);
    et_aligned_free(S->packed_ref);
    free(S->cross);
    memset(S, 0, sizeof *S);
}

static bool scratch_alloc(scratch *S, const et_f32_gemm_config *gc, int64_t d, int64_t chunk, bool rows, bool ref,
                          int64_t rows_g) {
    memset(S, 0, sizeof *S);
    S->at = rows ? et_aligned_alloc((size_t)(d * chunk) * sizeof *S->at) : NULL;
    S->packed = et_aligned_alloc(et_tgemm_packed_floats(gc, (size_t)d, (size_t)chunk) * sizeof *S->packed);
    S->c = malloc((size_t)((int64_t)gc->mr * d) * sizeof *S->c);
    bool ok = (!rows || S->at) && S->packed && S->c;
    if (ok && ref) {
        S->at_ref = rows ? et_aligned_alloc((size_t)(d * chunk) * sizeof *S->at_ref) : NULL;
        S->packed_ref = et_aligned_alloc(et_tgemm_packed_floats(gc, (size_t)chunk, (size_t)d) * sizeof *S->packed_ref);
        S->cross = malloc((size_t)((rows_g > 0 ? rows_g : 1) * (chunk + d)) * sizeof *S->cross);
        ok = (!rows || S->at_ref) && S->packed_ref && S->cross;
    }
    if (!ok) {
        scratch_free(S);
        return false;
    }
    return true;
}

/* One chunk [p0, p0 + np) of one group's rows: the feature rows (at, lda), where to build them, and what to
 * add them to. */
typedef struct chunk_job {
    et_hess *hs;
    const float *x; /* the tensor (one batch item of a convolution) */
    int64_t group, p0, np;
    const float *at; /* feature rows (built into build, or read in place) */
    float *build;    /* NULL: in place */
    int64_t lda;
    float *packed;
    const et_f32_gemm_config *gc;
    atomic_int *failed;
    /* the reference's feature rows (same layout as at), when there is one */
    const float *x_ref, *at_ref;
    float *build_ref, *packed_ref;
    double *y2; /* per row tile: the reference output's energy (summed in order afterwards) */
} chunk_job;

/* Feature rows [b, e) of the chunk (built when not in place) and their sums. */
static void rows_part(const chunk_job *J, size_t b, size_t e) {
    et_hess *hs = J->hs;
    for (size_t f = b; f < e; f++) {
        if (J->build) {
            float *row = J->build + (int64_t)f * J->lda;
            if (hs->conv)
                conv_row(hs, J->x + J->group * hs->cg * in_size(hs), (int64_t)f, J->p0, J->np, row);
            else
                for (int64_t p = 0; p < J->np; p++)
                    row[p] = J->x[(J->p0 + p) * hs->row_len + J->group * hs->d + (int64_t)f];
        }
        hs->sum[J->group * hs->d + (int64_t)f] += row_sum(J->at + (int64_t)f * J->lda, J->np);
        if (!J->x_ref)
            continue;
        if (J->build_ref) {
            float *row = J->build_ref + (int64_t)f * J->lda;
            if (hs->conv)
                conv_row(hs, J->x_ref + J->group * hs->cg * in_size(hs), (int64_t)f, J->p0, J->np, row);
            else
                for (int64_t p = 0; p < J->np; p++)
                    row[p] = J->x_ref[(J->p0 + p) * hs->row_len + J->group * hs->d + (int64_t)f];
        }
        hs->sum_ref[J->group * hs->d + (int64_t)f] += row_sum(J->at_ref + (int64_t)f * J->lda, J->np);
    }
}

/* Panels [b, e) of the reference's feature rows, packed as a B of depth d (features) and np columns. */
static void pack_ref_part(const chunk_job *J, size_t b, size_t e) {
    size_t nr = J->gc->nr, np = (size_t)J->np, d = (size_t)J->hs->d;
    size_t n0 = b * nr, n1 = e * nr < np ? e * nr : np;
    et_f32_gemm_pack(nr, n1 - n0, d, J->at_ref + n0, 1, (size_t)J->lda, NULL, J->packed_ref + n0 * (d + 1));
}

/* Output rows [r0, r1) of the group: y = W_ref x_ref over the chunk, then cross += y x^T. scratch: (r1 - r0) x
 * (np + d) floats. */
static void cross_part(const chunk_job *J, int64_t r0, int64_t r1, float *buf, double *y2) {
    et_hess *hs = J->hs;
    int64_t d = hs->d, np = J->np, m = r1 - r0;
    float *y = buf, *gc = buf + m * np;
    const float *w = hs->w_ref + (J->group * hs->rows_g + r0) * d;
    et_tgemm(J->gc, (size_t)m, (size_t)np, (size_t)d, w, (size_t)d, J->packed_ref, y, (size_t)np);
    double e = 0.0;
    for (int64_t i = 0; i < m * np; i++)
        e += (double)y[i] * (double)y[i];
    *y2 += e;
    et_tgemm(J->gc, (size_t)m, (size_t)d, (size_t)np, y, (size_t)np, J->packed, gc, (size_t)d);
    double *cross = hs->cross + (J->group * hs->rows_g + r0) * d;
    for (int64_t i = 0; i < m * d; i++)
        cross[i] += gc[i];
}

static void pack_ref_task(void *ctx, size_t b, size_t e) { pack_ref_part(ctx, b, e); }
static void cross_task(void *ctx, size_t b, size_t e) {
    const chunk_job *J = ctx;
    int64_t mr = (int64_t)J->gc->mr, r0 = (int64_t)b * mr, r1 = (int64_t)e * mr;
    r1 = r1 < J->hs->rows_g ? r1 : J->hs->rows_g;
    float *buf = malloc((size_t)((r1 - r0) * (J->np + J->hs->d)) * sizeof *buf);
    if (!buf) {
        atomic_store(J->failed, 1);
        return;
    }
    for (size_t t = b; t < e; t++) { /* one tile at a time: its energy lands in its own slot */
        int64_t a = (int64_t)t * mr, z = a + mr < r1 ? a + mr : r1;
        cross_part(J, a, z, buf, &J->y2[t]);
    }
    free(buf);
}

/* Panels [b, e) of the feature rows' transpose, packed as the GEMM's B. */
static void pack_part(const chunk_job *J, size_t b, size_t e) {
    size_t nr = J->gc->nr, d = (size_t)J->hs->d;
    size_t n0 = b * nr, n1 = e * nr < d ? e * nr : d;
    et_f32_gemm_pack(nr, n1 - n0, (size_t)J->np, J->at + n0 * (size_t)J->lda, (size_t)J->lda, 1, NULL,
                     J->packed + n0 * (size_t)(J->np + 1));
}

/* Tiles [b, e) of mr rows of H, from their diagonal on, added into the double H. c: mr x d floats. */
static void gemm_part(const chunk_job *J, size_t b, size_t e, float *c) {
    et_hess *hs = J->hs;
    int64_t d = hs->d, mr = (int64_t)J->gc->mr, nr = (int64_t)J->gc->nr;
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
}

/* A narrow group's chunk without the GEMM: H's upper triangle and, with a reference, y = W_ref x_ref per
 * output row, its energy and cross += y x^T, from dot products. y: rows_g x np floats. */
static void direct_part(const chunk_job *J, float *y, double *y2) {
    et_hess *hs = J->hs;
    int64_t d = hs->d, np = J->np;
    double *h = hs->h + J->group * d * d;
    for (int64_t i = 0; i < d; i++)
        for (int64_t j = i; j < d; j++)
            h[i * d + j] += dot8(J->at + i * J->lda, J->at + j * J->lda, np);
    if (!J->x_ref)
        return;
    for (int64_t r = 0; r < hs->rows_g; r++) {
        const float *w = hs->w_ref + (J->group * hs->rows_g + r) * d;
        float *yr = y + r * np;
        for (int64_t p = 0; p < np; p++)
            yr[p] = 0.0f;
        for (int64_t f = 0; f < d; f++) {
            const float *xf = J->at_ref + f * J->lda;
            float wf = w[f];
            for (int64_t p = 0; p < np; p++)
                yr[p] += wf * xf[p];
        }
        *y2 += dot8(yr, yr, np);
        double *cross = hs->cross + (J->group * hs->rows_g + r) * d;
        for (int64_t f = 0; f < d; f++)
            cross[f] += dot8(yr, J->at + f * J->lda, np);
    }
}

static void rows_task(void *ctx, size_t b, size_t e) { rows_part(ctx, b, e); }
static void pack_task(void *ctx, size_t b, size_t e) { pack_part(ctx, b, e); }
static void gemm_task(void *ctx, size_t b, size_t e) {
    const chunk_job *J = ctx;
    float *c = malloc((size_t)((int64_t)J->gc->mr * J->hs->d) * sizeof *c);
    if (!c) {
        atomic_store(J->failed, 1);
        return;
    }
    gemm_part(J, b, e, c);
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

static int64_t chunk_rows(const et_hess *hs, int64_t P) {
    int64_t chunk = CHUNK_FLOATS / hs->d;
    chunk = chunk < 64 ? 64 : chunk > 1024 ? 1024 : chunk;
    return chunk < P ? chunk : P;
}

/* Several groups (grouped convolutions, per-channel blocks): whole groups per task, each task with its own
 * scratch and everything inside it serial. */
typedef struct groups_job {
    et_hess *hs;
    const float *x, *x_ref;
    const et_f32_gemm_config *gc;
    atomic_int *failed;
    double *y2; /* per group */
} groups_job;

static void groups_task(void *ctx, size_t b, size_t e) {
    const groups_job *G = ctx;
    et_hess *hs = G->hs;
    int64_t P = hs->conv ? out_positions(hs) : hs->batch, chunk = chunk_rows(hs, P);
    scratch S;
    if (!scratch_alloc(&S, G->gc, hs->d, chunk, true, G->x_ref != NULL, hs->rows_g)) {
        atomic_store(G->failed, 1);
        return;
    }
    size_t tiles = (size_t)((hs->d + (int64_t)G->gc->mr - 1) / (int64_t)G->gc->mr);
    size_t panels = (size_t)((hs->d + (int64_t)G->gc->nr - 1) / (int64_t)G->gc->nr);
    for (size_t g = b; g < e; g++)
        for (int64_t p0 = 0; p0 < P; p0 += chunk) {
            int64_t np = P - p0 < chunk ? P - p0 : chunk;
            chunk_job J = {.hs = hs,
                           .x = G->x,
                           .group = (int64_t)g,
                           .p0 = p0,
                           .np = np,
                           .at = S.at,
                           .build = S.at,
                           .lda = np,
                           .packed = S.packed,
                           .gc = G->gc,
                           .failed = G->failed,
                           .x_ref = G->x_ref,
                           .at_ref = S.at_ref,
                           .build_ref = S.at_ref,
                           .packed_ref = S.packed_ref};
            rows_part(&J, 0, (size_t)hs->d);
            if (hs->d <= NARROW_D) {
                direct_part(&J, S.cross, G->y2 ? &G->y2[g] : NULL);
                continue;
            }
            pack_part(&J, 0, panels);
            gemm_part(&J, 0, tiles, S.c);
            if (G->x_ref) {
                pack_ref_part(&J, 0, (size_t)((np + (int64_t)G->gc->nr - 1) / (int64_t)G->gc->nr));
                cross_part(&J, 0, hs->rows_g, S.cross, &G->y2[g]);
            }
        }
    scratch_free(&S);
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
    return et_hess_add_pair(hs, x, NULL, pool, err);
}

et_status et_hess_add_pair(et_hess *hs, const float *x, const float *x_ref, et_threadpool *pool, et_err *err) {
    int64_t per_item = hs->conv ? hs->c_in * in_size(hs) : hs->batch * hs->row_len;
    int64_t items = hs->conv ? hs->batch : 1;
    if (!all_finite(x, per_item * items) || (x_ref && !all_finite(x_ref, per_item * items)))
        return et_fail(err, ET_E_INPUT, "the layer's input holds NaN or infinite values");
    if (x_ref && !hs->cross)
        return et_fail(err, ET_E_RUNTIME, "a reference input without et_hess_set_reference");
    const et_f32_gemm_config *gc = et_f32_gemm_config_get();
    int64_t d = hs->d, P = hs->conv ? out_positions(hs) : hs->batch;
    atomic_int failed = 0;
    for (int64_t it = 0; it < items && !atomic_load(&failed); it++) {
        const float *xi = x + it * per_item, *xr = x_ref ? x_ref + it * per_item : NULL;
        hs->rows += P;
        if (hs->groups > 1) {
            double *y2 = xr ? calloc((size_t)hs->groups, sizeof *y2) : NULL;
            if (xr && !y2)
                return et_fail(err, ET_E_NOMEM, "out of memory accumulating a Hessian");
            groups_job G = {.hs = hs, .x = xi, .x_ref = xr, .gc = gc, .failed = &failed, .y2 = y2};
            int64_t per_task = (hs->groups + 15) / 16; /* a few tasks per thread */
            par(pool, (size_t)hs->groups, (size_t)(per_task > 0 ? per_task : 1), groups_task, &G);
            for (int64_t g = 0; xr && g < hs->groups; g++)
                hs->y2[g] += y2[g];
            free(y2);
            continue;
        }
        int64_t chunk = chunk_rows(hs, P);
        bool in_place = hs->conv && pointwise(hs);
        scratch S;
        size_t row_tiles = (size_t)((hs->rows_g + (int64_t)gc->mr - 1) / (int64_t)gc->mr);
        double *y2 = xr ? calloc(row_tiles + 1, sizeof *y2) : NULL;
        if (!scratch_alloc(&S, gc, d, chunk, !in_place, xr != NULL, 0) || (xr && !y2)) {
            free(y2);
            return et_fail(err, ET_E_NOMEM, "out of memory accumulating a Hessian (%lld inputs per output)",
                           (long long)d);
        }
        for (int64_t p0 = 0; p0 < P; p0 += chunk) {
            int64_t np = P - p0 < chunk ? P - p0 : chunk;
            chunk_job J = {.hs = hs,
                           .x = xi,
                           .group = 0,
                           .p0 = p0,
                           .np = np,
                           .packed = S.packed,
                           .gc = gc,
                           .failed = &failed,
                           .x_ref = xr,
                           .packed_ref = S.packed_ref,
                           .y2 = y2};
            if (in_place) {
                J.at = xi + p0;
                J.at_ref = xr ? xr + p0 : NULL;
                J.lda = in_size(hs);
            } else {
                J.at = J.build = S.at;
                J.at_ref = J.build_ref = S.at_ref;
                J.lda = np;
            }
            par(pool, (size_t)d, 16, rows_task, &J);
            par(pool, (size_t)((d + (int64_t)gc->nr - 1) / (int64_t)gc->nr), 4, pack_task, &J);
            par(pool, (size_t)((d + (int64_t)gc->mr - 1) / (int64_t)gc->mr), 2, gemm_task, &J);
            if (xr) {
                par(pool, (size_t)((np + (int64_t)gc->nr - 1) / (int64_t)gc->nr), 4, pack_ref_task, &J);
                par(pool, row_tiles, 2, cross_task, &J);
            }
        }
        for (size_t t = 0; xr && t < row_tiles; t++)
            hs->y2[0] += y2[t];
        free(y2);
        scratch_free(&S);
    }
    if (atomic_load(&failed))
        return et_fail(err, ET_E_NOMEM, "out of memory accumulating a Hessian (%lld inputs per output)", (long long)d);
    return ET_OK;
}
