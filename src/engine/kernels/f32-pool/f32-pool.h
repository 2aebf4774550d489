/* f32-pool.h: fp32 pooling microkernels, NHWC, channels vectorised: max pooling, average pooling and global
 * average pooling. One folder for the three small families, since they share the indirection scheme of
 * f32-dwconv.h and the operator layer uses them together.
 *
 * maxpool / avgpool: a call computes output_pixels pixels; pixel x reads ks input pixels through the pointers
 * input[x * input_stride + tap], each with input_offset bytes added (except `zero` for avgpool). Max pooling
 * never points at padding: the indirection buffer names a valid pixel of the window instead, which leaves the
 * maximum unchanged. Average pooling points padding taps at `zero` (at least `channels` zeros) and scales pixel
 * x by scale[x] (1 / taps counted, so either ONNX count_include_pad choice is the caller's table).
 * gavgpool: output[c] = scale * sum over rows r of input[r * input_stride + c]. All clamp their output. */
#ifndef ET_KERNELS_F32_POOL_H
#define ET_KERNELS_F32_POOL_H

#include <stddef.h>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/params.h"
#include "engine/kernels/precondition.h"

typedef void (*et_f32_maxpool_ukernel_fn)(size_t output_pixels, size_t ks, size_t channels, const float **input,
                                          size_t input_offset, size_t input_stride, float *output, size_t output_stride,
                                          const et_f32_minmax_params *params);
typedef void (*et_f32_avgpool_ukernel_fn)(size_t output_pixels, size_t ks, size_t channels, const float **input,
                                          size_t input_offset, const float *zero, size_t input_stride,
                                          const float *scale, float *output, size_t output_stride,
                                          const et_f32_minmax_params *params);
typedef void (*et_f32_gavgpool_ukernel_fn)(size_t rows, size_t channels, const float *input, size_t input_stride,
                                           float scale, float *output, const et_f32_minmax_params *params);

#define ET_F32_MAXPOOL_UKERNEL(name)                                                                      \
    void name(size_t output_pixels, size_t ks, size_t channels, const float **input, size_t input_offset, \
              size_t input_stride, float *output, size_t output_stride, const et_f32_minmax_params *params)
#define ET_F32_AVGPOOL_UKERNEL(name)                                                                           \
    void name(size_t output_pixels, size_t ks, size_t channels, const float **input, size_t input_offset,      \
              const float *zero, size_t input_stride, const float *scale, float *output, size_t output_stride, \
              const et_f32_minmax_params *params)
#define ET_F32_GAVGPOOL_UKERNEL(name)                                                                            \
    void name(size_t rows, size_t channels, const float *input, size_t input_stride, float scale, float *output, \
              const et_f32_minmax_params *params)

/* What the pooling kernels check on entry (precondition.h): max/avgpool, an input_offset that keeps moved rows
 * aligned to floats; gavgpool, the operands it reads and writes when there is a channel to pool. */
#define ET_F32_POOL_REQUIRE() ET_KERNEL_REQUIRE(input_offset % sizeof(float) == 0)
#define ET_F32_GAVGPOOL_REQUIRE() ET_KERNEL_REQUIRE(channels == 0 || (input != NULL && output != NULL))

ET_F32_MAXPOOL_UKERNEL(et_f32_maxpool_ukernel_xp1c__scalar);
ET_F32_MAXPOOL_UKERNEL(et_f32_maxpool_ukernel_xp8c__avx2);
ET_F32_MAXPOOL_UKERNEL(et_f32_maxpool_ukernel_xp4c__neon);
ET_F32_AVGPOOL_UKERNEL(et_f32_avgpool_ukernel_xp1c__scalar);
ET_F32_AVGPOOL_UKERNEL(et_f32_avgpool_ukernel_xp8c__avx2);
ET_F32_AVGPOOL_UKERNEL(et_f32_avgpool_ukernel_xp4c__neon);
ET_F32_GAVGPOOL_UKERNEL(et_f32_gavgpool_ukernel_x1c__scalar);
ET_F32_GAVGPOOL_UKERNEL(et_f32_gavgpool_ukernel_x8c__avx2);
ET_F32_GAVGPOOL_UKERNEL(et_f32_gavgpool_ukernel_x4c__neon);

/* Pooling is a small share of any model's time, so AVX-512 machines run the AVX2 kernels. */
typedef struct et_f32_pool_config {
    et_f32_maxpool_ukernel_fn maxpool;
    et_f32_avgpool_ukernel_fn avgpool;
    et_f32_gavgpool_ukernel_fn gavgpool;
    const char *maxpool_name, *avgpool_name, *gavgpool_name;
    et_kreq req; /* what the CPU must have (dispatch.h) */
} et_f32_pool_config;

/* The config for the ISA path chosen at start: the first entry of the table this CPU and the path allow (never
 * NULL: scalar at worst; dispatch.h). */
const et_f32_pool_config *et_f32_pool_config_get(void);

/* Every config this build has, best first, scalar last (tests and benchmarks; check et_kreq_runnable before
 * calling a kernel). *count receives the number. */
const et_f32_pool_config *et_f32_pool_configs(size_t *count);

#endif
