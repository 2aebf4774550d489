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
#include "engine/nhwc/conv2d.h"
#include "engine/nhwc/qconv2d.h"
#include "engine/nhwc/spconv.h"
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
        printf("  %-24s (weights <= %d bits) %7.1f GOPS | %s %6.1f GFLOP/s | %.2fx\n", c->gemm_name,
               c->max_weight_bits, best_q, fg->name, best_f, best_q / best_f);
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
    {"mbv2 stem 3x3 s2 3->32", 224, 224, 3, 32, 3, 2, 1},
    {"mbv2 dw 3x3 112 c32", 112, 112, 32, 32, 3, 1, 32},
    {"mbv2 pw 112 32->16", 112, 112, 32, 16, 1, 1, 1},
    {"mbv2 pw 56 24->144", 56, 56, 24, 144, 1, 1, 1},
    {"mbv2 dw 3x3 56 c144", 56, 56, 144, 144, 3, 1, 144},
    {"mbv2 dw 3x3 s2 56 c144", 56, 56, 144, 144, 3, 2, 144},
    {"mbv2 pw 28 192->32", 28, 28, 192, 32, 1, 1, 1},
    {"mbv2 pw 14 384->64", 14, 14, 384, 64, 1, 1, 1},
    {"mbv2 dw 3x3 7 c960", 7, 7, 960, 960, 3, 1, 960},
    {"mbv2 pw 7 960->320", 7, 7, 960, 320, 1, 1, 1},
    {"mbv2 pw 7 320->1280", 7, 7, 320, 1280, 1, 1, 1},
    {"resnet stem 7x7 s2 3->64", 224, 224, 3, 64, 7, 2, 1},
    {"resnet 3x3 56 64->64", 56, 56, 64, 64, 3, 1, 1},
    {"resnet 3x3 28 128->128", 28, 28, 128, 128, 3, 1, 1},
    {"resnet 3x3 14 256->256", 14, 14, 256, 256, 3, 1, 1},
    {"resnet 3x3 7 512->512", 7, 7, 512, 512, 3, 1, 1},
    {"resnet50 1x1 56 64->256", 56, 56, 64, 256, 1, 1, 1},
    {"resnet50 1x1 56 256->64", 56, 56, 256, 64, 1, 1, 1},
    {"resnet50 1x1 14 1024->256", 14, 14, 1024, 256, 1, 1, 1},
    {"resnet50 1x1 7 512->2048", 7, 7, 512, 2048, 1, 1, 1},
    {"fc 1280->1000 (mbv2)", 1, 1, 1280, 1000, 1, 1, 1},
    {"fc 2048->1000 (resnet50)", 1, 1, 2048, 1000, 1, 1, 1},
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
               2 * macs / best[0] / 1e9, best[1] * 1e3, 2 * macs / best[1] / 1e9, best[0] / best[1],
               best[0] / best[2], best[0] / best[3]);
    }
    printf("  [%s]\n", et_qconv2d_nhwc_kernel_name(ops.q[1]));
    et_conv2d_nhwc_destroy(ops.f);
    for (int v = 1; v < VARIANTS; v++)
        et_qconv2d_nhwc_destroy(ops.q[v]);
    et_aligned_free(wf), et_aligned_free(bf), et_aligned_free(inf), et_aligned_free(wq), et_aligned_free(inq);
    et_aligned_free(bq), et_aligned_free(ws), et_aligned_free(outf), et_aligned_free(outq);
}


/* --- 4. sparse 1x1 ---------------------------------------------------------------------------------------- */
typedef struct {
    const char *name;
    size_t pixels, k, n;
} pw_shape;

static const pw_shape pw_shapes[] = {
    {"mbv2 112 32->16", 12544, 32, 16},   {"mbv2 56 24->144", 3136, 24, 144},  {"mbv2 56 144->24", 3136, 144, 24},
    {"mbv2 28 32->192", 784, 32, 192},    {"mbv2 28 192->32", 784, 192, 32},   {"mbv2 14 384->64", 196, 384, 64},
    {"mbv2 14 64->384", 196, 64, 384},    {"mbv2 14 576->96", 196, 576, 96},   {"mbv2 7 960->160", 49, 960, 160},
    {"mbv2 7 320->1280", 49, 320, 1280},  {"resnet50 56 64->256", 3136, 64, 256}, {"resnet50 14 1024->256", 196, 1024, 256},
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
    printf("  %-22s %9s | %-28s| %-28s| %-28s| %-28s\n", "layer (pixels k->n)", "dense ms", "50 % zeros",
           "70 % zeros", "90 % zeros", "2:4");
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
    if (!section || section == 4) {
        printf("\n4. Sparse 1x1 convolution (f32-spmm) against the dense GEMM, 1 thread: ms, speed-up over dense, what "
               "et_spconv_nhwc_faster picks, and whether that pick was right (MISS: it chose the slower one)\n");
        bench_sparse();
    }
    et_threadpool_destroy(pools[1]);
    return 0;
}
