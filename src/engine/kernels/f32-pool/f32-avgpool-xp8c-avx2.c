/* f32-avgpool-xp8c-avx2.c: AVX2 average-pooling kernel, any window, 8 channels per step (see f32-pool.h); the
 * last n % 8 channels use masked loads and stores. */
#include <immintrin.h>
#include <stdint.h>

#include "engine/kernels/f32-pool/f32-pool.h"

static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

static inline const float *tap(const float *p, const float *zero, size_t input_offset) {
    return p == zero ? p : (const float *)((uintptr_t)p + input_offset);
}

ET_F32_AVGPOOL_UKERNEL(et_f32_avgpool_ukernel_xp8c__avx2) {
    ET_F32_POOL_REQUIRE();
    const __m256 vmin = _mm256_set1_ps(params->min), vmax = _mm256_set1_ps(params->max);
    for (size_t x = 0; x < output_pixels; x++) {
        const __m256 vscale = _mm256_broadcast_ss(scale + x);
        size_t c = 0;
        for (; c + 8 <= channels; c += 8) {
            __m256 sum = _mm256_setzero_ps();
            for (size_t t = 0; t < ks; t++)
                sum = _mm256_add_ps(sum, _mm256_loadu_ps(tap(input[t], zero, input_offset) + c));
            _mm256_storeu_ps(output + c, _mm256_max_ps(_mm256_min_ps(_mm256_mul_ps(sum, vscale), vmax), vmin));
        }
        if (c < channels) {
            const __m256i mask = _mm256_loadu_si256((const __m256i *)&mask_table[8 - (channels - c)]);
            __m256 sum = _mm256_setzero_ps();
            for (size_t t = 0; t < ks; t++)
                sum = _mm256_add_ps(sum, _mm256_maskload_ps(tap(input[t], zero, input_offset) + c, mask));
            _mm256_maskstore_ps(output + c, mask, _mm256_max_ps(_mm256_min_ps(_mm256_mul_ps(sum, vscale), vmax), vmin));
        }
        input += input_stride;
        output += output_stride;
    }
}
