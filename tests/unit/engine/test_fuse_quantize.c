/* test_fuse_quantize.c: an et.Quantize after an fp32 convolution (a network's first layer in an int8 graph) folds
 * into the convolution (fuse_nhwc.h), which then quantizes each output tile as it writes it (conv2d.h).
 *
 * The oracle is the same channels-last plan with the fold off: the graph also returns the convolution's float
 * output, so the Quantize's input has a second user and stays a step of its own. The fused plan's int8 bytes (read
 * through a Dequantize, which is one-to-one) must equal that plan's on every convolution path (igemm with the wide
 * taps of an RGB stem and without, gemm with column pieces, depthwise within the tile buffer and past it, Winograd
 * where chosen), with and without a residual and an activation, at 1 and 3 threads, and the fused plan may have no
 * et.Quantize step. A pruned 1x1 convolution, whose weights lie at an odd address, keeps its Quantize (it may run
 * sparse). tests/CMakeLists.txt runs it again on the AVX2 and scalar paths. */
#include <stdio.h>

#include "engine/threadpool.h"
#include "et_test.h"
#include "model/quant_info.h"
#include "op_harness.h"

typedef struct qcase {
    int n, c, h, w, o, k, stride, pad, group;
    et_op act; /* ET_OP_HARD_SWISH, ET_OP_CLIP (Relu6), ET_OP_RELU, or ET_OP_IDENTITY for none */
    bool residual;
} qcase;

enum { PATH_GEMM, PATH_IGEMM, PATH_DWCONV, PATH_WINOGRAD, PATH_COUNT };

static int path_of(const char *kernel) {
    return strstr(kernel, "winograd") ? PATH_WINOGRAD
           : strstr(kernel, "igemm")  ? PATH_IGEMM
           : strstr(kernel, "dwconv") ? PATH_DWCONV
                                      : PATH_GEMM;
}

/* x -> Conv [-> Add r] [-> act] -> Quantize -> Dequantize -> out; `reference` also returns the Quantize's float
 * input (so it cannot fold). Runs the channels-last plan at `threads` (every operator split: start cost 0) and
 * returns the outputs (n_out values), the number of et.Quantize steps and the convolution's path. NULL on failure. */
static float *run_case(const qcase *t, bool reference, int threads, int64_t *n_out, int *quantize_steps, int *path) {
    oh_graph og = oh_new(13);
    const int cpg = t->c / t->group, oh = (t->h + 2 * t->pad - t->k) / t->stride + 1,
              ow = (t->w + 2 * t->pad - t->k) / t->stride + 1;
    const int64_t nw = (int64_t)t->o * cpg * t->k * t->k, nx = (int64_t)t->n * t->c * t->h * t->w,
                  nr = (int64_t)t->n * t->o * oh * ow;
    float *w = malloc((size_t)nw * sizeof *w), *b = malloc((size_t)t->o * sizeof *b);
    float *x = malloc((size_t)nx * sizeof *x), *r = malloc((size_t)nr * sizeof *r);
    oh_fill(w, nw, 7), oh_fill(b, t->o, 8), oh_fill(x, nx, 9), oh_fill(r, nr, 10);
    for (int64_t i = 0; i < nw; i++)
        w[i] = w[i] == 0.0f ? 0.01f : w[i]; /* a zero 1x1 weight would keep the layer off the fold (sparse) */
    int rv = t->residual ? oh_input(&og, "r", ET_DT_F32, SHAPE(t->n, t->o, oh, ow)) : -1;
    int xv = oh_input(&og, "x", ET_DT_F32, SHAPE(t->n, t->c, t->h, t->w));
    if (t->residual) { /* through a 1x1 convolution first: the Add folds into a convolution whose residual exists
                        * (channels-last) before it runs, as a MobileNetV2 block's input does */
        float *rwd = malloc((size_t)t->o * (size_t)t->o * sizeof *rwd);
        oh_fill(rwd, (int64_t)t->o * t->o, 11);
        int rw = oh_const(&og, "rw", ET_DT_F32, SHAPE(t->o, t->o, 1, 1), rwd), rc = oh_value(&og, "rc");
        free(rwd); /* the graph keeps its own copy */
        oh_node(&og, ET_OP_CONV, (int[]){rv, rw}, 2, (int[]){rc}, 1);
        rv = rc;
    }
    int wv = oh_const(&og, "w", ET_DT_F32, SHAPE(t->o, cpg, t->k, t->k), w);
    int bv = oh_const(&og, "b", ET_DT_F32, SHAPE(t->o), b);
    int v = oh_value(&og, "conv");
    int cn = oh_node(&og, ET_OP_CONV, (int[]){xv, wv, bv}, 3, (int[]){v}, 1);
    et_node_set_attr_ints(og.g, cn, "kernel_shape", (int64_t[]){t->k, t->k}, 2);
    et_node_set_attr_ints(og.g, cn, "strides", (int64_t[]){t->stride, t->stride}, 2);
    et_node_set_attr_ints(og.g, cn, "pads", (int64_t[]){t->pad, t->pad, t->pad, t->pad}, 4);
    et_node_set_attr_int(og.g, cn, "group", t->group);
    if (t->residual) {
        int s = oh_value(&og, "sum");
        oh_node(&og, ET_OP_ADD, (int[]){v, rv}, 2, (int[]){s}, 1);
        v = s;
    }
    if (t->act != ET_OP_IDENTITY) {
        int a = oh_value(&og, "act");
        static const float lo = 0.0f, hi = 6.0f;
        int ins[3] = {v, -1, -1}, n_ins = 1;
        if (t->act == ET_OP_CLIP) {
            ins[1] = oh_const(&og, "lo", ET_DT_F32, SCALAR_SHAPE, &lo);
            ins[2] = oh_const(&og, "hi", ET_DT_F32, SCALAR_SHAPE, &hi);
            n_ins = 3;
        }
        oh_node(&og, t->act, ins, n_ins, (int[]){a}, 1);
        v = a;
    }
    int q = oh_value(&og, "q"), out = oh_value(&og, "out");
    og.g->values[q].quant = et_quant_info_act(og.g, 0.04f, -5); /* codes saturate past about [-4.9, 5.3] */
    oh_node(&og, ET_OP_QUANTIZE, (int[]){v}, 1, (int[]){q}, 1);
    oh_node(&og, ET_OP_DEQUANTIZE, (int[]){q}, 1, (int[]){out}, 1);
    oh_output(&og, out);
    if (reference)
        oh_output(&og, v);
    float *result = NULL;
    et_err err = {0};
    et_plan *p = NULL;
    et_plan_options po = et_plan_options_default();
    po.threads = threads;
    if (oh_infer(&og, &err) == ET_OK && et_plan_create(og.g, &po, &p, &err) == ET_OK) {
        et_threadpool_set_start_ns(et_plan_threadpool(p), 0.0);
        memcpy(et_plan_input(p, t->residual)->data, x, (size_t)nx * sizeof *x);
        if (t->residual)
            memcpy(et_plan_input(p, 0)->data, r, (size_t)nr * sizeof *r);
        *quantize_steps = 0;
        for (int i = 0; i < et_plan_get_stats(p).n_steps; i++) {
            et_step_info si;
            et_plan_step_info(p, i, &si);
            *quantize_steps += strcmp(si.op, "et.Quantize") == 0;
            if (strncmp(si.kernel, "f32-", 4) == 0 && strcmp(si.op, "Conv") == 0) /* the last one */
                *path = path_of(si.kernel);
        }
        if (et_plan_run(p, NULL, &err) == ET_OK) {
            const et_tensor *o = et_plan_output(p, 0);
            *n_out = et_shape_numel(&o->shape);
            result = malloc((size_t)*n_out * sizeof *result);
            memcpy(result, o->data, (size_t)*n_out * sizeof *result);
        }
    }
    if (!result)
        fprintf(stderr, "run_case: %s\n", err.msg);
    et_plan_free(p);
    oh_free(&og);
    free(w), free(b), free(x), free(r);
    return result;
}

static void check_case(const qcase *t, bool *covered) {
    int64_t n_ref = 0, n1 = 0, n3 = 0;
    int q_ref = -1, q1 = -1, q3 = -1, path = -1, unused = -1;
    float *ref = run_case(t, true, 1, &n_ref, &q_ref, &unused);
    float *one = run_case(t, false, 1, &n1, &q1, &path);
    float *three = run_case(t, false, 3, &n3, &q3, &unused);
    ET_REQUIRE(ref && one && three && n_ref == n1 && n_ref == n3);
    int64_t diff = 0;
    for (int64_t i = 0; i < n_ref; i++)
        diff += one[i] != ref[i] || three[i] != ref[i];
    ET_CHECK_MSG(diff == 0, "case c%d o%d %dx%d k%d s%d g%d act %d res %d: %lld of %lld codes differ", t->c, t->o, t->h,
                 t->w, t->k, t->stride, t->group, (int)t->act, t->residual, (long long)diff, (long long)n_ref);
    ET_CHECK_MSG(q_ref == 1, "case c%d o%d k%d: the reference plan has %d quantize steps, not 1", t->c, t->o, t->k,
                 q_ref);
    ET_CHECK_MSG(q1 == 0 && q3 == 0, "case c%d o%d k%d: the quantize was not folded (%d, %d steps)", t->c, t->o, t->k,
                 q1, q3);
    if (path >= 0)
        covered[path] = true;
    free(ref), free(one), free(three);
}

static void test_quantize_folds_exactly(void) {
    const qcase cases[] = {
        {1, 3, 17, 15, 16, 3, 2, 1, 1, ET_OP_HARD_SWISH, false},   /* MobileNetV3's stem: igemm, wide taps */
        {1, 3, 32, 32, 32, 3, 2, 1, 1, ET_OP_CLIP, false},         /* MobileNetV2's stem (Relu6) */
        {2, 3, 12, 12, 24, 3, 2, 1, 1, ET_OP_IDENTITY, false},     /* two images */
        {1, 16, 9, 9, 24, 3, 2, 1, 2, ET_OP_RELU, false},          /* grouped igemm, no wide taps */
        {1, 32, 8, 7, 40, 1, 1, 0, 1, ET_OP_RELU, true},           /* 1x1 gemm + residual, then Relu */
        {1, 8, 9, 9, 16, 3, 1, 1, 1, ET_OP_IDENTITY, true},        /* igemm + residual */
        {1, 24, 5, 5, 700, 1, 1, 0, 1, ET_OP_HARD_SWISH, false},   /* 700 columns: several pieces per tile */
        {1, 72, 10, 10, 72, 3, 1, 1, 72, ET_OP_HARD_SWISH, false}, /* depthwise 3x3 with a channel tail */
        {1, 40, 9, 9, 40, 5, 2, 2, 40, ET_OP_IDENTITY, false},     /* depthwise 5x5 strided */
        {1, 2056, 4, 4, 2056, 3, 1, 1, 2056, ET_OP_CLIP, false},   /* depthwise wider than the tile buffer: staged */
        {1, 32, 16, 16, 32, 3, 1, 1, 1, ET_OP_RELU, false},        /* Winograd where chosen: staged */
    };
    bool covered[PATH_COUNT] = {false};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&cases[i], covered);
    ET_CHECK(covered[PATH_GEMM] && covered[PATH_IGEMM] && covered[PATH_DWCONV]);
    printf("paths covered: gemm %d igemm %d dwconv %d winograd %d\n", covered[PATH_GEMM], covered[PATH_IGEMM],
           covered[PATH_DWCONV], covered[PATH_WINOGRAD]);
}

/* A pruned 1x1 convolution (an exact zero weight) may run sparse, so the fold leaves its Quantize a step of its own
 * (fuse_nhwc.c, may_run_sparse). Its weights are moved to an odd address first, as a model file's raw_data can lie
 * (graph.h: constant data may be unaligned): the fold's check must read them without a misaligned float load, which
 * the sanitizer pass of ./build.sh test (UBSan, no recovery) turns into a failure every time, not only when a tune
 * happens to keep such a layer fp32. The output must equal the same graph's with aligned weights. */
static float *run_pruned_1x1(bool misaligned, int *quantize_steps, int64_t *n_out) {
    enum { C = 16, O = 24, H = 5, W = 6 };
    float w[O * C], x[C * H * W];
    oh_fill(w, O * C, 3), oh_fill(x, C * H * W, 4);
    for (int i = 0; i < O * C; i += 3)
        w[i] = 0.0f; /* a third pruned */
    oh_graph og = oh_new(13);
    int xv = oh_input(&og, "x", ET_DT_F32, SHAPE(1, C, H, W));
    int wv = oh_const(&og, "w", ET_DT_F32, SHAPE(O, C, 1, 1), w);
    char *odd = malloc(sizeof w + 1); /* the test owns the moved bytes: the graph only borrows them */
    if (misaligned && odd) {
        memcpy(odd + 1, w, sizeof w);
        og.g->values[wv].data = odd + 1;
    }
    int v = oh_value(&og, "conv"), q = oh_value(&og, "q"), out = oh_value(&og, "out");
    oh_node(&og, ET_OP_CONV, (int[]){xv, wv}, 2, (int[]){v}, 1);
    og.g->values[q].quant = et_quant_info_act(og.g, 0.04f, -5);
    oh_node(&og, ET_OP_QUANTIZE, (int[]){v}, 1, (int[]){q}, 1);
    oh_node(&og, ET_OP_DEQUANTIZE, (int[]){q}, 1, (int[]){out}, 1);
    oh_output(&og, out);
    float *result = NULL;
    et_err err = {0};
    et_plan *p = NULL;
    et_plan_options po = et_plan_options_default();
    po.threads = 1;
    if (odd && oh_infer(&og, &err) == ET_OK && et_plan_create(og.g, &po, &p, &err) == ET_OK) {
        *quantize_steps = 0;
        for (int i = 0; i < et_plan_get_stats(p).n_steps; i++) {
            et_step_info si;
            et_plan_step_info(p, i, &si);
            *quantize_steps += strcmp(si.op, "et.Quantize") == 0;
        }
        memcpy(et_plan_input(p, 0)->data, x, sizeof x);
        if (et_plan_run(p, NULL, &err) == ET_OK) {
            const et_tensor *o = et_plan_output(p, 0);
            *n_out = et_shape_numel(&o->shape);
            if ((result = malloc((size_t)*n_out * sizeof *result)))
                memcpy(result, o->data, (size_t)*n_out * sizeof *result);
        }
    }
    if (!result)
        fprintf(stderr, "run_pruned_1x1: %s\n", err.msg);
    et_plan_free(p);
    oh_free(&og);
    free(odd);
    return result;
}

static void test_pruned_1x1_misaligned_weights(void) {
    int q_aligned = -1, q_odd = -1;
    int64_t n_aligned = 0, n_odd = 0;
    float *aligned = run_pruned_1x1(false, &q_aligned, &n_aligned), *odd = run_pruned_1x1(true, &q_odd, &n_odd);
    ET_REQUIRE(aligned && odd && n_aligned == n_odd);
    ET_CHECK_MSG(q_aligned == 1 && q_odd == 1, "a pruned 1x1 layer's Quantize was folded (%d, %d steps, not 1)",
                 q_aligned, q_odd);
    ET_CHECK(memcmp(aligned, odd, (size_t)n_odd * sizeof *odd) == 0);
    free(aligned), free(odd);
}

int main(void) {
    ET_RUN(test_quantize_folds_exactly);
    ET_RUN(test_pruned_1x1_misaligned_weights);
    return et_test_done();
}
