/* sgemm.c: the reference f32 matrix product behind Conv (im2col), ConvTranspose, Gemm and MatMul.
 *
 * C is cut into tiles of TILE_M x TILE_N that the pool runs in parallel; inside a tile, 4x8 blocks of C are
 * accumulated in registers over the whole K (the classic register-blocked micro-kernel, written in plain C with
 * fixed trip counts so the compiler vectorises the 8-wide rows). B rows must be contiguous (b_cs == 1) for the
 * fast block; any other stride (a transposed B that was not packed) takes the generic block, which is correct
 * but slower. The real fast path (packed panels, SIMD per ISA) lives in the kernels; this is the oracle. */
#include <string.h>

#include "engine/nodes/nn_util.h"

enum { MR = 4, NR = 8, TILE_M = 64, TILE_N = 256 };

typedef struct gemm_job {
    int64_t m, n, k;
    float alpha;
    const float *a;
    int64_t a_rs, a_cs;
    const float *b;
    int64_t b_rs, b_cs;
    float *c;
    int64_t ldc;
    bool acc;
    int64_t tiles_n;
} gemm_job;

/* A full 4x8 block with contiguous B rows. */
static void block_full(const gemm_job *j, int64_t i0, int64_t j0) {
    float s0[NR] = {0}, s1[NR] = {0}, s2[NR] = {0}, s3[NR] = {0};
    const float *a = j->a + i0 * j->a_rs, *b = j->b + j0;
    const int64_t a_rs = j->a_rs, a_cs = j->a_cs, b_rs = j->b_rs;
    for (int64_t p = 0; p < j->k; p++) {
        const float *ap = a + p * a_cs, *bp = b + p * b_rs;
        const float a0 = ap[0], a1 = ap[a_rs], a2 = ap[2 * a_rs], a3 = ap[3 * a_rs];
        float bv[NR];
        memcpy(bv, bp, sizeof bv);
        for (int q = 0; q < NR; q++) {
            s0[q] += a0 * bv[q];
            s1[q] += a1 * bv[q];
            s2[q] += a2 * bv[q];
            s3[q] += a3 * bv[q];
        }
    }
    float *rows[MR] = {j->c + i0 * j->ldc + j0, j->c + (i0 + 1) * j->ldc + j0, j->c + (i0 + 2) * j->ldc + j0,
                       j->c + (i0 + 3) * j->ldc + j0};
    const float *sums[MR] = {s0, s1, s2, s3};
    for (int r = 0; r < MR; r++) {
        float *cr = rows[r];
        const float *sr = sums[r];
        if (j->acc)
            for (int q = 0; q < NR; q++)
                cr[q] += j->alpha * sr[q];
        else
            for (int q = 0; q < NR; q++)
                cr[q] = j->alpha * sr[q];
    }
}

/* Any block up to 4x8 with any strides. */
static void block_generic(const gemm_job *j, int64_t i0, int64_t j0, int mr, int nr) {
    float s[MR][NR] = {{0}};
    for (int64_t p = 0; p < j->k; p++) {
        const float *bp = j->b + p * j->b_rs + j0 * j->b_cs;
        for (int r = 0; r < mr; r++) {
            const float av = j->a[(i0 + r) * j->a_rs + p * j->a_cs];
            for (int q = 0; q < nr; q++)
                s[r][q] += av * bp[q * j->b_cs];
        }
    }
    for (int r = 0; r < mr; r++) {
        float *cr = j->c + (i0 + r) * j->ldc + j0;
        for (int q = 0; q < nr; q++)
            cr[q] = j->alpha * s[r][q] + (j->acc ? cr[q] : 0.0f);
    }
}

static void run_tiles(void *ctx, size_t begin, size_t end) {
    const gemm_job *j = ctx;
    for (size_t t = begin; t < end; t++) {
        int64_t tm = (int64_t)t / j->tiles_n, tn = (int64_t)t % j->tiles_n;
        int64_t i_end = (tm + 1) * TILE_M < j->m ? (tm + 1) * TILE_M : j->m;
        int64_t j_end = (tn + 1) * TILE_N < j->n ? (tn + 1) * TILE_N : j->n;
        for (int64_t i = tm * TILE_M; i < i_end; i += MR) {
            int mr = i_end - i < MR ? (int)(i_end - i) : MR;
            for (int64_t q = tn * TILE_N; q < j_end; q += NR) {
                int nr = j_end - q < NR ? (int)(j_end - q) : NR;
                if (mr == MR && nr == NR && j->b_cs == 1)
                    block_full(j, i, q);
                else
                    block_generic(j, i, q, mr, nr);
            }
        }
    }
}

void et_sgemm(et_threadpool *pool, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t a_rs,
              int64_t a_cs, const float *b, int64_t b_rs, int64_t b_cs, float *c, int64_t ldc, bool accumulate) {
    if (m <= 0 || n <= 0)
        return;
    gemm_job j = {.m = m,
                  .n = n,
                  .k = k,
                  .alpha = alpha,
                  .a = a,
                  .a_rs = a_rs,
                  .a_cs = a_cs,
                  .b = b,
                  .b_rs = b_rs,
                  .b_cs = b_cs,
                  .c = c,
                  .ldc = ldc,
                  .acc = accumulate,
                  .tiles_n = (n + TILE_N - 1) / TILE_N};
    int64_t tiles = ((m + TILE_M - 1) / TILE_M) * j.tiles_n;
    /* small products are not worth waking the pool for */
    if (m * n * (k > 0 ? k : 1) < 32768)
        run_tiles(&j, 0, (size_t)tiles);
    else
        et_par_for(pool, (size_t)tiles, run_tiles, &j);
}
