/* f32-dwconv-9p32c-avx512f.c: AVX-512F depthwise kernel for exactly 9 taps (3x3), 32 channels per step
 * (see f32-dwconv.h): tap pointers resolved once per output pixel, masked loads and stores on the last tile, which
 * runs its low half only when it has 16 channels or fewer (the same sums for those channels). */
#include <immintrin.h>
#include <stdint.h>

#include "engine/kernels/f32-dwconv/f32-dwconv.h"

static inline const float *tap(const float *p, const float *zero, size_t input_offset) {
    return p == zero ? p : (const float *)((uintptr_t)p + input_offset);
}

/* Over this many channels (more than 576 x 10 x 4 = 23 KB of packed weights) the blocked xp32c kernel is faster:
 * measured on MobileNetV2 (per-step minima), 960 channels 0.022 -> 0.016 ms, but 144-576 channels 1.1-1.3x slower
 * there (its tap table costs a load per tap; the weights stay in L1 anyway). It computes the same sums. */
enum { BLOCKED_MIN_CHANNELS = 577 };

ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_9p32c__avx512f) {
    ET_F32_DWCONV_REQUIRE(9);
    if (channels >= BLOCKED_MIN_CHANNELS) {
        et_f32_dwconv_ukernel_xp32c__avx512f(channels, output_width, ks, input, weights, output, input_stride,
                                             output_stride, input_offset, zero, params);
        return;
    }
    const __m512 vmin = _mm512_set1_ps(params->min);
    const __m512 vmax = _mm512_set1_ps(params->max);
    for (size_t x = 0; x < output_width; x++) {
        const float *in[9];
        for (size_t t = 0; t < 9; t++)
            in[t] = tap(input[t], zero, input_offset);
        const float *i0 = in[0], *i1 = in[1], *i2 = in[2], *i3 = in[3], *i4 = in[4], *i5 = in[5], *i6 = in[6];
        const float *i7 = in[7], *i8 = in[8];
        const float *w = weights;
        for (size_t c = 0; c < channels; c += 32) {
            const size_t rem = channels - c;
            const __mmask16 m0 = (__mmask16)(rem >= 16 ? 0xffff : (1u << rem) - 1);
            if (rem <= 16) { /* a last tile of 16 or fewer channels: its high half would be all padding */
                __m512 acc = _mm512_loadu_ps(w);
#define TAP(n) acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, i##n + c), _mm512_loadu_ps(w + 32 * (n + 1)), acc)
                TAP(0);
                TAP(1);
                TAP(2);
                TAP(3);
                TAP(4);
                TAP(5);
                TAP(6);
                TAP(7);
                TAP(8);
#undef TAP
                _mm512_mask_storeu_ps(output + c, m0, _mm512_max_ps(_mm512_min_ps(acc, vmax), vmin));
                break;
            }
            const __mmask16 m1 = (__mmask16)(rem >= 32 ? 0xffff : (1u << (rem - 16)) - 1);
            __m512 acc0 = _mm512_loadu_ps(w), acc1 = _mm512_loadu_ps(w + 16);
#define TAP(n)                                                                                            \
    acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, i##n + c), _mm512_loadu_ps(w + 32 * (n + 1)), acc0); \
    acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, i##n + c + 16), _mm512_loadu_ps(w + 32 * (n + 1) + 16), acc1)
            TAP(0);
            TAP(1);
            TAP(2);
            TAP(3);
            TAP(4);
            TAP(5);
            TAP(6);
            TAP(7);
            TAP(8);
#undef TAP
            acc0 = _mm512_max_ps(_mm512_min_ps(acc0, vmax), vmin);
            acc1 = _mm512_max_ps(_mm512_min_ps(acc1, vmax), vmin);
            _mm512_mask_storeu_ps(output + c, m0, acc0);
            _mm512_mask_storeu_ps(output + c + 16, m1, acc1);
            w += 32 * 10;
        }
        input += input_stride;
        output += output_stride;
    }
}
