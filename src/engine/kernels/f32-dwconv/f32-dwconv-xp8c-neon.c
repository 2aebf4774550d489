/* f32-dwconv-xp8c-neon.c: aarch64 NEON depthwise kernel, any number of taps, 8 channels per step
 * (see f32-dwconv.h).
 *
 * Output pixels go in blocks of 8, as in f32-dwconv-xp16c-avx2.c: the block's tap pointers are resolved once into
 * a table, then each 8-channel tile runs over every pixel of the block, two pixels at a time, so the block's input
 * slice and the tile's weights stay in L1 (a 5x5 kernel over 240 channels touches 49 KB per pixel, more than a
 * Cortex-A72's or A76's 32 KB L1) and a pixel pair shares each weight load. Kernels with more than 64 taps take
 * the pixel-at-a-time loop. A last tile of fewer than 8 channels runs 4 at a time and then one at a time, so that
 * nothing past `channels` is read. */
#include <arm_neon.h>
#include <stdint.h>

#include "engine/kernels/f32-dwconv/f32-dwconv.h"

enum { BLOCK = 8, TABLE_TAPS = 64 };

static inline const float *tap(const float *p, const float *zero, size_t input_offset) {
    return p == zero ? p : (const float *)((uintptr_t)p + input_offset);
}

static inline float32x4_t clamp(float32x4_t v, float32x4_t vmin, float32x4_t vmax) {
    return vmaxq_f32(vminq_f32(v, vmax), vmin);
}

/* The partial last tile (channels c .. channels-1, fewer than 8) of one pixel whose tap pointers are taps[];
 * w points at the tile's bias. */
static void partial_tile(size_t channels, size_t c, size_t ks, const float *const *taps, const float *w, float *output,
                         float32x4_t vmin, float32x4_t vmax, const et_f32_minmax_params *params) {
    size_t j = 0;
    if (channels - c >= 4) {
        float32x4_t acc = vld1q_f32(w);
        for (size_t t = 0; t < ks; t++)
            acc = vfmaq_f32(acc, vld1q_f32(taps[t] + c), vld1q_f32(w + 8 * (t + 1)));
        vst1q_f32(output + c, clamp(acc, vmin, vmax));
        j = 4;
    }
    for (; c + j < channels; j++) {
        float acc = w[j];
        for (size_t t = 0; t < ks; t++)
            acc += taps[t][c + j] * w[8 * (t + 1) + j];
        acc = acc < params->min ? params->min : acc;
        output[c + j] = acc > params->max ? params->max : acc;
    }
}

static void blocked(size_t channels, size_t output_width, size_t ks, const float **input, const float *weights,
                    float *output, size_t input_stride, size_t output_stride, size_t input_offset, const float *zero,
                    const et_f32_minmax_params *params) {
    const float32x4_t vmin = vdupq_n_f32(params->min), vmax = vdupq_n_f32(params->max);
    const float *taps[BLOCK * TABLE_TAPS];
    for (size_t x0 = 0; x0 < output_width; x0 += BLOCK) {
        const size_t n = output_width - x0 < BLOCK ? output_width - x0 : BLOCK;
        for (size_t p = 0; p < n; p++)
            for (size_t t = 0; t < ks; t++)
                taps[p * ks + t] = tap(input[p * input_stride + t], zero, input_offset);
        const float *w = weights;
        size_t c = 0;
        for (; c + 8 <= channels; c += 8, w += 8 * (ks + 1)) {
            const float32x4_t b0 = vld1q_f32(w), b1 = vld1q_f32(w + 4);
            size_t p = 0;
            for (; p + 2 <= n; p += 2) {
                const float *const *ta = taps + p * ks, *const *tb = ta + ks;
                float32x4_t a0 = b0, a1 = b1, c0 = b0, c1 = b1;
                const float *wt = w + 8;
                for (size_t t = 0; t < ks; t++, wt += 8) {
                    const float32x4_t w0 = vld1q_f32(wt), w1 = vld1q_f32(wt + 4);
                    a0 = vfmaq_f32(a0, vld1q_f32(ta[t] + c), w0);
                    a1 = vfmaq_f32(a1, vld1q_f32(ta[t] + c + 4), w1);
                    c0 = vfmaq_f32(c0, vld1q_f32(tb[t] + c), w0);
                    c1 = vfmaq_f32(c1, vld1q_f32(tb[t] + c + 4), w1);
                }
                float *o0 = output + p * output_stride + c, *o1 = o0 + output_stride;
                vst1q_f32(o0, clamp(a0, vmin, vmax)), vst1q_f32(o0 + 4, clamp(a1, vmin, vmax));
                vst1q_f32(o1, clamp(c0, vmin, vmax)), vst1q_f32(o1 + 4, clamp(c1, vmin, vmax));
            }
            if (p < n) {
                const float *const *ta = taps + p * ks;
                float32x4_t a0 = b0, a1 = b1;
                const float *wt = w + 8;
                for (size_t t = 0; t < ks; t++, wt += 8) {
                    a0 = vfmaq_f32(a0, vld1q_f32(ta[t] + c), vld1q_f32(wt));
                    a1 = vfmaq_f32(a1, vld1q_f32(ta[t] + c + 4), vld1q_f32(wt + 4));
                }
                float *o0 = output + p * output_stride + c;
                vst1q_f32(o0, clamp(a0, vmin, vmax)), vst1q_f32(o0 + 4, clamp(a1, vmin, vmax));
            }
        }
        if (c < channels)
            for (size_t p = 0; p < n; p++)
                partial_tile(channels, c, ks, taps + p * ks, w, output + p * output_stride, vmin, vmax, params);
        input += n * input_stride;
        output += n * output_stride;
    }
}

ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_xp8c__neon) {
    ET_F32_DWCONV_REQUIRE(0);
    if (ks <= TABLE_TAPS) {
        blocked(channels, output_width, ks, input, weights, output, input_stride, output_stride, input_offset, zero,
                params);
        return;
    }
    const float32x4_t vmin = vdupq_n_f32(params->min);
    const float32x4_t vmax = vdupq_n_f32(params->max);
    for (size_t x = 0; x < output_width; x++) {
        const float *w = weights;
        size_t c = 0;
        for (; c + 8 <= channels; c += 8) {
            float32x4_t acc0 = vld1q_f32(w), acc1 = vld1q_f32(w + 4);
            const float *wt = w + 8;
            for (size_t t = 0; t < ks; t++) {
                const float *in = tap(input[t], zero, input_offset) + c;
                acc0 = vfmaq_f32(acc0, vld1q_f32(in), vld1q_f32(wt));
                acc1 = vfmaq_f32(acc1, vld1q_f32(in + 4), vld1q_f32(wt + 4));
                wt += 8;
            }
            vst1q_f32(output + c, clamp(acc0, vmin, vmax));
            vst1q_f32(output + c + 4, clamp(acc1, vmin, vmax));
            w += 8 * (ks + 1);
        }
        if (c < channels) { /* one partial tile: w points at its bias */
            size_t j = 0;
            if (channels - c >= 4) {
                float32x4_t acc = vld1q_f32(w);
                for (size_t t = 0; t < ks; t++)
                    acc = vfmaq_f32(acc, vld1q_f32(tap(input[t], zero, input_offset) + c), vld1q_f32(w + 8 * (t + 1)));
                vst1q_f32(output + c, clamp(acc, vmin, vmax));
                j = 4;
            }
            for (; c + j < channels; j++) {
                float acc = w[j];
                for (size_t t = 0; t < ks; t++)
                    acc += tap(input[t], zero, input_offset)[c + j] * w[8 * (t + 1) + j];
                acc = acc < params->min ? params->min : acc;
                output[c + j] = acc > params->max ? params->max : acc;
            }
        }
        input += input_stride;
        output += output_stride;
    }
}
