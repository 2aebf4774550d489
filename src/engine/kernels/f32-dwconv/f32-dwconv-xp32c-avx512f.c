/* f32-dwconv-xp32c-avx512f.c: AVX-512F depthwise kernel, any number of taps, 32 channels per step
 * (see f32-dwconv.h).
 *
 * As xp16c-avx2: output pixels go in blocks of 8, the block's tap pointers resolved once into a table, then each
 * 32-channel tile runs over every pixel of the block, two pixels at a time (a pair shares each weight load and
 * keeps four FMA chains in flight; the block's input slice and the tile's weights stay in L1, where one pixel at a
 * time over 240 channels x 25 taps streamed from L2). Kernels with more than 64 taps take a pixel-at-a-time loop.
 * The last tile uses masked loads and stores (masked-off lanes never fault), and only its low half when it has 16
 * channels or fewer. Every output is bias + taps in tap order, whichever loop computes it. */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/kernels/f32-dwconv/f32-dwconv.h"

enum { BLOCK = 8, TABLE_TAPS = 64 };

static inline const float *tap(const float *p, const float *zero, size_t input_offset) {
    return p == zero ? p : (const float *)((uintptr_t)p + input_offset);
}

static inline __m512 clamp(__m512 v, __m512 vmin, __m512 vmax) { return _mm512_max_ps(_mm512_min_ps(v, vmax), vmin); }

/* One 32-channel tile (channels c .. c+31; m0/m1 the live lanes of each half; half: the high half is all padding
 * and is skipped) over the n pixels of a block whose tap pointers are taps[p * ks + t]. */
static inline __attribute__((always_inline)) void tile_over_block(size_t n, size_t ks, const float *const *taps,
                                                                  size_t c, const float *w, float *output,
                                                                  size_t output_stride, __mmask16 m0, __mmask16 m1,
                                                                  bool half, __m512 vmin, __m512 vmax) {
    const __m512 b0 = _mm512_loadu_ps(w), b1 = _mm512_loadu_ps(w + 16);
    size_t p = 0;
    for (; p + 2 <= n; p += 2) {
        const float *const *ta = taps + p * ks, *const *tb = ta + ks;
        __m512 a0 = b0, a1 = b1, c0 = b0, c1 = b1;
        const float *wt = w + 32;
        for (size_t t = 0; t < ks; t++, wt += 32) {
            const __m512 w0 = _mm512_loadu_ps(wt);
            a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, ta[t] + c), w0, a0);
            c0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, tb[t] + c), w0, c0);
            if (!half) {
                const __m512 w1 = _mm512_loadu_ps(wt + 16);
                a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, ta[t] + c + 16), w1, a1);
                c1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, tb[t] + c + 16), w1, c1);
            }
        }
        float *o0 = output + p * output_stride + c, *o1 = o0 + output_stride;
        _mm512_mask_storeu_ps(o0, m0, clamp(a0, vmin, vmax));
        _mm512_mask_storeu_ps(o1, m0, clamp(c0, vmin, vmax));
        if (!half) {
            _mm512_mask_storeu_ps(o0 + 16, m1, clamp(a1, vmin, vmax));
            _mm512_mask_storeu_ps(o1 + 16, m1, clamp(c1, vmin, vmax));
        }
    }
    if (p < n) {
        const float *const *ta = taps + p * ks;
        __m512 a0 = b0, a1 = b1;
        const float *wt = w + 32;
        for (size_t t = 0; t < ks; t++, wt += 32) {
            a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, ta[t] + c), _mm512_loadu_ps(wt), a0);
            if (!half)
                a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, ta[t] + c + 16), _mm512_loadu_ps(wt + 16), a1);
        }
        float *o0 = output + p * output_stride + c;
        _mm512_mask_storeu_ps(o0, m0, clamp(a0, vmin, vmax));
        if (!half)
            _mm512_mask_storeu_ps(o0 + 16, m1, clamp(a1, vmin, vmax));
    }
}

static void blocked(size_t channels, size_t output_width, size_t ks, const float **input, const float *weights,
                    float *output, size_t input_stride, size_t output_stride, size_t input_offset, const float *zero,
                    __m512 vmin, __m512 vmax) {
    const float *taps[BLOCK * TABLE_TAPS];
    for (size_t x0 = 0; x0 < output_width; x0 += BLOCK) {
        const size_t n = output_width - x0 < BLOCK ? output_width - x0 : BLOCK;
        for (size_t p = 0; p < n; p++)
            for (size_t t = 0; t < ks; t++)
                taps[p * ks + t] = tap(input[p * input_stride + t], zero, input_offset);
        const float *w = weights;
        size_t c = 0;
        for (; c + 32 <= channels; c += 32, w += 32 * (ks + 1))
            tile_over_block(n, ks, taps, c, w, output, output_stride, 0xffff, 0xffff, false, vmin, vmax);
        if (c < channels) {
            const size_t rem = channels - c;
            const __mmask16 m0 = (__mmask16)(rem >= 16 ? 0xffff : (1u << rem) - 1);
            if (rem <= 16)
                tile_over_block(n, ks, taps, c, w, output, output_stride, m0, 0, true, vmin, vmax);
            else
                tile_over_block(n, ks, taps, c, w, output, output_stride, m0, (__mmask16)((1u << (rem - 16)) - 1),
                                false, vmin, vmax);
        }
        input += n * input_stride;
        output += n * output_stride;
    }
}

ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_xp32c__avx512f) {
    ET_F32_DWCONV_REQUIRE(0);
    const __m512 vmin = _mm512_set1_ps(params->min);
    const __m512 vmax = _mm512_set1_ps(params->max);
    if (ks <= TABLE_TAPS) {
        blocked(channels, output_width, ks, input, weights, output, input_stride, output_stride, input_offset, zero,
                vmin, vmax);
        return;
    }
    for (size_t x = 0; x < output_width; x++) {
        const float *w = weights;
        for (size_t c = 0; c < channels; c += 32) {
            const size_t rem = channels - c;
            const __mmask16 m0 = (__mmask16)(rem >= 16 ? 0xffff : (1u << rem) - 1);
            const __mmask16 m1 = (__mmask16)(rem >= 32 ? 0xffff : rem > 16 ? (1u << (rem - 16)) - 1 : 0);
            __m512 acc0 = _mm512_loadu_ps(w), acc1 = _mm512_loadu_ps(w + 16);
            const float *wt = w + 32;
            for (size_t t = 0; t < ks; t++) {
                const float *in = tap(input[t], zero, input_offset) + c;
                acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, in), _mm512_loadu_ps(wt), acc0);
                acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, in + 16), _mm512_loadu_ps(wt + 16), acc1);
                wt += 32;
            }
            _mm512_mask_storeu_ps(output + c, m0, clamp(acc0, vmin, vmax));
            _mm512_mask_storeu_ps(output + c + 16, m1, clamp(acc1, vmin, vmax));
            w += 32 * (ks + 1);
        }
        input += input_stride;
        output += output_stride;
    }
}
