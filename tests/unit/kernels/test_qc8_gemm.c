/* test_qc8_gemm.c: every quantized GEMM and IGEMM kernel config (qc8, qc4, each ISA this CPU runs; the others
 * are skipped with a message) against the scalar qc8 kernels, which must agree bit for bit: integer sums are
 * exact and requantization is one fp32 rule (qparams.h). The scalar kernel itself is checked against a naive sum
 * written here. Sweeps rows 1..MR, columns around NR, depths around KR (odd ones padded), taps, zero-buffer taps
 * with a non-zero a_offset, clamps, zero points and a fused residual, in place and not. */
#include <string.h>

#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "kernel_test.h"

static int8_t rand_s8(int lo, int hi) { return (int8_t)(lo + (int)(kt_rand_u32() % (uint32_t)(hi - lo + 1))); }

static void *xalloc(size_t bytes) {
    void *p = et_aligned_alloc(bytes + 64);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

/* Converts rows of kc int8 into the kernel format with rows of kc_pad elements (pad zero). */
static void convert_rows(et_qa_format f, size_t rows, size_t kc, size_t kc_pad, const int8_t *src, uint8_t *dst) {
    for (size_t i = 0; i < rows; i++)
        for (size_t k = 0; k < kc_pad; k++) {
            const int8_t v = k < kc ? src[i * kc + k] : 0;
            if (f == ET_QA_S16) {
                const int16_t x = v;
                memcpy(dst + (i * kc_pad + k) * 2, &x, 2);
            } else {
                dst[i * kc_pad + k] = f == ET_QA_U8 ? (uint8_t)((uint8_t)v ^ 0x80u) : (uint8_t)v;
            }
        }
}

static const et_qgemm_config *scalar_qc8(void) {
    size_t n;
    const et_qgemm_config *c = et_qgemm_configs(&n);
    return &c[n - 1];
}

typedef struct {
    size_t mr, n, kc, ks;
    int32_t x_zp, y_zp, qmin, qmax;
    int residual;    /* 0 none, 1 separate buffer, 2 in place */
    float scale_mul; /* multiplies the requantization scales (0: 1); large values drive outputs past both clamps
                        and, at 1e8, products past the int32 range, where the AVX2 epilogue clamps after packing */
} qcase;

/* Runs config cfg and the scalar qc8 config on the same problem and compares. ks == 0 means GEMM. */
static int check(const et_qgemm_config *cfg, const qcase *q) {
    const et_qgemm_config *ref = scalar_qc8();
    const size_t MR = cfg->mr, ks = q->ks ? q->ks : 1, kc = q->kc, n = q->n, mr = q->mr;
    const size_t kcp = et_qgemm_kc_padded(cfg, kc), eb = et_qa_format_bytes(cfg->a_format);
    const int wmax = (1 << (cfg->max_weight_bits - 1)) - 1;
    const size_t pool_rows = 11, offset_rows = 2, rows = pool_rows + offset_rows;
    int8_t *a = xalloc(rows * kc), *w = xalloc(n * ks * kc), *zero8 = xalloc(kc);
    uint8_t *acvt = xalloc(rows * kcp * eb), *zcvt = xalloc(kcp * eb);
    int32_t *bias = xalloc(n * 4);
    float *scale = xalloc(n * 4);
    for (size_t i = 0; i < rows * kc; i++)
        a[i] = rand_s8(-128, 127);
    for (size_t i = 0; i < n * ks * kc; i++)
        w[i] = rand_s8(-wmax, wmax);
    for (size_t j = 0; j < n; j++) {
        bias[j] = (int32_t)(kt_rand_u32() % 20001) - 10000;
        scale[j] = kt_rand_f32(0.5f, 2.0f) * 60.0f / (sqrtf((float)(kc * ks)) * 43.0f * (float)wmax) *
                   (q->scale_mul > 0.0f ? q->scale_mul : 1.0f);
    }
    memset(zero8, (uint8_t)q->x_zp, kc);
    convert_rows(cfg->a_format, rows, kc, kcp, a, acvt);
    convert_rows(cfg->a_format, 1, kc, kcp, zero8, zcvt);
    void *pk = xalloc(et_qgemm_packed_bytes(cfg, n, ks, kc)), *pr = xalloc(et_qgemm_packed_bytes(ref, n, ks, kc));
    et_qgemm_pack(cfg, n, ks, kc, w, ks * kc, 1, ks, bias, scale, q->x_zp, pk);
    et_qgemm_pack(ref, n, ks, kc, w, ks * kc, 1, ks, bias, scale, q->x_zp, pr);
    et_qs8_requant_params rp;
    et_qs8_requant_params_init(&rp, q->y_zp, q->qmin, q->qmax, 0.37f, -5);
    const size_t cs = n + 3;
    int8_t *c1 = xalloc(MR * cs), *c2 = xalloc(MR * cs), *res = xalloc(MR * cs);
    for (size_t i = 0; i < MR * cs; i++)
        res[i] = rand_s8(-128, 127);
    for (size_t pass = 0; pass < 2; pass++) {
        int8_t *c = pass ? c2 : c1;
        memset(c, 0x5a, MR * cs);
        if (q->residual == 2)
            memcpy(c, res, MR * cs);
        const int8_t *r = q->residual == 1 ? res : q->residual == 2 ? c : NULL;
        const et_qgemm_config *k = pass ? ref : cfg;
        if (q->ks == 0) {
            if (pass == 0) {
                k->gemm(mr, n, kcp, acvt, kcp * eb, pk, c, cs, r, cs, &rp);
            } else { /* the reference, one row per call (its MR differs) */
                for (size_t i = 0; i < mr; i++)
                    k->gemm(1, n, kc, a + i * kc, kc, pr, c + i * cs, cs, r ? r + i * cs : NULL, cs, &rp);
            }
        } else {
            /* pointers to rows of the pool; every 4th a padding tap (zero buffer, never offset) */
            const void **ind = malloc(ks * MR * sizeof *ind);
            uint32_t seed = (uint32_t)(q->n * 131 + q->kc * 7 + q->mr);
            for (size_t t = 0; t < ks; t++)
                for (size_t i = 0; i < MR; i++) {
                    seed = seed * 1103515245u + 12345u;
                    const size_t row = (seed >> 8) % pool_rows;
                    if ((seed >> 20) % 4 == 0)
                        ind[t * MR + i] = pass ? (const void *)zero8 : (const void *)zcvt;
                    else
                        ind[t * MR + i] = pass ? (const void *)(a + row * kc) : (const void *)(acvt + row * kcp * eb);
                }
            const size_t a_off = offset_rows * (pass ? kc : kcp * eb);
            if (pass == 0) {
                k->igemm(mr, n, kcp, ks, ind, pk, c, cs, a_off, zcvt, r, cs, &rp);
            } else { /* the reference, one row per call: a table of its MR with every entry that row's */
                const size_t rmr = ref->mr;
                const void **one = malloc(ks * rmr * sizeof *one);
                for (size_t i = 0; i < mr; i++) {
                    for (size_t t = 0; t < ks; t++)
                        for (size_t x = 0; x < rmr; x++)
                            one[t * rmr + x] = ind[t * MR + i];
                    k->igemm(1, n, kc, ks, one, pr, c + i * cs, cs, a_off, zero8, r ? r + i * cs : NULL, cs, &rp);
                }
                free(one);
            }
            /* the scalar result against a naive sum (the oracle of the oracle) */
            if (pass == 1)
                for (size_t i = 0; i < mr; i++)
                    for (size_t j = 0; j < n; j++) {
                        int32_t acc = bias[j];
                        for (size_t t = 0; t < ks; t++) {
                            const int8_t *row = ind[t * MR + i];
                            if (row != zero8)
                                row += offset_rows * kc;
                            for (size_t kk = 0; kk < kc; kk++)
                                acc += ((int32_t)row[kk] - q->x_zp) * w[(j * kc + kk) * ks + t];
                        }
                        const float f0 = (float)acc * scale[j];
                        const float fr = (float)((int32_t)res[i * cs + j] + 5) * 0.37f; /* no FMA contraction */
                        const float f = r ? f0 + fr : f0;
                        const int8_t want = et_qs8_round_clamp(f, &rp);
                        if (c[i * cs + j] != want) {
                            ET_CHECK_MSG(0, "scalar igemm [%zu][%zu] = %d, naive %d", i, j, c[i * cs + j], want);
                            free(ind);
                            return 1;
                        }
                    }
            free(ind);
        }
    }
    int bad = 0;
    for (size_t i = 0; i < MR && !bad; i++)
        for (size_t j = 0; j < cs && !bad; j++)
            if (c1[i * cs + j] != c2[i * cs + j]) {
                ET_CHECK_MSG(0, "%s mr=%zu n=%zu kc=%zu ks=%zu zp=%d/%d res=%d: c[%zu][%zu] = %d, scalar %d",
                             q->ks ? cfg->igemm_name : cfg->gemm_name, mr, n, kc, q->ks, (int)q->x_zp, (int)q->y_zp,
                             q->residual, i, j, c1[i * cs + j], c2[i * cs + j]);
                bad = 1;
            }
    et_test_checks_++;
    et_aligned_free(a), et_aligned_free(w), et_aligned_free(zero8), et_aligned_free(acvt), et_aligned_free(zcvt);
    et_aligned_free(bias), et_aligned_free(scale), et_aligned_free(pk), et_aligned_free(pr);
    et_aligned_free(c1), et_aligned_free(c2), et_aligned_free(res);
    return bad;
}

static void sweep(const et_qgemm_config *cfg) {
    if (!kt_config_runnable(cfg->req, cfg->gemm_name))
        return;
    const size_t nr = cfg->nr, kr = cfg->kr;
    const size_t kcs[] = {1, 2, 3, kr, kr + 1, 2 * kr - 1, 8, 16, 17, 31, 64, 67};
    const size_t kss[] = {0, 1, 2, 9};
    int failures = 0;
    for (size_t a = 0; a < sizeof kcs / sizeof kcs[0] && failures < 3; a++)
        for (size_t b = 0; b < sizeof kss / sizeof kss[0] && failures < 3; b++)
            for (size_t mr = 1; mr <= cfg->mr && failures < 3; mr++) {
                const size_t ns[] = {1, nr - 1, nr, nr + 1, 2 * nr + 3};
                for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
                    if (ns[ni] == 0)
                        continue;
                    const qcase q = {mr, ns[ni], kcs[a], kss[b], (int32_t)(mr * 37 % 256) - 128, 3, -128, 127, 0, 1.0f};
                    failures += check(cfg, &q);
                }
            }
    /* clamps, extreme zero points, residual (separate and in place) */
    const qcase extra[] = {
        {cfg->mr, 3 * nr + 5, 45, 0, -128, -128, -128, 127, 0, 1.0f},
        {cfg->mr, 3 * nr + 5, 45, 0, 127, 127, -20, 100, 0, 1.0f},
        {cfg->mr, 2 * nr + 1, 33, 3, -7, -3, -3, 127, 1, 1.0f},
        {cfg->mr, 2 * nr + 1, 33, 0, 12, 9, -128, 80, 1, 1.0f},
        {cfg->mr, nr + 3, 24, 0, 0, 0, -128, 127, 2, 1.0f},
        {cfg->mr > 1 ? cfg->mr - 1 : 1, nr + 3, 24, 0, 0, 0, -128, 127, 2, 1.0f},
        {cfg->mr > 2 ? cfg->mr - 2 : 1, 2 * nr, 19, 4, 5, 1, -128, 127, 2, 1.0f},
        {1, 5 * nr, 300, 0, -100, 20, -128, 127, 1, 1.0f},
        {cfg->mr, 2 * nr + 3, 24, 0, 9, -7, -100, 110, 0, 30.0f},
        {cfg->mr, 2 * nr + 3, 24, 0, -50, 60, -128, 127, 1, 1e8f},
        {cfg->mr > 1 ? cfg->mr - 1 : 1, nr + 5, 40, 9, 3, 2, -120, 90, 2, 1e8f},
        /* a last panel of exactly half a tile (N = 24, 40, ...: kernels that compute only its live half) */
        {cfg->mr, nr + nr / 2, 96, 0, -128, 5, -128, 127, 0, 1.0f},
        {cfg->mr, nr / 2, 18, 0, 3, -4, -128, 127, 1, 1.0f},
        {cfg->mr, 2 * nr + nr / 2, 16, 9, 7, 1, -100, 127, 2, 1.0f},
        {cfg->mr > 1 ? cfg->mr - 1 : 1, nr + nr / 2, 72, 0, -9, 0, -128, 127, 1, 1.0f},
        {cfg->mr > 2 ? cfg->mr - 2 : 1, nr + nr / 2, 24, 3, 11, -2, -128, 127, 0, 1.0f},
    };
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
        check(cfg, &extra[i]);
}

static void test_all_configs(void) {
    size_t n;
    const et_qgemm_config *cfgs = et_qgemm_configs(&n);
    ET_CHECK(n >= 2);
    for (size_t i = 0; i < n; i++)
        sweep(&cfgs[i]);
}

/* An infinite requantization scale (a weight scale over an output scale past FLT_MAX: the operator accepts each
 * finite) makes acc * scale +inf, -inf, or NaN where acc is 0. The scalar rule clamps NaN to the lower bound;
 * every kernel must agree (the AVX2 epilogue clamps the upper bound in float and relies on the operand order of
 * min_ps to carry a NaN to the lower bound; the NEON one clamps the lower bound with vmaxnmq_f32). Zero weights;
 * biases 0, +5, -5 by column. */
static void test_infinite_scale(void) {
    size_t count;
    const et_qgemm_config *cfgs = et_qgemm_configs(&count);
    for (size_t ci = 0; ci < count; ci++) {
        const et_qgemm_config *cfg = &cfgs[ci];
        if (!kt_config_runnable(cfg->req, cfg->gemm_name))
            continue;
        const size_t MR = cfg->mr, n = cfg->nr + 3, kc = 2 * cfg->kr, eb = et_qa_format_bytes(cfg->a_format);
        int8_t *w = xalloc(n * kc);
        uint8_t *a = xalloc(MR * kc * eb);
        int32_t *bias = xalloc(n * 4);
        float *scale = xalloc(n * 4);
        memset(w, 0, n * kc);
        memset(a, 0, MR * kc * eb);
        for (size_t j = 0; j < n; j++)
            bias[j] = j % 3 == 0 ? 0 : j % 3 == 1 ? 5 : -5, scale[j] = INFINITY;
        void *pk = xalloc(et_qgemm_packed_bytes(cfg, n, 1, kc));
        et_qgemm_pack(cfg, n, 1, kc, w, kc, 1, 1, bias, scale, 0, pk);
        et_qs8_requant_params rp;
        et_qs8_requant_params_init(&rp, 4, -100, 90, 0.0f, 0);
        int8_t *c = xalloc(MR * n);
        cfg->gemm(MR, n, kc, a, kc * eb, pk, c, n, NULL, 0, &rp);
        int bad = 0;
        for (size_t i = 0; i < MR * n && !bad; i++) {
            const int8_t want = et_qs8_requantize(bias[i % n], INFINITY, &rp);
            if (c[i] != want) {
                ET_CHECK_MSG(0, "%s, scale inf, bias %d: c[%zu] = %d, scalar %d", cfg->gemm_name, (int)bias[i % n], i,
                             c[i], want);
                bad = 1;
            }
        }
        ET_CHECK(et_qs8_requantize(0, INFINITY, &rp) == -100); /* NaN: the lower bound */
        et_aligned_free(w), et_aligned_free(a), et_aligned_free(bias), et_aligned_free(scale);
        et_aligned_free(pk), et_aligned_free(c);
    }
}

static void test_config_choice(void) {
    for (int bits = 2; bits <= 8; bits++) {
        const et_qgemm_config *c = et_qgemm_config_get(bits);
        ET_CHECK(c != NULL && c->max_weight_bits >= bits && et_kreq_runnable(c->req));
    }
    ET_CHECK(et_qgemm_config_get(4)->max_weight_bits >= 4);
}

static void test_packed_size(void) {
    const et_qgemm_config *ref = scalar_qc8();
    ET_CHECK(et_qgemm_packed_bytes(ref, 5, 9, 3) == 2 * et_qgemm_panel_bytes(ref, 9, 3));
    ET_CHECK(et_qgemm_panel_bytes(ref, 9, 3) % 4 == 0);
    ET_CHECK(et_qgemm_packed_bytes(ref, SIZE_MAX / 2, SIZE_MAX / 4, 3) == 0);
}

int main(void) {
    ET_RUN(test_config_choice);
    ET_RUN(test_packed_size);
    ET_RUN(test_all_configs);
    ET_RUN(test_infinite_scale);
    return et_test_done();
}
