/* spconv.c: the sparse 1x1 convolution operator (see spconv.h).
 *
 * A run is a list of tasks, each a tile of MR pixels (MR from the input channel count: the packed tile must fit
 * ET_F32_SPMM_XT_BYTES) times a block of output channels; when there are fewer pixel tiles than threads want,
 * the output channels are split in blocks of 8 (each block's task packs its own copy of the tile). Each task packs
 * its pixels channel-major into a stack buffer and runs the kernel; a residual add and post-op run on the tile
 * while it is in L1, as in conv2d.c. */
#include "engine/operators/spconv.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/kernels/f32-spmm/f32-spmm.h"
#include "engine/kernels/f32-vbinary/f32-vbinary.h"
#include "engine/kernels/f32-vunary/f32-vunary.h"
#include "engine/operators/task_grid.h"
#include "util/mem.h"


struct et_spconv_nhwc {
    et_spconv_nhwc_params p;
    const et_f32_spmm_config *cfg;
    int tile;
    size_t mr;
    et_f32_spmm_ukernel_fn ukernel;
    et_f32_spmm_pack_fn pack;
    et_f32_vbinary_ukernel_fn vadd;
    et_f32_vunary_ukernel_fn vunary;
    float *values, *bias;
    int32_t *offsets;
    uint32_t *nnz;
    size_t *row_start; /* index of each output channel's first nonzero */
    size_t nonzeros;
    et_f32_minmax_params kernel_clamp, out_clamp;
    /* setup */
    bool ready;
    size_t pixels;
    et_task_grid grid;
    const float *input;
    float *output;
    const float *residual;
};

bool et_spconv_nhwc_faster(size_t pixels, size_t in_channels, size_t out_channels, size_t nonzeros) {
    const int tile = et_f32_spmm_tile_for(in_channels);
    if (tile < 0 || pixels == 0 || in_channels == 0 || out_channels == 0)
        return false;
    const et_f32_spmm_config *cfg = et_f32_spmm_config_get();
    const double mr = (double)(32u >> tile);
    /* both kernels pay for whole tiles: MR pixels sparse, 6 (the dense GEMM's rows) dense */
    const double sparse_pixels = ceil((double)pixels / mr) * mr, dense_pixels = ceil((double)pixels / 6.0) * 6.0;
    const double sparse = sparse_pixels * ((double)nonzeros * cfg->nnz_cost[tile] +
                                           (double)(in_channels + out_channels) * cfg->pack_cost);
    const double dense = dense_pixels * (double)in_channels * (double)out_channels;
    return sparse < dense;
}

size_t et_spconv_count_nonzeros(const float *w, size_t out_channels, size_t in_channels, size_t w_stride_o,
                                size_t w_stride_i) {
    size_t count = 0;
    for (size_t o = 0; o < out_channels; o++)
        for (size_t i = 0; i < in_channels; i++)
            count += w[o * w_stride_o + i * w_stride_i] != 0.0f;
    return count;
}

et_status et_spconv_nhwc_create(const et_spconv_nhwc_params *params, const float *weights, size_t w_stride_o,
                                size_t w_stride_i, const float *bias, et_spconv_nhwc **out, et_err *err) {
    *out = NULL;
    if (!params || !weights)
        return et_fail(err, ET_E_INPUT, "sparse convolution created without %s", params ? "weights" : "parameters");
    et_spconv_nhwc_params p = *params;
    if (p.in_channels == 0 || p.out_channels == 0)
        return et_fail(err, ET_E_INPUT,
                       "sparse convolution with %zu input and %zu output channels: both must be at "
                       "least 1",
                       p.in_channels, p.out_channels);
    p.input_pixel_stride = p.input_pixel_stride ? p.input_pixel_stride : p.in_channels;
    p.output_pixel_stride = p.output_pixel_stride ? p.output_pixel_stride : p.out_channels;
    p.residual_pixel_stride = p.residual_pixel_stride ? p.residual_pixel_stride : p.out_channels;
    if (p.input_pixel_stride < p.in_channels || p.output_pixel_stride < p.out_channels ||
        p.residual_pixel_stride < p.out_channels)
        return et_fail(err, ET_E_INPUT, "sparse convolution pixel strides are narrower than the channels");
    if (p.post && (unsigned)p.post_op >= ET_UNARY_COUNT)
        return et_fail(err, ET_E_INPUT, "sparse convolution post-op %d is not a known activation", (int)p.post_op);
    if (!p.clamp) {
        p.out_min = -INFINITY;
        p.out_max = INFINITY;
    } else if (!(p.out_min <= p.out_max)) {
        return et_fail(err, ET_E_INPUT, "sparse convolution clamp [%g, %g] is empty", p.out_min, p.out_max);
    }
    const int tile = et_f32_spmm_tile_for(p.in_channels);
    if (tile < 0)
        return et_fail(err, ET_E_UNSUPPORTED,
                       "sparse convolution with %zu input channels: more than the sparse "
                       "kernels' tiles hold; use the dense convolution",
                       p.in_channels);
    et_spconv_nhwc *op = calloc(1, sizeof *op);
    if (!op)
        return et_fail(err, ET_E_NOMEM, "out of memory creating a sparse convolution");
    op->p = p;
    op->cfg = et_f32_spmm_config_get();
    op->tile = tile;
    op->mr = 32u >> tile;
    op->ukernel = op->cfg->ukernel[tile];
    op->pack = op->cfg->pack[tile];
    op->vadd = et_f32_vbinary_config_get()->ukernel;
    op->vunary = et_f32_vunary_config_get()->ukernel;
    op->out_clamp = (et_f32_minmax_params){p.out_min, p.out_max};
    op->kernel_clamp = p.residual ? (et_f32_minmax_params){-INFINITY, INFINITY} : op->out_clamp;
    const size_t nz = et_spconv_count_nonzeros(weights, p.out_channels, p.in_channels, w_stride_o, w_stride_i);
    op->nonzeros = nz;
    op->values = malloc((nz ? nz : 1) * sizeof *op->values);
    op->offsets = malloc((nz ? nz : 1) * sizeof *op->offsets);
    op->nnz = malloc(p.out_channels * sizeof *op->nnz);
    op->row_start = malloc((p.out_channels + 1) * sizeof *op->row_start);
    op->bias = malloc(p.out_channels * sizeof *op->bias);
    if (!op->values || !op->offsets || !op->nnz || !op->row_start || !op->bias) {
        et_spconv_nhwc_destroy(op);
        return et_fail(err, ET_E_NOMEM, "out of memory for %zu sparse weights", nz);
    }
    size_t j = 0;
    for (size_t o = 0; o < p.out_channels; o++) {
        op->row_start[o] = j;
        op->bias[o] = bias ? bias[o] : 0.0f;
        for (size_t i = 0; i < p.in_channels; i++) {
            const float v = weights[o * w_stride_o + i * w_stride_i];
            if (v != 0.0f) {
                op->values[j] = v;
                op->offsets[j] = (int32_t)(i * op->mr * sizeof(float));
                j++;
            }
        }
        op->nnz[o] = (uint32_t)(j - op->row_start[o]);
    }
    op->row_start[p.out_channels] = j;
    *out = op;
    return ET_OK;
}

void et_spconv_nhwc_destroy(et_spconv_nhwc *op) {
    if (!op)
        return;
    free(op->values);
    free(op->offsets);
    free(op->nnz);
    free(op->row_start);
    free(op->bias);
    free(op);
}

et_status et_spconv_nhwc_setup(et_spconv_nhwc *op, size_t pixels, const float *input, float *output,
                               const float *residual, et_err *err) {
    op->ready = false;
    if (!input || !output || (op->p.residual && !residual))
        return et_fail(err, ET_E_INPUT, "sparse convolution setup without %s tensor",
                       !input    ? "an input"
                       : !output ? "an output"
                                 : "its residual");
    if (pixels == 0)
        return et_fail(err, ET_E_INPUT, "sparse convolution setup with 0 pixels");
    op->pixels = pixels;
    op->input = input;
    op->output = output;
    op->residual = op->p.residual ? residual : NULL;
    op->ready = true;
    return ET_OK;
}

static void spconv_tasks(void *ctx, size_t begin, size_t end) {
    const et_spconv_nhwc *op = ctx;
    float xt[ET_F32_SPMM_XT_BYTES / sizeof(float)] __attribute__((aligned(64)));
    const size_t in_s = op->p.input_pixel_stride, out_s = op->p.output_pixel_stride;
    const size_t res_s = op->p.residual_pixel_stride, oc = op->p.out_channels;
    for (size_t t = begin; t < end; t++) {
        size_t mt, nb, unused;
        et_task_grid_at(&op->grid, t, &mt, &nb, &unused);
        const size_t p0 = mt * op->mr, rows = op->pixels - p0 < op->mr ? op->pixels - p0 : op->mr;
        const size_t n0 = nb * op->grid.nc, cols = oc - n0 < op->grid.nc ? oc - n0 : op->grid.nc;
        op->pack(rows, op->p.in_channels, op->input + p0 * in_s, in_s, xt);
        const size_t j0 = op->row_start[n0];
        float *c = op->output + p0 * out_s + n0;
        op->ukernel(rows, cols, xt, op->values + j0, op->offsets + j0, op->nnz + n0, op->bias + n0, c, out_s,
                    &op->kernel_clamp);
        for (size_t i = 0; i < rows && (op->residual || op->p.post); i++) {
            if (op->residual)
                op->vadd(ET_BINARY_ADD, cols, c + i * out_s, op->residual + (p0 + i) * res_s + n0, 0, c + i * out_s,
                         &op->out_clamp);
            if (op->p.post)
                op->vunary(op->p.post_op, cols, c + i * out_s, c + i * out_s, &op->p.post_params);
        }
    }
}

et_status et_spconv_nhwc_run(et_spconv_nhwc *op, et_threadpool *pool, et_err *err) {
    if (!op->ready)
        return et_fail(err, ET_E_RUNTIME, "sparse convolution run before a successful setup");
    /* column blocks in multiples of 8 (the kernels' channel step), no weight-size blocking */
    et_task_grid_gemm(&op->grid, op->pixels, op->mr, op->p.out_channels, 8, 1, 0, 0, (size_t)et_threadpool_size(pool));
    et_threadpool_parallel_for(pool, op->grid.tasks, spconv_tasks, op);
    return ET_OK;
}

const char *et_spconv_nhwc_kernel_name(const et_spconv_nhwc *op) { return op->cfg->name[op->tile]; }

size_t et_spconv_nhwc_packed_bytes(const et_spconv_nhwc *op) {
    return op->nonzeros * (sizeof(float) + sizeof(int32_t)) +
           op->p.out_channels * (sizeof(uint32_t) + sizeof(size_t) + sizeof(float));
}

size_t et_spconv_nhwc_nonzeros(const et_spconv_nhwc *op) { return op->nonzeros; }
