/* qwinograd.c: int8 Winograd F(2x2, 3x3) convolution for NHWC tensors (see qwinograd.h). */
#include "engine/operators/qwinograd.h"

#include <stdlib.h>
#include <string.h>

#include "engine/operators/task_grid.h"
#include "util/mem.h"

enum { P = ET_QS8_WINO_POSITIONS };

struct et_qwinograd {
    const et_qs8_wino_config *cfg;
    size_t c, k, kc;   /* channels in, out; kc = c rounded up to 2 */
    int16_t *u;        /* P positions of u_elems */
    size_t u_elems;
    int32_t *bias;     /* k */
    float *scale;      /* k */
    int8_t *zero;      /* c + 16 bytes of x_zp: the padding pixels of input tiles */
    int32_t x_zp;
    et_qs8_requant_params rq;
};

bool et_qwinograd_choose(const et_qs8_wino_config *cfg, size_t batch, size_t out_h, size_t out_w, size_t c, size_t k) {
    if (!cfg)
        cfg = et_qs8_wino_config_get();
    if (cfg->req == ET_KREQ_SCALAR || c > ET_QS8_WINO_MAX_CHANNELS || c < 16 || k < 16 || out_h < 4 || out_w < 4)
        return false;
    return batch * ((out_h + 3) / 4) * ((out_w + 3) / 4) >= 12;
}

et_status et_qwinograd_create(const et_qs8_wino_config *cfg, size_t c, size_t k, const int8_t *weights,
                              const int32_t *bias, const float *scale, int32_t x_zp,
                              const et_qs8_requant_params *rq, et_qwinograd **out, et_err *err) {
    *out = NULL;
    if (c == 0 || k == 0 || c > ET_QS8_WINO_MAX_CHANNELS)
        return et_fail(err, ET_E_INPUT, "int8 Winograd takes 1 to %d input channels, not %zu",
                       ET_QS8_WINO_MAX_CHANNELS, c);
    et_qwinograd *w = calloc(1, sizeof *w);
    if (!w)
        return et_fail(err, ET_E_NOMEM, "out of memory creating an int8 Winograd convolution");
    w->cfg = cfg ? cfg : et_qs8_wino_config_get();
    w->c = c, w->k = k, w->kc = (c + 1) & ~(size_t)1;
    w->x_zp = x_zp;
    w->rq = *rq;
    w->u_elems = et_qs8_wino_packed_elems(c, k);
    w->u = et_aligned_alloc(P * w->u_elems * sizeof *w->u);
    w->bias = et_aligned_calloc(k * sizeof *w->bias);
    w->scale = et_aligned_alloc(k * sizeof *w->scale);
    w->zero = et_aligned_alloc(c + 16);
    if (!w->u || !w->bias || !w->scale || !w->zero) {
        const size_t bytes = P * w->u_elems * sizeof *w->u;
        et_qwinograd_destroy(w);
        return et_fail(err, ET_E_NOMEM, "out of memory transforming int8 Winograd weights (%zu bytes)", bytes);
    }
    et_qs8_wino_pack_weights(c, k, weights, w->u);
    if (bias)
        memcpy(w->bias, bias, k * sizeof *bias);
    memcpy(w->scale, scale, k * sizeof *scale);
    memset(w->zero, (int)(int8_t)x_zp, c + 16);
    *out = w;
    return ET_OK;
}

void et_qwinograd_destroy(et_qwinograd *w) {
    if (!w)
        return;
    et_aligned_free(w->u);
    et_aligned_free(w->bias);
    et_aligned_free(w->scale);
    et_aligned_free(w->zero);
    free(w);
}

size_t et_qwinograd_packed_bytes(const et_qwinograd *w) {
    return P * w->u_elems * sizeof *w->u + w->k * (sizeof *w->bias + sizeof *w->scale) + w->c + 16;
}

static size_t count_tiles(size_t batch, size_t out_h, size_t out_w) {
    return batch * ((out_h + 1) / 2) * ((out_w + 1) / 2);
}

/* V's int16 elements rounded up to 32 (64 bytes), so that M starts aligned. */
static size_t v_elems(const et_qwinograd *w, size_t tiles) { return et_round_up(tiles * P * w->kc, 32); }

size_t et_qwinograd_scratch_bytes(const et_qwinograd *w, size_t batch, size_t out_h, size_t out_w) {
    size_t v = 0, m = 0;
    const size_t tiles = count_tiles(batch, out_h, out_w);
    if (!et_mul_size(tiles, P, &v) || !et_mul_size(v, w->k, &m) || !et_mul_size(v, w->kc, &v) ||
        v > SIZE_MAX / 8 || m > SIZE_MAX / 8)
        return 0;
    return v_elems(w, tiles) * sizeof(int16_t) + m * sizeof(int32_t);
}

const char *et_qwinograd_kernel_name(const et_qwinograd *w) { return w->cfg->name; }

typedef struct run_ctx {
    const et_qwinograd *w;
    const et_qwinograd_args *a;
    size_t tiles, tiles_h, tiles_w;
    int16_t *v; /* [P][tiles][kc] */
    int32_t *m; /* [P][tiles][k] */
    et_task_grid grid;
} run_ctx;

static void tile_at(const run_ctx *r, size_t tile, size_t *img, size_t *by, size_t *bx) {
    *bx = tile % r->tiles_w;
    *by = tile / r->tiles_w % r->tiles_h;
    *img = tile / r->tiles_w / r->tiles_h;
}

static void input_tasks(void *ctx, size_t begin, size_t end) {
    const run_ctx *r = ctx;
    const et_qwinograd *w = r->w;
    const et_qwinograd_args *a = r->a;
    const int8_t *d[P];
    for (size_t tile = begin; tile < end; tile++) {
        size_t img, by, bx;
        tile_at(r, tile, &img, &by, &bx);
        const int8_t *image = a->input + img * a->in_h * a->in_w * a->input_stride;
        for (size_t i = 0; i < 4; i++) {
            const size_t iy = by * 2 + i - a->pad_top; /* wraps above the image: fails the < test */
            for (size_t j = 0; j < 4; j++) {
                const size_t ix = bx * 2 + j - a->pad_left;
                d[i * 4 + j] = iy < a->in_h && ix < a->in_w ? image + (iy * a->in_w + ix) * a->input_stride : w->zero;
            }
        }
        w->cfg->input(w->c, w->kc, d, w->x_zp, r->v + tile * w->kc, r->tiles * w->kc);
    }
}

static void gemm_tasks(void *ctx, size_t begin, size_t end) {
    const run_ctx *r = ctx;
    const et_qwinograd *w = r->w;
    for (size_t t = begin; t < end; t++) {
        size_t mt, nb, p;
        et_task_grid_at(&r->grid, t, &mt, &nb, &p);
        size_t row0, rows;
        et_tile_rows(mt, r->tiles, r->grid.m_tiles, &row0, &rows);
        const size_t col0 = nb * r->grid.nc, cols = w->k - col0 < r->grid.nc ? w->k - col0 : r->grid.nc;
        const int16_t *av = r->v + (p * r->tiles + row0) * w->kc;
        const int16_t *u = w->u + p * w->u_elems + col0 / ET_QS8_WINO_NR * (w->kc * ET_QS8_WINO_NR);
        w->cfg->gemm(rows, cols, w->kc, av, w->kc, u, r->m + (p * r->tiles + row0) * w->k + col0, w->k);
    }
}

static void output_tasks(void *ctx, size_t begin, size_t end) {
    const run_ctx *r = ctx;
    const et_qwinograd *w = r->w;
    const et_qwinograd_args *a = r->a;
    int8_t *y[4];
    const int8_t *res[4];
    for (size_t tile = begin; tile < end; tile++) {
        size_t img, by, bx;
        tile_at(r, tile, &img, &by, &bx);
        const size_t pixel0 = img * a->out_h * a->out_w;
        for (size_t i = 0; i < 2; i++)
            for (size_t j = 0; j < 2; j++) {
                const size_t oy = by * 2 + i, ox = bx * 2 + j, q = pixel0 + oy * a->out_w + ox;
                const bool inside = oy < a->out_h && ox < a->out_w;
                y[i * 2 + j] = inside ? a->output + q * a->output_stride : NULL;
                res[i * 2 + j] = inside && a->residual ? a->residual + q * a->residual_stride : NULL;
            }
        w->cfg->output(w->k, r->m + tile * w->k, r->tiles * w->k, w->bias, w->scale, y, a->residual ? res : NULL,
                       &w->rq);
    }
}

void et_qwinograd_run(const et_qwinograd *w, const et_qwinograd_args *a, et_threadpool *pool) {
    run_ctx r = {.w = w, .a = a};
    r.tiles_h = (a->out_h + 1) / 2;
    r.tiles_w = (a->out_w + 1) / 2;
    r.tiles = a->batch * r.tiles_h * r.tiles_w;
    r.v = a->scratch;
    r.m = (int32_t *)(void *)(r.v + v_elems(w, r.tiles));
    const size_t u_bytes = w->u_elems * sizeof *w->u, panel_bytes = w->kc * ET_QS8_WINO_NR * sizeof *w->u;
    et_task_grid_gemm(&r.grid, r.tiles, ET_QS8_WINO_MR, w->k, ET_QS8_WINO_NR, P, u_bytes, panel_bytes,
                      (size_t)et_threadpool_size(pool));
    et_threadpool_parallel_for(pool, r.tiles, input_tasks, &r);
    et_threadpool_parallel_for(pool, r.grid.tasks, gemm_tasks, &r);
    et_threadpool_parallel_for(pool, r.tiles, output_tasks, &r);
}
