/* f32-maxpool-xp8c-avx2.c: AVX2 max-pooling kernel, any window, 8 channels per step (see f32-pool.h); the
 * last n % 8 channels use masked loads and stores. */
#include <immintrin.h>
#include <stdint.h>

#include "engine/kernels/f32-pool/f32-pool.h"

static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

ET_F32_MAXPOOL_UKERNEL(et_f32_maxpool_ukernel_xp8c__avx2) {
    ET_F32_POOL_REQUIRE();
    const __m256 vmin = _mm256_set1_ps(params->min), vmax = _mm256_set1_ps(params->max);
    for (size_t x = 0; x < output_pixels; x++) {
        size_t c = 0;
        for (; c + 8 <= channels; c += 8) {
            __m256 m = _mm256_loadu_ps((const float *)((uintptr_t)input[0] + input_offset) + c);
            for (size_t t = 1; t < ks; t++)
                m = _mm256_max_ps(m, _mm256_loadu_ps((const float *)((uintptr_t)input[t] + input_offset) + c));
            _mm256_storeu_ps(output + c, _mm256_max_ps(_mm256_min_ps(m, vmax), vmin));
        }
        if (c < channels) {
            const __m256i mask = _mm256_loadu_si256((const __m256i *)&mask_table[8 - (channels - c)]);
            __m256 m = _mm256_maskload_ps((const float *)((uintptr_t)input[0] + input_offset) + c, mask);
            for (size_t t = 1; t < ks; t++)
                m = _mm256_max_ps(m, _mm256_maskload_ps((const float *)((uintptr_t)input[t] + input_offset) + c, mask));
            _mm256_maskstore_ps(output + c, mask, _mm256_max_ps(_mm256_min_ps(m, vmax), vmin));
        }
        input += input_stride;
        output += output_stride;
    }
}
