/* test_f32_pool.c: the pooling kernels of every ISA against naive double-precision pooling over the same
 * indirection buffer: channel counts 1..40 (every tail), windows of 1, 4, 9 and 25 taps, several pixels with
 * strides wider than needed, a non-zero input offset, zero taps (avgpool), per-pixel scales and clamps.
 * maxpool must be exact; averages within the bound of ks fp32 adds and one multiply. */
#include <stdint.h>

#include "engine/kernels/f32-pool/f32-pool.h"
#include "kernel_test.h"

static void check_pool(const et_f32_pool_config *cfg, size_t channels, size_t ks, float lo, float hi) {
    const size_t pool_px = 9, off_px = 2, pixels = 3, in_stride = ks + 1, out_stride = channels + 3;
    float *pool = kt_alloc((pool_px + off_px) * channels), *zero = kt_alloc(channels);
    float *out = kt_alloc(pixels * out_stride), *scale = kt_alloc(pixels);
    const float **ind = malloc(pixels * in_stride * sizeof *ind);
    kt_fill(pool, (pool_px + off_px) * channels, -3.0f, 3.0f);
    for (size_t c = 0; c < channels; c++)
        zero[c] = 0.0f;
    kt_fill(scale, pixels, 0.05f, 1.0f);
    const size_t off = off_px * channels * sizeof(float);
    const et_f32_minmax_params p = {lo, hi};
    for (int kind = 0; kind < 2; kind++) { /* 0: max, 1: average */
        for (size_t i = 0; i < pixels * in_stride; i++)
            ind[i] = kind == 1 && kt_rand_u32() % 4 == 0 ? zero : pool + (kt_rand_u32() % pool_px) * channels;
        for (size_t i = 0; i < pixels * out_stride; i++)
            out[i] = 12345.0f;
        if (kind == 0)
            cfg->maxpool(pixels, ks, channels, ind, off, in_stride, out, out_stride, &p);
        else
            cfg->avgpool(pixels, ks, channels, ind, off, zero, in_stride, scale, out, out_stride, &p);
        int bad = 0;
        for (size_t x = 0; x < pixels; x++) {
            for (size_t c = 0; c < channels && bad < 3; c++) {
                double ref = kind == 0 ? -INFINITY : 0.0, abs_sum = 0.0;
                for (size_t t = 0; t < ks; t++) {
                    const float *in = ind[x * in_stride + t];
                    const double v = in == zero ? 0.0 : in[off_px * channels + c];
                    ref = kind == 0 ? (v > ref ? v : ref) : ref + v;
                    abs_sum += fabs(v);
                }
                if (kind == 1)
                    ref *= scale[x], abs_sum *= scale[x];
                ref = ref < lo ? lo : ref > hi ? hi : ref;
                const double tol = kind == 0 ? 0.0 : (double)(ks + 1) * 1.2e-7 * abs_sum;
                const float got = out[x * out_stride + c];
                if (!(fabs(got - ref) <= tol)) {
                    ET_CHECK_MSG(0, "%s channels=%zu ks=%zu: [%zu][%zu] = %.9g, want %.9g",
                                 kind ? cfg->avgpool_name : cfg->maxpool_name, channels, ks, x, c, got, ref);
                    bad++;
                }
            }
            for (size_t c = channels; c < out_stride; c++)
                if (out[x * out_stride + c] != 12345.0f && bad++ < 3)
                    ET_CHECK_MSG(0, "%s channels=%zu wrote past the channels",
                                 kind ? cfg->avgpool_name : cfg->maxpool_name, channels);
        }
    }
    /* global average over `pixels * 5` rows with a row stride wider than channels */
    const size_t rows = 5 + channels % 7, gstride = channels + 2;
    float *g = kt_alloc(rows * gstride);
    kt_fill(g, rows * gstride, -2.0f, 2.0f);
    for (size_t c = 0; c <= channels; c++)
        out[c] = 12345.0f;
    cfg->gavgpool(rows, channels, g, gstride, 1.0f / (float)rows, out, &p);
    for (size_t c = 0; c < channels; c++) {
        double ref = 0, abs_sum = 0;
        for (size_t r = 0; r < rows; r++)
            ref += g[r * gstride + c], abs_sum += fabs(g[r * gstride + c]);
        ref /= (double)rows;
        abs_sum /= (double)rows;
        ref = ref < lo ? lo : ref > hi ? hi : ref;
        ET_CHECK_MSG(fabs(out[c] - ref) <= (double)(rows + 1) * 1.2e-7 * abs_sum + 1e-30,
                     "%s channels=%zu rows=%zu: [%zu] = %.9g, want %.9g", cfg->gavgpool_name, channels, rows, c, out[c],
                     ref);
    }
    ET_CHECK_MSG(out[channels] == 12345.0f, "%s wrote past the channels", cfg->gavgpool_name);
    free(ind);
    et_aligned_free(g);
    et_aligned_free(pool);
    et_aligned_free(zero);
    et_aligned_free(out);
    et_aligned_free(scale);
}

static void sweep(const et_f32_pool_config *cfg) {
    const size_t kss[] = {1, 4, 9, 25};
    for (size_t channels = 1; channels <= 40; channels++)
        for (size_t i = 0; i < 4; i++)
            check_pool(cfg, channels, kss[i], -INFINITY, INFINITY);
    check_pool(cfg, 37, 9, 0.0f, 6.0f);
    check_pool(cfg, 64, 4, -0.5f, 0.5f);
}

static void test_all_configs(void) {
    KT_SWEEP_CONFIGS(et_f32_pool_config, et_f32_pool_configs, maxpool_name, sweep, 0);
}

int main(void) {
    ET_RUN(test_all_configs);
    return et_test_done();
}
