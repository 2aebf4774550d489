/* indirection.c: pointer tables for windowed kernels (see indirection.h). Built once per spatial size, so
 * clarity wins over speed here. */
#include "engine/operators/indirection.h"

#include "engine/operators/task_grid.h"

size_t et_window_out_size(size_t in, size_t pad_before, size_t pad_after, size_t kernel, size_t stride,
                          size_t dilation) {
    const size_t extent = (kernel - 1) * dilation + 1, padded = in + pad_before + pad_after;
    if (kernel == 0 || stride == 0 || padded < extent)
        return 0;
    return (padded - extent) / stride + 1;
}

/* The input pixel a tap reads, or NULL in the padding. */
static const float *tap_pointer(const et_window *w, const float *input, size_t pixel_stride, size_t oy, size_t ox,
                                size_t ky, size_t kx) {
    /* unsigned wrap-around turns "negative" coordinates into huge ones, which fail the < checks */
    const size_t iy = oy * w->stride_h + ky * w->dilation_h - w->pad_top;
    const size_t ix = ox * w->stride_w + kx * w->dilation_w - w->pad_left;
    if (iy >= w->in_h || ix >= w->in_w)
        return NULL;
    return input + (iy * w->in_w + ix) * pixel_stride;
}

void et_indirection_igemm(const float **buf, const et_window *w, const float *input, size_t pixel_stride,
                          const float *zero, size_t mr) {
    const size_t pixels = w->out_h * w->out_w, ks = w->kernel_h * w->kernel_w;
    const size_t tiles = (pixels + mr - 1) / mr;
    for (size_t t = 0; t < tiles; t++)
        for (size_t i = 0; i < mr; i++) {
            size_t row0, rows;
            et_tile_rows(t, pixels, tiles, &row0, &rows);
            const size_t p = row0 + (i < rows ? i : rows - 1);
            const size_t oy = p / w->out_w, ox = p % w->out_w;
            for (size_t ky = 0; ky < w->kernel_h; ky++)
                for (size_t kx = 0; kx < w->kernel_w; kx++) {
                    const float *ptr = tap_pointer(w, input, pixel_stride, oy, ox, ky, kx);
                    buf[(t * ks + ky * w->kernel_w + kx) * mr + i] = ptr ? ptr : zero;
                }
        }
}

void et_indirection_window(const float **buf, const et_window *w, const float *input, size_t pixel_stride,
                           const float *zero, bool valid_only) {
    const size_t ks = w->kernel_h * w->kernel_w;
    for (size_t oy = 0; oy < w->out_h; oy++)
        for (size_t ox = 0; ox < w->out_w; ox++) {
            const float **px = buf + (oy * w->out_w + ox) * ks;
            const float *fallback = zero;
            if (valid_only) { /* first valid tap of the window; the clamped corner if the window has none */
                fallback = NULL;
                for (size_t k = 0; k < ks && !fallback; k++)
                    fallback = tap_pointer(w, input, pixel_stride, oy, ox, k / w->kernel_w, k % w->kernel_w);
                if (!fallback) {
                    size_t iy = oy * w->stride_h, ix = ox * w->stride_w;
                    iy = iy < w->pad_top ? 0 : iy - w->pad_top;
                    ix = ix < w->pad_left ? 0 : ix - w->pad_left;
                    iy = iy < w->in_h ? iy : w->in_h - 1;
                    ix = ix < w->in_w ? ix : w->in_w - 1;
                    fallback = input + (iy * w->in_w + ix) * pixel_stride;
                }
            }
            for (size_t ky = 0; ky < w->kernel_h; ky++)
                for (size_t kx = 0; kx < w->kernel_w; kx++) {
                    const float *ptr = tap_pointer(w, input, pixel_stride, oy, ox, ky, kx);
                    px[ky * w->kernel_w + kx] = ptr ? ptr : fallback;
                }
        }
}
