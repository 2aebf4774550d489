/* f32-dwconv-xp32c-avx512f.c: AVX-512F depthwise kernel, any number of taps, 32 channels per step
 * (see f32-dwconv.h). The last tile uses masked loads and stores (masked-off lanes never fault), and only its low
 * half when it has 16 channels or fewer (the same sums for those channels). Up to XP_HOIST taps (a 5x5 kernel has
 * 25) the tap pointers are resolved once per output pixel, not once per tile: a 240-channel pixel has 8 tiles. */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/kernels/f32-dwconv/f32-dwconv.h"

enum { XP_HOIST = 32 };

static inline const float *tap(const float *p, const float *zero, size_t input_offset) {
    return p == zero ? p : (const float *)((uintptr_t)p + input_offset);
}

/* The kernel's loops; hoisted: ks <= XP_HOIST, the pointers resolved into a per-pixel array. Inlined twice with a
 * constant `hoisted`, so that neither copy tests it per tap. */
static inline __attribute__((always_inline)) void run(size_t channels, size_t output_width, size_t ks,
                                                      const float **input, const float *weights, float *output,
                                                      size_t input_stride, size_t output_stride, size_t input_offset,
                                                      const float *zero, __m512 vmin, __m512 vmax, bool hoisted) {
    const float *res[XP_HOIST];
    for (size_t x = 0; x < output_width; x++) {
        if (hoisted)
            for (size_t t = 0; t < ks; t++)
                res[t] = tap(input[t], zero, input_offset);
#define TAP_PTR(t) ((hoisted ? res[t] : tap(input[t], zero, input_offset)) + c)
        const float *w = weights;
        for (size_t c = 0; c < channels; c += 32) {
            const size_t rem = channels - c;
            const __mmask16 m0 = (__mmask16)(rem >= 16 ? 0xffff : (1u << rem) - 1);
            if (rem <= 16) { /* a last tile of 16 or fewer channels: its high half would be all padding */
                __m512 acc = _mm512_loadu_ps(w);
                const float *wt = w + 32;
                for (size_t t = 0; t < ks; t++) {
                    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, TAP_PTR(t)), _mm512_loadu_ps(wt), acc);
                    wt += 32;
                }
                _mm512_mask_storeu_ps(output + c, m0, _mm512_max_ps(_mm512_min_ps(acc, vmax), vmin));
                break;
            }
            const __mmask16 m1 = (__mmask16)(rem >= 32 ? 0xffff : (1u << (rem - 16)) - 1);
            __m512 acc0 = _mm512_loadu_ps(w), acc1 = _mm512_loadu_ps(w + 16);
            const float *wt = w + 32;
            for (size_t t = 0; t < ks; t++) {
                const float *in = TAP_PTR(t);
                acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, in), _mm512_loadu_ps(wt), acc0);
                acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, in + 16), _mm512_loadu_ps(wt + 16), acc1);
                wt += 32;
            }
#undef TAP_PTR
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

ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_xp32c__avx512f) {
    ET_F32_DWCONV_REQUIRE(0);
    const __m512 vmin = _mm512_set1_ps(params->min);
    const __m512 vmax = _mm512_set1_ps(params->max);
    if (ks <= XP_HOIST)
        run(channels, output_width, ks, input, weights, output, input_stride, output_stride, input_offset, zero, vmin,
            vmax, true);
    else
        run(channels, output_width, ks, input, weights, output, input_stride, output_stride, input_offset, zero, vmin,
            vmax, false);
}
