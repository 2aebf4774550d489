/* op_conv.h: the geometry of a training convolution, shared by the GEMM path (op_conv.c) and the depthwise
 * one (op_dwconv.c). */
#ifndef ET_TRAIN_OP_CONV_H
#define ET_TRAIN_OP_CONV_H

#include "train/tnet.h"

typedef struct et_conv_geom {
    int64_t cin, cout, groups, cin_g, cout_g;
    int64_t ih, iw, oh, ow, ihw, ohw;
    int64_t kh, kw, kk, sh, sw, dh, dw, pt, pl; /* pads at the start of each dim (the end pads are implied) */
    int64_t kdim;                               /* cin_g * kh * kw: the depth of one output channel's weights */
    bool pointwise;                             /* 1x1, stride 1, no padding: cols are the input rows */
    bool depthwise;                             /* one input and one output channel per group */
    size_t block;                               /* pixels per packed block (forward, dX: within one image) */
    size_t dw_block;                            /* pixels per block of the weight gradient (across images) */
    /* scratch layout of the tasks (floats, each rounded to 16): packed cols (forward), packed dY (dX), packed
     * dY^T of a block of pixels (dW) */
    size_t packed_cols_floats, packed_dy_floats, packed_dyt_floats;
    /* the padded grid (op_conv.c, use_grid): each input plane zero-padded and split into its sh x sw phase
     * planes of hp rows of wp floats (stride 1: the padded plane itself); output pixel (oy, ox) sits at grid
     * position oy wp + ox (positions with ox >= ow are computed and dropped), so that an im2col row of a run of
     * grid positions is one contiguous copy from the phase planes at goff[row] */
    bool grid, grid_dx;  /* forward and dW on the grid; dX too */
    bool rows_from_grid; /* forward and dW read im2col rows of pixels (not grid positions) from the padded planes */
    int64_t hp, wp;
    int64_t n_phases;  /* phase planes per input channel: those some tap reads (stride 1: 1) */
    int phase[16];     /* [py sw + px]: phase (py, px)'s plane among them, -1 when no tap reads it */
    size_t grid_px;    /* (oh - 1) wp + ow: grid positions up to the last output pixel */
    size_t grid_block; /* grid positions per forward block (whole panels) */
    size_t xp_floats;  /* the group's padded planes and a panel of slack, rounded to 16 */
    ptrdiff_t *goff;   /* [kdim]: where im2col row r starts in the padded planes */

    float *wa;   /* [cout][kdim + 1]: weights and bias, the forward's A operand */
    float *wt;   /* [groups][kdim][cout_g]: W^T per group, dX's A operand */
    float *wacc; /* [chunks][groups][kdim + 1][cout_g]: the weight gradient (transposed) per chunk of images */
    /* dX of a stride-1 convolution as a forward convolution (op_conv.c, transposed_geom): dY padded by the
     * kernel's reach less the pads, convolved with the flipped, transposed weights (its wa), one GEMM as deep as
     * cout_g x kh x kw per pixel and no col2im; NULL where dX runs W^T . dY and col2im */
    struct et_conv_geom *tc;
} et_conv_geom;

/* Depthwise convolutions (op_dwconv.c): scratch and buffers at build, forward, backward. */
et_status et_dwconv_prepare(et_tnet *n, et_tstep *s, et_conv_geom *c, et_err *err);
et_status et_dwconv_forward(et_tnet *n, et_tstep *s, et_conv_geom *c, et_err *err);
void et_dwconv_backward(et_tnet *n, et_tstep *s, et_conv_geom *c);

#endif
