/* qc8-dwconv.h: quantized depthwise-convolution microkernels, NHWC, channels vectorised: int8 input, per-channel
 * int8 weights, int32 accumulation, fp32 requantization (qparams.h).
 *
 * The call contract is f32-dwconv.h's: output_width pixels of one output row; pixel x's ks tap pointers start
 * at input + x * input_stride; a pointer equal to `zero` (padding: `channels` bytes of zp_x) gets no
 * input_offset; output pixel x at output + x * output_stride (bytes). A residual r (NULL: none), pixel x at
 * r + x * r_stride, is added before rounding; r may equal output (in place). Kernels read exactly `channels`
 * bytes of each input pixel.
 *
 * Weights are packed per tile of CT channels (channels past the end zero):
 *   [int32 bias' x CT][weights][float scale x CT]      bias' = bias - zp_x * sum of the channel's taps
 * with the weights in one of two layouts:
 *   S8_TAPS      for each tap, CT int8 (padded to 4 bytes per tile)
 *   S16_PAIRS    (vpmaddwd; CT = 16 for AVX2, 32 for AVX-512) for each pair of taps (t, t + 1; a last odd tap
 *                pairs with zero), two vectors of CT/2 (w_t, w_t+1) int16 pairs: first channels 8k..8k+3, then
 *                8k+4..8k+7 (k = 0..CT/8-1; for CT = 16: 0-3, 8-11, then 4-7, 12-15), the order vpunpck{l,h}wd
 *                leaves CT widened channels in within each 128-bit lane; bias' and scale follow the same order. */
#ifndef ET_KERNELS_QC8_DWCONV_H
#define ET_KERNELS_QC8_DWCONV_H

#include <stddef.h>
#include <stdint.h>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/precondition.h"
#include "engine/kernels/qparams.h"

typedef void (*et_qdwconv_ukernel_fn)(size_t channels, size_t output_width, size_t ks, const void **input,
                                      const void *weights, int8_t *output, size_t input_stride, size_t output_stride,
                                      size_t input_offset, const void *zero, const int8_t *r, size_t r_stride,
                                      const et_qs8_requant_params *params);

#define ET_QDWCONV_UKERNEL(name)                                                                                \
    void name(size_t channels, size_t output_width, size_t ks, const void **input, const void *weights,         \
              int8_t *output, size_t input_stride, size_t output_stride, size_t input_offset, const void *zero, \
              const int8_t *r, size_t r_stride, const et_qs8_requant_params *params)

/* What every quantized depthwise kernel checks on entry (precondition.h): the tap count a "9p" kernel is built
 * for (TAPS = 9; 0 for the "xp" kernels, which take any), and packed weights aligned to 4 bytes (the tiles' int32
 * biases and float scales are read in place). */
#define ET_QDWCONV_REQUIRE(TAPS)                        \
    do {                                                \
        ET_KERNEL_REQUIRE((TAPS) == 0 || ks == (TAPS)); \
        ET_KERNEL_REQUIRE((uintptr_t)weights % 4 == 0); \
    } while (0)

/* A tap's input pointer: p itself when it is the zero buffer (padding gets no input_offset), else p + input_offset
 * bytes. */
static inline const int8_t *et_qdw_tap(const void *p, const void *zero, size_t input_offset) {
    return p == zero ? (const int8_t *)p : (const int8_t *)((uintptr_t)p + input_offset);
}

/* px[t] = et_qdw_tap(input[t0 + t]) for t < kn: the "xp" kernels resolve a pixel's taps once, not per tile. */
static inline void et_qdw_resolve(const void **input, size_t t0, size_t kn, size_t input_offset, const void *zero,
                                  const int8_t **px) {
    for (size_t t = 0; t < kn; t++)
        px[t] = et_qdw_tap(input[t0 + t], zero, input_offset);
}

ET_QDWCONV_UKERNEL(et_qc8_dwconv_ukernel_xp1c__scalar);
ET_QDWCONV_UKERNEL(et_qc8_dwconv_ukernel_xp16c__avx2);
ET_QDWCONV_UKERNEL(et_qc8_dwconv_ukernel_9p16c__avx2);
ET_QDWCONV_UKERNEL(et_qc8_dwconv_ukernel_xp32c__avx512f);
ET_QDWCONV_UKERNEL(et_qc8_dwconv_ukernel_9p32c__avx512f);
ET_QDWCONV_UKERNEL(et_qc8_dwconv_ukernel_xp16c__neon);

typedef enum { ET_QDW_S8_TAPS, ET_QDW_S16_PAIRS } et_qdw_layout;

typedef struct et_qdwconv_config {
    et_qdwconv_ukernel_fn ukernel_9p; /* exactly 9 taps (3x3); NULL: use ukernel */
    et_qdwconv_ukernel_fn ukernel;
    size_t channel_tile;
    et_qdw_layout layout;
    et_kreq req;
    const char *name_9p, *name; /* "qc8-dwconv-9p16c-avx2", "qc8-dwconv-xp16c-avx2" */
} et_qdwconv_config;

/* Every config this build has, best first, scalar last (tests and benchmarks; check et_kreq_runnable before
 * calling a kernel). *count receives the number. */
const et_qdwconv_config *et_qdwconv_configs(size_t *count);

/* The config for the ISA path chosen at start: the first entry of the table this CPU and the path allow (never
 * NULL: scalar at worst; dispatch.h). */
const et_qdwconv_config *et_qdwconv_config_get(void);

/* Bytes of packed weights for `channels` channels of ks taps; 0 on overflow. */
size_t et_qdwconv_packed_bytes(const et_qdwconv_config *cfg, size_t channels, size_t ks);

/* Packs depthwise weights w[c][tap] (ONNX [C, 1, kh, kw], |w| <= 127), bias (int32, NULL: zeros; gets
 * -zp_x * sum(w) folded in) and per-channel requantization scales. */
void et_qdwconv_pack(const et_qdwconv_config *cfg, size_t channels, size_t ks, const int8_t *w, const int32_t *bias,
                     const float *scale, int32_t a_zero_point, void *packed);

#endif
