/* pool2d.c: NHWC pooling operators (see pool2d.h). Tasks are pieces of output rows, as for depthwise
 * convolution; global pooling splits channels into blocks so that two threads share even a 7x7x1280 tensor. */
#include "engine/operators/pool2d.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/kernels/f32-pool/f32-pool.h"
#include "engine/operators/indirection.h"
#include "engine/operators/task_grid.h"
#include "util/mem.h"

enum { GAP_CHANNEL_BLOCK = 64 };

struct et_pool2d_nhwc {
    et_pool2d_nhwc_params p;
    const et_f32_pool_config *cfg;
    et_f32_minmax_params clamp;
    float *zero;
    size_t ks;
    /* setup */
    bool ready;
    size_t batch, in_h, in_w, out_h, out_w;
    const float **ind;
    float *scale;
    size_t ind_capacity, ind_h, ind_w;
    const float *ind_base, *input;
    size_t input_delta;
    float *output;
    et_task_grid grid;
};

et_status et_pool2d_nhwc_create(const et_pool2d_nhwc_params *params, et_pool2d_nhwc **out, et_err *err) {
    *out = NULL;
    et_pool2d_nhwc_params p = *params;
    p.stride_h = p.stride_h ? p.stride_h : 1;
    p.stride_w = p.stride_w ? p.stride_w : 1;
    p.dilation_h = p.dilation_h ? p.dilation_h : 1;
    p.dilation_w = p.dilation_w ? p.dilation_w : 1;
    p.input_pixel_stride = p.input_pixel_stride ? p.input_pixel_stride : p.channels;
    p.output_pixel_stride = p.output_pixel_stride ? p.output_pixel_stride : p.channels;
    if (p.channels == 0 || p.kernel_h == 0 || p.kernel_w == 0)
        return et_fail(err, ET_E_INPUT, "pooling with %zu channels and a %zux%zu window: sizes must be at least 1",
                       p.channels, p.kernel_h, p.kernel_w);
    if (p.input_pixel_stride < p.channels || p.output_pixel_stride < p.channels)
        return et_fail(err, ET_E_INPUT, "pooling pixel strides are narrower than its %zu channels", p.channels);
    if (p.kind != ET_POOL_MAX && p.kind != ET_POOL_AVG)
        return et_fail(err, ET_E_INPUT, "pooling kind %d is neither max nor average", (int)p.kind);
    if (p.clamp && !(p.out_min <= p.out_max))
        return et_fail(err, ET_E_INPUT, "pooling clamp [%g, %g] is empty", p.out_min, p.out_max);
    et_pool2d_nhwc *op = calloc(1, sizeof *op);
    if (!op)
        return et_fail(err, ET_E_NOMEM, "out of memory creating a pooling operator");
    op->p = p;
    op->cfg = et_f32_pool_config_get();
    op->clamp = p.clamp ? (et_f32_minmax_params){p.out_min, p.out_max} : (et_f32_minmax_params){-INFINITY, INFINITY};
    op->ks = p.kernel_h * p.kernel_w;
    op->zero = et_aligned_calloc((p.channels + 64) * sizeof(float));
    if (!op->zero) {
        free(op);
        return et_fail(err, ET_E_NOMEM, "out of memory creating a pooling operator");
    }
    *out = op;
    return ET_OK;
}

void et_pool2d_nhwc_destroy(et_pool2d_nhwc *op) {
    if (!op)
        return;
    et_aligned_free(op->zero);
    free(op->ind);
    free(op->scale);
    free(op);
}

bool et_pool2d_nhwc_output_size(const et_pool2d_nhwc *op, size_t in_h, size_t in_w, size_t *out_h, size_t *out_w) {
    const et_pool2d_nhwc_params *p = &op->p;
    *out_h = et_window_out_size(in_h, p->pad_top, p->pad_bottom, p->kernel_h, p->stride_h, p->dilation_h);
    *out_w = et_window_out_size(in_w, p->pad_left, p->pad_right, p->kernel_w, p->stride_w, p->dilation_w);
    if (*out_h == 0 || *out_w == 0) {
        *out_h = *out_w = 0;
        return false;
    }
    return true;
}

/* 1 / (taps counted) for every output pixel of the average pool. */
static void fill_scales(et_pool2d_nhwc *op) {
    const et_pool2d_nhwc_params *p = &op->p;
    for (size_t oy = 0; oy < op->out_h; oy++)
        for (size_t ox = 0; ox < op->out_w; ox++) {
            size_t count = 0;
            for (size_t ky = 0; ky < p->kernel_h; ky++)
                for (size_t kx = 0; kx < p->kernel_w; kx++) {
                    const size_t iy = oy * p->stride_h + ky * p->dilation_h - p->pad_top;
                    const size_t ix = ox * p->stride_w + kx * p->dilation_w - p->pad_left;
                    count += p->count_include_pad || (iy < op->in_h && ix < op->in_w);
                }
            op->scale[oy * op->out_w + ox] = count ? 1.0f / (float)count : 0.0f;
        }
}

et_status et_pool2d_nhwc_setup(et_pool2d_nhwc *op, size_t batch, size_t in_h, size_t in_w, const float *input,
                               float *output, et_err *err) {
    op->ready = false;
    if (!input || !output || batch == 0)
        return et_fail(err, ET_E_INPUT, "pooling set up without %s",
                       !input    ? "an input"
                       : !output ? "an output"
                                 : "a batch");
    size_t out_h, out_w;
    if (!et_pool2d_nhwc_output_size(op, in_h, in_w, &out_h, &out_w))
        return et_fail(err, ET_E_INPUT, "pooling input %zux%zu with padding is smaller than the %zux%zu window", in_h,
                       in_w, op->p.kernel_h, op->p.kernel_w);
    op->batch = batch, op->in_h = in_h, op->in_w = in_w, op->out_h = out_h, op->out_w = out_w;
    if (op->ind && op->ind_h == in_h && op->ind_w == in_w) {
        op->input_delta = (size_t)((uintptr_t)input - (uintptr_t)op->ind_base);
    } else {
        size_t count;
        if (!et_mul_size(out_h * out_w, op->ks, &count) || count > SIZE_MAX / sizeof(float *))
            return et_fail(err, ET_E_INPUT, "pooling output %zux%zu is too large", out_h, out_w);
        if (count > op->ind_capacity) {
            const float **ind = realloc(op->ind, count * sizeof *ind);
            if (!ind)
                return et_fail(err, ET_E_NOMEM, "out of memory for a %zu-entry indirection buffer", count);
            op->ind = ind;
            float *scale = realloc(op->scale, out_h * out_w * sizeof *scale);
            if (!scale)
                return et_fail(err, ET_E_NOMEM, "out of memory for pooling scales");
            op->scale = scale;
            op->ind_capacity = count;
        }
        const et_pool2d_nhwc_params *p = &op->p;
        const et_window win = {in_h,        in_w,        out_h,         out_w,         p->kernel_h, p->kernel_w,
                               p->stride_h, p->stride_w, p->dilation_h, p->dilation_w, p->pad_top,  p->pad_left};
        et_indirection_window(op->ind, &win, input, p->input_pixel_stride, op->zero, p->kind == ET_POOL_MAX);
        fill_scales(op);
        op->ind_h = in_h, op->ind_w = in_w, op->ind_base = input, op->input_delta = 0;
    }
    op->input = input;
    op->output = output;
    op->ready = true;
    return ET_OK;
}

static void pool_tasks(void *ctx, size_t begin, size_t end) {
    const et_pool2d_nhwc *op = ctx;
    const size_t image_in = op->in_h * op->in_w * op->p.input_pixel_stride * sizeof(float);
    const size_t out_s = op->p.output_pixel_stride, ks = op->ks;
    for (size_t t = begin; t < end; t++) {
        const size_t chunk = t % op->grid.row_chunks, row = t / op->grid.row_chunks;
        const size_t img = row / op->out_h, oy = row % op->out_h;
        const size_t x0 = chunk * op->grid.chunk_w,
                     width = op->out_w - x0 < op->grid.chunk_w ? op->out_w - x0 : op->grid.chunk_w;
        const size_t pixel = oy * op->out_w + x0;
        float *o = op->output + (img * op->out_h * op->out_w + pixel) * out_s;
        const size_t offset = op->input_delta + img * image_in;
        if (op->p.kind == ET_POOL_MAX)
            op->cfg->maxpool(width, ks, op->p.channels, op->ind + pixel * ks, offset, ks, o, out_s, &op->clamp);
        else
            op->cfg->avgpool(width, ks, op->p.channels, op->ind + pixel * ks, offset, op->zero, ks, op->scale + pixel,
                             o, out_s, &op->clamp);
    }
}

et_status et_pool2d_nhwc_run(et_pool2d_nhwc *op, et_threadpool *pool, et_err *err) {
    if (!op->ready)
        return et_fail(err, ET_E_RUNTIME, "pooling run before a successful setup");
    const double bytes_read = (double)(op->batch * op->out_h * op->out_w * op->ks * op->p.channels) * sizeof(float);
    pool = et_threadpool_for_work(pool, bytes_read * ET_NS_PER_BYTE_STREAM);
    et_task_grid_rows(&op->grid, op->batch * op->out_h, op->out_w, (size_t)et_threadpool_size(pool));
    et_threadpool_parallel_for(pool, op->grid.tasks, pool_tasks, op);
    return ET_OK;
}

const char *et_pool2d_nhwc_kernel_name(const et_pool2d_nhwc *op) {
    return op->p.kind == ET_POOL_MAX ? op->cfg->maxpool_name : op->cfg->avgpool_name;
}

typedef struct {
    const et_f32_pool_config *cfg;
    size_t pixels, channels, in_s, out_s, blocks;
    const float *input;
    float *output;
    float scale;
    et_f32_minmax_params clamp;
} gap_job;

static void gap_tasks(void *ctx, size_t begin, size_t end) {
    const gap_job *j = ctx;
    for (size_t t = begin; t < end; t++) {
        const size_t b = t / j->blocks, c0 = t % j->blocks * GAP_CHANNEL_BLOCK;
        const size_t cols = j->channels - c0 < GAP_CHANNEL_BLOCK ? j->channels - c0 : GAP_CHANNEL_BLOCK;
        j->cfg->gavgpool(j->pixels, cols, j->input + b * j->pixels * j->in_s + c0, j->in_s, j->scale,
                         j->output + b * j->out_s + c0, &j->clamp);
    }
}

void et_global_avgpool_nhwc(size_t batch, size_t pixels, size_t channels, const float *input, size_t input_pixel_stride,
                            float *output, size_t output_stride, float out_min, float out_max, et_threadpool *pool) {
    if (batch == 0 || pixels == 0 || channels == 0)
        return;
    gap_job j = {et_f32_pool_config_get(),
                 pixels,
                 channels,
                 input_pixel_stride ? input_pixel_stride : channels,
                 output_stride ? output_stride : channels,
                 (channels + GAP_CHANNEL_BLOCK - 1) / GAP_CHANNEL_BLOCK,
                 input,
                 output,
                 1.0f / (float)pixels,
                 {out_min, out_max}};
    pool = et_threadpool_for_work(pool, (double)(batch * pixels * channels * sizeof(float)) * ET_NS_PER_BYTE_STREAM);
    et_threadpool_parallel_for(pool, batch * j.blocks, gap_tasks, &j);
}
