/* train_gemm.c: packing and tiled products on the engine's fp32 GEMM kernels (see train_gemm.h).
 *
 * The packed layout is f32-gemm.h's: per panel of NR columns, NR bias values, then NR values per depth index.
 * A product walks the rows in tiles of MR (a single-row tile runs the 1 x NR kernel) and lets the kernel walk
 * every panel; the clamp is the identity. */
#include "train/train_gemm.h"

#include <math.h>
#include <string.h>

#include "engine/kernels/f32-gemm/f32-gemm.h"
#include "util/mem.h"

static const et_f32_minmax_params no_clamp = {-INFINITY, INFINITY};

size_t et_train_gemm_mr(void) { return et_f32_gemm_config_get()->mr; }
size_t et_train_gemm_nr(void) { return et_f32_gemm_config_get()->nr; }
const char *et_train_gemm_kernel_name(void) { return et_f32_gemm_config_get()->name; }

size_t et_train_gemm_packed_floats(size_t k, size_t n) { return et_f32_gemm_packed_floats(et_train_gemm_nr(), n, k); }

void et_train_gemm_pack(size_t k, size_t n, const float *b, size_t sk, size_t sn, const float *bias, float *packed) {
    const size_t nr = et_train_gemm_nr();
    for (size_t n0 = 0; n0 < n; n0 += nr) {
        const size_t cols = n - n0 < nr ? n - n0 : nr;
        float *p = packed;
        for (size_t j = 0; j < nr; j++)
            p[j] = bias && j < cols ? bias[n0 + j] : 0.0f;
        p += nr;
        const float *col0 = b + n0 * sn;
        if (sn == 1 && cols == nr) {
            for (size_t i = 0; i < k; i++, p += nr)
                et_train_copy_panel(p, col0 + i * sk, nr);
        } else if (sn == 1) {
            for (size_t i = 0; i < k; i++, p += nr) {
                memcpy(p, col0 + i * sk, cols * sizeof *p);
                memset(p + cols, 0, (nr - cols) * sizeof *p);
            }
        } else {
            /* a strided gather: column by column keeps each source column's reads sequential when sk == 1 */
            if (cols < nr)
                for (size_t i = 0; i < k; i++)
                    memset(p + i * nr + cols, 0, (nr - cols) * sizeof *p);
            for (size_t j = 0; j < cols; j++) {
                const float *src = col0 + j * sn;
                for (size_t i = 0; i < k; i++)
                    p[i * nr + j] = src[i * sk];
            }
            p += k * nr;
        }
        packed = p;
    }
}

void et_train_gemm_rows(size_t m0, size_t m1, size_t n, size_t k, const float *a, size_t lda, const float *packed,
                        float *c, size_t ldc) {
    const et_f32_gemm_config *cfg = et_f32_gemm_config_get();
    for (size_t i = m0; i < m1; i += cfg->mr) {
        size_t rows = m1 - i < cfg->mr ? m1 - i : cfg->mr;
        if (rows == 1)
            cfg->ukernel1(1, n, k, a + i * lda, lda, packed, c + i * ldc, ldc, &no_clamp);
        else
            cfg->ukernel(rows, n, k, a + i * lda, lda, packed, c + i * ldc, ldc, &no_clamp);
    }
}

void et_train_gemm(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *packed, float *c,
                   size_t ldc) {
    et_train_gemm_rows(0, m, n, k, a, lda, packed, c, ldc);
}

typedef struct par_ctx {
    size_t m, n, k, lda, ldc, m_tiles, n_blocks, cols_per_block, mr, nr;
    const float *a, *packed;
    float *c;
} par_ctx;

static void par_task(void *arg, size_t begin, size_t end) {
    const par_ctx *p = arg;
    for (size_t t = begin; t < end; t++) {
        size_t mt = t % p->m_tiles, nb = t / p->m_tiles;
        size_t r0 = mt * p->mr, r1 = r0 + p->mr < p->m ? r0 + p->mr : p->m;
        size_t c0 = nb * p->cols_per_block, cols = p->n - c0 < p->cols_per_block ? p->n - c0 : p->cols_per_block;
        /* panel nb * cols_per_block / nr starts (k + 1) * nr floats per panel into the packed operand */
        const float *w = p->packed + c0 / p->nr * (p->k + 1) * p->nr;
        et_train_gemm_rows(r0, r1, cols, p->k, p->a, p->lda, w, p->c + c0, p->ldc);
    }
}

void et_train_gemm_par(et_threadpool *pool, size_t m, size_t n, size_t k, const float *a, size_t lda,
                       const float *packed, float *c, size_t ldc) {
    const size_t threads = (size_t)et_threadpool_size(pool);
    if (threads <= 1) {
        et_train_gemm(m, n, k, a, lda, packed, c, ldc);
        return;
    }
    par_ctx p = {.m = m,
                 .n = n,
                 .k = k,
                 .lda = lda,
                 .ldc = ldc,
                 .a = a,
                 .packed = packed,
                 .c = c,
                 .mr = et_train_gemm_mr(),
                 .nr = et_train_gemm_nr()};
    p.m_tiles = (m + p.mr - 1) / p.mr;
    size_t panels = (n + p.nr - 1) / p.nr, blocks = 1;
    /* enough tasks for every thread (four each), in whole panels */
    while (p.m_tiles * blocks < 4 * threads && blocks < panels)
        blocks++;
    size_t panels_per_block = (panels + blocks - 1) / blocks;
    p.cols_per_block = panels_per_block * p.nr;
    p.n_blocks = (n + p.cols_per_block - 1) / p.cols_per_block;
    et_threadpool_parallel_for_chunked(pool, p.m_tiles * p.n_blocks, 1, par_task, &p);
}
