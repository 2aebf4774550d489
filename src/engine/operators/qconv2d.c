/* qconv2d.c: the NHWC quantized convolution operator (see qconv2d.h).
 *
 * The structure is conv2d.c's: a run is a flat list of tasks (task_grid.h), each one kernel call on a tile of up
 * to MR output pixels x nc output channels (gemm, igemm) or one piece of an output row (dwconv). When the kernels read A in another format (int16,
 * uint8) or need k padded to their KR, the input is converted: a 1x1 (gemm) task converts its own MR rows into a
 * stack buffer just before its kernel call (they stay in L1; no pass over memory), an igemm run first converts the
 * whole input in a parallel pass into scratch laid out [image][pixel][group][kc_pad], the pad zeroed, which the
 * indirection pointers address (each input pixel is read by several taps and tiles, so once is cheaper).
 * The int32 sum over k * taps is bounded by 255 * 127 * K, so K <= MAX_K keeps it inside int32. */
#include "engine/operators/qconv2d.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/kernels/qc8-dwconv/qc8-dwconv.h"
#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "engine/kernels/qs8-vcvt/qs8-vcvt.h"
#include "engine/kernels/x8-lut/x8-lut.h"
#include "engine/operators/indirection.h"
#include "engine/operators/qwinograd.h"
#include "engine/operators/task_grid.h"
#include "util/mem.h"

enum {
    MAX_K = 66000,
    CONVERT_CHUNK_PIXELS = 256,
    FUSED_A_BYTES = 32 * 1024, /* gemm tasks convert their own rows when MR rows fit here (in L1) */
};

struct et_qconv2d_nhwc {
    et_qconv2d_nhwc_params p; /* normalised */
    et_conv_path path;
    size_t gic, goc, ks, kc_pad;
    const et_qgemm_config *gemm;
    const et_qdwconv_config *dw;
    et_qdwconv_ukernel_fn dw_fn;
    const et_qs8_vcvt_config *cvt;
    const char *kernel_name;
    et_qwinograd *wino; /* the Winograd path's transformed weights (NULL on the other paths) */

    void *packed;
    size_t packed_bytes, group_packed_bytes, panel_bytes;
    void *zero; /* padding taps: kc_pad elements of zp_x in the A format (dwconv: channels bytes) */
    et_qs8_requant_params rq;
    const et_x8_lut_config *lut; /* with the fused table below, or NULL */
    int8_t table[256];
    bool convert;         /* A is a converted copy of the input */
    bool fused_convert;   /* ... made by each gemm task for its rows (else by a pass into scratch) */
    size_t a_elem;        /* bytes per A element */
    size_t a_pixel_bytes; /* bytes per pixel of the A operand */
    /* setup state */
    bool ready;
    size_t batch, in_h, in_w, out_h, out_w;
    const int8_t *input;
    int8_t *output;
    const int8_t *residual;
    uint8_t *a_base; /* A operand: the input itself or the converted copy */
    void *own_scratch;
    size_t own_scratch_bytes;
    const void **ind; /* indirection (igemm, dwconv), built for ind_h x ind_w at ind_base */
    size_t ind_capacity, ind_h, ind_w;
    const uint8_t *ind_base;
    size_t input_delta; /* bytes from ind_base to the bound A (mod 2^64) */
    /* task grid */
    et_task_grid grid;
};

static bool in_s8(int32_t v) { return v >= -128 && v <= 127; }
static bool good_scale(float s) { return isfinite(s) && s > 0.0f; }

/* Whether a convolution takes the int8 Winograd path: forced by params->algo where the shape allows (3x3,
 * stride 1, no dilation, one group, at most ET_QS8_WINO_MAX_CHANNELS input channels), else by
 * et_qwinograd_choose at the expected size, and then only for 8-bit weights (narrower ones have faster direct
 * kernels: vpmaddubsw, nibbles) and where the direct 8-bit kernel multiplies int16 pairs like the Winograd GEMMs
 * (AVX2 vpmaddwd): its 16/36 of the multiply-adds are then a gain, whereas AVX-512 VNNI's vpdpbusd does four
 * times the products per instruction and was not measured against it (no such CPU here). */
static bool use_winograd(const et_qconv2d_nhwc_params *p) {
    if (p->kernel_h != 3 || p->kernel_w != 3 || p->stride_h != 1 || p->stride_w != 1 || p->dilation_h != 1 ||
        p->dilation_w != 1 || p->groups != 1 || p->in_channels > ET_QS8_WINO_MAX_CHANNELS)
        return false;
    switch (p->algo) {
    case ET_CONV_ALGO_DIRECT: return false;
    case ET_CONV_ALGO_WINOGRAD_2X2:
    case ET_CONV_ALGO_WINOGRAD_4X4: return true;
    case ET_CONV_ALGO_AUTO: break;
    }
    if (!p->expect_h || !p->expect_w || p->weight_bits != 8 || et_qgemm_config_get(8)->a_format != ET_QA_S16)
        return false;
    const size_t out_h = et_window_out_size(p->expect_h, p->pad_top, p->pad_bottom, 3, 1, 1);
    const size_t out_w = et_window_out_size(p->expect_w, p->pad_left, p->pad_right, 3, 1, 1);
    return et_qwinograd_choose(NULL, p->expect_batch ? p->expect_batch : 1, out_h, out_w, p->in_channels,
                               p->out_channels);
}

/* Validates and normalises params into op->p, picks the path and kernels. */
static et_status init_op(et_qconv2d_nhwc *op, const et_qconv2d_nhwc_params *params, bool force_gemm, et_err *err) {
    et_qconv2d_nhwc_params p = *params;
    p.groups = p.groups ? p.groups : 1;
    p.stride_h = p.stride_h ? p.stride_h : 1;
    p.stride_w = p.stride_w ? p.stride_w : 1;
    p.dilation_h = p.dilation_h ? p.dilation_h : 1;
    p.dilation_w = p.dilation_w ? p.dilation_w : 1;
    p.weight_bits = p.weight_bits ? p.weight_bits : 8;
    if (p.in_channels == 0 || p.out_channels == 0 || p.kernel_h == 0 || p.kernel_w == 0)
        return et_fail(err, ET_E_INPUT,
                       "quantized convolution with %zu input channels, %zu output channels and a "
                       "%zux%zu kernel: every size must be at least 1",
                       p.in_channels, p.out_channels, p.kernel_h, p.kernel_w);
    if (p.in_channels % p.groups || p.out_channels % p.groups)
        return et_fail(err, ET_E_INPUT,
                       "quantized convolution channels %zu -> %zu are not divisible by group count "
                       "%zu",
                       p.in_channels, p.out_channels, p.groups);
    p.input_pixel_stride = p.input_pixel_stride ? p.input_pixel_stride : p.in_channels;
    p.output_pixel_stride = p.output_pixel_stride ? p.output_pixel_stride : p.out_channels;
    p.residual_pixel_stride = p.residual_pixel_stride ? p.residual_pixel_stride : p.out_channels;
    if (p.input_pixel_stride < p.in_channels || p.output_pixel_stride < p.out_channels ||
        p.residual_pixel_stride < p.out_channels)
        return et_fail(err, ET_E_INPUT,
                       "quantized convolution pixel strides (%zu in, %zu out) are narrower than "
                       "the channels (%zu in, %zu out)",
                       p.input_pixel_stride, p.output_pixel_stride, p.in_channels, p.out_channels);
    if (!good_scale(p.x_scale) || !good_scale(p.y_scale) || (p.residual && !good_scale(p.residual_scale)))
        return et_fail(err, ET_E_INPUT,
                       "quantized convolution scales (input %g, output %g%s) must be positive and "
                       "finite",
                       p.x_scale, p.y_scale, p.residual ? ", residual" : "");
    if (!in_s8(p.x_zp) || !in_s8(p.y_zp) || (p.residual && !in_s8(p.residual_zp)))
        return et_fail(err, ET_E_INPUT,
                       "quantized convolution zero points (input %d, output %d) must lie in "
                       "[-128, 127]",
                       (int)p.x_zp, (int)p.y_zp);
    if (!p.clamp) {
        p.qmin = -128;
        p.qmax = 127;
    } else if (!in_s8(p.qmin) || !in_s8(p.qmax) || p.qmin > p.qmax) {
        return et_fail(err, ET_E_INPUT, "quantized convolution clamp [%d, %d] is empty or outside [-128, 127]",
                       (int)p.qmin, (int)p.qmax);
    }
    if (p.weight_bits < 2 || p.weight_bits > 8)
        return et_fail(err, ET_E_INPUT, "quantized convolution weight bits %d: use 2 to 8", p.weight_bits);
    if (p.table) {
        memcpy(op->table, p.table, sizeof op->table);
        op->lut = et_x8_lut_config_get();
        p.table = op->table;
    }
    op->p = p;
    op->gic = p.in_channels / p.groups;
    op->goc = p.out_channels / p.groups;
    op->ks = p.kernel_h * p.kernel_w;
    if (op->ks > MAX_K || op->gic * op->ks > MAX_K)
        return et_fail(err, ET_E_UNSUPPORTED,
                       "quantized convolution sums %zu products per output (%zu channels x "
                       "%zux%zu): more than %d could overflow int32; keep this layer in fp32",
                       op->gic * op->ks, op->gic, p.kernel_h, p.kernel_w, MAX_K);
    et_qs8_requant_params_init(&op->rq, p.y_zp, p.qmin, p.qmax, p.residual ? p.residual_scale / p.y_scale : 0.0f,
                               p.residual ? p.residual_zp : 0);
    op->cvt = et_qs8_vcvt_config_get();
    const bool depthwise = p.groups == p.in_channels && p.groups == p.out_channels;
    if (depthwise && !force_gemm) {
        op->path = ET_CONV_PATH_DWCONV;
        op->dw = et_qdwconv_config_get();
        op->dw_fn = op->ks == 9 && op->dw->ukernel_9p ? op->dw->ukernel_9p : op->dw->ukernel;
        op->kernel_name = op->ks == 9 && op->dw->ukernel_9p ? op->dw->name_9p : op->dw->name;
        op->a_elem = 1;
        op->a_pixel_bytes = p.input_pixel_stride;
        return ET_OK;
    }
    if (!force_gemm && use_winograd(&p)) {
        if (p.algo == ET_CONV_ALGO_WINOGRAD_4X4)
            return et_fail(err, ET_E_UNSUPPORTED, "int8 Winograd has F(2x2, 3x3) only, not F(4x4, 3x3)");
        op->path = ET_CONV_PATH_WINOGRAD;
        op->kernel_name = et_qs8_wino_config_get()->name;
        return ET_OK;
    }
    const bool pointwise = op->ks == 1 && p.stride_h == 1 && p.stride_w == 1 && !p.pad_top && !p.pad_left &&
                           !p.pad_bottom && !p.pad_right;
    op->path = pointwise || force_gemm ? ET_CONV_PATH_GEMM : ET_CONV_PATH_IGEMM;
    op->gemm = et_qgemm_config_get(p.weight_bits);
    op->kernel_name = op->path == ET_CONV_PATH_GEMM ? op->gemm->gemm_name : op->gemm->igemm_name;
    op->kc_pad = et_qgemm_kc_padded(op->gemm, op->gic);
    op->a_elem = et_qa_format_bytes(op->gemm->a_format);
    op->convert = op->gemm->a_format != ET_QA_S8 || op->kc_pad != op->gic;
    op->a_pixel_bytes = op->convert ? p.groups * op->kc_pad * op->a_elem : p.input_pixel_stride;
    /* per-task conversion pays a call per tile: measured to win from 64 channels up, lose below (Zen 3) */
    op->fused_convert = op->convert && op->path == ET_CONV_PATH_GEMM && op->gic >= 64 &&
                        op->gemm->mr * op->kc_pad * op->a_elem <= FUSED_A_BYTES;
    return ET_OK;
}

/* Checks weights against the bit-width and scales against their range; names the first offender. */
static et_status check_weights(const et_qconv2d_nhwc *op, const int8_t *w, size_t stride_o, size_t stride_i,
                               const float *w_scale, et_err *err) {
    const int qmax = (1 << (op->p.weight_bits - 1)) - 1;
    const size_t per_out = op->gic * op->ks;
    for (size_t o = 0; o < op->p.out_channels; o++) {
        if (!isfinite(w_scale[o]) || w_scale[o] < 0.0f)
            return et_fail(err, ET_E_INPUT,
                           "quantized convolution weight scale %g of output channel %zu must be "
                           "finite and not negative",
                           w_scale[o], o);
        for (size_t i = 0; i < per_out; i++) {
            const int v = w[o * stride_o + i * stride_i];
            if (v > qmax || v < -qmax)
                return et_fail(err, ET_E_INPUT,
                               "quantized convolution weight %d (output channel %zu, element %zu) "
                               "is outside the symmetric %d-bit range [-%d, %d]",
                               v, o, i, op->p.weight_bits, qmax, qmax);
        }
    }
    return ET_OK;
}

/* Allocates the packed weights (bytes) and the zero buffer, filled with zp_x in the A format. */
static et_status alloc_common(et_qconv2d_nhwc *op, size_t packed_bytes, et_err *err) {
    op->packed_bytes = packed_bytes;
    op->packed = et_aligned_alloc(packed_bytes);
    const size_t zero_elems = (op->kc_pad > op->p.in_channels ? op->kc_pad : op->p.in_channels) + 64;
    op->zero = et_aligned_alloc(zero_elems * 2);
    if (!op->packed || !op->zero)
        return et_fail(err, ET_E_NOMEM, "out of memory packing quantized convolution weights (%zu bytes)",
                       packed_bytes);
    const int8_t zp = (int8_t)op->p.x_zp;
    if (op->path == ET_CONV_PATH_DWCONV || op->gemm->a_format == ET_QA_S8) {
        memset(op->zero, (uint8_t)zp, zero_elems * 2);
    } else if (op->gemm->a_format == ET_QA_S16) {
        int16_t *z = op->zero;
        for (size_t i = 0; i < zero_elems; i++)
            z[i] = zp;
    } else {
        memset(op->zero, (uint8_t)zp ^ 0x80u, zero_elems * 2);
    }
    return ET_OK;
}

/* Per-channel requantization multipliers (float, as the kernels use them). */
static float *make_scales(const et_qconv2d_nhwc *op, const float *w_scale) {
    float *s = malloc(op->p.out_channels * sizeof *s);
    if (s)
        for (size_t o = 0; o < op->p.out_channels; o++)
            s[o] = et_qs8_requant_scale(op->p.x_scale, w_scale[o], op->p.y_scale);
    return s;
}

static et_status create_common(const et_qconv2d_nhwc_params *params, bool gemm_layout, const int8_t *weights,
                               size_t w_stride_o, size_t w_stride_i, const float *w_scale, const int32_t *bias,
                               et_qconv2d_nhwc **out, et_err *err) {
    *out = NULL;
    if (!params || !weights || !w_scale)
        return et_fail(err, ET_E_INPUT, "quantized convolution created without %s",
                       !params    ? "parameters"
                       : !weights ? "weights"
                                  : "weight scales");
    et_qconv2d_nhwc *op = calloc(1, sizeof *op);
    if (!op)
        return et_fail(err, ET_E_NOMEM, "out of memory creating a quantized convolution");
    float *scales = NULL;
    et_status st = init_op(op, params, gemm_layout, err);
    if (st != ET_OK)
        goto fail;
    if (!gemm_layout) {
        w_stride_o = op->gic * op->ks;
        w_stride_i = 1;
    }
    if ((st = check_weights(op, weights, w_stride_o, w_stride_i, w_scale, err)) != ET_OK)
        goto fail;
    if (op->path == ET_CONV_PATH_WINOGRAD) {
        if (!(scales = make_scales(op, w_scale))) {
            st = et_fail(err, ET_E_NOMEM, "out of memory creating a quantized convolution");
            goto fail;
        }
        if ((st = et_qwinograd_create(NULL, op->p.in_channels, op->p.out_channels, weights, bias, scales, op->p.x_zp,
                                      &op->rq, &op->wino, err)) != ET_OK)
            goto fail;
        op->packed_bytes = et_qwinograd_packed_bytes(op->wino);
        free(scales);
        *out = op;
        return ET_OK;
    }
    size_t group_bytes = 0, total = 0;
    if (op->path == ET_CONV_PATH_DWCONV) {
        total = group_bytes = et_qdwconv_packed_bytes(op->dw, op->p.in_channels, op->ks);
    } else {
        group_bytes = et_qgemm_packed_bytes(op->gemm, op->goc, op->ks, op->gic);
        op->panel_bytes = et_qgemm_panel_bytes(op->gemm, op->ks, op->gic);
        if (!et_mul_size(group_bytes, op->p.groups, &total))
            total = 0;
    }
    if (total == 0) {
        st = et_fail(err, ET_E_INPUT, "quantized convolution weights %zux%zux%zux%zu are too large", op->p.out_channels,
                     op->gic, op->p.kernel_h, op->p.kernel_w);
        goto fail;
    }
    op->group_packed_bytes = group_bytes;
    if ((st = alloc_common(op, total, err)) != ET_OK)
        goto fail;
    if (!(scales = make_scales(op, w_scale))) {
        st = et_fail(err, ET_E_NOMEM, "out of memory creating a quantized convolution");
        goto fail;
    }
    if (op->path == ET_CONV_PATH_DWCONV) {
        et_qdwconv_pack(op->dw, op->p.in_channels, op->ks, weights, bias, scales, op->p.x_zp, op->packed);
    } else {
        for (size_t g = 0; g < op->p.groups; g++)
            et_qgemm_pack(op->gemm, op->goc, op->ks, op->gic, weights + g * op->goc * w_stride_o, w_stride_o, 1,
                          w_stride_i * (gemm_layout ? 1 : op->ks), bias ? bias + g * op->goc : NULL,
                          scales + g * op->goc, op->p.x_zp, (uint8_t *)op->packed + g * group_bytes);
    }
    free(scales);
    *out = op;
    return ET_OK;
fail:
    free(scales);
    et_qconv2d_nhwc_destroy(op);
    return st;
}

et_status et_qconv2d_nhwc_create(const et_qconv2d_nhwc_params *params, const int8_t *weights, const float *w_scale,
                                 const int32_t *bias, et_qconv2d_nhwc **out, et_err *err) {
    return create_common(params, false, weights, 0, 0, w_scale, bias, out, err);
}

et_status et_qconv2d_nhwc_create_gemm(const et_qconv2d_nhwc_params *params, const int8_t *weights, size_t w_stride_o,
                                      size_t w_stride_i, const float *w_scale, const int32_t *bias,
                                      et_qconv2d_nhwc **out, et_err *err) {
    *out = NULL;
    if (params &&
        (params->kernel_h > 1 || params->kernel_w > 1 || params->stride_h > 1 || params->stride_w > 1 ||
         params->groups > 1 || params->pad_top || params->pad_left || params->pad_bottom || params->pad_right))
        return et_fail(err, ET_E_INPUT,
                       "a GEMM-layout quantized weight needs a 1x1 kernel, stride 1, no padding, "
                       "one group");
    et_qconv2d_nhwc_params p = params ? *params : (et_qconv2d_nhwc_params){0};
    p.kernel_h = p.kernel_w = 1;
    return create_common(params ? &p : NULL, true, weights, w_stride_o, w_stride_i, w_scale, bias, out, err);
}

void et_qconv2d_nhwc_destroy(et_qconv2d_nhwc *op) {
    if (!op)
        return;
    et_qwinograd_destroy(op->wino);
    et_aligned_free(op->packed);
    et_aligned_free(op->zero);
    et_aligned_free(op->own_scratch);
    free(op->ind);
    free(op);
}

bool et_qconv2d_nhwc_output_size(const et_qconv2d_nhwc *op, size_t in_h, size_t in_w, size_t *out_h, size_t *out_w) {
    const et_qconv2d_nhwc_params *p = &op->p;
    *out_h = et_window_out_size(in_h, p->pad_top, p->pad_bottom, p->kernel_h, p->stride_h, p->dilation_h);
    *out_w = et_window_out_size(in_w, p->pad_left, p->pad_right, p->kernel_w, p->stride_w, p->dilation_w);
    if (*out_h == 0 || *out_w == 0) {
        *out_h = *out_w = 0;
        return false;
    }
    return true;
}

size_t et_qconv2d_nhwc_scratch_bytes(const et_qconv2d_nhwc *op, size_t batch, size_t in_h, size_t in_w) {
    size_t pixels = 0, bytes = 0, out_h, out_w;
    if (op->path == ET_CONV_PATH_WINOGRAD)
        return et_qconv2d_nhwc_output_size(op, in_h, in_w, &out_h, &out_w)
                   ? et_qwinograd_scratch_bytes(op->wino, batch, out_h, out_w, op->p.expect_threads)
                   : 0;
    if (!op->convert || op->fused_convert || !et_mul_size(batch, in_h, &pixels) ||
        !et_mul_size(pixels, in_w, &pixels) || !et_mul_size(pixels, op->a_pixel_bytes, &bytes))
        return 0;
    return bytes;
}

/* The input pixel a tap reads (byte pointer), or NULL in the padding. */
static const uint8_t *tap_pointer(const et_window *w, const uint8_t *base, size_t pixel_bytes, size_t oy, size_t ox,
                                  size_t ky, size_t kx) {
    const size_t iy = oy * w->stride_h + ky * w->dilation_h - w->pad_top; /* wraps below 0: fails the check */
    const size_t ix = ox * w->stride_w + kx * w->dilation_w - w->pad_left;
    if (iy >= w->in_h || ix >= w->in_w)
        return NULL;
    return base + (iy * w->in_w + ix) * pixel_bytes;
}

/* Builds the byte-pointer tables of indirection.h (igemm: tiles of up to mr pixels split evenly, [tile][tap][mr];
 * dwconv: [pixel][tap]) over the A operand at `base`. */
static void build_indirection(et_qconv2d_nhwc *op, const uint8_t *base) {
    const et_qconv2d_nhwc_params *p = &op->p;
    const et_window w = {op->in_h,    op->in_w,    op->out_h,     op->out_w,     p->kernel_h, p->kernel_w,
                         p->stride_h, p->stride_w, p->dilation_h, p->dilation_w, p->pad_top,  p->pad_left};
    const size_t pixels = op->out_h * op->out_w, ks = op->ks;
    const size_t mr = op->path == ET_CONV_PATH_IGEMM ? op->gemm->mr : 1;
    const size_t tiles = (pixels + mr - 1) / mr;
    for (size_t t = 0; t < tiles; t++)
        for (size_t i = 0; i < mr; i++) {
            size_t row0, rows;
            et_tile_rows(t, pixels, tiles, &row0, &rows); /* the split igemm_tasks reads */
            const size_t px = row0 + (i < rows ? i : rows - 1);
            const size_t oy = px / op->out_w, ox = px % op->out_w;
            for (size_t tap = 0; tap < ks; tap++) {
                const uint8_t *ptr = tap_pointer(&w, base, op->a_pixel_bytes, oy, ox, tap / p->kernel_w,
                                                 tap % p->kernel_w);
                op->ind[(t * ks + tap) * mr + i] = ptr ? (const void *)ptr : op->zero;
            }
        }
    op->ind_h = op->in_h;
    op->ind_w = op->in_w;
    op->ind_base = base;
    op->input_delta = 0;
}

static et_status prepare_indirection(et_qconv2d_nhwc *op, et_err *err) {
    if (op->path == ET_CONV_PATH_GEMM || op->path == ET_CONV_PATH_WINOGRAD)
        return ET_OK;
    if (op->ind && op->ind_h == op->in_h && op->ind_w == op->in_w) {
        op->input_delta = (size_t)((uintptr_t)op->a_base - (uintptr_t)op->ind_base);
        return ET_OK;
    }
    const size_t pixels = op->out_h * op->out_w;
    const size_t mr = op->path == ET_CONV_PATH_IGEMM ? op->gemm->mr : 1;
    size_t count = 0;
    if (!et_mul_size((pixels + mr - 1) / mr * mr, op->ks, &count) || count > SIZE_MAX / sizeof(void *))
        return et_fail(err, ET_E_INPUT, "quantized convolution output %zux%zu is too large", op->out_h, op->out_w);
    if (count > op->ind_capacity) {
        const void **grown = realloc(op->ind, count * sizeof *grown);
        if (!grown)
            return et_fail(err, ET_E_NOMEM, "out of memory for a %zu-entry indirection buffer", count);
        op->ind = grown;
        op->ind_capacity = count;
    }
    build_indirection(op, op->a_base);
    return ET_OK;
}

/* Splits the run into tasks for up to `threads` threads (conv2d.c's plan). */
static void plan_tasks(et_qconv2d_nhwc *op, size_t threads) {
    if (op->path == ET_CONV_PATH_WINOGRAD)
        return; /* qwinograd.c splits its own phases */
    if (op->path == ET_CONV_PATH_DWCONV) {
        et_task_grid_rows(&op->grid, op->batch * op->out_h, op->out_w, threads);
        return;
    }
    const bool gemm = op->path == ET_CONV_PATH_GEMM;
    et_task_grid_gemm(&op->grid, gemm ? op->batch * op->in_h * op->in_w : op->out_h * op->out_w, op->gemm->mr, op->goc,
                      op->gemm->nr, op->p.groups * (gemm ? 1 : op->batch), op->group_packed_bytes, op->panel_bytes,
                      threads);
}

et_status et_qconv2d_nhwc_setup(et_qconv2d_nhwc *op, size_t batch, size_t in_h, size_t in_w, const int8_t *input,
                                int8_t *output, const int8_t *residual, void *scratch, et_err *err) {
    op->ready = false;
    if (!input || !output || (op->p.residual && !residual))
        return et_fail(err, ET_E_INPUT, "quantized convolution setup without %s tensor",
                       !input    ? "an input"
                       : !output ? "an output"
                                 : "its residual");
    if (batch == 0)
        return et_fail(err, ET_E_INPUT, "quantized convolution setup with batch 0");
    size_t out_h, out_w;
    if (!et_qconv2d_nhwc_output_size(op, in_h, in_w, &out_h, &out_w))
        return et_fail(err, ET_E_INPUT,
                       "quantized convolution input %zux%zu with padding is smaller than the "
                       "%zux%zu kernel (dilation %zux%zu)",
                       in_h, in_w, op->p.kernel_h, op->p.kernel_w, op->p.dilation_h, op->p.dilation_w);
    op->batch = batch;
    op->in_h = in_h;
    op->in_w = in_w;
    op->out_h = out_h;
    op->out_w = out_w;
    op->a_base = (uint8_t *)(uintptr_t)input;
    if ((op->convert && !op->fused_convert) || op->path == ET_CONV_PATH_WINOGRAD) {
        const size_t need = et_qconv2d_nhwc_scratch_bytes(op, batch, in_h, in_w);
        if (need == 0)
            return et_fail(err, ET_E_INPUT, "quantized convolution input %zux%zux%zu is too large", batch, in_h, in_w);
        if (!scratch) {
            if (need > op->own_scratch_bytes) {
                et_aligned_free(op->own_scratch);
                op->own_scratch_bytes = 0;
                if (!(op->own_scratch = et_aligned_alloc(need)))
                    return et_fail(err, ET_E_NOMEM, "out of memory for %zu bytes of convolution scratch", need);
                op->own_scratch_bytes = need;
            }
            scratch = op->own_scratch;
        }
        op->a_base = scratch;
    }
    et_status st = prepare_indirection(op, err);
    if (st != ET_OK)
        return st;
    op->input = input;
    op->output = output;
    op->residual = op->p.residual ? residual : NULL;
    op->ready = true;
    return ET_OK;
}

/* Converts n int8 into the A format at dst (the vector kernels; inline for short runs, where a call per pixel
 * would cost more than the work). */
static void convert_run(const et_qconv2d_nhwc *op, size_t n, const int8_t *src, uint8_t *dst) {
    const et_qa_format f = op->gemm->a_format;
    if (n >= 32) {
        if (f == ET_QA_S16)
            op->cvt->to_s16(n, src, (int16_t *)(void *)dst);
        else if (f == ET_QA_U8)
            op->cvt->to_u8(n, src, dst);
        else
            memcpy(dst, src, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (f == ET_QA_S16) {
            const int16_t v = src[i];
            memcpy(dst + 2 * i, &v, 2);
        } else {
            dst[i] = f == ET_QA_U8 ? (uint8_t)((uint8_t)src[i] ^ 0x80u) : (uint8_t)src[i];
        }
    }
}

/* Converts chunks [begin, end) of CONVERT_CHUNK_PIXELS input pixels into the A format, each group's channels
 * padded with zeros to kc_pad. */
static void convert_tasks(void *ctx, size_t begin, size_t end) {
    const et_qconv2d_nhwc *op = ctx;
    const size_t in_s = op->p.input_pixel_stride, gic = op->gic, kcp = op->kc_pad, eb = op->a_elem;
    const size_t total = op->batch * op->in_h * op->in_w;
    const size_t p0 = begin * CONVERT_CHUNK_PIXELS;
    const size_t p1 = end * CONVERT_CHUNK_PIXELS < total ? end * CONVERT_CHUNK_PIXELS : total;
    if (kcp == gic && in_s == op->p.in_channels) { /* dense both sides: one run */
        convert_run(op, (p1 - p0) * in_s, op->input + p0 * in_s, op->a_base + p0 * op->a_pixel_bytes);
        return;
    }
    if (op->p.groups == 1 && gic < 32) { /* few channels (a network's first layer): one call for the chunk */
        op->cvt->pad_rows(op->gemm->a_format, p1 - p0, gic, op->input + p0 * in_s, in_s,
                          op->a_base + p0 * op->a_pixel_bytes, kcp);
        return;
    }
    for (size_t px = p0; px < p1; px++)
        for (size_t g = 0; g < op->p.groups; g++) {
            uint8_t *dst = op->a_base + px * op->a_pixel_bytes + g * kcp * eb;
            convert_run(op, gic, op->input + px * in_s + g * gic, dst);
            memset(dst + gic * eb, 0, (kcp - gic) * eb);
        }
}

/* Converts `rows` input rows of one group (gic channels each, input_pixel_stride apart) into dst: rows of kc_pad
 * elements, zero-padded. */
static void convert_rows(const et_qconv2d_nhwc *op, size_t rows, const int8_t *src, uint8_t *dst) {
    op->cvt->pad_rows(op->gemm->a_format, rows, op->gic, src, op->p.input_pixel_stride, dst, op->kc_pad);
}

/* The fused table on `rows` output pixels of `cols` channels each, `stride` apart, in place (one call when they
 * are contiguous). */
static void apply_table(const et_qconv2d_nhwc *op, int8_t *y, size_t rows, size_t cols, size_t stride) {
    if (cols == stride) {
        op->lut->ukernel(rows * cols, y, y, op->table);
        return;
    }
    for (size_t r = 0; r < rows; r++)
        op->lut->ukernel(cols, y + r * stride, y + r * stride, op->table);
}

/* The fused table over output chunks [begin, end) of CONVERT_CHUNK_PIXELS pixels (the Winograd path, whose tiles
 * are written inside qwinograd.c). */
static void table_tasks(void *ctx, size_t begin, size_t end) {
    const et_qconv2d_nhwc *op = ctx;
    const size_t total = op->batch * op->out_h * op->out_w, s = op->p.output_pixel_stride;
    const size_t p0 = begin * CONVERT_CHUNK_PIXELS;
    const size_t p1 = end * CONVERT_CHUNK_PIXELS < total ? end * CONVERT_CHUNK_PIXELS : total;
    apply_table(op, op->output + p0 * s, p1 - p0, op->p.out_channels, s);
}

static void gemm_tasks(void *ctx, size_t begin, size_t end) {
    const et_qconv2d_nhwc *op = ctx;
    const et_qgemm_config *cfg = op->gemm;
    const size_t nr = cfg->nr, out_s = op->p.output_pixel_stride, res_s = op->p.residual_pixel_stride;
    uint8_t abuf[FUSED_A_BYTES] __attribute__((aligned(64)));
    for (size_t t = begin; t < end; t++) {
        size_t mt, nb, g;
        et_task_grid_at(&op->grid, t, &mt, &nb, &g);
        size_t row0, rows;
        et_tile_rows(mt, op->grid.m, op->grid.m_tiles, &row0, &rows);
        const size_t col0 = nb * op->grid.nc, cols = op->goc - col0 < op->grid.nc ? op->goc - col0 : op->grid.nc;
        const uint8_t *a = op->a_base + row0 * op->a_pixel_bytes + g * op->kc_pad * op->a_elem;
        size_t a_stride = op->a_pixel_bytes;
        if (op->fused_convert) {
            convert_rows(op, rows, op->input + row0 * op->p.input_pixel_stride + g * op->gic, abuf);
            a = abuf;
            a_stride = op->kc_pad * op->a_elem;
        }
        const uint8_t *w = (const uint8_t *)op->packed + g * op->group_packed_bytes + col0 / nr * op->panel_bytes;
        const size_t oc0 = g * op->goc + col0;
        const int8_t *r = op->residual ? op->residual + row0 * res_s + oc0 : NULL;
        cfg->gemm(rows, cols, op->kc_pad, a, a_stride, w, op->output + row0 * out_s + oc0, out_s, r, res_s, &op->rq);
        if (op->lut)
            apply_table(op, op->output + row0 * out_s + oc0, rows, cols, out_s);
    }
}

static void igemm_tasks(void *ctx, size_t begin, size_t end) {
    const et_qconv2d_nhwc *op = ctx;
    const et_qgemm_config *cfg = op->gemm;
    const size_t mr = cfg->mr, nr = cfg->nr, out_s = op->p.output_pixel_stride, res_s = op->p.residual_pixel_stride;
    const size_t image_in = op->in_h * op->in_w * op->a_pixel_bytes;
    for (size_t t = begin; t < end; t++) {
        size_t mt, nb, rest;
        et_task_grid_at(&op->grid, t, &mt, &nb, &rest);
        const size_t img = rest % op->batch, g = rest / op->batch;
        size_t row0, rows;
        et_tile_rows(mt, op->grid.m, op->grid.m_tiles, &row0, &rows);
        const size_t col0 = nb * op->grid.nc, cols = op->goc - col0 < op->grid.nc ? op->goc - col0 : op->grid.nc;
        const size_t a_offset = op->input_delta + img * image_in + g * op->kc_pad * op->a_elem;
        const uint8_t *w = (const uint8_t *)op->packed + g * op->group_packed_bytes + col0 / nr * op->panel_bytes;
        const size_t pixel = img * op->grid.m + row0, oc0 = g * op->goc + col0;
        const int8_t *r = op->residual ? op->residual + pixel * res_s + oc0 : NULL;
        cfg->igemm(rows, cols, op->kc_pad, op->ks, op->ind + mt * op->ks * mr, w, op->output + pixel * out_s + oc0,
                   out_s, a_offset, op->zero, r, res_s, &op->rq);
        if (op->lut)
            apply_table(op, op->output + pixel * out_s + oc0, rows, cols, out_s);
    }
}

static void dwconv_tasks(void *ctx, size_t begin, size_t end) {
    const et_qconv2d_nhwc *op = ctx;
    const size_t out_s = op->p.output_pixel_stride, res_s = op->p.residual_pixel_stride, ks = op->ks;
    const size_t image_in = op->in_h * op->in_w * op->p.input_pixel_stride;
    for (size_t t = begin; t < end; t++) {
        const size_t chunk = t % op->grid.row_chunks, row = t / op->grid.row_chunks;
        const size_t img = row / op->out_h, oy = row % op->out_h;
        const size_t x0 = chunk * op->grid.chunk_w,
                     width = op->out_w - x0 < op->grid.chunk_w ? op->out_w - x0 : op->grid.chunk_w;
        const size_t pixel = oy * op->out_w + x0, out_pixel = img * op->out_h * op->out_w + pixel;
        const int8_t *r = op->residual ? op->residual + out_pixel * res_s : NULL;
        op->dw_fn(op->p.in_channels, width, ks, op->ind + pixel * ks, op->packed, op->output + out_pixel * out_s, ks,
                  out_s, op->input_delta + img * image_in, op->zero, r, res_s, &op->rq);
        if (op->lut)
            apply_table(op, op->output + out_pixel * out_s, width, op->p.in_channels, out_s);
    }
}

et_status et_qconv2d_nhwc_run(et_qconv2d_nhwc *op, et_threadpool *pool, et_err *err) {
    if (!op->ready)
        return et_fail(err, ET_E_RUNTIME, "quantized convolution run before a successful setup");
    const double macs = (double)et_qconv2d_nhwc_macs(op);
    pool = et_threadpool_for_work(pool, macs * (op->path == ET_CONV_PATH_DWCONV ? ET_NS_PER_MAC_DW
                                                                                : ET_NS_PER_MAC_GEMM_INT8));
    plan_tasks(op, (size_t)et_threadpool_size(pool));
    if (op->convert && !op->fused_convert) {
        const size_t pixels = op->batch * op->in_h * op->in_w;
        et_threadpool_parallel_for(pool, (pixels + CONVERT_CHUNK_PIXELS - 1) / CONVERT_CHUNK_PIXELS, convert_tasks, op);
    }
    switch (op->path) {
    case ET_CONV_PATH_GEMM: et_threadpool_parallel_for(pool, op->grid.tasks, gemm_tasks, op); break;
    case ET_CONV_PATH_IGEMM: et_threadpool_parallel_for(pool, op->grid.tasks, igemm_tasks, op); break;
    case ET_CONV_PATH_DWCONV: et_threadpool_parallel_for(pool, op->grid.tasks, dwconv_tasks, op); break;
    case ET_CONV_PATH_WINOGRAD: {
        const et_qwinograd_args a = {.batch = op->batch,
                                     .in_h = op->in_h,
                                     .in_w = op->in_w,
                                     .out_h = op->out_h,
                                     .out_w = op->out_w,
                                     .pad_top = op->p.pad_top,
                                     .pad_left = op->p.pad_left,
                                     .input = op->input,
                                     .input_stride = op->p.input_pixel_stride,
                                     .output = op->output,
                                     .output_stride = op->p.output_pixel_stride,
                                     .residual = op->residual,
                                     .residual_stride = op->p.residual_pixel_stride,
                                     .scratch = op->a_base,
                                     .scratch_threads = op->p.expect_threads};
        et_qwinograd_run(op->wino, &a, pool);
        if (op->lut) {
            const size_t pixels = op->batch * op->out_h * op->out_w;
            et_threadpool_parallel_for(pool, (pixels + CONVERT_CHUNK_PIXELS - 1) / CONVERT_CHUNK_PIXELS, table_tasks,
                                       op);
        }
        break;
    }
    }
    return ET_OK;
}

const char *et_qconv2d_nhwc_kernel_name(const et_qconv2d_nhwc *op) {
    return op->wino ? et_qwinograd_kernel_name(op->wino) : op->kernel_name;
}

et_conv_path et_qconv2d_nhwc_path(const et_qconv2d_nhwc *op) { return op->path; }

int et_qconv2d_nhwc_storage_bits(const et_qconv2d_nhwc *op) {
    if (op->path == ET_CONV_PATH_DWCONV)
        return op->dw->layout == ET_QDW_S16_PAIRS ? 16 : 8;
    if (op->path == ET_CONV_PATH_WINOGRAD)
        return 16;
    switch (op->gemm->w_format) {
    case ET_QW_S4: return 4;
    case ET_QW_S16: return 16;
    default: return 8;
    }
}

size_t et_qconv2d_nhwc_packed_bytes(const et_qconv2d_nhwc *op) { return op->packed_bytes; }

size_t et_qconv2d_nhwc_macs(const et_qconv2d_nhwc *op) {
    if (!op->ready)
        return 0;
    return op->batch * op->out_h * op->out_w * op->p.out_channels * op->gic * op->ks;
}
