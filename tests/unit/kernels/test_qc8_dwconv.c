/* test_qc8_dwconv.c: every quantized depthwise kernel this CPU runs against the scalar one, bit for bit, and the
 * scalar one against a naive sum: channels 1..40 (tails of every vector width), taps 1, 2, 3, 4, 9, 25, several
 * output pixels with overlapping indirection (input_stride < ks), padding taps on the zero buffer (which must not
 * be offset) with a non-zero input_offset, clamps, zero points and a residual, separate and in place. */
#include <string.h>

#include "engine/kernels/qc8-dwconv/qc8-dwconv.h"
#include "kernel_test.h"

static int8_t rand_s8(void) { return (int8_t)(kt_rand_u32() & 255); }

static const et_qdwconv_config *scalar_dw(void) {
    size_t n;
    const et_qdwconv_config *c = et_qdwconv_configs(&n);
    return &c[n - 1];
}

static void *xalloc(size_t bytes) {
    void *p = et_aligned_alloc(bytes + 64);
    if (!p)
        exit(1);
    return p;
}

/* scale_mul multiplies the requantization scales: large values push most outputs past both clamps (and some
 * products past the int16 and int32 ranges), where the SIMD kernels clamp the lower bound after packing. */
static int check(const et_qdwconv_config *cfg, size_t channels, size_t ks, size_t width, int residual, int32_t x_zp,
                 float scale_mul) {
    const int use9 = ks == 9 && cfg->ukernel_9p;
    const et_qdwconv_config *ref = scalar_dw();
    const size_t pool = 7, offset_px = 2, stride = ks > 1 ? ks - 1 : 1, nptr = (width - 1) * stride + ks;
    int8_t *in = xalloc((pool + offset_px) * channels), *zero = xalloc(channels), *w = xalloc(channels * ks);
    int8_t *o1 = xalloc(width * (channels + 5)), *o2 = xalloc(width * (channels + 5)),
           *res = xalloc(width * (channels + 5));
    int32_t *bias = xalloc(channels * 4);
    float *scale = xalloc(channels * 4);
    const void **ind = malloc(nptr * sizeof *ind);
    for (size_t i = 0; i < (pool + offset_px) * channels; i++)
        in[i] = rand_s8();
    for (size_t i = 0; i < channels * ks; i++)
        w[i] = (int8_t)((int)(kt_rand_u32() % 255) - 127);
    for (size_t c = 0; c < channels; c++)
        bias[c] = (int32_t)(kt_rand_u32() % 4001) - 2000,
        scale[c] = kt_rand_f32(0.2f, 1.0f) / (40.0f * (float)ks) * scale_mul;
    memset(zero, (uint8_t)x_zp, channels);
    for (size_t i = 0; i < width * (channels + 5); i++)
        res[i] = rand_s8();
    for (size_t i = 0; i < nptr; i++)
        ind[i] = kt_rand_u32() % 5 == 0 ? (const void *)zero : (const void *)(in + (kt_rand_u32() % pool) * channels);
    void *p1 = xalloc(et_qdwconv_packed_bytes(cfg, channels, ks)),
         *p2 = xalloc(et_qdwconv_packed_bytes(ref, channels, ks));
    et_qdwconv_pack(cfg, channels, ks, w, bias, scale, x_zp, p1);
    et_qdwconv_pack(ref, channels, ks, w, bias, scale, x_zp, p2);
    et_qs8_requant_params rp;
    et_qs8_requant_params_init(&rp, 4, -120, 126, 0.41f, 3);
    const size_t os = channels + 5, off = offset_px * channels;
    for (int pass = 0; pass < 2; pass++) {
        int8_t *o = pass ? o2 : o1;
        memset(o, 0x33, width * os);
        if (residual == 2)
            memcpy(o, res, width * os);
        const int8_t *r = residual == 1 ? res : residual == 2 ? o : NULL;
        const et_qdwconv_ukernel_fn fn = pass ? ref->ukernel : use9 ? cfg->ukernel_9p : cfg->ukernel;
        fn(channels, width, ks, ind, pass ? p2 : p1, o, stride, os, off, zero, r, os, &rp);
    }
    int bad = memcmp(o1, o2, width * os) != 0;
    ET_CHECK_MSG(!bad, "%s channels=%zu ks=%zu width=%zu residual=%d zp=%d differs from scalar",
                 use9 ? cfg->name_9p : cfg->name, channels, ks, width, residual, (int)x_zp);
    /* the scalar kernel against a naive sum */
    for (size_t x = 0; x < width && !bad; x++)
        for (size_t c = 0; c < channels && !bad; c++) {
            int32_t acc = bias[c];
            for (size_t t = 0; t < ks; t++) {
                const int8_t *px = ind[x * stride + t];
                if (px != zero)
                    px += off;
                acc += ((int32_t)px[c] - x_zp) * w[c * ks + t];
            }
            float f = (float)acc * scale[c];
            const float fr = (float)((int32_t)res[x * os + c] - 3) * 0.41f; /* separate: no FMA contraction */
            if (residual)
                f = f + fr;
            const int8_t want = et_qs8_round_clamp(f, &rp);
            if (o2[x * os + c] != want) {
                ET_CHECK_MSG(0, "scalar dwconv pixel %zu channel %zu = %d, naive %d", x, c, o2[x * os + c], want);
                bad = 1;
            }
        }
    free(ind);
    et_aligned_free(in), et_aligned_free(zero), et_aligned_free(w), et_aligned_free(o1), et_aligned_free(o2);
    et_aligned_free(res), et_aligned_free(bias), et_aligned_free(scale), et_aligned_free(p1), et_aligned_free(p2);
    return bad;
}

static void test_all_configs(void) {
    size_t n;
    const et_qdwconv_config *cfgs = et_qdwconv_configs(&n);
    for (size_t i = 0; i < n; i++) {
        if (!et_kreq_runnable(cfgs[i].req)) {
            fprintf(stderr, "skip %s: this CPU lacks %s\n", cfgs[i].name, et_kreq_name(cfgs[i].req));
            continue;
        }
        const size_t kss[] = {1, 2, 3, 4, 9, 25, 81};
        int failures = 0;
        for (size_t ch = 1; ch <= 40 && failures < 3; ch++)
            for (size_t k = 0; k < sizeof kss / sizeof kss[0]; k++)
                failures += check(&cfgs[i], ch, kss[k], 1 + ch % 4, (int)(ch % 3), (int32_t)(ch * 29 % 256) - 128,
                                  1.0f);
        check(&cfgs[i], 144, 9, 5, 0, -128, 1.0f);
        check(&cfgs[i], 960, 9, 2, 2, 127, 1.0f);
        check(&cfgs[i], 400, 9, 19, 1, -3, 1.0f); /* many channels over many pixels */
        check(&cfgs[i], 1000, 9, 11, 2, 60, 1.0f);
        /* saturation: scales x 50 (past both clamps) and x 1e8 (past the int32 range after scaling) */
        for (size_t ch = 13; ch <= 48; ch += 35)
            for (int res = 0; res < 3; res++) {
                check(&cfgs[i], ch, 9, 4, res, 17, 50.0f);
                check(&cfgs[i], ch, 9, 3, res, -90, 1e8f);
                check(&cfgs[i], ch, 25, 2, res, 5, 1e8f);
            }
    }
}

int main(void) {
    ET_RUN(test_all_configs);
    return et_test_done();
}
