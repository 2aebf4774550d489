/* qwinograd.c: int8 Winograd F(2x2, 3x3) convolution for NHWC tensors (see qwinograd.h). */
#include "engine/operators/qwinograd.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "engine/operators/task_grid.h"
#include "util/mem.h"

enum { P = ET_QS8_WINO_POSITIONS };

struct et_qwinograd {
    const et_qs8_wino_config *cfg;
    size_t c, k, kc; /* channels in, out; kc = c rounded up to 2 */
    int16_t *u;      /* P positions of u_elems */
    size_t u_elems;
    int32_t *bias; /* k */
    float *scale;  /* k */
    int8_t *zero;  /* c + 16 bytes of x_zp: the padding pixels of input tiles */
    int32_t x_zp;
    et_qs8_requant_params rq;
};

bool et_qwinograd_choose(const et_qs8_wino_config *cfg, size_t batch, size_t out_h, size_t out_w, size_t c, size_t k) {
    if (!cfg)
        cfg = et_qs8_wino_config_get();
    if (cfg->req == ET_KREQ_SCALAR || c > ET_QS8_WINO_MAX_CHANNELS || c < 32 || k < 32 || out_h < 4 || out_w < 4)
        return false;
    return batch * ((out_h + 3) / 4) * ((out_w + 3) / 4) >= 12;
}

et_status et_qwinograd_create(const et_qs8_wino_config *cfg, size_t c, size_t k, const int8_t *weights,
                              const int32_t *bias, const float *scale, int32_t x_zp, const et_qs8_requant_params *rq,
                              et_qwinograd **out, et_err *err) {
    *out = NULL;
    if (c == 0 || k == 0 || c > ET_QS8_WINO_MAX_CHANNELS)
        return et_fail(err, ET_E_INPUT, "int8 Winograd takes 1 to %d input channels, not %zu", ET_QS8_WINO_MAX_CHANNELS,
                       c);
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

/* Tiles per block: a block goes through all three phases in one task, so that its V and M (16 x (2 kc + 4 k)
 * bytes per tile) are still in L2 when the next phase reads them, instead of the whole layer's streaming through
 * memory between phases as in winograd.c's three passes. The budget is task_grid.h's L2 budget (block budgets of
 * 96-640 KiB measured within this VM's noise of each other at ResNet-50's layers). Blocks are whole 6-row GEMM
 * calls, at least 12 tiles, so that the 16 weight copies, re-read once per block, serve two calls each. */
enum { BLOCK_BYTES = ET_TASK_L2_BUDGET_BYTES, MIN_BLOCK_TILES = 12 };

/* Tiles in the largest block a run of `tiles` tiles uses (runs on more threads take smaller ones, below). */
static size_t max_block_tiles(const et_qwinograd *w, size_t tiles) {
    const size_t mr = ET_QS8_WINO_MR;
    size_t per_block = BLOCK_BYTES / (P * (2 * w->kc + 4 * w->k)) / mr * mr;
    per_block = per_block < MIN_BLOCK_TILES ? MIN_BLOCK_TILES : per_block;
    return tiles < per_block ? tiles : per_block;
}

/* V's int16 elements for n tiles, rounded up to 32 (64 bytes), so that M starts aligned. */
static size_t v_elems(const et_qwinograd *w, size_t n) { return et_round_up(n * P * w->kc, 32); }

/* Bytes of one thread's slot (V then M of one block of n tiles), a multiple of 64 so that every slot is aligned. */
static size_t slot_bytes(const et_qwinograd *w, size_t n) {
    return et_round_up(v_elems(w, n) * sizeof(int16_t) + n * P * w->k * sizeof(int32_t), 64);
}

size_t et_qwinograd_scratch_bytes(const et_qwinograd *w, size_t batch, size_t out_h, size_t out_w, size_t threads) {
    size_t tiles = 0;
    if (!et_mul_size(batch, (out_h + 1) / 2, &tiles) || !et_mul_size(tiles, (out_w + 1) / 2, &tiles))
        return 0;
    const size_t n = max_block_tiles(w, tiles), slots = threads < 1 ? 1 : threads < tiles ? threads : tiles;
    size_t bytes = 0; /* n is at most max(MIN_BLOCK_TILES, BLOCK_BYTES / 64) tiles: one slot does not overflow */
    return et_mul_size(slots, slot_bytes(w, n), &bytes) ? bytes : 0;
}

const char *et_qwinograd_kernel_name(const et_qwinograd *w) { return w->cfg->name; }

/* Blocks are claimed one at a time from an atomic counter by `slots` workers, worker s keeping its block's V and M
 * in slot s of the scratch; a worker is one parallel_for item, run by one thread, so no two threads share a slot
 * and the scratch is one block per thread instead of the whole layer's tiles. */
typedef struct run_ctx {
    const et_qwinograd *w;
    const et_qwinograd_args *a;
    size_t tiles, tiles_h, tiles_w, block_tiles, blocks; /* blocks of block_tiles tiles (the last: the rest) */
    unsigned char *scratch;                              /* slot s at s * slot_stride */
    size_t slot_stride;
    atomic_size_t next_block;
} run_ctx;

static void tile_at(const run_ctx *r, size_t tile, size_t *img, size_t *by, size_t *bx) {
    *bx = tile % r->tiles_w;
    *by = tile / r->tiles_w % r->tiles_h;
    *img = tile / r->tiles_w / r->tiles_h;
}

/* Input transform of tiles t0..t0+n into v ([P][n][kc]). */
static void input_block(const run_ctx *r, size_t t0, size_t n, int16_t *v) {
    const et_qwinograd *w = r->w;
    const et_qwinograd_args *a = r->a;
    const int8_t *d[P];
    for (size_t i = 0; i < n; i++) {
        size_t img, by, bx;
        tile_at(r, t0 + i, &img, &by, &bx);
        const int8_t *image = a->input + img * a->in_h * a->in_w * a->input_stride;
        for (size_t y = 0; y < 4; y++) {
            const size_t iy = by * 2 + y - a->pad_top; /* wraps above the image: fails the < test */
            for (size_t x = 0; x < 4; x++) {
                const size_t ix = bx * 2 + x - a->pad_left;
                d[y * 4 + x] = iy < a->in_h && ix < a->in_w ? image + (iy * a->in_w + ix) * a->input_stride : w->zero;
            }
        }
        w->cfg->input(w->c, w->kc, d, w->x_zp, v + i * w->kc, n * w->kc);
    }
}

/* The 16 GEMMs of a block: m[p] (n x k) = v[p] (n x kc) x U'[p], in calls of 6 rows and one of the rest
 * (blocks are multiples of 6 tiles but the last). */
static void gemm_block(const et_qwinograd *w, size_t n, const int16_t *v, int32_t *m) {
    for (size_t p = 0; p < P; p++)
        for (size_t row0 = 0; row0 < n; row0 += ET_QS8_WINO_MR) {
            const size_t rows = n - row0 < ET_QS8_WINO_MR ? n - row0 : ET_QS8_WINO_MR;
            w->cfg->gemm(rows, w->k, w->kc, v + (p * n + row0) * w->kc, w->kc, w->u + p * w->u_elems,
                         m + (p * n + row0) * w->k, w->k);
        }
}

/* Output transform of tiles t0..t0+n from m ([P][n][k]). */
static void output_block(const run_ctx *r, size_t t0, size_t n, const int32_t *m) {
    const et_qwinograd *w = r->w;
    const et_qwinograd_args *a = r->a;
    int8_t *y[4];
    const int8_t *res[4];
    for (size_t i = 0; i < n; i++) {
        size_t img, by, bx;
        tile_at(r, t0 + i, &img, &by, &bx);
        const size_t pixel0 = img * a->out_h * a->out_w;
        for (size_t yy = 0; yy < 2; yy++)
            for (size_t xx = 0; xx < 2; xx++) {
                const size_t oy = by * 2 + yy, ox = bx * 2 + xx, q = pixel0 + oy * a->out_w + ox;
                const bool inside = oy < a->out_h && ox < a->out_w;
                y[yy * 2 + xx] = inside ? a->output + q * a->output_stride : NULL;
                res[yy * 2 + xx] = inside && a->residual ? a->residual + q * a->residual_stride : NULL;
            }
        w->cfg->output(w->k, m + i * w->k, n * w->k, w->bias, w->scale, y, a->residual ? res : NULL, &w->rq);
    }
}

static void slot_tasks(void *ctx, size_t begin, size_t end) {
    run_ctx *r = ctx;
    const et_qwinograd *w = r->w;
    for (size_t s = begin; s < end; s++) {
        int16_t *v = (int16_t *)(void *)(r->scratch + s * r->slot_stride);
        int32_t *m = (int32_t *)(void *)(v + v_elems(w, r->block_tiles));
        for (size_t b; (b = atomic_fetch_add_explicit(&r->next_block, 1, memory_order_relaxed)) < r->blocks;) {
            const size_t t0 = b * r->block_tiles, n = r->tiles - t0 < r->block_tiles ? r->tiles - t0 : r->block_tiles;
            input_block(r, t0, n, v);
            gemm_block(w, n, v, m);
            output_block(r, t0, n, m);
        }
    }
}

void et_qwinograd_run(const et_qwinograd *w, const et_qwinograd_args *a, et_threadpool *pool) {
    run_ctx r = {.w = w, .a = a, .scratch = a->scratch};
    r.tiles_h = (a->out_h + 1) / 2;
    r.tiles_w = (a->out_w + 1) / 2;
    r.tiles = a->batch * r.tiles_h * r.tiles_w;
    const size_t mr = ET_QS8_WINO_MR, sized_for = a->scratch_threads < 1 ? 1 : a->scratch_threads;
    const size_t most = max_block_tiles(w, r.tiles), pool_threads = (size_t)et_threadpool_size(pool);
    const size_t threads = pool_threads < sized_for ? pool_threads : sized_for;
    size_t per_block = most;
    if (threads > 1) { /* enough blocks to balance the threads, still whole 6-row GEMM calls */
        const size_t want = et_round_up((r.tiles + threads * ET_TASKS_PER_THREAD - 1) / (threads * ET_TASKS_PER_THREAD),
                                        mr);
        per_block = want < per_block ? want : per_block;
    }
    r.block_tiles = per_block;
    r.blocks = (r.tiles + per_block - 1) / per_block;
    r.slot_stride = slot_bytes(w, most); /* the slots et_qwinograd_scratch_bytes sized; smaller blocks fit */
    atomic_init(&r.next_block, 0);
    et_threadpool_parallel_for(pool, threads < r.blocks ? threads : r.blocks, slot_tasks, &r);
}
