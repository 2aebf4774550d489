/* f32-dwconv-9p16c-avx2.c: AVX2+FMA depthwise kernel for exactly 9 taps (3x3), 16 channels per step
 * (see f32-dwconv.h). The 9 tap pointers of an output pixel are resolved once and held in registers for the
 * whole channel loop; the last tile uses masked loads and stores. */
#include <immintrin.h>
#include <stdint.h>

#include "engine/kernels/f32-dwconv/f32-dwconv.h"

static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

static inline const float *tap(const float *p, const float *zero, size_t input_offset) {
    return p == zero ? p : (const float *)((uintptr_t)p + input_offset);
}

#define TAP(i)                                                                                               \
    do {                                                                                                     \
        acc0 = _mm256_fmadd_ps(LOAD(i0_##i + c), _mm256_loadu_ps(w + 16 * (i + 1)), acc0);                   \
        acc1 = _mm256_fmadd_ps(LOAD1(i0_##i + c + 8), _mm256_loadu_ps(w + 16 * (i + 1) + 8), acc1);          \
    } while (0)

ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_9p16c__avx2) {
    (void)ks;
    const __m256 vmin = _mm256_set1_ps(params->min);
    const __m256 vmax = _mm256_set1_ps(params->max);
    for (size_t x = 0; x < output_width; x++) {
        const float *i0_0 = tap(input[0], zero, input_offset), *i0_1 = tap(input[1], zero, input_offset);
        const float *i0_2 = tap(input[2], zero, input_offset), *i0_3 = tap(input[3], zero, input_offset);
        const float *i0_4 = tap(input[4], zero, input_offset), *i0_5 = tap(input[5], zero, input_offset);
        const float *i0_6 = tap(input[6], zero, input_offset), *i0_7 = tap(input[7], zero, input_offset);
        const float *i0_8 = tap(input[8], zero, input_offset);
        const float *w = weights;
        size_t c = 0;
        for (; c + 16 <= channels; c += 16) {
            __m256 acc0 = _mm256_loadu_ps(w), acc1 = _mm256_loadu_ps(w + 8);
#define LOAD(p) _mm256_loadu_ps(p)
#define LOAD1(p) _mm256_loadu_ps(p)
            TAP(0); TAP(1); TAP(2); TAP(3); TAP(4); TAP(5); TAP(6); TAP(7); TAP(8);
#undef LOAD
#undef LOAD1
            acc0 = _mm256_max_ps(_mm256_min_ps(acc0, vmax), vmin);
            acc1 = _mm256_max_ps(_mm256_min_ps(acc1, vmax), vmin);
            _mm256_storeu_ps(output + c, acc0);
            _mm256_storeu_ps(output + c + 8, acc1);
            w += 16 * 10;
        }
        if (c < channels) {
            const size_t rem = channels - c;
            const __m256i m0 = _mm256_loadu_si256((const __m256i *)&mask_table[8 - (rem < 8 ? rem : 8)]);
            const __m256i m1 = rem > 8 ? _mm256_loadu_si256((const __m256i *)&mask_table[16 - rem])
                                       : _mm256_setzero_si256();
            __m256 acc0 = _mm256_loadu_ps(w), acc1 = _mm256_loadu_ps(w + 8);
#define LOAD(p) _mm256_maskload_ps(p, m0)
#define LOAD1(p) _mm256_maskload_ps(p, m1)
            TAP(0); TAP(1); TAP(2); TAP(3); TAP(4); TAP(5); TAP(6); TAP(7); TAP(8);
#undef LOAD
#undef LOAD1
            acc0 = _mm256_max_ps(_mm256_min_ps(acc0, vmax), vmin);
            acc1 = _mm256_max_ps(_mm256_min_ps(acc1, vmax), vmin);
            _mm256_maskstore_ps(output + c, m0, acc0);
            _mm256_maskstore_ps(output + c + 8, m1, acc1);
        }
        input += input_stride;
        output += output_stride;
    }
}
