/* qkernel_bench.c: how fast the quantized and sparse kernels are on this machine, next to fp32.
 *
 *   1. GEMM microkernels with operands in L1: every quantized config this CPU runs (GOPS = 2 x int8 MACs per
 *      second) and the fp32 GEMM (GFLOP/s) in the same run, alternating, best of 7 each.
 *   2. Convolution layers of MobileNetV2 / ResNet-50: the fp32 operator against the int8 operator with 8-bit,
 *      7-bit and 4-bit weights (the kernels each width selects), ms per run and the speed-up over fp32, at 1 and
 *      2 threads. Timings alternate between the operators (best of 5 medians) so that a burst of someone else's
 *      work on a shared machine cannot favour one of them.
 *   3. Whole networks (MobileNetV2, ResNet-50 at 224x224): fp32 against int8 end to end (kernel side).
 *   4. Sparse 1x1 convolution / fully-connected against the dense fp32 GEMM at 50 / 70 / 90 % unstructured
 *      sparsity and 2:4, and MobileNetV2 with its 1x1 layers 90 % sparse.
 *
 * Usage: qkernel_bench [--quick] [--section N] [--filter TEXT]   (EDGETUNE_ISA=... picks the path the operators use) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/cpu.h"
#include "engine/kernels/f32-gemm/f32-gemm.h"
#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "engine/kernels/qs8-vcvt/qs8-vcvt.h"
#include "engine/operators/conv2d.h"
#include "engine/operators/matmul.h"
#include "engine/operators/pool2d.h"
#include "engine/operators/qconv2d.h"
#include "engine/operators/spconv.h"
#include "engine/threadpool.h"
#include "util/mem.h"

static int quick;
static const char *filter; /* --filter TEXT: only layers whose name contains it */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *xalloc(size_t bytes) {
    void *p = et_aligned_calloc(bytes + 64);
    if (!p) {
        fprintf(stderr, "qkernel_bench: out of memory\n");
        exit(1);
    }
    return p;
}

static uint32_t rng = 12345;
static int rand_int(int lo, int hi) {
    rng = rng * 1103515245u + 12345u;
    return lo + (int)((rng >> 8) % (uint32_t)(hi - lo + 1));
}

/* Median of n samples (sorts them). */
static double median(double *s, int n) {
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && s[j] < s[j - 1]; j--) {
            const double t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    return s[n / 2];
}

/* --- 1. microkernels ------------------------------------------------------------------------------------ */
static void bench_microkernels(void) {
    size_t count;
    const et_qgemm_config *cfgs = et_qgemm_configs(&count);
    const et_f32_gemm_config *fg = et_f32_gemm_config_get();
    const size_t fk = 272;
    float *fa = xalloc(fg->mr * fk * 4), *fw = xalloc((fk + 1) * fg->nr * 4), *fc = xalloc(fg->mr * fg->nr * 4);
    const et_f32_minmax_params clamp = {-INFINITY, INFINITY};
    const long fcalls = quick ? 20000 : 100000;
    for (size_t ci = 0; ci < count; ci++) {
        const et_qgemm_config *c = &cfgs[ci];
        if (!et_kreq_runnable(c->req) || c->req == ET_KREQ_SCALAR)
            continue;
        const size_t k = 512, eb = et_qa_format_bytes(c->a_format);
        int8_t *wt = xalloc(c->nr * k);
        for (size_t i = 0; i < c->nr * k; i++)
            wt[i] = (int8_t)rand_int(-3, 3);
        int32_t *bias = xalloc(c->nr * 4);
        float *scale = xalloc(c->nr * 4);
        for (size_t j = 0; j < c->nr; j++)
            scale[j] = 1e-3f;
        void *a = xalloc(c->mr * k * eb), *w = xalloc(et_qgemm_packed_bytes(c, c->nr, 1, k));
        int8_t *out = xalloc(c->mr * c->nr);
        et_qgemm_pack(c, c->nr, 1, k, wt, k, 1, 1, bias, scale, 0, w);
        et_qs8_requant_params rp;
        et_qs8_requant_params_init(&rp, 0, -128, 127, 0.0f, 0);
        const long calls = quick ? 40000 : 200000;
        double best_q = 0, best_f = 0;
        for (int rep = 0; rep < 7; rep++) {
            double t0 = now_s();
            for (long i = 0; i < calls; i++) {
                c->gemm(c->mr, c->nr, k, a, k * eb, w, out, c->nr, NULL, 0, &rp);
                __asm__ volatile("" ::: "memory");
            }
            const double q = (double)calls * 2.0 * (double)(c->mr * c->nr * k) / (now_s() - t0) / 1e9;
            t0 = now_s();
            for (long i = 0; i < fcalls; i++) {
                fg->ukernel(fg->mr, fg->nr, fk, fa, fk, fw, fc, fg->nr, &clamp);
                __asm__ volatile("" ::: "memory");
            }
            const double f = (double)fcalls * 2.0 * (double)(fg->mr * fg->nr * fk) / (now_s() - t0) / 1e9;
            best_q = q > best_q ? q : best_q;
            best_f = f > best_f ? f : best_f;
        }
        printf("  %-24s (weights <= %d bits) %7.1f GOPS | %s %6.1f GFLOP/s | %.2fx\n", c->gemm_name, c->max_weight_bits,
               best_q, fg->name, best_f, best_q / best_f);
        et_aligned_free(wt), et_aligned_free(bias), et_aligned_free(scale), et_aligned_free(a), et_aligned_free(w);
        et_aligned_free(out);
    }
    et_aligned_free(fa), et_aligned_free(fw), et_aligned_free(fc);
}

/* --- 2. layers ------------------------------------------------------------------------------------------ */
typedef struct {
    const char *name;
    size_t h, w, c, oc, k, stride, groups;
} layer;

static const layer layers[] = {
    {"mbv2 stem 3x3 s2 3->32", 224, 224, 3, 32, 3, 2, 1},      {"mbv2 dw 3x3 112 c32", 112, 112, 32, 32, 3, 1, 32},
    {"mbv2 pw 112 32->16", 112, 112, 32, 16, 1, 1, 1},         {"mbv2 pw 56 24->144", 56, 56, 24, 144, 1, 1, 1},
    {"mbv2 dw 3x3 56 c144", 56, 56, 144, 144, 3, 1, 144},      {"mbv2 dw 3x3 s2 56 c144", 56, 56, 144, 144, 3, 2, 144},
    {"mbv2 pw 28 192->32", 28, 28, 192, 32, 1, 1, 1},          {"mbv2 pw 14 384->64", 14, 14, 384, 64, 1, 1, 1},
    {"mbv2 dw 3x3 14 c384", 14, 14, 384, 384, 3, 1, 384},      {"mbv2 dw 3x3 14 c576", 14, 14, 576, 576, 3, 1, 576},
    {"mbv2 dw 3x3 7 c960", 7, 7, 960, 960, 3, 1, 960},         {"mbv2 pw 7 960->320", 7, 7, 960, 320, 1, 1, 1},
    {"mbv2 pw 7 320->1280", 7, 7, 320, 1280, 1, 1, 1},         {"resnet stem 7x7 s2 3->64", 224, 224, 3, 64, 7, 2, 1},
    {"resnet 3x3 56 64->64", 56, 56, 64, 64, 3, 1, 1},         {"resnet 3x3 28 128->128", 28, 28, 128, 128, 3, 1, 1},
    {"resnet 3x3 14 256->256", 14, 14, 256, 256, 3, 1, 1},     {"resnet 3x3 7 512->512", 7, 7, 512, 512, 3, 1, 1},
    {"resnet50 1x1 56 64->256", 56, 56, 64, 256, 1, 1, 1},     {"resnet50 1x1 56 256->64", 56, 56, 256, 64, 1, 1, 1},
    {"resnet50 1x1 14 1024->256", 14, 14, 1024, 256, 1, 1, 1}, {"resnet50 1x1 7 512->2048", 7, 7, 512, 2048, 1, 1, 1},
    {"fc 1280->1000 (mbv2)", 1, 1, 1280, 1000, 1, 1, 1},       {"fc 2048->1000 (resnet50)", 1, 1, 2048, 1000, 1, 1, 1},
    {"mbv2 pw 112 16->96", 112, 112, 16, 96, 1, 1, 1},         {"mbv2 pw 56 96->24", 56, 56, 96, 24, 1, 1, 1},
    {"mbv2 pw 56 144->24", 56, 56, 144, 24, 1, 1, 1},
};

enum { VARIANTS = 4 }; /* fp32, int8 w8, w7, w4 */
static const int variant_bits[VARIANTS] = {0, 8, 7, 4};

typedef struct {
    et_conv2d_nhwc *f;
    et_qconv2d_nhwc *q[VARIANTS];
} layer_ops;

static void run_variant(layer_ops *ops, int v, et_threadpool *pool) {
    et_err err = {0};
    if (v == 0)
        et_conv2d_nhwc_run(ops->f, pool, &err);
    else
        et_qconv2d_nhwc_run(ops->q[v], pool, &err);
}

static void bench_layer(const layer *l, et_threadpool *pools[2]) {
    const size_t gic = l->c / l->groups, wn = l->oc * gic * l->k * l->k;
    et_conv2d_nhwc_params p = {0};
    p.in_channels = l->c, p.out_channels = l->oc, p.groups = l->groups;
    p.kernel_h = p.kernel_w = l->k, p.stride_h = p.stride_w = l->stride;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = l->k / 2;
    p.clamp = true, p.out_min = 0.0f, p.out_max = 6.0f;
    float *wf = xalloc(wn * 4), *bf = xalloc(l->oc * 4), *inf = xalloc(l->h * l->w * l->c * 4);
    int8_t *wq = xalloc(wn), *inq = xalloc(l->h * l->w * l->c);
    int32_t *bq = xalloc(l->oc * 4);
    float *ws = xalloc(l->oc * 4);
    for (size_t i = 0; i < wn; i++)
        wf[i] = (float)rand_int(-100, 100) * 1e-3f;
    for (size_t i = 0; i < l->h * l->w * l->c; i++)
        inf[i] = (float)rand_int(0, 255) * 0.02f, inq[i] = (int8_t)rand_int(-128, 127);
    for (size_t o = 0; o < l->oc; o++)
        ws[o] = 0.01f, bq[o] = rand_int(-100, 100);
    layer_ops ops = {0};
    et_err err = {0};
    if (et_conv2d_nhwc_create(&p, wf, bf, &ops.f, &err) != ET_OK) {
        printf("  %s: %s\n", l->name, err.msg);
        return;
    }
    size_t oh, ow;
    et_conv2d_nhwc_output_size(ops.f, l->h, l->w, &oh, &ow);
    float *outf = xalloc(oh * ow * l->oc * 4);
    int8_t *outq = xalloc(oh * ow * l->oc);
    et_conv2d_nhwc_setup(ops.f, 1, l->h, l->w, inf, outf, NULL, NULL, &err);
    for (int v = 1; v < VARIANTS; v++) {
        et_qconv2d_nhwc_params q = {0};
        q.in_channels = l->c, q.out_channels = l->oc, q.groups = l->groups;
        q.kernel_h = q.kernel_w = l->k, q.stride_h = q.stride_w = l->stride;
        q.pad_top = q.pad_left = q.pad_bottom = q.pad_right = l->k / 2;
        q.x_scale = 0.02f, q.x_zp = -128, q.y_scale = 0.05f, q.y_zp = -128;
        q.clamp = true, q.qmin = -128, q.qmax = 127;
        q.weight_bits = variant_bits[v];
        const int wmax = (1 << (variant_bits[v] - 1)) - 1;
        for (size_t i = 0; i < wn; i++)
            wq[i] = (int8_t)rand_int(-wmax, wmax);
        if (et_qconv2d_nhwc_create(&q, wq, ws, bq, &ops.q[v], &err) != ET_OK) {
            printf("  %s: %s\n", l->name, err.msg);
            return;
        }
        et_qconv2d_nhwc_setup(ops.q[v], 1, l->h, l->w, inq, outq, NULL, NULL, &err);
    }
    const double macs = (double)et_conv2d_nhwc_macs(ops.f);
    printf("  %-26s", l->name);
    for (int t = 0; t < 2; t++) {
        double best[VARIANTS];
        for (int v = 0; v < VARIANTS; v++) {
            best[v] = 1e30;
            run_variant(&ops, v, pools[t]);
        }
        const int reps = quick ? 5 : 15;
        for (int r = 0; r < 5; r++)
            for (int v = 0; v < VARIANTS; v++) {
                double s[15];
                for (int i = 0; i < reps; i++) {
                    const double t0 = now_s();
                    run_variant(&ops, v, pools[t]);
                    s[i] = now_s() - t0;
                }
                const double m = median(s, reps);
                best[v] = m < best[v] ? m : best[v];
            }
        printf(" | %7.3f ms %5.1f | w8 %7.3f %5.1f %4.2fx | w7 %4.2fx | w4 %4.2fx", best[0] * 1e3,
               2 * macs / best[0] / 1e9, best[1] * 1e3, 2 * macs / best[1] / 1e9, best[0] / best[1], best[0] / best[2],
               best[0] / best[3]);
    }
    printf("  [%s]\n", et_qconv2d_nhwc_kernel_name(ops.q[1]));
    et_conv2d_nhwc_destroy(ops.f);
    for (int v = 1; v < VARIANTS; v++)
        et_qconv2d_nhwc_destroy(ops.q[v]);
    et_aligned_free(wf), et_aligned_free(bf), et_aligned_free(inf), et_aligned_free(wq), et_aligned_free(inq);
    et_aligned_free(bq), et_aligned_free(ws), et_aligned_free(outf), et_aligned_free(outq);
}

/* --- 5. int8 Winograd ------------------------------------------------------------------------------------- */
/* ResNet-50's stride-1 3x3 layers, 1 thread: fp32 as the engine plans it (Winograd F(4x4)/F(2x2) or direct by
 * et_winograd_choose at the expected size), int8 direct (igemm) and int8 Winograd F(2x2) (qwinograd.h), 8-bit
 * weights. Rounds alternate the three (each a median of 3 runs); the table gives each one's median over rounds
 * of the thread's CPU time (the runs are on the calling thread: a preemption on a loaded machine does not count)
 * and the minimum wall time. */
static double thread_cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void bench_wino8(void) {
    static const layer shapes[] = {{"resnet 3x3 56 64->64", 56, 56, 64, 64, 3, 1, 1},
                                   {"resnet 3x3 28 128->128", 28, 28, 128, 128, 3, 1, 1},
                                   {"resnet 3x3 14 256->256", 14, 14, 256, 256, 3, 1, 1},
                                   {"resnet 3x3 7 512->512", 7, 7, 512, 512, 3, 1, 1}};
    printf("  %-24s %-22s %9s %9s %9s | %-13s %-13s\n", "layer", "fp32 kernel", "fp32 ms", "i8 direct", "i8 wino",
           "fp32/wino", "direct/wino");
    for (size_t li = 0; li < sizeof shapes / sizeof shapes[0]; li++) {
        const layer *l = &shapes[li];
        if (filter && !strstr(l->name, filter))
            continue;
        const size_t wn = l->oc * l->c * 9, n_in = l->h * l->w * l->c, n_out = l->h * l->w * l->oc;
        float *wf = xalloc(wn * 4), *bf = xalloc(l->oc * 4), *inf = xalloc(n_in * 4), *outf = xalloc(n_out * 4);
        int8_t *wq = xalloc(wn), *inq = xalloc(n_in), *outq = xalloc(n_out);
        int32_t *bq = xalloc(l->oc * 4);
        float *ws = xalloc(l->oc * 4);
        for (size_t i = 0; i < wn; i++)
            wf[i] = (float)rand_int(-100, 100) * 1e-3f, wq[i] = (int8_t)rand_int(-127, 127);
        for (size_t i = 0; i < n_in; i++)
            inf[i] = (float)rand_int(0, 255) * 0.02f, inq[i] = (int8_t)rand_int(-128, 127);
        for (size_t o = 0; o < l->oc; o++)
            ws[o] = 0.01f, bq[o] = rand_int(-100, 100), bf[o] = 0.0f;
        et_conv2d_nhwc_params p = {0};
        p.in_channels = l->c, p.out_channels = l->oc, p.kernel_h = p.kernel_w = 3;
        p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
        p.clamp = true, p.out_min = 0.0f, p.out_max = INFINITY;
        p.expect_batch = 1, p.expect_h = l->h, p.expect_w = l->w;
        et_conv2d_nhwc *f = NULL;
        et_qconv2d_nhwc *q[2] = {NULL, NULL};
        et_err err = {0};
        if (et_conv2d_nhwc_create(&p, wf, bf, &f, &err) != ET_OK) {
            printf("  %s: %s\n", l->name, err.msg);
            return;
        }
        const size_t f_scratch_bytes = et_conv2d_nhwc_scratch_bytes(f, 1, l->h, l->w);
        void *f_scratch = f_scratch_bytes ? xalloc(f_scratch_bytes) : NULL;
        if (et_conv2d_nhwc_setup(f, 1, l->h, l->w, inf, outf, NULL, f_scratch, &err) != ET_OK) {
            printf("  %s: %s\n", l->name, err.msg);
            return;
        }
        for (int v = 0; v < 2; v++) {
            et_qconv2d_nhwc_params qp = {0};
            qp.in_channels = l->c, qp.out_channels = l->oc, qp.kernel_h = qp.kernel_w = 3;
            qp.pad_top = qp.pad_left = qp.pad_bottom = qp.pad_right = 1;
            qp.x_scale = 0.02f, qp.x_zp = -128, qp.y_scale = 0.05f, qp.y_zp = -128;
            qp.clamp = true, qp.qmin = -128, qp.qmax = 127, qp.weight_bits = 8;
            qp.algo = v ? ET_CONV_ALGO_WINOGRAD_2X2 : ET_CONV_ALGO_DIRECT;
            if (et_qconv2d_nhwc_create(&qp, wq, ws, bq, &q[v], &err) != ET_OK ||
                et_qconv2d_nhwc_setup(q[v], 1, l->h, l->w, inq, outq, NULL, NULL, &err) != ET_OK) {
                printf("  %s: %s\n", l->name, err.msg);
                return;
            }
        }
        enum { ROUNDS = 15 };
        double t[3][ROUNDS], wall[3][ROUNDS];
        for (int r = -1; r < (quick ? 3 : ROUNDS); r++)
            for (int v = 0; v < 3; v++) {
                double s[3], sw[3];
                for (int i = 0; i < 3; i++) {
                    const double t0 = now_s(), c0 = thread_cpu_s();
                    if (v == 0)
                        et_conv2d_nhwc_run(f, NULL, &err);
                    else
                        et_qconv2d_nhwc_run(q[v - 1], NULL, &err);
                    s[i] = thread_cpu_s() - c0;
                    sw[i] = now_s() - t0;
                }
                if (r >= 0)
                    t[v][r] = median(s, 3), wall[v][r] = median(sw, 3);
            }
        const int rounds = quick ? 3 : ROUNDS;
        double med[3], lo[3];
        for (int v = 0; v < 3; v++) {
            lo[v] = wall[v][0];
            for (int r = 1; r < rounds; r++)
                lo[v] = wall[v][r] < lo[v] ? wall[v][r] : lo[v];
            med[v] = median(t[v], rounds);
        }
        printf("  %-24s %-22s %9.3f %9.3f %9.3f | %5.2fx (%4.2fx) %5.2fx (%4.2fx)   min %.3f %.3f %.3f ms\n", l->name,
               et_conv2d_nhwc_kernel_name(f), med[0] * 1e3, med[1] * 1e3, med[2] * 1e3, med[0] / med[2], lo[0] / lo[2],
               med[1] / med[2], lo[1] / lo[2], lo[0] * 1e3, lo[1] * 1e3, lo[2] * 1e3);
        et_conv2d_nhwc_destroy(f), et_qconv2d_nhwc_destroy(q[0]), et_qconv2d_nhwc_destroy(q[1]);
        et_aligned_free(f_scratch);
        et_aligned_free(wf), et_aligned_free(bf), et_aligned_free(inf), et_aligned_free(outf);
        et_aligned_free(wq), et_aligned_free(inq), et_aligned_free(outq), et_aligned_free(bq), et_aligned_free(ws);
    }
}

/* --- 3. whole networks ------------------------------------------------------------------------------------ */
/* MobileNetV2 and ResNet-50 at 224x224 built from the operators and run back to back, activations rotating
 * through 5 buffers as in an engine arena. Variants: fp32; int8 (all convolutions, residual adds fused; the
 * input quantized once, and dequantized before the fp32 pooling and classifier: no int8 pooling operator yet,
 * so ResNet-50's max pool runs as dequantize + fp32 pool + quantize, costs included); fp32 with every 1x1
 * convolution 90 % sparse (sparse kernels where et_spconv_nhwc_faster says so, dense otherwise). */
typedef enum { V_FP32, V_INT8, V_SPARSE } net_variant;
typedef enum { S_CONV, S_QCONV, S_SPCONV, S_MAXPOOL, S_GAP, S_FC, S_QUANT, S_DEQUANT } step_kind;
typedef struct {
    step_kind kind;
    et_conv2d_nhwc *conv;
    et_qconv2d_nhwc *qconv;
    et_spconv_nhwc *sp;
    et_pool2d_nhwc *pool;
    et_fully_connected *fc;
    size_t n, h, w, c;
    void *in, *out;
} net_step;
enum { NET_STEPS = 160, NET_BUFS = 5, NET_BUF_BYTES = 112 * 112 * 96 * 4 };
typedef struct {
    net_variant v;
    int bits;
    net_step steps[NET_STEPS];
    size_t count, sparse_layers, pw_layers;
    double macs;
    void *bufs[NET_BUFS];
    et_qs8_quantize_params qp;
    et_qs8_dequantize_params dq;
    const et_qs8_vcvt_config *cvt;
} net;

static void *net_pick(net *n, const void *a, const void *b, const void *c) {
    for (int i = 0; i < NET_BUFS; i++) {
        if (!n->bufs[i])
            n->bufs[i] = xalloc(NET_BUF_BYTES);
        if (n->bufs[i] != a && n->bufs[i] != b && n->bufs[i] != c)
            return n->bufs[i];
    }
    return NULL;
}

static net_step *net_add(net *n, step_kind k) {
    if (n->count == NET_STEPS) {
        fprintf(stderr, "qkernel_bench: network too long\n");
        exit(1);
    }
    net_step *s = &n->steps[n->count++];
    memset(s, 0, sizeof *s);
    s->kind = k;
    return s;
}

/* A convolution reading `in` (h x w x c), relu6 when relu_max > 0 (Relu for INFINITY), optional residual; the
 * output goes to a buffer that is neither `in`, `residual` nor `keep`. */
static void *net_conv(net *n, void *in, size_t *h, size_t *w, size_t *c, size_t oc, size_t k, size_t stride,
                      size_t groups, float relu_max, void *residual, const void *keep) {
    const size_t gic = *c / groups, wn = oc * gic * k * k;
    net_step *s = net_add(n, S_CONV);
    s->in = in, s->out = net_pick(n, in, residual, keep), s->h = *h, s->w = *w, s->c = *c;
    et_err err = {0};
    size_t oh = 0, ow = 0;
    const int pointwise = k == 1 && stride == 1 && groups == 1;
    if (n->v == V_INT8) {
        et_qconv2d_nhwc_params q = {0};
        q.in_channels = *c, q.out_channels = oc, q.groups = groups, q.kernel_h = q.kernel_w = k;
        q.stride_h = q.stride_w = stride, q.pad_top = q.pad_left = q.pad_bottom = q.pad_right = k / 2;
        q.x_scale = 0.05f, q.x_zp = -128, q.y_scale = 0.05f, q.y_zp = relu_max > 0 ? -128 : 0;
        q.clamp = relu_max > 0, q.qmin = -128, q.qmax = 127, q.weight_bits = n->bits;
        q.residual = residual != NULL, q.residual_scale = 0.05f, q.residual_zp = 0;
        int8_t *wt = xalloc(wn);
        float *ws = xalloc(oc * 4);
        const int wmax = (1 << (n->bits - 1)) - 1;
        for (size_t i = 0; i < wn; i++)
            wt[i] = (int8_t)rand_int(-wmax, wmax);
        for (size_t o = 0; o < oc; o++)
            ws[o] = 0.01f;
        s->kind = S_QCONV;
        if (et_qconv2d_nhwc_create(&q, wt, ws, NULL, &s->qconv, &err) != ET_OK) {
            fprintf(stderr, "qkernel_bench: %s\n", err.msg);
            exit(1);
        }
        et_qconv2d_nhwc_output_size(s->qconv, *h, *w, &oh, &ow);
        et_qconv2d_nhwc_setup(s->qconv, 1, *h, *w, in, s->out, residual, NULL, &err);
        n->macs += (double)et_qconv2d_nhwc_macs(s->qconv);
        et_aligned_free(wt), et_aligned_free(ws);
    } else {
        float *wt = xalloc(wn * 4), *bias = xalloc(oc * 4);
        const int sparse = n->v == V_SPARSE && pointwise;
        for (size_t i = 0; i < wn; i++)
            wt[i] = (!sparse || rand_int(0, 9) == 0) ? (float)rand_int(-100, 100) * 1e-4f : 0.0f;
        n->pw_layers += sparse;
        if (sparse && et_spconv_nhwc_faster(*h * *w, *c, oc, et_spconv_count_nonzeros(wt, oc, *c, *c, 1))) {
            et_spconv_nhwc_params sp = {0};
            sp.in_channels = *c, sp.out_channels = oc;
            sp.clamp = relu_max > 0, sp.out_min = 0.0f, sp.out_max = relu_max;
            sp.residual = residual != NULL;
            s->kind = S_SPCONV;
            et_spconv_nhwc_create(&sp, wt, *c, 1, bias, &s->sp, &err);
            et_spconv_nhwc_setup(s->sp, *h * *w, in, s->out, residual, &err);
            oh = *h, ow = *w;
            n->sparse_layers++;
            n->macs += (double)(*h * *w * *c * oc);
        } else {
            et_conv2d_nhwc_params p = {0};
            p.in_channels = *c, p.out_channels = oc, p.groups = groups, p.kernel_h = p.kernel_w = k;
            p.stride_h = p.stride_w = stride, p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = k / 2;
            p.clamp = relu_max > 0, p.out_min = 0.0f, p.out_max = relu_max;
            p.residual = residual != NULL;
            if (et_conv2d_nhwc_create(&p, wt, bias, &s->conv, &err) != ET_OK) {
                fprintf(stderr, "qkernel_bench: %s\n", err.msg);
                exit(1);
            }
            et_conv2d_nhwc_output_size(s->conv, *h, *w, &oh, &ow);
            et_conv2d_nhwc_setup(s->conv, 1, *h, *w, in, s->out, residual, NULL, &err);
            n->macs += (double)et_conv2d_nhwc_macs(s->conv);
        }
        et_aligned_free(wt), et_aligned_free(bias);
    }
    *h = oh, *w = ow, *c = oc;
    return s->out;
}

/* Converts between int8 and fp32 (int8 networks only; a no-op for the fp32 ones). */
static void *net_cvt(net *n, step_kind k, void *in, size_t count, const void *keep) {
    if (n->v != V_INT8)
        return in;
    net_step *s = net_add(n, k);
    s->in = in, s->out = net_pick(n, in, keep, NULL), s->n = count;
    return s->out;
}

static void net_tail(net *n, void *x, size_t h, size_t w, size_t c) {
    x = net_cvt(n, S_DEQUANT, x, h * w * c, NULL);
    net_step *g = net_add(n, S_GAP);
    g->in = x, g->out = net_pick(n, x, NULL, NULL), g->h = h, g->w = w, g->c = c;
    net_step *f = net_add(n, S_FC);
    et_fully_connected_params p = {0};
    p.in_features = c, p.out_features = 1000;
    float *wt = xalloc(c * 1000 * 4);
    et_err err = {0};
    et_fully_connected_create(&p, wt, NULL, &f->fc, &err);
    f->in = g->out, f->out = net_pick(n, g->out, NULL, NULL);
    et_fully_connected_setup(f->fc, 1, f->in, f->out, &err);
    n->macs += (double)(c * 1000);
    et_aligned_free(wt);
}

static void build_mobilenet_v2(net *n, void *image) {
    static const size_t cfg[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                     {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    size_t h = 224, w = 224, c = 3;
    void *x = net_cvt(n, S_QUANT, image, 224 * 224 * 3, NULL);
    x = net_conv(n, x, &h, &w, &c, 32, 3, 2, 1, 6.0f, NULL, NULL);
    for (int b = 0; b < 7; b++)
        for (size_t r = 0; r < cfg[b][2]; r++) {
            const size_t t = cfg[b][0], oc = cfg[b][1], stride = r == 0 ? cfg[b][3] : 1;
            void *block_in = x;
            const size_t in_c = c;
            if (t != 1)
                x = net_conv(n, x, &h, &w, &c, in_c * t, 1, 1, 1, 6.0f, NULL, block_in);
            x = net_conv(n, x, &h, &w, &c, c, 3, stride, c, 6.0f, NULL, block_in);
            x = net_conv(n, x, &h, &w, &c, oc, 1, 1, 1, 0.0f, stride == 1 && in_c == oc ? block_in : NULL, NULL);
        }
    x = net_conv(n, x, &h, &w, &c, 1280, 1, 1, 1, 6.0f, NULL, NULL);
    net_tail(n, x, h, w, c);
}

static void build_resnet50(net *n, void *image) {
    size_t h = 224, w = 224, c = 3;
    void *x = net_cvt(n, S_QUANT, image, 224 * 224 * 3, NULL);
    x = net_conv(n, x, &h, &w, &c, 64, 7, 2, 1, INFINITY, NULL, NULL);
    x = net_cvt(n, S_DEQUANT, x, h * w * c, NULL);
    net_step *mp = net_add(n, S_MAXPOOL);
    et_pool2d_nhwc_params pp = {0};
    pp.kind = ET_POOL_MAX, pp.channels = 64, pp.kernel_h = pp.kernel_w = 3, pp.stride_h = pp.stride_w = 2;
    pp.pad_top = pp.pad_left = pp.pad_bottom = pp.pad_right = 1;
    et_err err = {0};
    et_pool2d_nhwc_create(&pp, &mp->pool, &err);
    mp->in = x, mp->out = net_pick(n, x, NULL, NULL);
    et_pool2d_nhwc_setup(mp->pool, 1, h, w, x, mp->out, &err);
    x = mp->out, h = 56, w = 56;
    x = net_cvt(n, S_QUANT, x, h * w * c, NULL);
    static const size_t blocks[4] = {3, 4, 6, 3};
    for (int st = 0; st < 4; st++)
        for (size_t b = 0; b < blocks[st]; b++) {
            const size_t width = (size_t)64 << st, stride = b == 0 && st > 0 ? 2 : 1;
            void *shortcut = x;
            size_t sh = h, sw = w, sc = c;
            if (b == 0)
                shortcut = net_conv(n, x, &sh, &sw, &sc, width * 4, 1, stride, 1, 0.0f, NULL, x);
            void *y = net_conv(n, x, &h, &w, &c, width, 1, 1, 1, INFINITY, NULL, shortcut);
            y = net_conv(n, y, &h, &w, &c, width, 3, stride, 1, INFINITY, NULL, shortcut);
            x = net_conv(n, y, &h, &w, &c, width * 4, 1, 1, 1, INFINITY, shortcut, NULL);
        }
    net_tail(n, x, h, w, c);
}

static void net_run(net *n, et_threadpool *pool) {
    et_err err = {0};
    for (size_t i = 0; i < n->count; i++) {
        net_step *s = &n->steps[i];
        switch (s->kind) {
        case S_CONV: et_conv2d_nhwc_run(s->conv, pool, &err); break;
        case S_QCONV: et_qconv2d_nhwc_run(s->qconv, pool, &err); break;
        case S_SPCONV: et_spconv_nhwc_run(s->sp, pool, &err); break;
        case S_MAXPOOL: et_pool2d_nhwc_run(s->pool, pool, &err); break;
        case S_GAP: et_global_avgpool_nhwc(1, s->h * s->w, s->c, s->in, 0, s->out, 0, -INFINITY, INFINITY, pool); break;
        case S_FC: et_fully_connected_run(s->fc, pool, &err); break;
        case S_QUANT: n->cvt->quantize(s->n, s->in, s->out, &n->qp); break;
        case S_DEQUANT: n->cvt->dequantize(s->n, s->in, s->out, &n->dq); break;
        }
    }
}

static void net_free(net *n) {
    for (size_t i = 0; i < n->count; i++) {
        net_step *s = &n->steps[i];
        et_conv2d_nhwc_destroy(s->conv);
        et_qconv2d_nhwc_destroy(s->qconv);
        et_spconv_nhwc_destroy(s->sp);
        et_pool2d_nhwc_destroy(s->pool);
        et_fully_connected_destroy(s->fc);
    }
    for (int i = 0; i < NET_BUFS; i++)
        et_aligned_free(n->bufs[i]);
}

/* Runs the variants of one network alternately (so that machine noise hits them alike) and prints the medians. */
static void bench_network(const char *name, void (*build)(net *, void *), const net_variant *vs, const int *bits,
                          int count, et_threadpool *pool) {
    net *nets = calloc((size_t)count, sizeof *nets);
    float *image = xalloc(224 * 224 * 3 * 4);
    for (int i = 0; i < count; i++) {
        nets[i].v = vs[i], nets[i].bits = bits[i], nets[i].cvt = et_qs8_vcvt_config_get();
        et_qs8_quantize_params_init(&nets[i].qp, 0.05f, -128, -128, 127);
        nets[i].dq = (et_qs8_dequantize_params){0.05f, -128};
        build(&nets[i], image);
        net_run(&nets[i], pool);
    }
    enum { REPS = 15 };
    const int reps = quick ? 5 : REPS;
    double samples[8][REPS];
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < count; i++) {
            const double t0 = now_s();
            net_run(&nets[i], pool);
            samples[i][r] = now_s() - t0;
        }
    double base = 0;
    for (int i = 0; i < count; i++) {
        const double ms = median(samples[i], reps) * 1e3;
        base = i == 0 ? ms : base;
        char label[64];
        if (vs[i] == V_INT8)
            snprintf(label, sizeof label, "int8, %d-bit weights", bits[i]);
        else if (vs[i] == V_SPARSE)
            snprintf(label, sizeof label, "fp32, 1x1 90%% sparse (%zu/%zu)", nets[i].sparse_layers, nets[i].pw_layers);
        else
            snprintf(label, sizeof label, "fp32 dense");
        printf("  %-12s %-34s %3zu steps %5.2f GMAC  median %8.2f ms  %5.2fx vs fp32 dense\n", name, label,
               nets[i].count, nets[i].macs / 1e9, ms, base / ms);
        net_free(&nets[i]);
    }
    free(nets);
    et_aligned_free(image);
}

/* --- 4. sparse 1x1 ---------------------------------------------------------------------------------------- */
typedef struct {
    const char *name;
    size_t pixels, k, n;
} pw_shape;

static const pw_shape pw_shapes[] = {
    {"mbv2 112 32->16", 12544, 32, 16},     {"mbv2 56 24->144", 3136, 24, 144},
    {"mbv2 56 144->24", 3136, 144, 24},     {"mbv2 28 32->192", 784, 32, 192},
    {"mbv2 28 192->32", 784, 192, 32},      {"mbv2 14 384->64", 196, 384, 64},
    {"mbv2 14 64->384", 196, 64, 384},      {"mbv2 14 576->96", 196, 576, 96},
    {"mbv2 7 960->160", 49, 960, 160},      {"mbv2 7 320->1280", 49, 320, 1280},
    {"resnet50 56 64->256", 3136, 64, 256}, {"resnet50 14 1024->256", 196, 1024, 256},
    {"fc 1280->1000", 1, 1280, 1000},
};

/* Dense out x in weights, `density` of them nonzero; nm: 2:4 (two nonzeros in every group of four inputs). */
static void make_sparse(float *w, size_t out, size_t in, double density, int nm) {
    for (size_t o = 0; o < out; o++)
        for (size_t i = 0; i < in; i++) {
            const float v = (float)rand_int(1, 1000) * 1e-3f;
            const int keep = nm ? (i % 4 == o % 2 || i % 4 == 2 + o % 2) : (double)rand_int(0, 9999) < density * 1e4;
            w[o * in + i] = keep ? v : 0.0f;
        }
}

/* Best of 5 medians of `reps` runs of a sparse or dense operator (1 thread). */
static double time_pw(et_spconv_nhwc *sp, et_conv2d_nhwc *dn) {
    et_err err = {0};
    const int reps = quick ? 5 : 11;
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        double s[11];
        for (int i = 0; i < reps; i++) {
            const double t0 = now_s();
            if (sp)
                et_spconv_nhwc_run(sp, NULL, &err);
            else
                et_conv2d_nhwc_run(dn, NULL, &err);
            s[i] = now_s() - t0;
        }
        const double m = median(s, reps);
        best = m < best ? m : best;
    }
    return best;
}

static void bench_sparse(void) {
    static const double densities[] = {0.5, 0.3, 0.1, 0.5};
    printf("  %-22s %9s | %-28s| %-28s| %-28s| %-28s\n", "layer (pixels k->n)", "dense ms", "50 % zeros", "70 % zeros",
           "90 % zeros", "2:4");
    for (size_t s = 0; s < sizeof pw_shapes / sizeof pw_shapes[0]; s++) {
        const pw_shape *l = &pw_shapes[s];
        if (filter && !strstr(l->name, filter))
            continue;
        float *x = xalloc(l->pixels * l->k * 4), *y = xalloc(l->pixels * l->n * 4), *w = xalloc(l->n * l->k * 4);
        for (size_t i = 0; i < l->pixels * l->k; i++)
            x[i] = (float)rand_int(0, 100) * 0.01f;
        et_conv2d_nhwc_params dp = {0};
        dp.in_channels = l->k, dp.out_channels = l->n, dp.kernel_h = dp.kernel_w = 1;
        make_sparse(w, l->n, l->k, 1.0, 0);
        et_conv2d_nhwc *dn = NULL;
        et_err err = {0};
        et_conv2d_nhwc_create(&dp, w, NULL, &dn, &err);
        et_conv2d_nhwc_setup(dn, 1, l->pixels, 1, x, y, NULL, NULL, &err);
        et_conv2d_nhwc_run(dn, NULL, &err);
        const double td = time_pw(NULL, dn);
        printf("  %-22s %9.3f", l->name, td * 1e3);
        for (int d = 0; d < 4; d++) {
            make_sparse(w, l->n, l->k, densities[d], d == 3);
            et_spconv_nhwc_params sp = {0};
            sp.in_channels = l->k, sp.out_channels = l->n;
            et_spconv_nhwc *op = NULL;
            if (et_spconv_nhwc_create(&sp, w, l->k, 1, NULL, &op, &err) != ET_OK) {
                printf(" | %-27s", "(too deep)");
                continue;
            }
            et_spconv_nhwc_setup(op, l->pixels, x, y, NULL, &err);
            et_spconv_nhwc_run(op, NULL, &err);
            const double ts = time_pw(op, NULL);
            const int pick = et_spconv_nhwc_faster(l->pixels, l->k, l->n, et_spconv_nhwc_nonzeros(op));
            printf(" | %7.3f ms %5.2fx %-6s %s", ts * 1e3, td / ts, pick ? "sparse" : "dense",
                   (pick != (ts < td)) ? "MISS" : "ok  ");
            et_spconv_nhwc_destroy(op);
        }
        printf("\n");
        et_conv2d_nhwc_destroy(dn);
        et_aligned_free(x), et_aligned_free(y), et_aligned_free(w);
    }
}

int main(int argc, char **argv) {
    int section = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--section") == 0 && i + 1 < argc)
            section = atoi(argv[++i]);
        else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            filter = argv[++i];
    }
    printf("edgetune quantized kernel bench: operators use %s\n", et_cpu_isa_name());
    if (!section || section == 1) {
        printf("\n1. GEMM microkernels, operands in L1 (best of 7, alternating with the fp32 kernel):\n");
        bench_microkernels();
    }
    et_err err = {0};
    et_threadpool *pools[2] = {NULL, et_threadpool_create(2, &err)};
    if (!pools[1]) {
        fprintf(stderr, "qkernel_bench: %s\n", err.msg);
        return 1;
    }
    if (!section || section == 2) {
        printf("\n2. Convolution layers, batch 1: fp32 ms GFLOP/s | int8 w8 ms GOPS, speed-up over fp32 | w7 | w4 "
               "(1 thread, then 2 threads)\n");
        for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++)
            if (!filter || strstr(layers[i].name, filter))
                bench_layer(&layers[i], pools);
    }
    if (!section || section == 3) {
        printf("\n3. Whole networks at 224x224, batch 1, 1 thread (medians of alternating runs):\n");
        const net_variant mv[] = {V_FP32, V_INT8, V_INT8, V_INT8, V_SPARSE};
        const int mb[] = {0, 8, 7, 4, 0};
        bench_network("MobileNetV2", build_mobilenet_v2, mv, mb, 5, NULL);
        bench_network("ResNet-50", build_resnet50, mv, mb, 4, NULL);
    }
    if (!section || section == 4) {
        printf("\n4. Sparse 1x1 convolution (f32-spmm) against the dense GEMM, 1 thread: ms, speed-up over dense, what "
               "et_spconv_nhwc_faster picks, and whether that pick was right (MISS: it chose the slower one)\n");
        bench_sparse();
    }
    if (!section || section == 5) {
        printf(
            "\n5. int8 Winograd F(2x2) against int8 direct and fp32 (as planned) on ResNet-50's stride-1 3x3 layers, "
            "1 thread: CPU ms, medians of 15 alternating rounds (ratio of the minimum wall times in brackets)\n");
        bench_wino8();
    }
    et_threadpool_destroy(pools[1]);
    return 0;
}
