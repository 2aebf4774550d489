/* f32-dwconv-xp16c-avx2.c: AVX2+FMA depthwise kernel, any number of taps, 16 channels per step
 * (see f32-dwconv.h).
 *
 * Output pixels go in blocks of 8: the block's tap pointers are resolved once into a table, then each 16-channel
 * tile runs over every pixel of the block, two pixels at a time. A 5x5 kernel over 240 channels reads 24 KB of
 * input and 25 KB of weights per pixel, more than L1 holds, so one pixel at a time ran from L2 (about 9 GMAC/s
 * on MobileNetV3's 5x5 layers); per tile the block's input slice and the tile's weights (a few KB) stay in L1,
 * and a pixel pair shares each weight load and keeps four FMA chains in flight. Kernels with more than 64 taps
 * take the simple pixel-at-a-time loop. The last tile uses masked loads and stores so that no byte past
 * `channels` is touched. */
#include <immintrin.h>
#include <stdint.h>

#include "engine/kernels/f32-dwconv/f32-dwconv.h"

static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

static inline const float *tap(const float *p, const float *zero, size_t input_offset) {
    return p == zero ? p : (const float *)((uintptr_t)p + input_offset);
}

enum { BLOCK = 8, TABLE_TAPS = 64 };

/* Loads 16 channels at p (masked: m0/m1 select the live lanes of each half). */
#define LOAD_LO(p) (masked ? _mm256_maskload_ps((p), m0) : _mm256_loadu_ps(p))
#define LOAD_HI(p) (masked ? _mm256_maskload_ps((p), m1) : _mm256_loadu_ps(p))

/* One 16-channel tile (channels c .. c+15, `masked` for the last partial one) over the n pixels of a block. */
static inline __attribute__((always_inline)) void tile_over_block(size_t n, size_t ks, const float *const *taps,
                                                                  size_t c, const float *w, float *output,
                                                                  size_t output_stride, int masked, __m256i m0,
                                                                  __m256i m1, __m256 vmin, __m256 vmax) {
    const __m256 b0 = _mm256_loadu_ps(w), b1 = _mm256_loadu_ps(w + 8);
    size_t p = 0;
    for (; p + 2 <= n; p += 2) {
        const float *const *ta = taps + p * ks, *const *tb = ta + ks;
        __m256 a0 = b0, a1 = b1, c0 = b0, c1 = b1;
        const float *wt = w + 16;
        for (size_t t = 0; t < ks; t++, wt += 16) {
            const __m256 w0 = _mm256_loadu_ps(wt), w1 = _mm256_loadu_ps(wt + 8);
            a0 = _mm256_fmadd_ps(LOAD_LO(ta[t] + c), w0, a0);
            a1 = _mm256_fmadd_ps(LOAD_HI(ta[t] + c + 8), w1, a1);
            c0 = _mm256_fmadd_ps(LOAD_LO(tb[t] + c), w0, c0);
            c1 = _mm256_fmadd_ps(LOAD_HI(tb[t] + c + 8), w1, c1);
        }
        float *o0 = output + p * output_stride + c, *o1 = o0 + output_stride;
        a0 = _mm256_max_ps(_mm256_min_ps(a0, vmax), vmin), a1 = _mm256_max_ps(_mm256_min_ps(a1, vmax), vmin);
        c0 = _mm256_max_ps(_mm256_min_ps(c0, vmax), vmin), c1 = _mm256_max_ps(_mm256_min_ps(c1, vmax), vmin);
        if (masked) {
            _mm256_maskstore_ps(o0, m0, a0), _mm256_maskstore_ps(o0 + 8, m1, a1);
            _mm256_maskstore_ps(o1, m0, c0), _mm256_maskstore_ps(o1 + 8, m1, c1);
        } else {
            _mm256_storeu_ps(o0, a0), _mm256_storeu_ps(o0 + 8, a1);
            _mm256_storeu_ps(o1, c0), _mm256_storeu_ps(o1 + 8, c1);
        }
    }
    if (p < n) {
        const float *const *ta = taps + p * ks;
        __m256 a0 = b0, a1 = b1;
        const float *wt = w + 16;
        for (size_t t = 0; t < ks; t++, wt += 16) {
            a0 = _mm256_fmadd_ps(LOAD_LO(ta[t] + c), _mm256_loadu_ps(wt), a0);
            a1 = _mm256_fmadd_ps(LOAD_HI(ta[t] + c + 8), _mm256_loadu_ps(wt + 8), a1);
        }
        float *o0 = output + p * output_stride + c;
        a0 = _mm256_max_ps(_mm256_min_ps(a0, vmax), vmin), a1 = _mm256_max_ps(_mm256_min_ps(a1, vmax), vmin);
        if (masked) {
            _mm256_maskstore_ps(o0, m0, a0), _mm256_maskstore_ps(o0 + 8, m1, a1);
        } else {
            _mm256_storeu_ps(o0, a0), _mm256_storeu_ps(o0 + 8, a1);
        }
    }
}

static void blocked(size_t channels, size_t output_width, size_t ks, const float **input, const float *weights,
                    float *output, size_t input_stride, size_t output_stride, size_t input_offset, const float *zero,
                    __m256 vmin, __m256 vmax) {
    const float *taps[BLOCK * TABLE_TAPS];
    const __m256i none = _mm256_setzero_si256();
    for (size_t x0 = 0; x0 < output_width; x0 += BLOCK) {
        const size_t n = output_width - x0 < BLOCK ? output_width - x0 : BLOCK;
        for (size_t p = 0; p < n; p++)
            for (size_t t = 0; t < ks; t++)
                taps[p * ks + t] = tap(input[p * input_stride + t], zero, input_offset);
        const float *w = weights;
        size_t c = 0;
        for (; c + 16 <= channels; c += 16, w += 16 * (ks + 1))
            tile_over_block(n, ks, taps, c, w, output, output_stride, 0, none, none, vmin, vmax);
        if (c < channels) {
            const size_t rem = channels - c;
            const __m256i m0 = _mm256_loadu_si256((const __m256i *)&mask_table[8 - (rem < 8 ? rem : 8)]);
            const __m256i m1 = rem > 8 ? _mm256_loadu_si256((const __m256i *)&mask_table[16 - rem]) : none;
            tile_over_block(n, ks, taps, c, w, output, output_stride, 1, m0, m1, vmin, vmax);
        }
        input += n * input_stride;
        output += n * output_stride;
    }
}

ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_xp16c__avx2) {
    ET_F32_DWCONV_REQUIRE(0);
    const __m256 vmin = _mm256_set1_ps(params->min);
    const __m256 vmax = _mm256_set1_ps(params->max);
    if (ks <= TABLE_TAPS) {
        blocked(channels, output_width, ks, input, weights, output, input_stride, output_stride, input_offset, zero,
                vmin, vmax);
        return;
    }
    for (size_t x = 0; x < output_width; x++) {
        const float *w = weights;
        size_t c = 0;
        for (; c + 16 <= channels; c += 16) {
            __m256 acc0 = _mm256_loadu_ps(w), acc1 = _mm256_loadu_ps(w + 8);
            const float *wt = w + 16;
            for (size_t t = 0; t < ks; t++) {
                const float *in = tap(input[t], zero, input_offset) + c;
                acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(in), _mm256_loadu_ps(wt), acc0);
                acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(in + 8), _mm256_loadu_ps(wt + 8), acc1);
                wt += 16;
            }
            acc0 = _mm256_max_ps(_mm256_min_ps(acc0, vmax), vmin);
            acc1 = _mm256_max_ps(_mm256_min_ps(acc1, vmax), vmin);
            _mm256_storeu_ps(output + c, acc0);
            _mm256_storeu_ps(output + c + 8, acc1);
            w += 16 * (ks + 1);
        }
        if (c < channels) {
            const size_t rem = channels - c;
            const __m256i m0 = _mm256_loadu_si256((const __m256i *)&mask_table[8 - (rem < 8 ? rem : 8)]);
            const __m256i m1 = rem > 8 ? _mm256_loadu_si256((const __m256i *)&mask_table[16 - rem])
                                       : _mm256_setzero_si256();
            __m256 acc0 = _mm256_loadu_ps(w), acc1 = _mm256_loadu_ps(w + 8);
            const float *wt = w + 16;
            for (size_t t = 0; t < ks; t++) {
                const float *in = tap(input[t], zero, input_offset) + c;
                acc0 = _mm256_fmadd_ps(_mm256_maskload_ps(in, m0), _mm256_loadu_ps(wt), acc0);
                acc1 = _mm256_fmadd_ps(_mm256_maskload_ps(in + 8, m1), _mm256_loadu_ps(wt + 8), acc1);
                wt += 16;
            }
            acc0 = _mm256_max_ps(_mm256_min_ps(acc0, vmax), vmin);
            acc1 = _mm256_max_ps(_mm256_min_ps(acc1, vmax), vmin);
            _mm256_maskstore_ps(output + c, m0, acc0);
            _mm256_maskstore_ps(output + c + 8, m1, acc1);
        }
        input += input_stride;
        output += output_stride;
    }
}
