/* test_f32_dwconv.c: every depthwise microkernel against a naive double-precision sum over its indirection
 * buffer: channel counts around every tile size (tails), 9 and other tap counts, several output pixels with an
 * input stride wider than ks, output strides wider than channels, zero-buffer taps, a non-zero input offset,
 * and clamps. Tolerance: the bound of ks fp32 multiply-adds. */
#include <stdint.h>

#include "engine/kernels/f32-dwconv/f32-dwconv.h"
#include "kernel_test.h"

static void check_dwconv(const et_f32_dwconv_config *cfg, int use9, size_t channels, size_t ks, size_t width,
                         float cmin, float cmax) {
    const et_f32_dwconv_ukernel_fn fn = use9 ? cfg->ukernel_9p : cfg->ukernel_xp;
    const char *name = use9 ? cfg->name_9p : cfg->name_xp;
    const size_t pool_px = 11, offset_px = 2, in_stride = ks + 2, out_stride = channels + 5;
    float *pool = kt_alloc((pool_px + offset_px) * channels);
    float *zero = kt_alloc(channels);
    float *w = kt_alloc(channels * ks), *bias = kt_alloc(channels);
    float *packed = kt_alloc(et_f32_dwconv_packed_floats(cfg->channel_tile, channels, ks));
    float *out = kt_alloc(width * out_stride);
    const float **ind = malloc(width * in_stride * sizeof *ind);
    kt_fill(pool, (pool_px + offset_px) * channels, -1.0f, 1.0f);
    for (size_t i = 0; i < channels; i++)
        zero[i] = 0.0f;
    kt_fill(w, channels * ks, -1.0f, 1.0f);
    kt_fill(bias, channels, -1.0f, 1.0f);
    for (size_t i = 0; i < width * out_stride; i++)
        out[i] = 12345.0f;
    for (size_t i = 0; i < width * in_stride; i++)
        ind[i] = kt_rand_u32() % 4 == 0 ? zero : pool + (kt_rand_u32() % pool_px) * channels;
    et_f32_dwconv_pack(cfg->channel_tile, channels, ks, w, bias, packed);
    const et_f32_minmax_params p = {cmin, cmax};
    fn(channels, width, ks, ind, packed, out, in_stride, out_stride, offset_px * channels * sizeof(float), zero, &p);
    int bad = 0;
    for (size_t x = 0; x < width; x++) {
        for (size_t c = 0; c < channels && bad < 3; c++) {
            double ref = bias[c], abs_sum = fabs(bias[c]);
            for (size_t t = 0; t < ks; t++) {
                const float *in = ind[x * in_stride + t];
                if (in != zero)
                    in += offset_px * channels;
                const double prod = (double)in[c] * w[c * ks + t];
                ref += prod;
                abs_sum += fabs(prod);
            }
            ref = ref < cmin ? cmin : ref > cmax ? cmax : ref;
            const double tol = 2.0 * (double)(ks + 1) * 1.19e-7 * abs_sum + 1.19e-7 * fabs(ref);
            const float got = out[x * out_stride + c];
            if (!(fabs(got - ref) <= tol)) {
                ET_CHECK_MSG(0, "%s channels=%zu ks=%zu: out[%zu][%zu] = %.9g, want %.9g", name, channels, ks, x, c,
                             got, ref);
                bad++;
            }
        }
        for (size_t c = channels; c < out_stride; c++)
            if (out[x * out_stride + c] != 12345.0f && bad++ < 3)
                ET_CHECK_MSG(0, "%s channels=%zu wrote past the channels of pixel %zu", name, channels, x);
    }
    et_test_checks_++;
    free(ind);
    et_aligned_free(pool);
    et_aligned_free(zero);
    et_aligned_free(w);
    et_aligned_free(bias);
    et_aligned_free(packed);
    et_aligned_free(out);
}

static void sweep(const et_f32_dwconv_config *cfg) {
    const size_t ct = cfg->channel_tile;
    for (size_t channels = 1; channels <= 3 * ct + 1; channels++) {
        if (cfg->ukernel_9p)
            check_dwconv(cfg, 1, channels, 9, 3, -INFINITY, INFINITY);
        const size_t kss[] = {1, 2, 3, 9, 25, 49, 81}; /* 81: past the AVX2 tap table */
        for (size_t i = 0; i < sizeof kss / sizeof kss[0]; i++)
            check_dwconv(cfg, 0, channels, kss[i], 2, -INFINITY, INFINITY);
    }
    /* wide channel counts reach the blocked path of kernels that switch on the weight size (AVX2 9p: >= 385),
     * (AVX-512 9p: >= 577), with widths that leave a partial block of pixels */
    const size_t wide[] = {ct * 6 + 3, 97, 144, 385, 400, 963};
    for (size_t i = 0; i < 6; i++) {
        if (cfg->ukernel_9p)
            check_dwconv(cfg, 1, wide[i], 9, 11, -INFINITY, INFINITY);
        if (cfg->ukernel_9p)
            check_dwconv(cfg, 1, wide[i], 9, 17, 0.0f, 6.0f);
        check_dwconv(cfg, 0, wide[i], 25, 4, -0.5f, 0.5f);
    }
}

static void test_all_configs(void) { KT_SWEEP_CONFIGS(et_f32_dwconv_config, et_f32_dwconv_configs, name_xp, sweep, 0); }

int main(void) {
    ET_RUN(test_all_configs);
    return et_test_done();
}
