/* winograd.c: Winograd convolution for NHWC tensors (see winograd.h). */
#include "engine/operators/winograd.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/kernels/f32-gemm/f32-gemm.h"
#include "engine/kernels/f32-vunary/f32-vunary.h"
#include "engine/operators/task_grid.h"
#include "util/mem.h"

struct et_winograd {
    et_wino_tile f;
    size_t m, t, tt; /* output block edge, input tile edge, t*t GEMMs */
    size_t c, k;
    const et_f32_wino_config *wino;
    const et_f32_gemm_config *gemm;
    et_f32_vunary_ukernel_fn vunary;
    float *u; /* tt packed GEMM operands of u_floats each (bias slots zero) */
    size_t u_floats;
    float *bias; /* k floats */
    float *zero; /* c zeros: the padding pixels of input tiles */
};

/* Estimated cost, in multiply-adds of the GEMM kernels, of the direct path and of each tile size. Transforms
 * cost about 3 (F2) and 5 (F4) multiply-add slots per transformed element (fitted to tests/bench/kernel_bench on
 * AVX2: loads, adds and stores of a tile, per channel). The weights of a model do not stay in cache between
 * inferences, so each layer streams its own from memory once: about 3 multiply-adds per byte (one core doing
 * 16 fp32 multiply-adds a cycle against about 16 GB/s), 9 floats per channel pair for the direct path and t*t
 * for Winograd. */
enum { MACS_PER_WEIGHT_BYTE = 3 };
static double cost_direct(size_t b, size_t h, size_t w, size_t c, size_t k) {
    return ((double)b * (double)et_round_up(h * w, 6) + 4.0 * MACS_PER_WEIGHT_BYTE) * 9.0 * (double)c * (double)k;
}
static double cost_wino(et_wino_tile f, size_t b, size_t h, size_t w, size_t c, size_t k) {
    const size_t m = et_wino_m(f), t = et_wino_t(f), tiles = b * ((h + m - 1) / m) * ((w + m - 1) / m);
    const double per_elem = f == ET_WINO_F2 ? 3.0 : 5.0;
    const double gemm = (double)(t * t) * ((double)et_round_up(tiles, 6) + 4.0 * MACS_PER_WEIGHT_BYTE) * (double)c *
                        (double)k;
    const double transforms = (double)tiles * (double)(t * t) * (double)(c + k) * per_elem;
    return gemm + transforms;
}

int et_winograd_choose(size_t batch, size_t out_h, size_t out_w, size_t c, size_t k) {
    if (c < 16 || k < 16 || out_h < 4 || out_w < 4)
        return -1;
    /* Under about 12 blocks of 4x4 (a 14x14 output) the GEMMs have too few rows to reuse the t*t weight
     * copies, which then stream from memory: the direct path reads 9 per channel pair instead of 16 or 36. */
    const size_t tiles4 = batch * ((out_h + 3) / 4) * ((out_w + 3) / 4);
    if (tiles4 < 12)
        return -1;
    const double direct = cost_direct(batch, out_h, out_w, c, k);
    const double f2 = cost_wino(ET_WINO_F2, batch, out_h, out_w, c, k);
    const double f4 = cost_wino(ET_WINO_F4, batch, out_h, out_w, c, k);
    const double best = f2 < f4 ? f2 : f4;
    if (best > 0.8 * direct) /* keep a margin: the estimate ignores the scratch traffic */
        return -1;
    return f2 < f4 ? ET_WINO_F2 : ET_WINO_F4;
}

et_status et_winograd_create(et_wino_tile f, size_t c, size_t k, const float *weights, const float *bias,
                             et_winograd **out, et_err *err) {
    *out = NULL;
    et_winograd *w = calloc(1, sizeof *w);
    if (!w)
        return et_fail(err, ET_E_NOMEM, "out of memory creating a Winograd convolution");
    w->f = f;
    w->m = et_wino_m(f);
    w->t = et_wino_t(f);
    w->tt = w->t * w->t;
    w->c = c;
    w->k = k;
    w->wino = et_f32_wino_config_get();
    w->gemm = et_f32_gemm_config_get();
    w->vunary = et_f32_vunary_config_get()->ukernel;
    w->u_floats = et_f32_gemm_packed_floats(w->gemm->nr, k, c);
    size_t total = 0, ck = 0;
    if (!et_mul_size(w->u_floats, w->tt, &total) || !et_mul_size(c, k, &ck) || !et_mul_size(ck, w->tt, &ck)) {
        et_winograd_destroy(w);
        return et_fail(err, ET_E_INPUT, "Winograd weights %zux%zu are too large", k, c);
    }
    w->u = et_aligned_alloc(total * sizeof(float));
    w->bias = et_aligned_calloc(k * sizeof(float));
    w->zero = et_aligned_calloc((c + 16) * sizeof(float));
    float *plain = malloc(ck * sizeof(float)); /* [p][ci][co]: one row-major C x K matrix per position */
    if (!w->u || !w->bias || !w->zero || !plain) {
        free(plain);
        et_winograd_destroy(w);
        return et_fail(err, ET_E_NOMEM, "out of memory transforming Winograd weights (%zu bytes)",
                       total * sizeof(float));
    }
    for (size_t co = 0; co < k; co++)
        for (size_t ci = 0; ci < c; ci++)
            et_f32_wino_kernel_transform(f, weights + (co * c + ci) * 9, plain + ci * k + co, c * k);
    for (size_t p = 0; p < w->tt; p++)
        et_f32_gemm_pack(w->gemm->nr, k, c, plain + p * c * k, 1, k, NULL, w->u + p * w->u_floats);
    free(plain);
    if (bias)
        for (size_t co = 0; co < k; co++)
            w->bias[co] = bias[co];
    *out = w;
    return ET_OK;
}

void et_winograd_destroy(et_winograd *w) {
    if (!w)
        return;
    et_aligned_free(w->u);
    et_aligned_free(w->bias);
    et_aligned_free(w->zero);
    free(w);
}

size_t et_winograd_packed_bytes(const et_winograd *w) {
    return (w->u_floats * w->tt + w->k + w->c + 16) * sizeof(float);
}

static size_t count_tiles(const et_winograd *w, size_t batch, size_t out_h, size_t out_w) {
    return batch * ((out_h + w->m - 1) / w->m) * ((out_w + w->m - 1) / w->m);
}

size_t et_winograd_scratch_bytes(const et_winograd *w, size_t batch, size_t out_h, size_t out_w) {
    size_t v = 0, mm = 0;
    const size_t tiles = count_tiles(w, batch, out_h, out_w);
    if (!et_mul_size(tiles, w->tt, &v) || !et_mul_size(v, w->k, &mm) || !et_mul_size(v, w->c, &v))
        return 0;
    v = et_round_up(v, 16), mm = et_round_up(mm, 16);
    return v + mm > SIZE_MAX / sizeof(float) ? 0 : (v + mm) * sizeof(float);
}

size_t et_winograd_macs(const et_winograd *w, size_t batch, size_t out_h, size_t out_w) {
    return count_tiles(w, batch, out_h, out_w) * w->tt * w->c * w->k;
}

const char *et_winograd_kernel_name(const et_winograd *w) { return w->wino->name[w->f]; }

typedef struct run_ctx {
    const et_winograd *w;
    const et_winograd_args *a;
    size_t tiles, tiles_h, tiles_w;
    float *v, *mm; /* [tt][tiles][c], [tt][tiles][k] */
    et_task_grid grid;
} run_ctx;

/* Tile index -> image and block row/column. */
static void tile_at(const run_ctx *r, size_t tile, size_t *img, size_t *by, size_t *bx) {
    *bx = tile % r->tiles_w;
    *by = tile / r->tiles_w % r->tiles_h;
    *img = tile / r->tiles_w / r->tiles_h;
}

static void input_tasks(void *ctx, size_t begin, size_t end) {
    const run_ctx *r = ctx;
    const et_winograd *w = r->w;
    const et_winograd_args *a = r->a;
    const float *d[36];
    for (size_t tile = begin; tile < end; tile++) {
        size_t img, by, bx;
        tile_at(r, tile, &img, &by, &bx);
        const float *image = a->input + img * a->in_h * a->in_w * a->input_stride;
        for (size_t i = 0; i < w->t; i++) {
            /* unsigned wrap-around makes rows above the image (and columns left of it) fail the < test */
            const size_t iy = by * w->m + i - a->pad_top;
            for (size_t j = 0; j < w->t; j++) {
                const size_t ix = bx * w->m + j - a->pad_left;
                d[i * w->t + j] = iy < a->in_h && ix < a->in_w ? image + (iy * a->in_w + ix) * a->input_stride
                                                               : w->zero;
            }
        }
        w->wino->input[w->f](w->c, d, r->v + tile * w->c, r->tiles * w->c);
    }
}

static void gemm_tasks(void *ctx, size_t begin, size_t end) {
    const run_ctx *r = ctx;
    const et_winograd *w = r->w;
    const et_f32_gemm_config *cfg = w->gemm;
    const et_f32_minmax_params none = {-INFINITY, INFINITY};
    const size_t nr = cfg->nr, panel = (w->c + 1) * nr;
    for (size_t t = begin; t < end; t++) {
        size_t mt, nb, p;
        et_task_grid_at(&r->grid, t, &mt, &nb, &p);
        size_t row0, rows;
        et_tile_rows(mt, r->tiles, r->grid.m_tiles, &row0, &rows);
        const size_t col0 = nb * r->grid.nc, cols = w->k - col0 < r->grid.nc ? w->k - col0 : r->grid.nc;
        const float *av = r->v + (p * r->tiles + row0) * w->c;
        const float *u = w->u + p * w->u_floats + col0 / nr * panel;
        float *c = r->mm + (p * r->tiles + row0) * w->k + col0;
        (rows == 1 ? cfg->ukernel1 : cfg->ukernel)(rows, cols, w->c, av, w->c, u, c, w->k, &none);
    }
}

static void output_tasks(void *ctx, size_t begin, size_t end) {
    const run_ctx *r = ctx;
    const et_winograd *w = r->w;
    const et_winograd_args *a = r->a;
    float *y[16];
    const float *res[16];
    for (size_t tile = begin; tile < end; tile++) {
        size_t img, by, bx;
        tile_at(r, tile, &img, &by, &bx);
        const size_t pixel0 = img * a->out_h * a->out_w;
        for (size_t i = 0; i < w->m; i++)
            for (size_t j = 0; j < w->m; j++) {
                const size_t oy = by * w->m + i, ox = bx * w->m + j, q = pixel0 + oy * a->out_w + ox;
                const bool inside = oy < a->out_h && ox < a->out_w;
                y[i * w->m + j] = inside ? a->output + q * a->output_stride : NULL;
                res[i * w->m + j] = inside && a->residual ? a->residual + q * a->residual_stride : NULL;
            }
        w->wino->output[w->f](w->k, r->mm + tile * w->k, r->tiles * w->k, w->bias, y, a->residual ? res : NULL,
                              a->out_min, a->out_max);
        if (a->post)
            for (size_t q = 0; q < w->m * w->m; q++)
                if (y[q])
                    w->vunary(a->post_op, w->k, y[q], y[q], &a->post_params);
    }
}

void et_winograd_run(const et_winograd *w, const et_winograd_args *a, et_threadpool *pool) {
    run_ctx r = {.w = w, .a = a};
    r.tiles_h = (a->out_h + w->m - 1) / w->m;
    r.tiles_w = (a->out_w + w->m - 1) / w->m;
    r.tiles = a->batch * r.tiles_h * r.tiles_w;
    r.v = a->scratch;
    r.mm = r.v + et_round_up(r.tiles * w->tt * w->c, 16);
    const size_t u_bytes = w->u_floats * sizeof(float);
    et_task_grid_gemm(&r.grid, r.tiles, w->gemm->mr, w->k, w->gemm->nr, w->tt, u_bytes,
                      u_bytes / et_round_up(w->k, w->gemm->nr) * w->gemm->nr, (size_t)et_threadpool_size(pool));
    et_threadpool_parallel_for(pool, r.tiles, input_tasks, &r);
    et_threadpool_parallel_for(pool, r.grid.tasks, gemm_tasks, &r);
    et_threadpool_parallel_for(pool, r.tiles, output_tasks, &r);
}
