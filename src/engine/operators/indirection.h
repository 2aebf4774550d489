/* indirection.h: building the pointer tables that let one kernel handle any padding, stride and dilation
 * (XNNPACK's indirection buffers). Each table entry points at the first channel of one input pixel; padding
 * taps point at a zero buffer (or, for max pooling, at a valid pixel of the same window). Tables are built for
 * one image; kernels add a byte offset to reach another image or a moved input. */
#ifndef ET_ENGINE_OPERATORS_INDIRECTION_H
#define ET_ENGINE_OPERATORS_INDIRECTION_H

#include <stdbool.h>
#include <stddef.h>

/* A sliding window over an in_h x in_w image giving out_h x out_w outputs. */
typedef struct et_window {
    size_t in_h, in_w, out_h, out_w;
    size_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
    size_t pad_top, pad_left;
} et_window;

/* The output size of a window along one axis, or 0 when the padded input is smaller than the dilated kernel. */
size_t et_window_out_size(size_t in, size_t pad_before, size_t pad_after, size_t kernel, size_t stride,
                          size_t dilation);

/* For the indirect GEMM: ceil(out_h * out_w / mr) tiles of up to mr output pixels, split evenly (et_tile_rows in
 * task_grid.h; a tile of fewer than mr repeats its last pixel), each with ks = kernel_h * kernel_w taps:
 * buf[(tile * ks + tap) * mr + i]. buf holds ceil(out_h * out_w / mr) * ks * mr pointers. */
void et_indirection_igemm(const float **buf, const et_window *win, const float *input, size_t pixel_stride,
                          const float *zero, size_t mr);

/* For depthwise convolution and pooling: ks pointers per output pixel, buf[(oy * out_w + ox) * ks + tap].
 * Padding taps point at `zero`, or with valid_only at a valid tap of the same window (max pooling). */
void et_indirection_window(const float **buf, const et_window *win, const float *input, size_t pixel_stride,
                           const float *zero, bool valid_only);

#endif
