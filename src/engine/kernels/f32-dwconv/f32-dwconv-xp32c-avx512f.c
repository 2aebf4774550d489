/* f32-dwconv-xp32c-avx512f.c: AVX-512F depthwise kernel, any number of taps, 32 channels per step
 * (see f32-dwconv.h). The last tile uses masked loads and stores (masked-off lanes never fault), and only its low
 * half when it has 16 channels or fewer (the same sums for those channels). */
#include <immintrin.h>
#include <stdint.h>

#include "engine/kernels/f32-dwconv/f32-dwconv.h"

static inline const float *tap(const float *p, const float *zero, size_t input_offset) {
    return p == zero ? p : (const float *)((uintptr_t)p + input_offset);
}

ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_xp32c__avx512f) {
    ET_F32_DWCONV_REQUIRE(0);
    const __m512 vmin = _mm512_set1_ps(params->min);
    const __m512 vmax = _mm512_set1_ps(params->max);
    for (size_t x = 0; x < output_width; x++) {
        const float *w = weights;
        for (size_t c = 0; c < channels; c += 32) {
            const size_t rem = channels - c;
            const __mmask16 m0 = (__mmask16)(rem >= 16 ? 0xffff : (1u << rem) - 1);
            if (rem <= 16) { /* a last tile of 16 or fewer channels: its high half would be all padding */
                __m512 acc = _mm512_loadu_ps(w);
                const float *wt = w + 32;
                for (size_t t = 0; t < ks; t++) {
                    const float *in = tap(input[t], zero, input_offset) + c;
                    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, in), _mm512_loadu_ps(wt), acc);
                    wt += 32;
                }
                _mm512_mask_storeu_ps(output + c, m0, _mm512_max_ps(_mm512_min_ps(acc, vmax), vmin));
                break;
            }
            const __mmask16 m1 = (__mmask16)(rem >= 32 ? 0xffff : (1u << (rem - 16)) - 1);
            __m512 acc0 = _mm512_loadu_ps(w), acc1 = _mm512_loadu_ps(w + 16);
            const float *wt = w + 32;
            for (size_t t = 0; t < ks; t++) {
                const float *in = tap(input[t], zero, input_offset) + c;
                acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, in), _mm512_loadu_ps(wt), acc0);
                acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, in + 16), _mm512_loadu_ps(wt + 16), acc1);
                wt += 32;
            }
            acc0 = _mm512_max_ps(_mm512_min_ps(acc0, vmax), vmin);
            acc1 = _mm512_max_ps(_mm512_min_ps(acc1, vmax), vmin);
            _mm512_mask_storeu_ps(output + c, m0, acc0);
            _mm512_mask_storeu_ps(output + c + 16, m1, acc1);
            w += 32 * (ks + 1);
        }
        input += input_stride;
        output += output_stride;
    }
}
