/* f32-gavgpool-x8c-avx2.c: AVX2 global-average-pooling kernel, 8 channels per step, 4 rows per inner step into
 * separate sums (so the adds do not wait on each other); masked loads and stores on the last n % 8 channels
 * (see f32-pool.h). */
#include <immintrin.h>
#include <stdint.h>

#include "engine/kernels/f32-pool/f32-pool.h"

static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

ET_F32_GAVGPOOL_UKERNEL(et_f32_gavgpool_ukernel_x8c__avx2) {
    ET_F32_GAVGPOOL_REQUIRE();
    const __m256 vmin = _mm256_set1_ps(params->min), vmax = _mm256_set1_ps(params->max);
    const __m256 vscale = _mm256_set1_ps(scale);
    for (size_t c = 0; c < channels; c += 8) {
        const size_t rem = channels - c;
        const __m256i mask = _mm256_loadu_si256((const __m256i *)&mask_table[8 - (rem < 8 ? rem : 8)]);
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        const float *in = input + c;
        size_t r = 0;
        for (; r + 4 <= rows; r += 4) {
            s0 = _mm256_add_ps(s0, _mm256_maskload_ps(in, mask));
            s1 = _mm256_add_ps(s1, _mm256_maskload_ps(in + input_stride, mask));
            s2 = _mm256_add_ps(s2, _mm256_maskload_ps(in + 2 * input_stride, mask));
            s3 = _mm256_add_ps(s3, _mm256_maskload_ps(in + 3 * input_stride, mask));
            in += 4 * input_stride;
        }
        for (; r < rows; r++) {
            s0 = _mm256_add_ps(s0, _mm256_maskload_ps(in, mask));
            in += input_stride;
        }
        const __m256 sum = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
        _mm256_maskstore_ps(output + c, mask, _mm256_max_ps(_mm256_min_ps(_mm256_mul_ps(sum, vscale), vmax), vmin));
    }
}
