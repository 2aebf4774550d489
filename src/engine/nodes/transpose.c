/* transpose.c: Transpose (any permutation, any element size).
 *
 * The permutation is simplified first: input dims of size 1 are dropped and runs of input axes that stay
 * adjacent and in order are merged, so NCHW <-> NHWC becomes a 2-D or 3-D transpose. The 2-D case (the
 * layout conversions at the edges of channels-last regions) runs in cache-sized tiles; others walk the output in
 * order with a gathered inner loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/kernels/x32-zip/x32-zip.h"
#include "engine/nodes/nodes.h"
#include "engine/threadpool.h"

typedef struct params {
    int rank; /* simplified rank */
    int64_t out_dim[ET_MAX_RANK];
    int64_t in_stride[ET_MAX_RANK]; /* input stride (elements) of each output axis */
    size_t esize;
    et_x32_zip3_ukernel_fn zip3; /* 3 rows of 4-byte values (an RGB image into NHWC) */
} params;

static et_status read_perm(const et_node *n, int rank, int *perm, et_err *err) {
    int count;
    const int64_t *p = et_node_attr_ints(n, "perm", &count);
    if (!p) {
        for (int i = 0; i < rank; i++)
            perm[i] = rank - 1 - i;
        return ET_OK;
    }
    if (count != rank)
        return et_op_fail(err, n, "perm has %d entries for a %d-dim input", count, rank);
    bool seen[ET_MAX_RANK] = {false};
    for (int i = 0; i < rank; i++) {
        if (p[i] < 0 || p[i] >= rank || seen[p[i]])
            return et_op_fail(err, n, "perm is not a permutation of 0..%d", rank - 1);
        seen[p[i]] = true;
        perm[i] = (int)p[i];
    }
    return ET_OK;
}

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 1, 1, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    int perm[ET_MAX_RANK];
    if ((st = read_perm(n, x->shape.rank, perm, err)) != ET_OK)
        return st;
    et_shape out = {.rank = x->shape.rank};
    for (int i = 0; i < out.rank; i++)
        out.dim[i] = x->shape.dim[perm[i]];
    et_op_set_output(g, n, 0, x->dtype, &out);
    return ET_OK;
}

/* Copies a rows x cols matrix of esize elements transposed: out[c][r] = in[r][c]. */
static void transpose_2d(const char *in, char *out, int64_t rows, int64_t cols, size_t es, int64_t r0, int64_t r1) {
    enum { TILE = 32 };
    for (int64_t rb = r0; rb < r1; rb += TILE) {
        int64_t re = rb + TILE < r1 ? rb + TILE : r1;
        for (int64_t cb = 0; cb < cols; cb += TILE) {
            int64_t ce = cb + TILE < cols ? cb + TILE : cols;
            if (es == 4) {
                const float *src = (const float *)in;
                float *dst = (float *)out;
                for (int64_t r = rb; r < re; r++)
                    for (int64_t c = cb; c < ce; c++)
                        dst[c * rows + r] = src[r * cols + c];
            } else {
                for (int64_t r = rb; r < re; r++)
                    for (int64_t c = cb; c < ce; c++)
                        memcpy(out + (size_t)(c * rows + r) * es, in + (size_t)(r * cols + c) * es, es);
            }
        }
    }
}

typedef struct job {
    const params *p;
    const char *in;
    char *out;
    int64_t batch_stride; /* for 3-D with a leading batch: elements per batch */
} job;

static void job_2d(void *ctx, size_t begin, size_t end) {
    const job *j = ctx;
    const params *p = j->p;
    /* output dims: [cols_in][rows_in] -> out_dim[0] = cols, out_dim[1] = rows */
    int64_t rows = p->out_dim[p->rank - 1], cols = p->out_dim[p->rank - 2];
    int64_t per = rows * cols;
    for (size_t b = begin; b < end; b++) /* each task: one batch of the leading dim (or the whole 2-D) */
        transpose_2d(j->in + (size_t)b * (size_t)per * p->esize, j->out + (size_t)b * (size_t)per * p->esize, rows,
                     cols, p->esize, 0, rows);
}

/* A 2-D transpose with few rows (an NCHW image with 1-4 channels going to NHWC, the first step of most vision
 * models): column by column, so the output is written in order from `rows` sequential input streams. Task t is
 * chunk t % chunks of batch t / chunks. */
enum { SMALL_ROWS = 4, SMALL_CHUNK = 4096 };
static void job_small_rows(void *ctx, size_t begin, size_t end) {
    const job *j = ctx;
    const params *p = j->p;
    const int64_t rows = p->out_dim[p->rank - 1], cols = p->out_dim[p->rank - 2], per = rows * cols;
    const size_t chunks = (size_t)((cols + SMALL_CHUNK - 1) / SMALL_CHUNK);
    for (size_t t = begin; t < end; t++) {
        const float *src = (const float *)j->in + (int64_t)(t / chunks) * per;
        float *dst = (float *)j->out + (int64_t)(t / chunks) * per;
        const int64_t c0 = (int64_t)(t % chunks) * SMALL_CHUNK;
        const int64_t c1 = c0 + SMALL_CHUNK < cols ? c0 + SMALL_CHUNK : cols;
        if (rows == 3) { /* RGB: the common case, a kernel (x32-zip.h) */
            p->zip3((size_t)(c1 - c0), src + c0, src + cols + c0, src + 2 * cols + c0, dst + 3 * c0);
            continue;
        }
        for (int64_t c = c0; c < c1; c++)
            for (int64_t r = 0; r < rows; r++)
                dst[c * rows + r] = src[r * cols + c];
    }
}

/* A 2-D transpose, optionally batched by a leading untouched dim. */
static bool is_2d(const params *p) {
    const int r = p->rank;
    return r >= 2 && p->in_stride[r - 2] == 1 && p->in_stride[r - 1] == p->out_dim[r - 2] &&
           (r == 2 || (r == 3 && p->in_stride[0] == p->out_dim[1] * p->out_dim[2]));
}
static bool is_few_rows(const params *p) { return is_2d(p) && p->esize == 4 && p->out_dim[p->rank - 1] <= SMALL_ROWS; }

static void job_generic(void *ctx, size_t begin, size_t end) {
    const job *j = ctx;
    const params *p = j->p;
    int r = p->rank;
    int64_t inner = p->out_dim[r - 1], is = p->in_stride[r - 1];
    for (size_t row = begin; row < end; row++) {
        int64_t off = 0, rem = (int64_t)row;
        for (int i = r - 2; i >= 0; i--) {
            off += (rem % p->out_dim[i]) * p->in_stride[i];
            rem /= p->out_dim[i];
        }
        char *dst = j->out + (size_t)row * (size_t)inner * p->esize;
        if (p->esize == 4) {
            const float *src = (const float *)j->in + off;
            for (int64_t k = 0; k < inner; k++)
                ((float *)dst)[k] = src[k * is];
        } else {
            for (int64_t k = 0; k < inner; k++)
                memcpy(dst + (size_t)k * p->esize, j->in + (size_t)(off + k * is) * p->esize, p->esize);
        }
    }
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    job j = {p, inst->in[0].data, inst->out[0].data, 0};
    int64_t numel = et_shape_numel(&inst->out[0].shape);
    if (numel == 0)
        return ET_OK;
    int r = p->rank;
    const bool is2d = is_2d(p);
    if (is_few_rows(p)) {
        const size_t tasks = (r == 3 ? (size_t)p->out_dim[0] : 1) *
                             (size_t)((p->out_dim[r - 2] + SMALL_CHUNK - 1) / SMALL_CHUNK);
        et_threadpool_parallel_for(numel >= 65536 ? ctx->pool : NULL, tasks, job_small_rows, &j);
        return ET_OK;
    }
    if (is2d) {
        size_t batches = r == 3 ? (size_t)p->out_dim[0] : 1;
        if (ctx->pool && batches > 1)
            et_threadpool_parallel_for(ctx->pool, batches, job_2d, &j);
        else
            job_2d(&j, 0, batches);
        return ET_OK;
    }
    size_t rows = (size_t)(numel / p->out_dim[r - 1]);
    if (ctx->pool && numel >= 65536)
        et_threadpool_parallel_for(ctx->pool, rows, job_generic, &j);
    else
        job_generic(&j, 0, rows);
    (void)err;
    return ET_OK;
}

static et_status prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    const et_tensor *x = &inst->in[0];
    int rank = x->shape.rank, perm[ET_MAX_RANK];
    et_status st = read_perm(n, rank, perm, err);
    if (st != ET_OK)
        return st;
    params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    p->esize = et_dtype_size(x->dtype);
    int64_t in_stride[ET_MAX_RANK];
    et_shape_strides(&x->shape, in_stride);
    /* output axes in order, dropping size-1 dims and merging axes that are consecutive in the input */
    int r = 0;
    for (int i = 0; i < rank; i++) {
        int a = perm[i];
        int64_t d = x->shape.dim[a];
        if (d == 1)
            continue;
        if (r > 0 && p->in_stride[r - 1] == in_stride[a] * d) {
            p->out_dim[r - 1] *= d;
            p->in_stride[r - 1] = in_stride[a];
            continue;
        }
        p->out_dim[r] = d;
        p->in_stride[r] = in_stride[a];
        r++;
    }
    if (r == 0) {
        p->out_dim[0] = 1;
        p->in_stride[0] = 1;
        r = 1;
    }
    p->rank = r;
    p->zip3 = et_x32_zip3_config_get()->ukernel;
    inst->params = p;
    inst->run = run;
    snprintf(inst->kernel, sizeof inst->kernel,
             is_few_rows(p) ? "transpose-few-rows"
             : r <= 3       ? "transpose-tiled"
                            : "transpose");
    (void)g;
    return ET_OK;
}

const et_op_impl et_impl_transpose = {infer, prepare};
