/* f32-dwconv-xp16c-avx2.c: AVX2+FMA depthwise kernel, any number of taps, 16 channels per step
 * (see f32-dwconv.h). The taps of one 16-channel tile form a dependent FMA chain; consecutive tiles are
 * independent, so the out-of-order core overlaps them. The last tile uses masked loads and stores so that no
 * byte past `channels` is touched. */
#include <immintrin.h>
#include <stdint.h>

#include "engine/kernels/f32-dwconv/f32-dwconv.h"

static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

static inline const float *tap(const float *p, const float *zero, size_t input_offset) {
    return p == zero ? p : (const float *)((uintptr_t)p + input_offset);
}

ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_xp16c__avx2) {
    const __m256 vmin = _mm256_set1_ps(params->min);
    const __m256 vmax = _mm256_set1_ps(params->max);
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
