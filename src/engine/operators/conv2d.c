/* conv2d.c: the NHWC convolution operator (see conv2d.h).
 *
 * Work split: task_grid.h (tiles of MR output pixels x nc output channels for gemm/igemm, pieces of output rows
 * for dwconv), handed to the thread pool. An int8 output (params.quantize) splits each task once more, into pieces
 * that fit a QTILE_FLOATS stack buffer (columns for gemm/igemm, pixels for dwconv): the kernel writes a piece
 * there, the epilogue and the quantize kernel finish it into the output. */
#include "engine/operators/conv2d.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/kernels/f32-dwconv/f32-dwconv.h"
#include "engine/kernels/f32-gemm/f32-gemm.h"
#include "engine/kernels/f32-igemm/f32-igemm.h"
#include "engine/kernels/f32-vbinary/f32-vbinary.h"
#include "engine/kernels/f32-vunary/f32-vunary.h"
#include "engine/kernels/qs8-vcvt/qs8-vcvt.h"
#include "engine/operators/indirection.h"
#include "engine/operators/task_grid.h"
#include "engine/operators/winograd.h"
#include "util/mem.h"

enum {
    WIDE_MAX_FLOATS = 48,
    QTILE_FLOATS = 2048 /* an fp32 piece on its way to int8: 8 KiB of stack per task, in L1 */
};

struct et_conv2d_nhwc {
    et_conv2d_nhwc_params p; /* normalised: strides, dilations, groups >= 1; pixel strides set */
    et_conv_path path;
    size_t gic, goc, ks; /* channels per group in and out, kernel taps */
    const et_f32_gemm_config *gemm;
    const et_f32_igemm_config *igemm;
    const et_f32_dwconv_config *dwconv;
    et_winograd *wino; /* the Winograd path's transformed weights */
    et_wino_tile wino_tile;
    void *scratch; /* bound at setup (Winograd) */
    et_f32_vbinary_ukernel_fn vadd;
    et_f32_vunary_ukernel_fn vunary;
    const char *kernel_name;
    float *packed; /* weights + bias, per group */
    size_t packed_floats, group_packed_floats;
    float *zero; /* at least max(gic, channels) zeros */
    et_f32_minmax_params kernel_clamp, out_clamp;
    /* setup state */
    bool ready;
    size_t batch, in_h, in_w, out_h, out_w;
    const float **ind; /* indirection buffer (igemm, dwconv), built for ind_h x ind_w at ind_base */
    size_t ind_capacity, ind_h, ind_w;
    const float *ind_base;
    size_t input_delta; /* bytes from ind_base to the bound input (mod 2^64) */
    const float *input;
    float *output;     /* where the kernels write fp32 (NULL when every tile is quantized on the stack) */
    size_t out_stride; /* floats between pixels there */
    int8_t *qoutput;   /* the int8 output (params.quantize) */
    const float *residual;
    /* int8 output: the quantize kernel and its parameters; pieces per tile (columns for gemm/igemm, pixels for
     * dwconv) that fit QTILE_FLOATS; stage: the Winograd path or a depthwise layer with more channels than
     * QTILE_FLOATS writes fp32 into the scratch (after stage_offset bytes) and one pass quantizes it */
    const et_qs8_vcvt_config *vcvt;
    et_qs8_quantize_params quant;
    size_t piece;
    bool stage;
    size_t stage_offset;
    /* "wide taps" (igemm with few input channels, e.g. an RGB stem): the input is copied into wide_buf with its
     * left/right padding materialised, so the kernel_w taps of one kernel row are kernel_w * channels contiguous
     * floats and the kernel walks kernel_h taps of that length instead of kernel_h * kernel_w short ones */
    bool wide;
    size_t ks_run, kc_run; /* taps and channels per tap the igemm kernel sees */
    size_t wide_w;         /* padded width of wide_buf */
    float *wide_buf;
    size_t wide_capacity; /* floats */
    /* task grid */
    et_task_grid grid;
};

static bool is_depthwise(const et_conv2d_nhwc_params *p) {
    return p->groups == p->in_channels && p->groups == p->out_channels;
}

/* Whether a convolution takes the Winograd path, and with which tile: forced by params->algo, else by cost at
 * the expected size (no size: never). */
static bool use_winograd(const et_conv2d_nhwc_params *p, et_wino_tile *tile) {
    if (p->kernel_h != 3 || p->kernel_w != 3 || p->stride_h != 1 || p->stride_w != 1 || p->dilation_h != 1 ||
        p->dilation_w != 1 || p->groups != 1)
        return false;
    switch (p->algo) {
    case ET_CONV_ALGO_DIRECT: return false;
    case ET_CONV_ALGO_WINOGRAD_2X2: *tile = ET_WINO_F2; return true;
    case ET_CONV_ALGO_WINOGRAD_4X4: *tile = ET_WINO_F4; return true;
    case ET_CONV_ALGO_AUTO: break;
    }
    if (!p->expect_h || !p->expect_w)
        return false;
    const size_t out_h = et_window_out_size(p->expect_h, p->pad_top, p->pad_bottom, 3, 1, 1);
    const size_t out_w = et_window_out_size(p->expect_w, p->pad_left, p->pad_right, 3, 1, 1);
    const int f = et_winograd_choose(p->expect_batch ? p->expect_batch : 1, out_h, out_w, p->in_channels,
                                     p->out_channels);
    if (f < 0)
        return false;
    *tile = (et_wino_tile)f;
    return true;
}

/* Validates and normalises params into op->p, picks the path and the kernels. */
static et_status init_op(et_conv2d_nhwc *op, const et_conv2d_nhwc_params *params, et_err *err) {
    et_conv2d_nhwc_params p = *params;
    p.groups = p.groups ? p.groups : 1;
    p.stride_h = p.stride_h ? p.stride_h : 1;
    p.stride_w = p.stride_w ? p.stride_w : 1;
    p.dilation_h = p.dilation_h ? p.dilation_h : 1;
    p.dilation_w = p.dilation_w ? p.dilation_w : 1;
    if (p.in_channels == 0 || p.out_channels == 0 || p.kernel_h == 0 || p.kernel_w == 0)
        return et_fail(err, ET_E_INPUT,
                       "convolution with %zu input channels, %zu output channels and a %zux%zu kernel: "
                       "every size must be at least 1",
                       p.in_channels, p.out_channels, p.kernel_h, p.kernel_w);
    if (p.in_channels % p.groups || p.out_channels % p.groups)
        return et_fail(err, ET_E_INPUT, "convolution channels %zu -> %zu are not divisible by group count %zu",
                       p.in_channels, p.out_channels, p.groups);
    p.input_pixel_stride = p.input_pixel_stride ? p.input_pixel_stride : p.in_channels;
    p.output_pixel_stride = p.output_pixel_stride ? p.output_pixel_stride : p.out_channels;
    p.residual_pixel_stride = p.residual_pixel_stride ? p.residual_pixel_stride : p.out_channels;
    if (p.input_pixel_stride < p.in_channels || p.output_pixel_stride < p.out_channels ||
        p.residual_pixel_stride < p.out_channels)
        return et_fail(err, ET_E_INPUT,
                       "convolution pixel strides (%zu in, %zu out) are narrower than the channels "
                       "(%zu in, %zu out)",
                       p.input_pixel_stride, p.output_pixel_stride, p.in_channels, p.out_channels);
    if ((unsigned)p.algo > ET_CONV_ALGO_WINOGRAD_4X4)
        return et_fail(err, ET_E_INPUT, "convolution algorithm %d is not known", (int)p.algo);
    if (p.quantize && (!(p.out_scale > 0.0f) || p.out_zp < -128 || p.out_zp > 127))
        return et_fail(err, ET_E_INPUT,
                       "convolution int8 output scale %g and zero point %d: need a scale > 0 and a "
                       "zero point in [-128, 127]",
                       (double)p.out_scale, (int)p.out_zp);
    if (p.post && (unsigned)p.post_op >= ET_UNARY_COUNT)
        return et_fail(err, ET_E_INPUT, "convolution post-op %d is not a known activation", (int)p.post_op);
    if (!p.clamp) {
        p.out_min = -INFINITY;
        p.out_max = INFINITY;
    } else if (!(p.out_min <= p.out_max)) {
        return et_fail(err, ET_E_INPUT, "convolution clamp [%g, %g] is empty", p.out_min, p.out_max);
    }
    op->p = p;
    op->gic = p.in_channels / p.groups;
    op->goc = p.out_channels / p.groups;
    op->ks = p.kernel_h * p.kernel_w;
    op->out_clamp = (et_f32_minmax_params){p.out_min, p.out_max};
    op->kernel_clamp = p.residual ? (et_f32_minmax_params){-INFINITY, INFINITY} : op->out_clamp;
    op->vadd = et_f32_vbinary_config_get()->ukernel;
    op->vunary = et_f32_vunary_config_get()->ukernel;
    if (is_depthwise(&p)) {
        op->path = ET_CONV_PATH_DWCONV;
        op->dwconv = et_f32_dwconv_config_get();
        const bool use9 = op->ks == 9 && op->dwconv->ukernel_9p;
        op->kernel_name = use9 ? op->dwconv->name_9p : op->dwconv->name_xp;
    } else if (op->ks == 1 && p.stride_h == 1 && p.stride_w == 1 && !p.pad_top && !p.pad_left && !p.pad_bottom &&
               !p.pad_right) {
        op->path = ET_CONV_PATH_GEMM;
        op->gemm = et_f32_gemm_config_get();
        op->kernel_name = op->gemm->name;
    } else if (use_winograd(&p, &op->wino_tile)) {
        op->path = ET_CONV_PATH_WINOGRAD;
        op->gemm = et_f32_gemm_config_get();
        op->kernel_name = et_f32_wino_config_get()->name[op->wino_tile];
    } else {
        op->path = ET_CONV_PATH_IGEMM;
        op->igemm = et_f32_igemm_config_get();
        op->kernel_name = op->igemm->name;
        /* Few input channels: a tap is too short for the kernel to amortise its pointer; merge each kernel row's
         * taps (the packed weights are [tap][channel], so the row order needs no repacking). */
        op->wide = p.groups == 1 && p.dilation_w == 1 && p.kernel_w > 1 && p.input_pixel_stride == p.in_channels &&
                   p.in_channels * p.kernel_w <= WIDE_MAX_FLOATS;
    }
    op->ks_run = op->wide ? p.kernel_h : op->ks;
    op->kc_run = op->wide ? p.kernel_w * op->gic : op->gic;
    return ET_OK;
}

/* The int8 output's kernel and the pieces a tile is quantized in, once the path is known. */
static void init_quantize(et_conv2d_nhwc *op) {
    if (!op->p.quantize)
        return;
    op->vcvt = et_qs8_vcvt_config_get();
    et_qs8_quantize_params_init(&op->quant, op->p.out_scale, op->p.out_zp, -128, 127);
    switch (op->path) {
    case ET_CONV_PATH_GEMM: op->piece = QTILE_FLOATS / op->gemm->mr / op->gemm->nr * op->gemm->nr; break;
    case ET_CONV_PATH_IGEMM: op->piece = QTILE_FLOATS / op->igemm->mr / op->igemm->nr * op->igemm->nr; break;
    case ET_CONV_PATH_DWCONV: op->piece = QTILE_FLOATS / op->p.out_channels; break;
    case ET_CONV_PATH_WINOGRAD: op->piece = 0; break;
    }
    op->stage = op->piece == 0;
}

static et_status alloc_common(et_conv2d_nhwc *op, size_t packed_floats, et_err *err) {
    op->packed_floats = packed_floats;
    op->packed = et_aligned_alloc(packed_floats * sizeof(float));
    size_t zero_floats = (op->gic > op->p.in_channels ? op->gic : op->p.in_channels) + 64;
    if (op->kc_run + 64 > zero_floats)
        zero_floats = op->kc_run + 64;
    op->zero = et_aligned_calloc(zero_floats * sizeof(float));
    if (!op->packed || !op->zero)
        return et_fail(err, ET_E_NOMEM, "out of memory packing convolution weights (%zu bytes)",
                       packed_floats * sizeof(float));
    return ET_OK;
}

/* Floats of packed weights for the chosen path, with overflow checks; 0 on overflow. */
static size_t packed_size(const et_conv2d_nhwc *op, size_t *group_floats) {
    size_t per_group = 0, total = 0, k = 0;
    switch (op->path) {
    case ET_CONV_PATH_DWCONV:
        if (et_mul_size(op->p.in_channels + op->dwconv->channel_tile, op->ks + 1, &total))
            total = et_f32_dwconv_packed_floats(op->dwconv->channel_tile, op->p.in_channels, op->ks);
        *group_floats = total;
        return total;
    case ET_CONV_PATH_GEMM:
        if (!et_mul_size(op->goc + op->gemm->nr, op->gic + 1, &per_group))
            return 0;
        per_group = et_f32_gemm_packed_floats(op->gemm->nr, op->goc, op->gic);
        break;
    case ET_CONV_PATH_WINOGRAD: return 0; /* winograd.c packs */
    case ET_CONV_PATH_IGEMM:
        if (!et_mul_size(op->ks, op->gic, &k) || !et_mul_size(op->goc + op->igemm->nr, k + 1, &per_group))
            return 0;
        per_group = et_f32_igemm_packed_floats(op->igemm->nr, op->goc, op->ks, op->gic);
        break;
    }
    *group_floats = per_group;
    return et_mul_size(per_group, op->p.groups, &total) ? total : 0;
}

et_status et_conv2d_nhwc_create(const et_conv2d_nhwc_params *params, const float *weights, const float *bias,
                                et_conv2d_nhwc **out, et_err *err) {
    *out = NULL;
    if (!params || !weights)
        return et_fail(err, ET_E_INPUT, "convolution created without %s", params ? "weights" : "parameters");
    et_conv2d_nhwc *op = calloc(1, sizeof *op);
    if (!op)
        return et_fail(err, ET_E_NOMEM, "out of memory creating a convolution");
    et_status st = init_op(op, params, err);
    if (st != ET_OK)
        goto fail;
    init_quantize(op);
    if (op->path == ET_CONV_PATH_WINOGRAD) {
        if ((st = et_winograd_create(op->wino_tile, op->gic, op->goc, weights, bias, &op->wino, err)) != ET_OK)
            goto fail;
        *out = op;
        return ET_OK;
    }
    size_t group_floats = 0;
    const size_t total = packed_size(op, &group_floats);
    if (total == 0) {
        st = et_fail(err, ET_E_INPUT, "convolution weights %zux%zux%zux%zu are too large", op->p.out_channels, op->gic,
                     op->p.kernel_h, op->p.kernel_w);
        goto fail;
    }
    op->group_packed_floats = group_floats;
    if ((st = alloc_common(op, total, err)) != ET_OK)
        goto fail;
    const size_t group_weights = op->goc * op->gic * op->ks;
    for (size_t g = 0; g < op->p.groups; g++) {
        const float *wg = weights + g * group_weights, *bg = bias ? bias + g * op->goc : NULL;
        float *pg = op->packed + g * group_floats;
        switch (op->path) {
        case ET_CONV_PATH_DWCONV:
            et_f32_dwconv_pack(op->dwconv->channel_tile, op->p.in_channels, op->ks, weights, bias, op->packed);
            g = op->p.groups; /* one pack covers every channel */
            break;
        case ET_CONV_PATH_GEMM: et_f32_gemm_pack(op->gemm->nr, op->goc, op->gic, wg, op->gic, 1, bg, pg); break;
        case ET_CONV_PATH_IGEMM: et_f32_igemm_pack_oihw(op->igemm->nr, op->goc, op->ks, op->gic, wg, bg, pg); break;
        case ET_CONV_PATH_WINOGRAD: break;
        }
    }
    *out = op;
    return ET_OK;
fail:
    et_conv2d_nhwc_destroy(op);
    return st;
}

et_status et_conv2d_nhwc_create_gemm(const et_conv2d_nhwc_params *params, const float *weights, size_t w_stride_o,
                                     size_t w_stride_i, const float *bias, et_conv2d_nhwc **out, et_err *err) {
    *out = NULL;
    if (!params || !weights)
        return et_fail(err, ET_E_INPUT, "fully-connected layer created without %s", params ? "weights" : "parameters");
    if ((params->kernel_h > 1 || params->kernel_w > 1 || params->stride_h > 1 || params->stride_w > 1 ||
         params->groups > 1 || params->pad_top || params->pad_left || params->pad_bottom || params->pad_right))
        return et_fail(err, ET_E_INPUT, "a GEMM-layout weight needs a 1x1 kernel, stride 1, no padding, one group");
    et_conv2d_nhwc_params p = *params;
    p.kernel_h = p.kernel_w = 1;
    et_conv2d_nhwc *op = calloc(1, sizeof *op);
    if (!op)
        return et_fail(err, ET_E_NOMEM, "out of memory creating a fully-connected layer");
    et_status st = init_op(op, &p, err);
    if (st != ET_OK)
        goto fail;
    if (op->path != ET_CONV_PATH_GEMM) { /* a 1-channel depthwise shape: force the GEMM path */
        op->path = ET_CONV_PATH_GEMM;
        op->gemm = et_f32_gemm_config_get();
        op->kernel_name = op->gemm->name;
        op->dwconv = NULL;
    }
    init_quantize(op);
    size_t group_floats = 0;
    const size_t total = packed_size(op, &group_floats);
    if (total == 0) {
        st = et_fail(err, ET_E_INPUT, "fully-connected weights %zux%zu are too large", op->goc, op->gic);
        goto fail;
    }
    op->group_packed_floats = group_floats;
    if ((st = alloc_common(op, total, err)) != ET_OK)
        goto fail;
    et_f32_gemm_pack(op->gemm->nr, op->goc, op->gic, weights, w_stride_o, w_stride_i, bias, op->packed);
    *out = op;
    return ET_OK;
fail:
    et_conv2d_nhwc_destroy(op);
    return st;
}

void et_conv2d_nhwc_destroy(et_conv2d_nhwc *op) {
    if (!op)
        return;
    et_winograd_destroy(op->wino);
    et_aligned_free(op->packed);
    et_aligned_free(op->zero);
    et_aligned_free(op->wide_buf);
    free(op->ind);
    free(op);
}

bool et_conv2d_nhwc_output_size(const et_conv2d_nhwc *op, size_t in_h, size_t in_w, size_t *out_h, size_t *out_w) {
    const et_conv2d_nhwc_params *p = &op->p;
    *out_h = et_window_out_size(in_h, p->pad_top, p->pad_bottom, p->kernel_h, p->stride_h, p->dilation_h);
    *out_w = et_window_out_size(in_w, p->pad_left, p->pad_right, p->kernel_w, p->stride_w, p->dilation_w);
    if (*out_h == 0 || *out_w == 0) {
        *out_h = *out_w = 0;
        return false;
    }
    return true;
}

/* Bytes of the Winograd tiles in the scratch, rounded up to 64 (the staged fp32 output follows them); 0 for the
 * other paths. */
static size_t wino_bytes(const et_conv2d_nhwc *op, size_t batch, size_t out_h, size_t out_w) {
    return op->path == ET_CONV_PATH_WINOGRAD ? et_round_up(et_winograd_scratch_bytes(op->wino, batch, out_h, out_w), 64)
                                             : 0;
}

size_t et_conv2d_nhwc_scratch_bytes(const et_conv2d_nhwc *op, size_t batch, size_t in_h, size_t in_w) {
    size_t out_h, out_w, staged = 0;
    if ((op->path != ET_CONV_PATH_WINOGRAD && !op->stage) ||
        !et_conv2d_nhwc_output_size(op, in_h, in_w, &out_h, &out_w))
        return 0;
    if (op->stage && !et_mul_size(batch * out_h * out_w, op->p.out_channels * sizeof(float), &staged))
        return 0;
    return wino_bytes(op, batch, out_h, out_w) + staged;
}

/* Builds (or keeps) the indirection buffer for the bound spatial size. */
static et_status prepare_indirection(et_conv2d_nhwc *op, const float *input, et_err *err) {
    if (op->path == ET_CONV_PATH_GEMM || op->path == ET_CONV_PATH_WINOGRAD)
        return ET_OK;
    if (op->ind && op->ind_h == op->in_h && op->ind_w == op->in_w) {
        op->input_delta = (size_t)((uintptr_t)input - (uintptr_t)op->ind_base);
        return ET_OK;
    }
    const size_t pixels = op->out_h * op->out_w;
    size_t count = 0;
    if (op->path == ET_CONV_PATH_IGEMM) {
        const size_t mr = op->igemm->mr, tiles = (pixels + mr - 1) / mr;
        if (!et_mul_size(tiles * mr, op->ks_run, &count))
            count = 0;
    } else if (!et_mul_size(pixels, op->ks, &count)) {
        count = 0;
    }
    if (count == 0 || count > SIZE_MAX / sizeof(float *))
        return et_fail(err, ET_E_INPUT, "convolution output %zux%zu is too large", op->out_h, op->out_w);
    if (count > op->ind_capacity) {
        const float **grown = realloc(op->ind, count * sizeof *grown);
        if (!grown)
            return et_fail(err, ET_E_NOMEM, "out of memory for a %zu-entry indirection buffer", count);
        op->ind = grown;
        op->ind_capacity = count;
    }
    const et_conv2d_nhwc_params *p = &op->p;
    const et_window win = {op->in_h,    op->in_w,    op->out_h,     op->out_w,     p->kernel_h, p->kernel_w,
                           p->stride_h, p->stride_w, p->dilation_h, p->dilation_w, p->pad_top,  p->pad_left};
    if (op->wide) {
        /* one tap per kernel row, pointing at the row's first padded column in wide_buf */
        const size_t mr = op->igemm->mr, tiles = (pixels + mr - 1) / mr, c = p->in_channels;
        for (size_t t = 0; t < tiles; t++)
            for (size_t ky = 0; ky < p->kernel_h; ky++)
                for (size_t i = 0; i < mr; i++) {
                    size_t row0, rows;
                    et_tile_rows(t, pixels, tiles, &row0, &rows);
                    size_t px = row0 + (i < rows ? i : rows - 1);
                    size_t oy = px / op->out_w, ox = px % op->out_w;
                    size_t iy = oy * p->stride_h + ky * p->dilation_h; /* in padded rows */
                    const float *ptr = op->zero;
                    if (iy >= p->pad_top && iy - p->pad_top < op->in_h)
                        ptr = op->wide_buf + ((iy - p->pad_top) * op->wide_w + ox * p->stride_w) * c;
                    op->ind[(t * p->kernel_h + ky) * mr + i] = ptr;
                }
    } else if (op->path == ET_CONV_PATH_IGEMM)
        et_indirection_igemm(op->ind, &win, input, p->input_pixel_stride, op->zero, op->igemm->mr);
    else
        et_indirection_window(op->ind, &win, input, p->input_pixel_stride, op->zero, false);
    op->ind_h = op->in_h;
    op->ind_w = op->in_w;
    op->ind_base = input;
    op->input_delta = 0;
    return ET_OK;
}

/* Splits the run into tasks for up to `threads` threads. */
static void plan_tasks(et_conv2d_nhwc *op, size_t threads) {
    if (op->path == ET_CONV_PATH_WINOGRAD)
        return; /* winograd.c splits its own phases */
    if (op->path == ET_CONV_PATH_DWCONV) {
        et_task_grid_rows(&op->grid, op->batch * op->out_h, op->out_w, threads);
        return;
    }
    const bool gemm = op->path == ET_CONV_PATH_GEMM;
    const size_t mr = gemm ? op->gemm->mr : op->igemm->mr, nr = gemm ? op->gemm->nr : op->igemm->nr;
    const size_t weight_bytes = op->group_packed_floats * sizeof(float);
    const size_t panel_bytes = weight_bytes / et_round_up(op->goc, nr) * nr;
    /* gemm folds the batch into its rows; igemm runs one image per task */
    et_task_grid_gemm(&op->grid, gemm ? op->batch * op->in_h * op->in_w : op->out_h * op->out_w, mr, op->goc, nr,
                      op->p.groups * (gemm ? 1 : op->batch), weight_bytes, panel_bytes, threads);
}

et_status et_conv2d_nhwc_setup(et_conv2d_nhwc *op, size_t batch, size_t in_h, size_t in_w, const float *input,
                               void *output, const float *residual, void *scratch, et_err *err) {
    op->ready = false;
    if (!input || !output || (op->p.residual && !residual))
        return et_fail(err, ET_E_INPUT, "convolution setup without %s tensor",
                       !input    ? "an input"
                       : !output ? "an output"
                                 : "its residual");
    if (batch == 0)
        return et_fail(err, ET_E_INPUT, "convolution setup with batch 0");
    size_t out_h, out_w;
    if (!et_conv2d_nhwc_output_size(op, in_h, in_w, &out_h, &out_w))
        return et_fail(err, ET_E_INPUT,
                       "convolution input %zux%zu with padding is smaller than the %zux%zu kernel "
                       "(dilation %zux%zu)",
                       in_h, in_w, op->p.kernel_h, op->p.kernel_w, op->p.dilation_h, op->p.dilation_w);
    if (op->path == ET_CONV_PATH_WINOGRAD || op->stage) {
        const size_t need = et_conv2d_nhwc_scratch_bytes(op, batch, in_h, in_w);
        if (need == 0)
            return et_fail(err, ET_E_INPUT, "convolution input %zux%zu is too large", in_h, in_w);
        if (!scratch)
            return et_fail(err, ET_E_INPUT, "convolution setup without its %zu bytes of scratch", need);
    }
    op->scratch = scratch;
    op->batch = batch;
    op->in_h = in_h;
    op->in_w = in_w;
    op->out_h = out_h;
    op->out_w = out_w;
    if (op->wide) {
        size_t wide_w = in_w + op->p.pad_left + op->p.pad_right, floats;
        if (!et_mul_size(batch * in_h, wide_w * op->p.in_channels, &floats))
            return et_fail(err, ET_E_INPUT, "convolution input %zux%zu is too large", in_h, in_w);
        if (floats > op->wide_capacity || wide_w != op->wide_w) {
            et_aligned_free(op->wide_buf);
            op->wide_buf = et_aligned_calloc(floats * sizeof(float)); /* padding columns stay zero */
            if (!op->wide_buf) {
                op->wide_capacity = 0;
                return et_fail(err, ET_E_NOMEM, "out of memory for a %zu-float padded convolution input", floats);
            }
            op->wide_capacity = floats;
            op->wide_w = wide_w;
            op->ind_h = op->ind_w = 0; /* the pointers point into the new buffer: rebuild them */
        }
    }
    et_status st = prepare_indirection(op, input, err);
    if (st != ET_OK)
        return st;
    op->input = input;
    op->qoutput = op->p.quantize ? output : NULL;
    op->output = op->p.quantize ? NULL : output;
    op->out_stride = op->p.output_pixel_stride;
    if (op->stage) { /* fp32 into the scratch after the Winograd tiles, dense */
        op->output = (float *)((char *)scratch + wino_bytes(op, batch, out_h, out_w));
        op->out_stride = op->p.out_channels;
    }
    op->residual = op->p.residual ? residual : NULL;
    op->ready = true;
    return ET_OK;
}

/* The residual add (with the clamp) and the post-op on a tile of `rows` pixels x `cols` channels at c, cs floats
 * from one pixel to the next. */
static void epilogue(const et_conv2d_nhwc *op, float *c, size_t cs, const float *r, size_t rows, size_t cols) {
    size_t rs = op->p.residual_pixel_stride;
    if (cs == cols && (!r || rs == cols)) { /* whole pixels, back to back: one call over the tile, not one per row */
        cols *= rows;
        rows = 1;
    }
    for (size_t i = 0; i < rows; i++) {
        if (r)
            op->vadd(ET_BINARY_ADD, cols, c + i * cs, r + i * rs, 0, c + i * cs, &op->out_clamp);
        if (op->p.post)
            op->vunary(op->p.post_op, cols, c + i * cs, c + i * cs, &op->p.post_params);
    }
}

/* The post-op of consecutive fp32 tiles run by one call: a 6-pixel tile of a 16-channel stem is 96 values, and a
 * vunary call that short costs its call and loop set-up once per 6 pixels (2,091 calls in MobileNetV3-Small's
 * stem). Only whole-pixel tiles with no residual are gathered (cols == out_stride: the tile is dense, and the
 * post-op is elementwise, so one call gives the same values as one per tile). Flushed before it grows past
 * POST_BATCH_FLOATS (the tiles stay in L1) and at the end of a task range. */
enum { POST_BATCH_FLOATS = 4096 };
typedef struct post_batch {
    float *c;     /* the first pending value; NULL when none */
    size_t count; /* values pending from c */
} post_batch;

static void post_flush(const et_conv2d_nhwc *op, post_batch *b) {
    if (b->count)
        op->vunary(op->p.post_op, b->count, b->c, b->c, &op->p.post_params);
    b->count = 0;
}

/* The epilogue of an fp32 tile at c (rows x cols, pixel stride out_stride; r its residual or NULL): gathered into b
 * when it can be (see post_batch), else run now. */
static void epilogue_tile(const et_conv2d_nhwc *op, post_batch *b, float *c, const float *r, size_t rows, size_t cols) {
    if (r || cols != op->out_stride) {
        epilogue(op, c, op->out_stride, r, rows, cols);
        return;
    }
    const size_t n = rows * cols;
    if (b->count && (c != b->c + b->count || b->count + n > POST_BATCH_FLOATS))
        post_flush(op, b);
    if (!b->count)
        b->c = c;
    b->count += n;
}

/* Finishes a piece computed into `tile` (rows x cols floats, dense): the epilogue, then the int8 output at y (row
 * stride output_pixel_stride elements); r is the piece's residual or NULL. */
static void quantize_piece(const et_conv2d_nhwc *op, float *tile, const float *r, size_t rows, size_t cols, int8_t *y) {
    if (r || op->p.post)
        epilogue(op, tile, cols, r, rows, cols);
    const size_t ys = op->p.output_pixel_stride;
    if (ys == cols) { /* whole pixels, back to back */
        op->vcvt->quantize(rows * cols, tile, y, &op->quant);
        return;
    }
    for (size_t i = 0; i < rows; i++)
        op->vcvt->quantize(cols, tile + i * cols, y + i * ys, &op->quant);
}

/* Consecutive full-width tiles of one task range gathered in the stack buffer and finished by one call: a 6-pixel
 * tile of a 16-channel stem is 96 values, and a quantize call that short costs its latency (measured: as much as
 * the separate pass it replaces). */
typedef struct qbatch {
    float *buf;            /* QTILE_FLOATS */
    size_t pixel0, pixels; /* the pixels gathered, from pixel0 (over the whole batch) */
} qbatch;

static void qbatch_flush(const et_conv2d_nhwc *op, qbatch *b) {
    if (!b->pixels)
        return;
    const float *r = op->residual ? op->residual + b->pixel0 * op->p.residual_pixel_stride : NULL;
    quantize_piece(op, b->buf, r, b->pixels, op->goc, op->qoutput + b->pixel0 * op->p.output_pixel_stride);
    b->pixels = 0;
}

/* Where the kernel writes a tile of `rows` pixels from pixel0 when tiles are full width (one group, one column
 * block that fits the buffer), after the tiles gathered so far (flushed first when it does not follow them or does
 * not fit); NULL otherwise (the tile goes in column pieces). */
static float *qbatch_slot(const et_conv2d_nhwc *op, qbatch *b, size_t pixel0, size_t rows) {
    if (op->p.groups != 1 || op->grid.n_blocks != 1 || op->goc > op->piece)
        return NULL;
    if (b->pixels && (pixel0 != b->pixel0 + b->pixels || (b->pixels + rows) * op->goc > QTILE_FLOATS))
        qbatch_flush(op, b);
    if (!b->pixels)
        b->pixel0 = pixel0;
    float *slot = b->buf + b->pixels * op->goc;
    b->pixels += rows;
    return slot;
}

static void gemm_tasks(void *ctx, size_t begin, size_t end) {
    const et_conv2d_nhwc *op = ctx;
    const et_f32_gemm_config *cfg = op->gemm;
    const size_t nr = cfg->nr, in_s = op->p.input_pixel_stride, out_s = op->p.output_pixel_stride;
    const size_t panel = (op->gic + 1) * nr, rs = op->p.residual_pixel_stride;
    _Alignas(64) float tile[QTILE_FLOATS];
    qbatch qb = {.buf = tile};
    post_batch pb = {NULL, 0};
    size_t mt, nb, g;
    et_task_grid_at(&op->grid, begin, &mt, &nb, &g);
    for (size_t t = begin; t < end; t++, et_task_grid_next(&op->grid, &mt, &nb, &g)) {
        size_t row0, rows;
        et_tile_rows(mt, op->grid.m, op->grid.m_tiles, &row0, &rows);
        const size_t col0 = nb * op->grid.nc, cols = op->goc - col0 < op->grid.nc ? op->goc - col0 : op->grid.nc;
        const float *a = op->input + row0 * in_s + g * op->gic;
        const float *w = op->packed + g * op->group_packed_floats + col0 / nr * panel;
        const float *r = op->residual ? op->residual + row0 * rs + g * op->goc + col0 : NULL;
        const et_f32_gemm_ukernel_fn fn = rows == 1 ? cfg->ukernel1 : cfg->ukernel;
        if (op->output) {
            float *c = op->output + row0 * op->out_stride + g * op->goc + col0;
            fn(rows, cols, op->gic, a, in_s, w, c, op->out_stride, &op->kernel_clamp);
            if (r || op->p.post)
                epilogue_tile(op, &pb, c, r, rows, cols);
            continue;
        }
        float *slot = qbatch_slot(op, &qb, row0, rows);
        if (slot) {
            fn(rows, cols, op->gic, a, in_s, w, slot, cols, &op->kernel_clamp);
            continue;
        }
        int8_t *y = op->qoutput + row0 * out_s + g * op->goc + col0;
        for (size_t c0 = 0; c0 < cols; c0 += op->piece) { /* piece is a multiple of nr */
            const size_t n = cols - c0 < op->piece ? cols - c0 : op->piece;
            fn(rows, n, op->gic, a, in_s, w + c0 / nr * panel, tile, n, &op->kernel_clamp);
            quantize_piece(op, tile, r ? r + c0 : NULL, rows, n, y + c0);
        }
    }
    post_flush(op, &pb);
    qbatch_flush(op, &qb);
}

static void igemm_tasks(void *ctx, size_t begin, size_t end) {
    const et_conv2d_nhwc *op = ctx;
    const et_f32_igemm_config *cfg = op->igemm;
    const size_t mr = cfg->mr, nr = cfg->nr, out_s = op->p.output_pixel_stride, rs = op->p.residual_pixel_stride;
    const size_t panel = (op->ks * op->gic + 1) * nr;
    const size_t image_in = op->wide ? op->in_h * op->wide_w * op->p.in_channels * sizeof(float)
                                     : op->in_h * op->in_w * op->p.input_pixel_stride * sizeof(float);
    const size_t delta = op->wide ? 0 : op->input_delta;
    _Alignas(64) float tile[QTILE_FLOATS];
    qbatch qb = {.buf = tile};
    post_batch pb = {NULL, 0};
    size_t mt, nb, rest;
    et_task_grid_at(&op->grid, begin, &mt, &nb, &rest);
    for (size_t t = begin; t < end; t++, et_task_grid_next(&op->grid, &mt, &nb, &rest)) {
        const size_t img = rest % op->batch, g = rest / op->batch;
        size_t row0, rows;
        et_tile_rows(mt, op->grid.m, op->grid.m_tiles, &row0, &rows);
        const size_t col0 = nb * op->grid.nc, cols = op->goc - col0 < op->grid.nc ? op->goc - col0 : op->grid.nc;
        const size_t a_offset = delta + img * image_in + g * op->gic * sizeof(float);
        const float *w = op->packed + g * op->group_packed_floats + col0 / nr * panel;
        const float **ind = op->ind + mt * op->ks_run * mr;
        const size_t pixel0 = img * op->grid.m + row0; /* in the whole batch */
        const float *r = op->residual ? op->residual + pixel0 * rs + g * op->goc + col0 : NULL;
        if (op->output) {
            float *c = op->output + pixel0 * op->out_stride + g * op->goc + col0;
            cfg->ukernel(rows, cols, op->kc_run, op->ks_run, ind, w, c, op->out_stride, a_offset, op->zero,
                         &op->kernel_clamp);
            if (r || op->p.post)
                epilogue_tile(op, &pb, c, r, rows, cols);
            continue;
        }
        float *slot = qbatch_slot(op, &qb, pixel0, rows);
        if (slot) {
            cfg->ukernel(rows, cols, op->kc_run, op->ks_run, ind, w, slot, cols, a_offset, op->zero, &op->kernel_clamp);
            continue;
        }
        int8_t *y = op->qoutput + pixel0 * out_s + g * op->goc + col0;
        for (size_t c0 = 0; c0 < cols; c0 += op->piece) { /* piece is a multiple of nr */
            const size_t n = cols - c0 < op->piece ? cols - c0 : op->piece;
            cfg->ukernel(rows, n, op->kc_run, op->ks_run, ind, w + c0 / nr * panel, tile, n, a_offset, op->zero,
                         &op->kernel_clamp);
            quantize_piece(op, tile, r ? r + c0 : NULL, rows, n, y + c0);
        }
    }
    post_flush(op, &pb);
    qbatch_flush(op, &qb);
}

static void dwconv_tasks(void *ctx, size_t begin, size_t end) {
    const et_conv2d_nhwc *op = ctx;
    const et_f32_dwconv_config *cfg = op->dwconv;
    const et_f32_dwconv_ukernel_fn fn = op->ks == 9 && cfg->ukernel_9p ? cfg->ukernel_9p : cfg->ukernel_xp;
    const size_t ks = op->ks, ch = op->p.out_channels, rs = op->p.residual_pixel_stride;
    const size_t image_in = op->in_h * op->in_w * op->p.input_pixel_stride * sizeof(float);
    _Alignas(64) float tile[QTILE_FLOATS];
    for (size_t t = begin; t < end; t++) {
        const size_t chunk = t % op->grid.row_chunks, row = t / op->grid.row_chunks;
        const size_t img = row / op->out_h, oy = row % op->out_h;
        const size_t x0 = chunk * op->grid.chunk_w,
                     width = op->out_w - x0 < op->grid.chunk_w ? op->out_w - x0 : op->grid.chunk_w;
        const size_t pixel = oy * op->out_w + x0, pixel0 = img * op->out_h * op->out_w + pixel;
        const size_t offset = op->input_delta + img * image_in;
        const float *r = op->residual ? op->residual + pixel0 * rs : NULL;
        if (op->output) {
            float *c = op->output + pixel0 * op->out_stride;
            fn(ch, width, ks, op->ind + pixel * ks, op->packed, c, ks, op->out_stride, offset, op->zero,
               &op->kernel_clamp);
            if (r || op->p.post)
                epilogue(op, c, op->out_stride, r, width, ch);
            continue;
        }
        for (size_t x = 0; x < width; x += op->piece) { /* piece: whole pixels that fit the tile */
            const size_t n = width - x < op->piece ? width - x : op->piece;
            fn(ch, n, ks, op->ind + (pixel + x) * ks, op->packed, tile, ks, ch, offset, op->zero, &op->kernel_clamp);
            quantize_piece(op, tile, r ? r + x * rs : NULL, n, ch,
                           op->qoutput + (pixel0 + x) * op->p.output_pixel_stride);
        }
    }
}

/* The staged fp32 output (dense) into the int8 output, pixels [begin, end). */
static void quantize_staged(void *ctx, size_t begin, size_t end) {
    const et_conv2d_nhwc *op = ctx;
    const size_t ch = op->p.out_channels, ys = op->p.output_pixel_stride;
    if (ys == ch) {
        op->vcvt->quantize((end - begin) * ch, op->output + begin * ch, op->qoutput + begin * ch, &op->quant);
        return;
    }
    for (size_t px = begin; px < end; px++)
        op->vcvt->quantize(ch, op->output + px * ch, op->qoutput + px * ys, &op->quant);
}

static void wide_copy_rows(void *ctx, size_t begin, size_t end) {
    const et_conv2d_nhwc *op = ctx;
    const size_t c = op->p.in_channels, row = op->in_w * c;
    for (size_t r = begin; r < end; r++)
        memcpy(op->wide_buf + (r * op->wide_w + op->p.pad_left) * c, op->input + r * row, row * sizeof(float));
}

et_status et_conv2d_nhwc_run(et_conv2d_nhwc *op, et_threadpool *pool, et_err *err) {
    if (!op->ready)
        return et_fail(err, ET_E_RUNTIME, "convolution run before a successful setup");
    if (op->path != ET_CONV_PATH_WINOGRAD) { /* winograd (large layers only) splits its own phases */
        const double macs = (double)et_conv2d_nhwc_macs(op);
        pool = et_threadpool_for_work(pool, macs * (op->path == ET_CONV_PATH_DWCONV ? ET_NS_PER_MAC_DW
                                                                                    : ET_NS_PER_MAC_GEMM_F32));
    }
    plan_tasks(op, (size_t)et_threadpool_size(pool));
    if (op->wide) /* the input rows into the padded copy (its padding columns are zeros from setup) */
        et_threadpool_parallel_for(pool, op->batch * op->in_h, wide_copy_rows, op);
    switch (op->path) {
    case ET_CONV_PATH_GEMM: et_threadpool_parallel_for(pool, op->grid.tasks, gemm_tasks, op); break;
    case ET_CONV_PATH_IGEMM: et_threadpool_parallel_for(pool, op->grid.tasks, igemm_tasks, op); break;
    case ET_CONV_PATH_DWCONV: et_threadpool_parallel_for(pool, op->grid.tasks, dwconv_tasks, op); break;
    case ET_CONV_PATH_WINOGRAD: {
        const et_conv2d_nhwc_params *p = &op->p;
        const et_winograd_args a = {.batch = op->batch,
                                    .in_h = op->in_h,
                                    .in_w = op->in_w,
                                    .out_h = op->out_h,
                                    .out_w = op->out_w,
                                    .pad_top = p->pad_top,
                                    .pad_left = p->pad_left,
                                    .input = op->input,
                                    .input_stride = p->input_pixel_stride,
                                    .output = op->output,
                                    .output_stride = op->out_stride,
                                    .residual = op->residual,
                                    .residual_stride = p->residual_pixel_stride,
                                    .out_min = p->out_min,
                                    .out_max = p->out_max,
                                    .post = p->post,
                                    .post_op = p->post_op,
                                    .post_params = p->post_params,
                                    .scratch = op->scratch};
        et_winograd_run(op->wino, &a, pool);
        break;
    }
    }
    if (op->stage) { /* a float and an int8 per value */
        const size_t pixels = op->batch * op->out_h * op->out_w;
        et_threadpool *qpool = et_threadpool_for_work(pool, (double)(pixels * op->p.out_channels) * 5 *
                                                                ET_NS_PER_BYTE_STREAM);
        et_threadpool_parallel_for(qpool, pixels, quantize_staged, op);
    }
    return ET_OK;
}

const char *et_conv2d_nhwc_kernel_name(const et_conv2d_nhwc *op) { return op->kernel_name; }

et_conv_path et_conv2d_nhwc_path(const et_conv2d_nhwc *op) { return op->path; }

size_t et_conv2d_nhwc_packed_bytes(const et_conv2d_nhwc *op) {
    return op->wino ? et_winograd_packed_bytes(op->wino) : op->packed_floats * sizeof(float);
}

size_t et_conv2d_nhwc_macs(const et_conv2d_nhwc *op) {
    if (!op->ready)
        return 0;
    return op->batch * op->out_h * op->out_w * op->p.out_channels * op->gic * op->ks;
}
