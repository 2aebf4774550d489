/* f32-dwconv.h: fp32 depthwise-convolution microkernels, NHWC, channels vectorised (XNNPACK's dwconv).
 *
 * A call computes output_width pixels of one output row. For each output pixel the indirection buffer holds
 * ks pointers, one per kernel tap (tap = ky * kw + kx), each to that tap's input pixel (its `channels` values);
 * padding taps point at `zero`, a buffer of at least `channels` zeros, and every other pointer gets
 * input_offset bytes added before use. The pointers of pixel x + 1 start input_stride pointers after those of
 * pixel x; output pixel x starts at output + x * output_stride (floats). Any stride, dilation and padding is
 * therefore the indirection buffer's business, not the kernel's.
 *
 * Weights are packed per tile of CT channels: [bias x CT][tap 0: w x CT]...[tap ks-1: w x CT]; channels past the
 * end of the last tile are zero. The "9p" kernels take exactly 9 taps (3x3, the common case) with their pointers
 * held in registers; the "xp" kernels take any ks. */
#ifndef ET_KERNELS_F32_DWCONV_H
#define ET_KERNELS_F32_DWCONV_H

#include <stddef.h>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/params.h"
#include "engine/kernels/precondition.h"

typedef void (*et_f32_dwconv_ukernel_fn)(size_t channels, size_t output_width, size_t ks, const float **input,
                                         const float *weights, float *output, size_t input_stride, size_t output_stride,
                                         size_t input_offset, const float *zero, const et_f32_minmax_params *params);

#define ET_F32_DWCONV_UKERNEL(name)                                                                             \
    void name(size_t channels, size_t output_width, size_t ks, const float **input, const float *weights,       \
              float *output, size_t input_stride, size_t output_stride, size_t input_offset, const float *zero, \
              const et_f32_minmax_params *params)

/* What every depthwise kernel checks on entry (precondition.h): the tap count a "9p" kernel is built for
 * (TAPS = 9; 0 for the "xp" kernels, which take any), and an input_offset that keeps moved rows aligned to floats. */
#define ET_F32_DWCONV_REQUIRE(TAPS)                           \
    do {                                                      \
        ET_KERNEL_REQUIRE((TAPS) == 0 || ks == (TAPS));       \
        ET_KERNEL_REQUIRE(input_offset % sizeof(float) == 0); \
    } while (0)

ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_xp1c__scalar);
ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_9p16c__avx2);
ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_xp16c__avx2);
ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_9p32c__avx512f);
ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_xp32c__avx512f);
ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_9p8c__neon);
ET_F32_DWCONV_UKERNEL(et_f32_dwconv_ukernel_xp8c__neon);

typedef struct et_f32_dwconv_config {
    et_f32_dwconv_ukernel_fn ukernel_9p; /* NULL when the ISA has none: use ukernel_xp */
    et_f32_dwconv_ukernel_fn ukernel_xp;
    size_t channel_tile;
    const char *name_9p, *name_xp; /* "f32-dwconv-9p16c-avx2" */
    et_kreq req;                   /* what the CPU must have (dispatch.h) */
} et_f32_dwconv_config;

/* The config for the ISA path chosen at start: the first entry of the table this CPU and the path allow (never
 * NULL: scalar at worst; dispatch.h). */
const et_f32_dwconv_config *et_f32_dwconv_config_get(void);

/* Every config this build has, best first, scalar last (tests and benchmarks; check et_kreq_runnable before
 * calling a kernel). *count receives the number. */
const et_f32_dwconv_config *et_f32_dwconv_configs(size_t *count);

/* Floats in packed weights: round_up(channels, ct) * (ks + 1). */
size_t et_f32_dwconv_packed_floats(size_t ct, size_t channels, size_t ks);

/* Packs depthwise weights w[c][tap] (ONNX [C, 1, kh, kw]) and bias (NULL: zeros) into tiles of ct channels. */
void et_f32_dwconv_pack(size_t ct, size_t channels, size_t ks, const float *w, const float *bias, float *packed);

#endif
