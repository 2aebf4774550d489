/* test_qs8_winograd.c: the int8 Winograd F(2x2, 3x3) kernels (qs8-winograd.h) and operator (qwinograd.h).
 *
 *   - each kernel of every runnable config against the scalar one, bit for bit: input transform (channels 1-67,
 *     zero points at both ends, extreme inputs), GEMM (rows 1-6, columns 1-50 across panel tails, k 2-68,
 *     extreme values), output transform (channels 1-67, pixels outside the image, residual separate and in
 *     place, clamps);
 *   - the packed weights against 4 x G g G^T computed in double by the fp32 family's transform (exact integers);
 *   - the whole operator against a naive integer convolution (zero point subtracted, padding = zero point,
 *     qparams.h's requantization), exactly, over odd sizes, padding, strides, batch 2, tails, 1 and 2 threads;
 *   - the same check with a deliberately broken input transform must FAIL (the check can see a wrong transform). */
#include <string.h>

#include "engine/kernels/f32-winograd/f32-winograd.h"
#include "engine/operators/qwinograd.h"
#include "kernel_test.h"

static int8_t rs8(int lo, int hi) { return (int8_t)(lo + (int)(kt_rand_u32() % (uint32_t)(hi - lo + 1))); }

static void *xalloc(size_t bytes) {
    void *p = et_aligned_alloc(bytes + 64);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static const et_qs8_wino_config *scalar_config(void) {
    size_t n;
    const et_qs8_wino_config *c = et_qs8_wino_configs(&n);
    return &c[n - 1];
}

static void sweep_input(const et_qs8_wino_config *cfg) {
    const et_qs8_wino_config *ref = scalar_config();
    for (size_t ch = 1; ch <= 67; ch++) {
        const size_t kc = (ch + 1) & ~(size_t)1, stride = kc + 5;
        int8_t *px = xalloc(16 * ch);
        int16_t *got = xalloc(16 * stride * 2), *want = xalloc(16 * stride * 2);
        const int32_t zp = ch % 3 == 0 ? -128 : ch % 3 == 1 ? 127 : (int32_t)(kt_rand_u32() % 256) - 128;
        for (size_t i = 0; i < 16 * ch; i++)
            px[i] = ch % 5 == 0 ? (int8_t)(i % 2 ? 127 : -128) : rs8(-128, 127);
        const int8_t *d[16];
        for (size_t i = 0; i < 16; i++)
            d[i] = px + i * ch;
        memset(got, 0x55, 16 * stride * 2), memset(want, 0x55, 16 * stride * 2);
        ref->input(ch, kc, d, zp, want, stride);
        cfg->input(ch, kc, d, zp, got, stride);
        ET_CHECK_MSG(memcmp(got, want, 16 * stride * 2) == 0, "%s input transform, %zu channels", cfg->name, ch);
        et_aligned_free(px), et_aligned_free(got), et_aligned_free(want);
    }
}

static void sweep_gemm(const et_qs8_wino_config *cfg) {
    const et_qs8_wino_config *ref = scalar_config();
    static const size_t kcs[] = {2, 4, 16, 30, 68};
    for (size_t ki = 0; ki < sizeof kcs / sizeof kcs[0]; ki++)
        for (size_t mr = 1; mr <= 6; mr++)
            for (size_t nc = 1; nc <= 50; nc += nc < 18 ? 1 : 7) {
                const size_t kc = kcs[ki], panels = (nc + 15) / 16, cs = nc + 3;
                int16_t *a = xalloc(mr * (kc + 2) * 2), *w = xalloc(panels * kc * 16 * 2);
                int32_t *got = xalloc(mr * cs * 4), *want = xalloc(mr * cs * 4);
                const int extreme = (mr + nc) % 4 == 0;
                for (size_t i = 0; i < mr * (kc + 2); i++)
                    a[i] = extreme ? (int16_t)(i % 2 ? 1020 : -1020) : (int16_t)(kt_rand_u32() % 2041) - 1020;
                for (size_t i = 0; i < panels * kc * 16; i++)
                    w[i] = extreme ? (int16_t)-1143 : (int16_t)((int)(kt_rand_u32() % 2287) - 1143);
                memset(got, 0x77, mr * cs * 4), memset(want, 0x77, mr * cs * 4);
                ref->gemm(mr, nc, kc, a, kc + 2, w, want, cs);
                cfg->gemm(mr, nc, kc, a, kc + 2, w, got, cs);
                ET_CHECK_MSG(memcmp(got, want, mr * cs * 4) == 0, "%s gemm mr %zu nc %zu kc %zu", cfg->name, mr, nc,
                             kc);
                et_aligned_free(a), et_aligned_free(w), et_aligned_free(got), et_aligned_free(want);
            }
}

static void sweep_output(const et_qs8_wino_config *cfg) {
    const et_qs8_wino_config *ref = scalar_config();
    for (size_t ch = 1; ch <= 67; ch++)
        for (int mode = 0; mode < 3; mode++) { /* residual: none, separate, in place */
            const size_t ms = ch + 2;
            int32_t *m = xalloc(16 * ms * 4), *bias = xalloc(ch * 4);
            float *scale = xalloc(ch * 4);
            int8_t *got = xalloc(4 * ch), *want = xalloc(4 * ch), *res = xalloc(4 * ch);
            for (size_t i = 0; i < 16 * ms; i++) /* multiples of 4, as real sums; some beyond int8 after scaling */
                m[i] = ((int32_t)(kt_rand_u32() % 400001) - 200000) * 4;
            for (size_t c = 0; c < ch; c++)
                bias[c] = (int32_t)(kt_rand_u32() % 2001) - 1000, scale[c] = kt_rand_f32(1e-4f, 2e-3f);
            for (size_t i = 0; i < 4 * ch; i++)
                res[i] = rs8(-128, 127);
            et_qs8_requant_params rq;
            et_qs8_requant_params_init(&rq, (int32_t)(ch % 7) - 3, ch % 2 ? -128 : -3, ch % 2 ? 127 : 90,
                                       mode ? 0.7f : 0.0f, 5);
            int8_t *yg[4], *yw[4];
            const int8_t *rg[4], *rw[4];
            for (size_t q = 0; q < 4; q++) {
                const int outside = (ch + q) % 5 == 0; /* some pixels lie outside the image */
                yg[q] = outside ? NULL : got + q * ch, yw[q] = outside ? NULL : want + q * ch;
                rg[q] = mode == 2 ? got + q * ch : res + q * ch, rw[q] = mode == 2 ? want + q * ch : res + q * ch;
            }
            memcpy(got, res, 4 * ch), memcpy(want, res, 4 * ch);
            ref->output(ch, m, ms, bias, scale, yw, mode ? rw : NULL, &rq);
            cfg->output(ch, m, ms, bias, scale, yg, mode ? rg : NULL, &rq);
            ET_CHECK_MSG(memcmp(got, want, 4 * ch) == 0, "%s output transform, %zu channels, residual mode %d",
                         cfg->name, ch, mode);
            et_aligned_free(m), et_aligned_free(bias), et_aligned_free(scale);
            et_aligned_free(got), et_aligned_free(want), et_aligned_free(res);
        }
}

static void sweep_kernels(const et_qs8_wino_config *cfg) {
    sweep_input(cfg);
    sweep_gemm(cfg);
    sweep_output(cfg);
}

static void test_kernels_vs_scalar(void) {
    KT_SWEEP_CONFIGS(et_qs8_wino_config, et_qs8_wino_configs, name, sweep_kernels, 1);
}

/* The packed weights equal 4 x the fp32 family's G g G^T (computed in double: exact for these integers). */
static void test_weight_transform(void) {
    const size_t c = 5, k = 19, per = et_qs8_wino_packed_elems(c, k), kc = 6;
    int8_t w[19 * 5 * 9];
    for (size_t i = 0; i < sizeof w; i++)
        w[i] = i % 11 == 0 ? 127 : i % 13 == 0 ? -127 : rs8(-127, 127);
    int16_t *u = xalloc(16 * per * 2);
    et_qs8_wino_pack_weights(c, k, w, u);
    int bad = 0;
    for (size_t co = 0; co < k; co++)
        for (size_t ci = 0; ci < kc; ci++) {
            float g[9], uf[16] = {0};
            for (size_t i = 0; i < 9; i++)
                g[i] = ci < c ? (float)w[(co * c + ci) * 9 + i] : 0.0f;
            et_f32_wino_kernel_transform(ET_WINO_F2, g, uf, 1);
            for (size_t p = 0; p < 16; p++) {
                const int16_t got = u[p * per + co / 16 * kc * 16 + (ci & ~(size_t)1) * 16 + 2 * (co % 16) + (ci & 1)];
                if (got != (int16_t)lrintf(4.0f * uf[p]) && bad++ < 3)
                    ET_CHECK_MSG(0, "U'[%zu] of (%zu, %zu) = %d, want %g", p, co, ci, got, 4.0 * uf[p]);
            }
        }
    ET_CHECK(bad == 0);
    et_aligned_free(u);
}

typedef struct {
    size_t n, c, h, w, k, pt, pl, pb, pr, in_extra;
    int32_t x_zp;
    int residual;
} layer_case;

/* Runs one layer through et_qwinograd with cfg on `pool`, `rounds` times, its scratch sized (exactly: ASan sees an
 * overrun) for scratch_threads threads (0: the pool's), and returns how many output bytes differ from the naive
 * integer convolution, summed over the rounds. */
static size_t layer_runs_mismatches(const et_qs8_wino_config *cfg, const layer_case *lc, et_threadpool *pool,
                                    size_t scratch_threads, int rounds) {
    const size_t oh = lc->h + lc->pt + lc->pb - 2, ow = lc->w + lc->pl + lc->pr - 2, in_s = lc->c + lc->in_extra;
    const size_t in_n = lc->n * lc->h * lc->w * in_s, out_n = lc->n * oh * ow * lc->k;
    int8_t *in = xalloc(in_n), *w = xalloc(lc->k * lc->c * 9), *out = xalloc(out_n), *want = xalloc(out_n);
    int8_t *res = xalloc(out_n);
    int32_t *bias = xalloc(lc->k * 4);
    float *scale = xalloc(lc->k * 4);
    for (size_t i = 0; i < in_n; i++)
        in[i] = rs8(-128, 127);
    for (size_t i = 0; i < lc->k * lc->c * 9; i++)
        w[i] = rs8(-127, 127);
    for (size_t i = 0; i < out_n; i++)
        res[i] = rs8(-128, 127);
    for (size_t o = 0; o < lc->k; o++) /* a scale that spreads the sums over most of the int8 range */
        bias[o] = (int32_t)(kt_rand_u32() % 4001) - 2000, scale[o] = 1.0f / (300.0f * sqrtf((float)lc->c * 9.0f));
    et_qs8_requant_params rq;
    et_qs8_requant_params_init(&rq, -5, -128, 127, lc->residual ? 0.6f : 0.0f, 3);
    for (size_t b = 0; b < lc->n; b++)
        for (size_t y = 0; y < oh; y++)
            for (size_t x = 0; x < ow; x++)
                for (size_t o = 0; o < lc->k; o++) {
                    int32_t acc = bias[o];
                    for (size_t ci = 0; ci < lc->c; ci++)
                        for (size_t ky = 0; ky < 3; ky++)
                            for (size_t kx = 0; kx < 3; kx++) {
                                const long iy = (long)(y + ky) - (long)lc->pt, ix = (long)(x + kx) - (long)lc->pl;
                                int xv = lc->x_zp;
                                if (iy >= 0 && ix >= 0 && iy < (long)lc->h && ix < (long)lc->w)
                                    xv = in[((b * lc->h + (size_t)iy) * lc->w + (size_t)ix) * in_s + ci];
                                acc += (xv - lc->x_zp) * w[((o * lc->c + ci) * 3 + ky) * 3 + kx];
                            }
                    const size_t at = ((b * oh + y) * ow + x) * lc->k + o;
                    want[at] = lc->residual ? et_qs8_requantize_residual(acc, scale[o], res[at], &rq)
                                            : et_qs8_requantize(acc, scale[o], &rq);
                }
    et_qwinograd *op = NULL;
    et_err err = {0};
    size_t bad = out_n;
    if (et_qwinograd_create(cfg, lc->c, lc->k, w, bias, scale, lc->x_zp, &rq, &op, &err) == ET_OK) {
        if (!scratch_threads)
            scratch_threads = (size_t)et_threadpool_size(pool);
        const size_t sbytes = et_qwinograd_scratch_bytes(op, lc->n, oh, ow, scratch_threads);
        void *scratch = et_aligned_alloc(sbytes); /* no slack, unlike xalloc */
        if (!scratch) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
        const et_qwinograd_args a = {.batch = lc->n,
                                     .in_h = lc->h,
                                     .in_w = lc->w,
                                     .out_h = oh,
                                     .out_w = ow,
                                     .pad_top = lc->pt,
                                     .pad_left = lc->pl,
                                     .input = in,
                                     .input_stride = in_s,
                                     .output = out,
                                     .output_stride = lc->k,
                                     .residual = lc->residual ? res : NULL,
                                     .residual_stride = lc->k,
                                     .scratch = scratch,
                                     .scratch_threads = scratch_threads};
        bad = 0;
        for (int round = 0; round < rounds; round++) {
            memset(out, 0x5a, out_n);
            et_qwinograd_run(op, &a, pool);
            for (size_t i = 0; i < out_n; i++)
                bad += out[i] != want[i];
        }
        et_aligned_free(scratch);
        et_qwinograd_destroy(op);
    }
    et_aligned_free(in), et_aligned_free(w), et_aligned_free(out), et_aligned_free(want), et_aligned_free(res);
    et_aligned_free(bias), et_aligned_free(scale);
    return bad;
}

static size_t layer_mismatches(const et_qs8_wino_config *cfg, const layer_case *lc, et_threadpool *pool) {
    return layer_runs_mismatches(cfg, lc, pool, 0, 1);
}

static const layer_case layers[] = {
    /* n  c  h   w   k  pt pl pb pr ie  xzp  res */
    {1, 1, 4, 4, 1, 1, 1, 1, 1, 0, 0, 0},     {1, 3, 5, 7, 17, 1, 1, 1, 1, 2, -128, 1},
    {2, 16, 9, 6, 16, 1, 1, 1, 1, 0, 127, 0}, {1, 17, 7, 7, 33, 0, 0, 0, 0, 3, 12, 1},
    {1, 31, 11, 5, 20, 2, 1, 0, 2, 0, -7, 0}, {1, 64, 14, 14, 64, 1, 1, 1, 1, 0, -128, 1},
    {1, 67, 6, 9, 41, 1, 0, 1, 1, 1, 40, 0},  {2, 40, 8, 8, 67, 1, 1, 1, 1, 0, 0, 1},
};

static void sweep_layers(const et_qs8_wino_config *cfg) {
    et_err err = {0};
    et_threadpool *two = et_threadpool_create(2, &err);
    ET_REQUIRE(two != NULL);
    et_threadpool_set_start_ns(two, 0);
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
        const layer_case *lc = &layers[i];
        ET_CHECK_MSG(layer_mismatches(cfg, lc, i % 2 ? two : NULL) == 0,
                     "%s layer %zux%zux%zux%zu -> %zu pads %zu %zu %zu %zu differs from the direct convolution",
                     cfg->name, lc->n, lc->h, lc->w, lc->c, lc->k, lc->pt, lc->pl, lc->pb, lc->pr);
    }
    et_threadpool_destroy(two);
}

static void test_layers_vs_direct(void) {
    KT_SWEEP_CONFIGS(et_qs8_wino_config, et_qs8_wino_configs, name, sweep_layers, 0);
}

/* Each thread works in its own slot of a scratch of one block per thread: 3 threads over a layer of many blocks
 * (34x30 outputs, 255 tiles, blocks of 24), repeated, must give the exact result every time (two threads in one
 * slot would overwrite each other's tiles), with the scratch sized exactly for 3 threads, for 2 (a bigger pool
 * then uses 2) and for 1; and the scratch is one block per thread, not the layer's tiles. */
static void threads_own_slots(const et_qs8_wino_config *cfg) {
    et_err err = {0};
    et_threadpool *three = et_threadpool_create(3, &err);
    ET_REQUIRE(three != NULL);
    et_threadpool_set_start_ns(three, 0);
    const layer_case lc = {1, 48, 34, 30, 40, 1, 1, 1, 1, 0, -9, 1};
    for (size_t sized_for = 3; sized_for >= 1; sized_for--)
        ET_CHECK_MSG(layer_runs_mismatches(cfg, &lc, three, sized_for, 6) == 0,
                     "%s: 3 threads with scratch for %zu differ from the direct convolution", cfg->name, sized_for);
    et_threadpool_destroy(three);
    et_qwinograd *op = NULL;
    static int8_t w[48 * 64 * 9];
    float sc[64];
    for (size_t o = 0; o < 64; o++)
        sc[o] = 0.01f;
    et_qs8_requant_params rq;
    et_qs8_requant_params_init(&rq, 0, -128, 127, 0.0f, 0);
    KT_REQUIRE_OK(et_qwinograd_create(cfg, 48, 64, w, NULL, sc, 0, &rq, &op, &err));
    const size_t whole_layer = 28 * 28 * 16 * (48 * 2 + 64 * 4); /* 56x56 outputs: 784 tiles' V and M */
    const size_t one = et_qwinograd_scratch_bytes(op, 1, 56, 56, 1), two = et_qwinograd_scratch_bytes(op, 1, 56, 56, 2);
    ET_CHECK_MSG(one > 0 && one <= 256 * 1024 + 4096, "one thread's scratch is %zu bytes", one);
    ET_CHECK(two == 2 * one && et_qwinograd_scratch_bytes(op, 1, 56, 56, 0) == one && one < whole_layer / 8);
    ET_CHECK(et_qwinograd_scratch_bytes(op, 1, 2, 2, 4) < one); /* one tile: one slot of one tile */
    et_qwinograd_destroy(op);
}

static void test_threads_own_slots(void) {
    KT_SWEEP_CONFIGS(et_qs8_wino_config, et_qs8_wino_configs, name, threads_own_slots, 0);
}

/* A transform that is wrong in one coefficient (B^T's v[3] = d1 - d3 read as d1 + d3 on the first channel). */
static void broken_input(size_t channels, size_t kc, const int8_t *const *d, int32_t x_zp, int16_t *v,
                         size_t v_stride) {
    et_qs8_wino_input_2x2__scalar(channels, kc, d, x_zp, v, v_stride);
    v[3 * v_stride] = (int16_t)(v[3 * v_stride] + 2 * ((int32_t)d[7][0] - x_zp));
}

static void test_broken_transform_fails(void) {
    et_qs8_wino_config broken = *scalar_config();
    broken.input = broken_input;
    broken.name = "broken";
    const layer_case lc = {1, 8, 6, 6, 16, 1, 1, 1, 1, 0, 3, 0};
    ET_CHECK_MSG(layer_mismatches(&broken, &lc, NULL) > 0, "a broken input transform went unnoticed");
    ET_CHECK(layer_mismatches(scalar_config(), &lc, NULL) == 0);
}

static void test_choose(void) {
    const et_qs8_wino_config *s = scalar_config();
    ET_CHECK(!et_qwinograd_choose(s, 1, 56, 56, 64, 64)); /* scalar kernels: never by themselves */
    size_t n;
    const et_qs8_wino_config *best = et_qs8_wino_configs(&n);
    if (best->req != ET_KREQ_SCALAR && et_kreq_runnable(best->req)) {
        ET_CHECK(et_qwinograd_choose(best, 1, 56, 56, 64, 64));
        ET_CHECK(!et_qwinograd_choose(best, 1, 7, 7, 512, 512)); /* too few tiles */
        ET_CHECK(!et_qwinograd_choose(best, 1, 56, 56, 8, 64));  /* too few channels */
        ET_CHECK(!et_qwinograd_choose(best, 1, 28, 28, 32, 24)); /* 24: slower than igemm on a Zen 3 */
        ET_CHECK(!et_qwinograd_choose(best, 1, 28, 28, 24, 32));
        ET_CHECK(et_qwinograd_choose(best, 1, 28, 28, 32, 32));
        ET_CHECK(!et_qwinograd_choose(best, 1, 56, 56, 2048, 64)); /* int32 bound */
    }
    et_qwinograd *op = NULL;
    et_err err = {0};
    int8_t w[9] = {0};
    float sc = 1.0f;
    et_qs8_requant_params rq;
    et_qs8_requant_params_init(&rq, 0, -128, 127, 0.0f, 0);
    ET_CHECK(et_qwinograd_create(s, ET_QS8_WINO_MAX_CHANNELS + 1, 1, w, NULL, &sc, 0, &rq, &op, &err) == ET_E_INPUT);
    ET_CHECK(op == NULL);
}

int main(void) {
    ET_RUN(test_kernels_vs_scalar);
    ET_RUN(test_weight_transform);
    ET_RUN(test_layers_vs_direct);
    ET_RUN(test_threads_own_slots);
    ET_RUN(test_broken_transform_fails);
    ET_RUN(test_choose);
    return et_test_done();
}
