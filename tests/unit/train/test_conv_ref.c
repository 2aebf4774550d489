/* test_conv_ref.c: the training Conv's fast paths (op_conv.c: the padded grid with its stride phases, im2col rows
 * of pixels read from the padded planes; op_dwconv.c: depthwise convolutions on pixel-major blocks of 8 channels)
 * against direct loops in double written here, the oracle: the forward Y, and after a
 * backward with dL/dY = r (seeded) the input gradient dX, the weight gradient dW and the bias gradient db. The
 * shapes are chosen to take each path: strides 1, 2 and 3, small planes (4x4 outputs, where the grid would add
 * a panel), a dilation with a stride (one phase of four read), asymmetric pads, a 1x1 strided kernel, groups,
 * depthwise kernels of 3x3 and 5x5 with 3 to 6 channels (a partial block) and 12 or 16 (whole blocks of 8, whose
 * planes take the 8x8 transposes). The finite differences
 * (test_backward_fd.c) check that the backward matches the forward; this checks that the forward is the
 * convolution, element by element, within a relative 1e-5 of the largest reference value. */
#include "train_test.h"

typedef struct ref_case {
    int64_t cin, cout, h, w, k, stride, dil, group;
    int64_t pads[4]; /* top, left, bottom, right */
    int batch;
    bool twice; /* a second Conv node, the same input and parameters: dX, dW and db accumulate */
} ref_case;

static int64_t out_dim(int64_t in, int64_t k, int64_t s, int64_t d, int64_t p0, int64_t p1) {
    return (in + p0 + p1 - (k - 1) * d - 1) / s + 1;
}

/* Elements of got[0..n) further than 1e-5 (1 + max |ref|) from ref; the first few printed under `what`. */
static int compare(const char *what, const float *got, const double *ref, int64_t n) {
    double scale = 1.0;
    for (int64_t i = 0; i < n; i++)
        scale = fabs(ref[i]) + 1.0 > scale ? fabs(ref[i]) + 1.0 : scale;
    int bad = 0;
    for (int64_t i = 0; i < n; i++)
        if (!(fabs(got[i] - ref[i]) <= 1e-5 * scale)) {
            if (bad < 3)
                fprintf(stderr, "    %s[%lld]: %.7g, reference %.7g\n", what, (long long)i, got[i], ref[i]);
            bad++;
        }
    return bad;
}

static int run_ref(ref_case rc, uint32_t seed) {
    const int64_t cin_g = rc.cin / rc.group, cout_g = rc.cout / rc.group, k = rc.k;
    const int64_t oh = out_dim(rc.h, k, rc.stride, rc.dil, rc.pads[0], rc.pads[2]);
    const int64_t ow = out_dim(rc.w, k, rc.stride, rc.dil, rc.pads[1], rc.pads[3]);
    tc_case c = {.t = oh_new(13)};
    int x = oh_input(&c.t, "x", ET_DT_F32, SHAPE(1, rc.cin, rc.h, rc.w));
    int w = tc_param(&c.t, "w", SHAPE(rc.cout, cin_g, k, k), 0.5f, seed + 1);
    int b = tc_param(&c.t, "b", SHAPE(rc.cout), 0.5f, seed + 2);
    int y = oh_value(&c.t, "y");
    int nd = oh_node(&c.t, ET_OP_CONV, (int[]){x, w, b}, 3, (int[]){y}, 1);
    et_node_set_attr_ints(c.t.g, nd, "strides", (int64_t[]){rc.stride, rc.stride}, 2);
    et_node_set_attr_ints(c.t.g, nd, "pads", (int64_t[]){rc.pads[0], rc.pads[1], rc.pads[2], rc.pads[3]}, 4);
    et_node_set_attr_ints(c.t.g, nd, "dilations", (int64_t[]){rc.dil, rc.dil}, 2);
    et_node_set_attr_int(c.t.g, nd, "group", rc.group);
    oh_output(&c.t, y);
    if (rc.twice) {
        int y2 = oh_value(&c.t, "y2");
        int nd2 = oh_node(&c.t, ET_OP_CONV, (int[]){x, w, b}, 3, (int[]){y2}, 1);
        et_node_set_attr_ints(c.t.g, nd2, "strides", (int64_t[]){rc.stride, rc.stride}, 2);
        et_node_set_attr_ints(c.t.g, nd2, "pads", (int64_t[]){rc.pads[0], rc.pads[1], rc.pads[2], rc.pads[3]}, 4);
        et_node_set_attr_ints(c.t.g, nd2, "dilations", (int64_t[]){rc.dil, rc.dil}, 2);
        et_node_set_attr_int(c.t.g, nd2, "group", rc.group);
        oh_output(&c.t, y2);
    }
    if (!tc_build(&c, rc.batch, ET_BN_RUNNING, seed)) {
        tc_free(&c);
        return 1;
    }
    if (et_tnet_output_numel(c.net, 0) != rc.cout * oh * ow) {
        fprintf(stderr, "  output of %lld elements, expected %lld\n", (long long)et_tnet_output_numel(c.net, 0),
                (long long)(rc.cout * oh * ow));
        tc_free(&c);
        return 1;
    }
    tc_backward(&c); /* forward, then backward with dL/dY = c.r */
    const float *xv = et_tnet_input(c.net, 0), *gy = c.r;
    const int64_t ny = rc.batch * rc.cout * oh * ow, nx = rc.batch * rc.cin * rc.h * rc.w;
    const et_tparam *pw = NULL, *pb = NULL;
    for (int i = 0; i < et_tnet_n_params(c.net); i++) {
        const et_tparam *p = et_tnet_param(c.net, i);
        if (p->numel == rc.cout * cin_g * k * k)
            pw = p;
        else if (p->numel == rc.cout)
            pb = p;
    }
    if (!pw || !pb || !et_tnet_input_grad(c.net, 0)) {
        fprintf(stderr, "  the network has no weight, bias or input gradient\n");
        tc_free(&c);
        return 1;
    }
    double *ry = calloc((size_t)ny, sizeof *ry), *rdx = calloc((size_t)nx, sizeof *rdx);
    double *rdw = calloc((size_t)pw->numel, sizeof *rdw), *rdb = calloc((size_t)rc.cout, sizeof *rdb);
    for (int copy = 0; copy < (rc.twice ? 2 : 1); copy++, gy += ny) /* the second output's dL/dY follows */
        for (int64_t n = 0; n < rc.batch; n++)
            for (int64_t o = 0; o < rc.cout; o++) {
                const int64_t g = o / cout_g;
                for (int64_t oy = 0; oy < oh; oy++)
                    for (int64_t ox = 0; ox < ow; ox++) {
                        const int64_t yi = ((n * rc.cout + o) * oh + oy) * ow + ox;
                        double s = pb->w[o];
                        rdb[o] += gy[yi];
                        for (int64_t ci = 0; ci < cin_g; ci++)
                            for (int64_t ky = 0; ky < k; ky++)
                                for (int64_t kx = 0; kx < k; kx++) {
                                    const int64_t iy = oy * rc.stride - rc.pads[0] + ky * rc.dil;
                                    const int64_t ix = ox * rc.stride - rc.pads[1] + kx * rc.dil;
                                    if (iy < 0 || iy >= rc.h || ix < 0 || ix >= rc.w)
                                        continue;
                                    const int64_t xi = ((n * rc.cin + g * cin_g + ci) * rc.h + iy) * rc.w + ix;
                                    const int64_t wi = ((o * cin_g + ci) * k + ky) * k + kx;
                                    s += (double)pw->w[wi] * xv[xi];
                                    rdx[xi] += (double)pw->w[wi] * gy[yi];
                                    rdw[wi] += (double)xv[xi] * gy[yi];
                                }
                        ry[yi] = s; /* the same for both copies */
                    }
            }
    int bad = compare("Y", et_tnet_output(c.net, 0), ry, ny) +
              (rc.twice ? compare("Y2", et_tnet_output(c.net, 1), ry, ny) : 0) +
              compare("dX", et_tnet_input_grad(c.net, 0), rdx, nx) + compare("dW", pw->grad, rdw, pw->numel) +
              compare("db", pb->grad, rdb, rc.cout);
    if (bad)
        fprintf(stderr,
                "  conv %lldx%lldx%lld -> %lld, k %lld, stride %lld, dilation %lld, group %lld, pads %lld %lld "
                "%lld %lld, batch %d: %d elements off\n",
                (long long)rc.cin, (long long)rc.h, (long long)rc.w, (long long)rc.cout, (long long)k,
                (long long)rc.stride, (long long)rc.dil, (long long)rc.group, (long long)rc.pads[0],
                (long long)rc.pads[1], (long long)rc.pads[2], (long long)rc.pads[3], rc.batch, bad);
    free(ry), free(rdx), free(rdw), free(rdb);
    tc_free(&c);
    return bad;
}

/* The GEMM path: the padded grid at stride 1 (14x14), at stride 2 (14x14: dX on the grid too; 7x7 -> 4x4: the
 * small-plane pixel rows; 28x28 from one channel, fmnist's stems), stride 3, a dilation with a stride (only
 * phase (0, 0) read), asymmetric pads (an even input at stride 2 whose last row no window reaches), 1x1 strided
 * (im2col by rows) and groups at a stride. */
static void test_conv_ref(void) {
    ET_CHECK_INT(run_ref((ref_case){5, 6, 14, 14, 3, 1, 1, 1, {1, 1, 1, 1}, 3, false}, 101), 0);
    ET_CHECK_INT(run_ref((ref_case){4, 6, 14, 14, 3, 2, 1, 1, {1, 1, 1, 1}, 3, false}, 102), 0);
    ET_CHECK_INT(run_ref((ref_case){6, 8, 7, 7, 3, 2, 1, 1, {1, 1, 1, 1}, 3, false}, 103), 0);
    ET_CHECK_INT(run_ref((ref_case){8, 8, 4, 4, 3, 1, 1, 1, {1, 1, 1, 1}, 3, false}, 104), 0);
    ET_CHECK_INT(run_ref((ref_case){1, 5, 28, 28, 3, 2, 1, 1, {1, 1, 1, 1}, 2, false}, 105), 0);
    ET_CHECK_INT(run_ref((ref_case){3, 4, 13, 11, 3, 3, 1, 1, {1, 2, 0, 1}, 2, false}, 106), 0);
    ET_CHECK_INT(run_ref((ref_case){3, 4, 12, 12, 3, 2, 2, 1, {2, 2, 2, 2}, 2, false}, 107), 0);
    ET_CHECK_INT(run_ref((ref_case){3, 4, 10, 10, 3, 2, 1, 1, {0, 1, 1, 0}, 3, false}, 108), 0);
    ET_CHECK_INT(run_ref((ref_case){6, 5, 9, 9, 1, 2, 1, 1, {0, 0, 0, 0}, 3, false}, 109), 0);
    ET_CHECK_INT(run_ref((ref_case){4, 6, 12, 12, 3, 2, 1, 2, {1, 1, 1, 1}, 3, false}, 110), 0);
    ET_CHECK_INT(run_ref((ref_case){3, 4, 12, 12, 5, 2, 1, 1, {2, 2, 2, 2}, 2, false}, 111), 0);
    /* accumulation into dX by each path: the grid at stride 2, small-plane rows, 1x1 strided, stride 3 */
    ET_CHECK_INT(run_ref((ref_case){4, 6, 14, 14, 3, 2, 1, 1, {1, 1, 1, 1}, 2, true}, 112), 0);
    ET_CHECK_INT(run_ref((ref_case){6, 8, 7, 7, 3, 2, 1, 1, {1, 1, 1, 1}, 2, true}, 113), 0);
    ET_CHECK_INT(run_ref((ref_case){8, 8, 4, 4, 3, 1, 1, 1, {1, 1, 1, 1}, 2, true}, 114), 0);
    ET_CHECK_INT(run_ref((ref_case){6, 5, 9, 9, 1, 2, 1, 1, {0, 0, 0, 0}, 2, true}, 115), 0);
    ET_CHECK_INT(run_ref((ref_case){3, 4, 13, 11, 3, 3, 1, 1, {1, 2, 0, 1}, 2, true}, 116), 0);
    /* stride 1, where dX is the forward convolution of dY with the flipped weights (op_conv.c, plan_transposed),
     * each of the forward's paths under it, written and accumulated: the grid (14x14; dilation 2 with
     * asymmetric pads; an end pad past the kernel's reach, whose outputs no dX reads; 5x5 in two groups), the
     * small-plane rows (4x4 in three groups), im2col rows (2x2 with a 5x5 kernel), more input channels than the
     * transposed product is deep (its accumulation scratch); and a start pad past the kernel's reach, which keeps
     * W^T . dY and col2im */
    ET_CHECK_INT(run_ref((ref_case){5, 6, 14, 14, 3, 1, 1, 1, {1, 1, 1, 1}, 2, true}, 117), 0);
    ET_CHECK_INT(run_ref((ref_case){4, 6, 12, 10, 3, 1, 2, 1, {2, 1, 0, 3}, 2, false}, 118), 0);
    ET_CHECK_INT(run_ref((ref_case){3, 4, 9, 11, 3, 1, 1, 1, {0, 2, 3, 1}, 2, true}, 119), 0);
    ET_CHECK_INT(run_ref((ref_case){4, 6, 11, 13, 5, 1, 1, 2, {2, 2, 2, 2}, 2, true}, 120), 0);
    ET_CHECK_INT(run_ref((ref_case){6, 6, 4, 4, 3, 1, 1, 3, {1, 1, 1, 1}, 3, true}, 121), 0);
    ET_CHECK_INT(run_ref((ref_case){8, 4, 2, 2, 5, 1, 1, 1, {2, 2, 2, 2}, 2, true}, 122), 0);
    ET_CHECK_INT(run_ref((ref_case){48, 4, 6, 6, 3, 1, 1, 1, {0, 0, 0, 0}, 2, true}, 123), 0);
    ET_CHECK_INT(run_ref((ref_case){3, 4, 8, 8, 3, 1, 1, 1, {3, 1, 1, 1}, 2, false}, 124), 0);
    /* the weight gradient as dot products over several images' planes at once (op_conv.c, dw_task_nt: grids of
     * at least 128 positions, where the ISA has gemm_nt): chunks of 5 and 6 images (a group of 4 and the rest),
     * accumulated by a second node; 14x14 outputs at stride 2 in two groups */
    ET_CHECK_INT(run_ref((ref_case){5, 6, 14, 14, 3, 1, 1, 1, {1, 1, 1, 1}, 45, true}, 125), 0);
    ET_CHECK_INT(run_ref((ref_case){4, 6, 28, 28, 3, 2, 1, 2, {1, 1, 1, 1}, 19, false}, 126), 0);
}

/* Depthwise: stride 1, 2 and 3, odd and even planes, 5x5, asymmetric pads, a dilation at a stride, a batch of 9,
 * partial and whole blocks of 8 channels, accumulation into dX. */
static void test_dwconv_ref(void) {
    ET_CHECK_INT(run_ref((ref_case){4, 4, 14, 14, 3, 1, 1, 4, {1, 1, 1, 1}, 3, false}, 201), 0);
    ET_CHECK_INT(run_ref((ref_case){4, 4, 14, 14, 3, 2, 1, 4, {1, 1, 1, 1}, 3, false}, 202), 0);
    ET_CHECK_INT(run_ref((ref_case){5, 5, 7, 7, 3, 2, 1, 5, {1, 1, 1, 1}, 9, false}, 203), 0);
    ET_CHECK_INT(run_ref((ref_case){3, 3, 11, 12, 5, 2, 1, 3, {2, 1, 2, 2}, 2, false}, 204), 0);
    ET_CHECK_INT(run_ref((ref_case){3, 3, 13, 13, 3, 3, 1, 3, {1, 1, 1, 1}, 2, false}, 205), 0);
    ET_CHECK_INT(run_ref((ref_case){3, 3, 12, 12, 3, 2, 2, 3, {2, 2, 2, 2}, 2, false}, 206), 0);
    ET_CHECK_INT(run_ref((ref_case){4, 4, 10, 10, 3, 2, 1, 4, {0, 1, 1, 0}, 5, false}, 207), 0);
    ET_CHECK_INT(run_ref((ref_case){6, 6, 4, 4, 3, 1, 1, 6, {1, 1, 1, 1}, 9, false}, 208), 0);
    ET_CHECK_INT(run_ref((ref_case){4, 4, 14, 14, 3, 2, 1, 4, {1, 1, 1, 1}, 3, true}, 209), 0);
    ET_CHECK_INT(run_ref((ref_case){3, 3, 13, 13, 3, 3, 1, 3, {1, 1, 1, 1}, 2, true}, 210), 0);
    ET_CHECK_INT(run_ref((ref_case){3, 3, 12, 12, 3, 2, 2, 3, {2, 2, 2, 2}, 2, true}, 211), 0);
    ET_CHECK_INT(run_ref((ref_case){12, 12, 14, 14, 3, 2, 1, 12, {1, 1, 1, 1}, 3, false}, 212), 0);
    ET_CHECK_INT(run_ref((ref_case){16, 16, 7, 7, 3, 1, 1, 16, {1, 1, 1, 1}, 2, true}, 213), 0);
    ET_CHECK_INT(run_ref((ref_case){16, 16, 5, 6, 5, 1, 1, 16, {2, 2, 2, 2}, 2, false}, 214), 0);
    /* stride 1, where dX runs the forward's taps over dY padded, with the weights flipped (op_dwconv.c, flip):
     * dilation 2 with asymmetric pads, accumulated; an end pad past the kernel's reach; 4x4 planes of a whole
     * block and a partial one; a start pad past the reach (the taps pushed into dX as at a stride) */
    ET_CHECK_INT(run_ref((ref_case){12, 12, 9, 11, 3, 1, 2, 12, {2, 1, 0, 3}, 2, true}, 215), 0);
    ET_CHECK_INT(run_ref((ref_case){8, 8, 6, 7, 3, 1, 1, 8, {0, 2, 3, 1}, 2, false}, 216), 0);
    ET_CHECK_INT(run_ref((ref_case){13, 13, 4, 4, 3, 1, 1, 13, {1, 1, 1, 1}, 3, true}, 217), 0);
    ET_CHECK_INT(run_ref((ref_case){8, 8, 8, 8, 3, 1, 1, 8, {3, 1, 1, 1}, 2, false}, 218), 0);
}

int main(void) {
    ET_RUN(test_conv_ref);
    ET_RUN(test_dwconv_ref);
    return et_test_done();
}
