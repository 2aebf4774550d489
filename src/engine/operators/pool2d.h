/* pool2d.h: NHWC pooling operators: max and average pooling (create -> setup -> run) and global average pooling
 * (one call). Windows of any size, stride, dilation (max) and padding go through an indirection buffer built
 * at setup (see indirection.h) and kept while the spatial size stays. ONNX ceil_mode=1 is the same as extra
 * bottom/right padding: pass it in pad_bottom/pad_right (average pooling never counts those taps unless
 * count_include_pad, matching ONNX for windows that stay inside the padded input).
 * Ownership: the operator owns its indirection and scale tables; tensors stay the caller's. */
#ifndef ET_ENGINE_OPERATORS_POOL2D_H
#define ET_ENGINE_OPERATORS_POOL2D_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/threadpool.h"
#include "util/status.h"

typedef enum { ET_POOL_MAX, ET_POOL_AVG } et_pool_kind;

/* Zero-initialise, then set what applies: zero strides and dilations mean 1, zero pixel strides mean dense. */
typedef struct et_pool2d_nhwc_params {
    et_pool_kind kind;
    size_t channels;
    size_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
    size_t pad_top, pad_left, pad_bottom, pad_right;
    bool count_include_pad; /* average pooling: divide by the full window instead of the taps inside the input */
    size_t input_pixel_stride, output_pixel_stride;
    bool clamp;
    float out_min, out_max;
} et_pool2d_nhwc_params;

typedef struct et_pool2d_nhwc et_pool2d_nhwc;

/* Returns ET_E_INPUT for zero sizes or pixel strides narrower than the channels, ET_E_NOMEM. */
et_status et_pool2d_nhwc_create(const et_pool2d_nhwc_params *params, et_pool2d_nhwc **out, et_err *err);
void et_pool2d_nhwc_destroy(et_pool2d_nhwc *op);
/* The output size; false when the padded input is smaller than the dilated window. */
bool et_pool2d_nhwc_output_size(const et_pool2d_nhwc *op, size_t in_h, size_t in_w, size_t *out_h, size_t *out_w);
/* Binds shapes and tensors; ET_E_INPUT for NULL tensors or a too-small input, ET_E_NOMEM. */
et_status et_pool2d_nhwc_setup(et_pool2d_nhwc *op, size_t batch, size_t in_h, size_t in_w, const float *input,
                               float *output, et_err *err);
/* Runs on `pool` (NULL: the caller); ET_E_RUNTIME before a successful setup. Allocates nothing. */
et_status et_pool2d_nhwc_run(et_pool2d_nhwc *op, et_threadpool *pool, et_err *err);
const char *et_pool2d_nhwc_kernel_name(const et_pool2d_nhwc *op);

/* Global average pooling: output[b][c] = clamp(mean over the `pixels` pixels of input[b]), input pixels
 * input_pixel_stride floats apart, output rows output_stride floats apart (0: dense). Pass min/max as
 * -INFINITY/INFINITY for no clamp. Allocates nothing; runs on `pool` (NULL: the caller). */
void et_global_avgpool_nhwc(size_t batch, size_t pixels, size_t channels, const float *input, size_t input_pixel_stride,
                            float *output, size_t output_stride, float out_min, float out_max, et_threadpool *pool);

#endif
