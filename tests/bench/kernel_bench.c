/* kernel_bench.c: how fast the compute core is on this machine.
 *
 *   1. The core's fp32 peak, measured: a loop of independent FMAs (12 accumulators, more than pipes x latency)
 *      in the widest vectors this CPU has. Clock speed is never assumed.
 *   2. GEMM and indirect-GEMM microkernels with their operands in L1 (one MR x NR tile, K chosen so that A and
 *      the packed W fit in 24 KiB), for every ISA this CPU runs, in GFLOP/s and % of the measured peak (peak and
 *      kernel runs alternate; each is the best of 7).
 *   3. The thread pool: the cost of an empty parallel_for over 2 threads, back to back (workers spinning) and
 *      after a pause (workers asleep).
 *   4. The convolution operator on typical MobileNetV2 / ResNet layers, and the classifier GEMVs, at 1 and 2
 *      threads: ms per run (best of 5 medians) and GFLOP/s.
 *   5. MobileNetV2 and ResNet-50 built from these operators and run back to back, at 1 and 2 threads.
 *
 * Usage: kernel_bench [--quick]   (EDGETUNE_ISA=... picks the path the operators use)
 * Timings on a shared machine are noisy: each figure is the best of several repetitions. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

#include "engine/cpu.h"
#include "engine/kernels/f32-gemm/f32-gemm.h"
#include "engine/kernels/f32-igemm/f32-igemm.h"
#include "engine/operators/conv2d.h"
#include "engine/operators/matmul.h"
#include "engine/operators/pool2d.h"
#include "engine/threadpool.h"
#include "util/mem.h"

static int quick;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static float *alloc_floats(size_t n, float value) {
    float *p = et_aligned_alloc(n * sizeof(float));
    if (!p) {
        fprintf(stderr, "kernel_bench: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        p[i] = value + (float)(i % 13) * 1e-3f;
    return p;
}

/* --- 1. peak -------------------------------------------------------------------------------------------- */
/* 12 named accumulators (an array would live in memory across the asm barrier) */
#define ACC_DECL(T, init)                                                                                           \
    T a0 = init, a1 = init, a2 = init, a3 = init, a4 = init, a5 = init, a6 = init, a7 = init, a8 = init, a9 = init, \
      a10 = init, a11 = init
#define ACC_ALL(F) F(a0) F(a1) F(a2) F(a3) F(a4) F(a5) F(a6) F(a7) F(a8) F(a9) F(a10) F(a11)
#define ACC_BARRIER(c)                                                                                         \
    __asm__ volatile(""                                                                                        \
                     : "+" c(a0), "+" c(a1), "+" c(a2), "+" c(a3), "+" c(a4), "+" c(a5), "+" c(a6), "+" c(a7), \
                       "+" c(a8), "+" c(a9), "+" c(a10), "+" c(a11))

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static double peak_avx2(long iters) {
    ACC_DECL(__m256, _mm256_set1_ps(1.0f));
    const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
    const double t0 = now_s();
    for (long it = 0; it < iters; it++) {
#define F(r) r = _mm256_fmadd_ps(r, x, y);
        ACC_ALL(F)
#undef F
        ACC_BARRIER("x");
    }
    const double dt = now_s() - t0;
    float sink[8];
    _mm256_storeu_ps(sink, _mm256_add_ps(a0, a11));
    return sink[0] == 42.0f ? 0 : (double)iters * 12 * 16 / dt / 1e9;
}

__attribute__((target("avx512f"))) static double peak_avx512(long iters) {
    ACC_DECL(__m512, _mm512_set1_ps(1.0f));
    const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
    const double t0 = now_s();
    for (long it = 0; it < iters; it++) {
#define F(r) r = _mm512_fmadd_ps(r, x, y);
        ACC_ALL(F)
#undef F
        ACC_BARRIER("v");
    }
    const double dt = now_s() - t0;
    float sink[16];
    _mm512_storeu_ps(sink, _mm512_add_ps(a0, a11));
    return sink[0] == 42.0f ? 0 : (double)iters * 12 * 32 / dt / 1e9;
}
#elif defined(__aarch64__)
static double peak_neon(long iters) {
    ACC_DECL(float32x4_t, vdupq_n_f32(1.0f));
    const float32x4_t x = vdupq_n_f32(0.999999f), y = vdupq_n_f32(1e-7f);
    const double t0 = now_s();
    for (long it = 0; it < iters; it++) {
#define F(r) r = vfmaq_f32(y, r, x);
        ACC_ALL(F)
#undef F
        ACC_BARRIER("w");
    }
    const double dt = now_s() - t0;
    return vgetq_lane_f32(vaddq_f32(a0, a11), 0) == 42.0f ? 0 : (double)iters * 12 * 8 / dt / 1e9;
}
#endif

/* One run of the peak loop for one ISA (GFLOP/s), 0 when it cannot run here. */
static double peak_once(et_cpu_isa isa) {
    if (!et_cpu_can_run(isa))
        return 0;
    const long iters = quick ? 3000000 : 10000000;
#if defined(__x86_64__)
    if (isa == ET_ISA_AVX2)
        return peak_avx2(iters);
    if (isa == ET_ISA_AVX512)
        return peak_avx512(iters);
#elif defined(__aarch64__)
    if (isa == ET_ISA_NEON || isa == ET_ISA_NEONDOT)
        return peak_neon(iters);
#endif
    return 0;
}

/* --- 2. microkernels in L1 ------------------------------------------------------------------------------ */
/* Peak and kernel runs alternate, 7 of each, and each figure is the best of its 7: on a shared machine a burst of
 * someone else's work then cannot sink one figure alone and skew the ratio. */
static void bench_microkernels(const et_f32_gemm_config *g, const et_f32_igemm_config *ig) {
    const et_cpu_isa isa = et_kreq_isa(g->req);
    const size_t mr = g->mr, nr = g->nr;
    const size_t k = 24 * 1024 / ((mr + nr) * sizeof(float)) / 8 * 8;
    float *a = alloc_floats(mr * k, 0.01f), *w = alloc_floats((k + 1) * nr, 0.02f), *c = alloc_floats(mr * nr, 0);
    const et_f32_minmax_params clamp = {-INFINITY, INFINITY};
    const float **ind = malloc(mr * sizeof *ind);
    for (size_t i = 0; i < mr; i++)
        ind[i] = a + i * k;
    const long calls = quick ? 20000 : 200000;
    double peak = 0;
    for (int kind = 0; kind < 2; kind++) {
        double best = 0;
        for (int rep = 0; rep < 7; rep++) {
            const double p = peak_once(isa);
            peak = p > peak ? p : peak;
            const double t0 = now_s();
            for (long i = 0; i < calls; i++) {
                if (kind == 0)
                    g->ukernel(mr, nr, k, a, k, w, c, nr, &clamp);
                else
                    ig->ukernel(mr, nr, k, 1, ind, w, c, nr, 0, a + mr * k, &clamp);
                __asm__ volatile("" ::: "memory");
            }
            const double gf = (double)calls * 2.0 * (double)(mr * nr * k) / (now_s() - t0) / 1e9;
            best = gf > best ? gf : best;
        }
        printf("  %-26s K=%-4zu %7.1f GFLOP/s  %5.1f %% of peak (%.1f GFLOP/s)\n", kind ? ig->name : g->name, k, best,
               peak > 0 ? 100.0 * best / peak : 0.0, peak);
    }
    free(ind);
    et_aligned_free(a);
    et_aligned_free(w);
    et_aligned_free(c);
}

/* --- 3. thread pool ------------------------------------------------------------------------------------- */
static void empty_task(void *ctx, size_t begin, size_t end) { (void)ctx, (void)begin, (void)end; }

/* Each of the 2 items waits until the other has started (or 10 ms passed): a job both threads must take part in,
 * so its time is the full post / wake / join / finish round trip. */
static void meet_task(void *ctx, size_t begin, size_t end) {
    _Atomic int *arrived = ctx;
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add(arrived, 1);
    const double deadline = now_s() + 0.01;
    while (atomic_load(arrived) < 2 && now_s() < deadline)
        ;
}

static void bench_threadpool(void) {
    et_err err = {0};
    et_threadpool *pool = et_threadpool_create(2, &err);
    if (!pool) {
        printf("  thread pool: %s\n", err.msg);
        return;
    }
    const long iters = quick ? 20000 : 200000;
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        const double t0 = now_s();
        for (long i = 0; i < iters; i++)
            et_threadpool_parallel_for(pool, 2, empty_task, NULL);
        const double ns = (now_s() - t0) / (double)iters * 1e9;
        best = ns < best ? ns : best;
    }
    double meet = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        const double t0 = now_s();
        for (long i = 0; i < iters / 10; i++) {
            _Atomic int arrived = 0;
            et_threadpool_parallel_for_chunked(pool, 2, 1, meet_task, &arrived);
        }
        const double ns = (now_s() - t0) / (double)(iters / 10) * 1e9;
        meet = ns < meet ? ns : meet;
    }
    double cold = 1e30;
    for (int rep = 0; rep < 20; rep++) {
        const struct timespec nap = {0, 2 * 1000 * 1000}; /* past the spin window: the worker sleeps */
        nanosleep(&nap, NULL);
        const double t0 = now_s();
        et_threadpool_parallel_for(pool, 2, empty_task, NULL);
        const double ns = (now_s() - t0) * 1e9;
        cold = ns < cold ? ns : cold;
    }
    printf("  parallel_for on 2 threads, back to back: %.0f ns for an empty job (the caller may finish it alone), "
           "%.0f ns for a job both threads must join (post, join, finish); %.1f us after 2 ms idle (worker asleep, "
           "futex wake; best of 20)\n",
           best, meet, cold / 1000.0);
    et_threadpool_destroy(pool);
}

/* --- 4. convolution layers ------------------------------------------------------------------------------ */
typedef struct {
    const char *name;
    size_t h, w, c, oc, k, stride, groups;
    int relu6;
} layer;

static const layer layers[] = {
    {"mbv2 stem 3x3 s2 3->32", 224, 224, 3, 32, 3, 2, 1, 1},
    {"mbv2 dw 3x3 112 c32", 112, 112, 32, 32, 3, 1, 32, 1},
    {"mbv2 pw 112 32->16", 112, 112, 32, 16, 1, 1, 1, 0},
    {"mbv2 pw 56 24->144", 56, 56, 24, 144, 1, 1, 1, 1},
    {"mbv2 dw 3x3 56 c144", 56, 56, 144, 144, 3, 1, 144, 1},
    {"mbv2 dw 3x3 s2 56 c144", 56, 56, 144, 144, 3, 2, 144, 1},
    {"mbv2 pw 28 192->32", 28, 28, 192, 32, 1, 1, 1, 0},
    {"mbv2 pw 14 384->64", 14, 14, 384, 64, 1, 1, 1, 0},
    {"mbv2 dw 3x3 7 c960", 7, 7, 960, 960, 3, 1, 960, 1},
    {"mbv2 pw 7 960->320", 7, 7, 960, 320, 1, 1, 1, 0},
    {"mbv2 pw 7 320->1280", 7, 7, 320, 1280, 1, 1, 1, 1},
    {"resnet stem 7x7 s2 3->64", 224, 224, 3, 64, 7, 2, 1, 1},
    {"squeezenet fire 3x3 55 16->64", 55, 55, 16, 64, 3, 1, 1, 1},
    {"squeezenet fire 3x3 27 32->128", 27, 27, 32, 128, 3, 1, 1, 1},
    {"squeezenet fire 3x3 13 64->256", 13, 13, 64, 256, 3, 1, 1, 1},
    {"resnet 3x3 56 64->64", 56, 56, 64, 64, 3, 1, 1, 1},
    {"resnet 3x3 28 128->128", 28, 28, 128, 128, 3, 1, 1, 1},
    {"resnet 3x3 14 256->256", 14, 14, 256, 256, 3, 1, 1, 1},
    {"resnet 3x3 7 512->512", 7, 7, 512, 512, 3, 1, 1, 1},
    {"resnet50 1x1 56 64->256", 56, 56, 64, 256, 1, 1, 1, 0},
    {"resnet50 1x1 56 256->64", 56, 56, 256, 64, 1, 1, 1, 1},
    {"resnet50 1x1 14 1024->256", 14, 14, 1024, 256, 1, 1, 1, 1},
    {"resnet50 1x1 7 512->2048", 7, 7, 512, 2048, 1, 1, 1, 0},
    {"fc 1280->1000 (mbv2)", 1, 1, 1280, 1000, 1, 1, 1, 0},
    {"fc 2048->1000 (resnet50)", 1, 1, 2048, 1000, 1, 1, 1, 0},
};

/* One layer through one algorithm (AUTO: what the engine picks at this size; the 3x3 stride-1 layers are also
 * run forced through each path, so that the cost model's choice can be checked against the times). GFLOP/s
 * counts a direct convolution's work whichever path does it. */
static void bench_layer(const layer *l, et_threadpool *pools[2], et_conv_algo algo) {
    et_conv2d_nhwc_params p = {0};
    p.algo = algo;
    p.expect_batch = 1, p.expect_h = l->h, p.expect_w = l->w;
    p.in_channels = l->c, p.out_channels = l->oc, p.groups = l->groups;
    p.kernel_h = p.kernel_w = l->k, p.stride_h = p.stride_w = l->stride;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = l->k / 2;
    p.clamp = l->relu6, p.out_min = 0.0f, p.out_max = 6.0f;
    float *w = alloc_floats(l->oc * (l->c / l->groups) * l->k * l->k, 0.01f), *bias = alloc_floats(l->oc, 0.1f);
    et_conv2d_nhwc *op = NULL;
    et_err err = {0};
    if (et_conv2d_nhwc_create(&p, w, bias, &op, &err) != ET_OK) {
        printf("  %-28s %s\n", l->name, err.msg);
        return;
    }
    size_t oh, ow;
    et_conv2d_nhwc_output_size(op, l->h, l->w, &oh, &ow);
    float *in = alloc_floats(l->h * l->w * l->c, 0.5f), *out = alloc_floats(oh * ow * l->oc, 0);
    const size_t scratch_bytes = et_conv2d_nhwc_scratch_bytes(op, 1, l->h, l->w);
    void *scratch = scratch_bytes ? et_aligned_alloc(scratch_bytes) : NULL;
    et_conv2d_nhwc_setup(op, 1, l->h, l->w, in, out, NULL, scratch, &err);
    const double flops = 2.0 * (double)et_conv2d_nhwc_macs(op);
    double ms[2];
    for (int t = 0; t < 2; t++) {
        et_conv2d_nhwc_run(op, pools[t], &err); /* warm-up */
        const int reps = quick ? 3 : 15;
        double best = 1e30;
        for (int r = 0; r < 5; r++) {
            double samples[15];
            for (int i = 0; i < reps; i++) {
                const double t0 = now_s();
                et_conv2d_nhwc_run(op, pools[t], &err);
                samples[i] = now_s() - t0;
            }
            for (int i = 1; i < reps; i++) /* insertion sort, for the median */
                for (int j = i; j > 0 && samples[j] < samples[j - 1]; j--) {
                    const double tmp = samples[j];
                    samples[j] = samples[j - 1];
                    samples[j - 1] = tmp;
                }
            best = samples[reps / 2] < best ? samples[reps / 2] : best;
        }
        ms[t] = best * 1e3;
    }
    static const char *const algo_tag[] = {"", " (direct)", " (F2x2)", " (F4x4)"};
    char name[64];
    snprintf(name, sizeof name, "%s%s", l->name, algo_tag[algo]);
    printf("  %-36s %-24s %8.3f ms %6.1f GFLOP/s | %8.3f ms %6.1f GFLOP/s\n", name, et_conv2d_nhwc_kernel_name(op),
           ms[0], flops / ms[0] / 1e6, ms[1], flops / ms[1] / 1e6);
    et_conv2d_nhwc_destroy(op);
    et_aligned_free(scratch);
    et_aligned_free(w);
    et_aligned_free(bias);
    et_aligned_free(in);
    et_aligned_free(out);
}


/* --- 5. whole networks ------------------------------------------------------------------------------------ */
/* The convolutions (with their fused Relu/Relu6 and residual adds), pooling and classifier of MobileNetV2 and
 * ResNet-50 at 224x224, run back to back as an engine would, with activations rotating through 5 buffers as in
 * an arena: the kernel-side share of end-to-end latency.
 * Missing: the NCHW<->NHWC conversion at the graph boundary, which an engine adds once per inference. */
enum { NET_MAX = 80 };
typedef enum { STEP_CONV, STEP_MAXPOOL, STEP_GAP, STEP_FC } step_kind;
typedef struct {
    step_kind kind;
    et_conv2d_nhwc *conv;
    et_pool2d_nhwc *pool;
    et_fully_connected *fc;
    size_t h, w, c, oh, ow, oc;
    float *in, *out, *res;
} step;
enum { NET_BUFFERS = 5, NET_BUFFER_FLOATS = 112 * 112 * 96 }; /* the largest activation of either network */
typedef struct {
    step steps[NET_MAX];
    size_t count;
    double macs;
    float *buffers[NET_BUFFERS]; /* activations rotate through these, as in an engine's arena */
} net;

/* A buffer that is none of the (up to 3) live ones. */
static float *net_pick(net *n, const float *a, const float *b, const float *c) {
    for (int i = 0; i < NET_BUFFERS; i++) {
        if (!n->buffers[i])
            n->buffers[i] = alloc_floats(NET_BUFFER_FLOATS, 0.0f);
        if (n->buffers[i] != a && n->buffers[i] != b && n->buffers[i] != c)
            return n->buffers[i];
    }
    return NULL; /* not reached: 5 buffers, at most 3 live */
}

/* Appends a convolution reading `in` (h x w x c) into a buffer that is not `keep` (a tensor a later step reads);
 * returns its output buffer. */
static float *net_conv(net *n, float *in, size_t *h, size_t *w, size_t *c, size_t oc, size_t k, size_t stride,
                       size_t groups, float relu_max, float *residual, const float *keep) {
    et_conv2d_nhwc_params p = {0};
    p.in_channels = *c, p.out_channels = oc, p.groups = groups, p.kernel_h = p.kernel_w = k;
    p.stride_h = p.stride_w = stride, p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = k / 2;
    p.clamp = relu_max > 0, p.out_min = 0.0f, p.out_max = relu_max;
    p.residual = residual != NULL;
    float *wts = alloc_floats(oc * (*c / groups) * k * k, 0.001f), *bias = alloc_floats(oc, 0.01f);
    step *s = &n->steps[n->count++];
    et_err err = {0};
    s->kind = STEP_CONV;
    if (et_conv2d_nhwc_create(&p, wts, bias, &s->conv, &err) != ET_OK) {
        fprintf(stderr, "kernel_bench: %s\n", err.msg);
        exit(1);
    }
    size_t oh, ow;
    et_conv2d_nhwc_output_size(s->conv, *h, *w, &oh, &ow);
    s->in = in, s->res = residual, s->out = net_pick(n, in, residual, keep);
    s->h = *h, s->w = *w, s->c = *c;
    et_conv2d_nhwc_setup(s->conv, 1, *h, *w, in, s->out, residual, NULL, &err);
    n->macs += (double)et_conv2d_nhwc_macs(s->conv);
    *h = oh, *w = ow, *c = oc;
    et_aligned_free(wts);
    et_aligned_free(bias);
    return s->out;
}

static float *net_tail(net *n, float *in, size_t h, size_t w, size_t c, size_t classes) {
    step *g = &n->steps[n->count++];
    g->kind = STEP_GAP, g->in = in, g->h = h, g->w = w, g->c = c, g->out = net_pick(n, in, NULL, NULL);
    step *f = &n->steps[n->count++];
    et_fully_connected_params p = {0};
    p.in_features = c, p.out_features = classes;
    float *wts = alloc_floats(c * classes, 0.001f);
    et_err err = {0};
    f->kind = STEP_FC;
    et_fully_connected_create(&p, wts, NULL, &f->fc, &err);
    f->in = g->out, f->out = net_pick(n, g->out, NULL, NULL);
    et_fully_connected_setup(f->fc, 1, f->in, f->out, &err);
    n->macs += (double)(c * classes);
    et_aligned_free(wts);
    return f->out;
}

static void build_mobilenet_v2(net *n, float *image) {
    static const size_t cfg[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                     {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    size_t h = 224, w = 224, c = 3;
    float *x = net_conv(n, image, &h, &w, &c, 32, 3, 2, 1, 6.0f, NULL, NULL);
    for (int b = 0; b < 7; b++)
        for (size_t r = 0; r < cfg[b][2]; r++) {
            const size_t t = cfg[b][0], oc = cfg[b][1], stride = r == 0 ? cfg[b][3] : 1;
            float *block_in = x;
            const size_t in_c = c;
            if (t != 1)
                x = net_conv(n, x, &h, &w, &c, in_c * t, 1, 1, 1, 6.0f, NULL, block_in);
            x = net_conv(n, x, &h, &w, &c, c, 3, stride, c, 6.0f, NULL, block_in);
            x = net_conv(n, x, &h, &w, &c, oc, 1, 1, 1, 0.0f, stride == 1 && in_c == oc ? block_in : NULL, NULL);
        }
    x = net_conv(n, x, &h, &w, &c, 1280, 1, 1, 1, 6.0f, NULL, NULL);
    net_tail(n, x, h, w, c, 1000);
}

static void build_resnet50(net *n, float *image) {
    size_t h = 224, w = 224, c = 3;
    float *x = net_conv(n, image, &h, &w, &c, 64, 7, 2, 1, INFINITY, NULL, NULL);
    step *mp = &n->steps[n->count++];
    et_pool2d_nhwc_params pp = {0};
    pp.kind = ET_POOL_MAX, pp.channels = 64, pp.kernel_h = pp.kernel_w = 3, pp.stride_h = pp.stride_w = 2;
    pp.pad_top = pp.pad_left = pp.pad_bottom = pp.pad_right = 1;
    et_err err = {0};
    mp->kind = STEP_MAXPOOL;
    et_pool2d_nhwc_create(&pp, &mp->pool, &err);
    mp->in = x, mp->out = net_pick(n, x, NULL, NULL);
    et_pool2d_nhwc_setup(mp->pool, 1, h, w, x, mp->out, &err);
    x = mp->out, h = 56, w = 56;
    static const size_t blocks[4] = {3, 4, 6, 3};
    for (int s = 0; s < 4; s++)
        for (size_t b = 0; b < blocks[s]; b++) {
            const size_t width = (size_t)64 << s, stride = b == 0 && s > 0 ? 2 : 1;
            float *shortcut = x;
            size_t sh = h, sw = w, sc = c;
            if (b == 0)
                shortcut = net_conv(n, x, &sh, &sw, &sc, width * 4, 1, stride, 1, 0.0f, NULL, x);
            float *y = net_conv(n, x, &h, &w, &c, width, 1, 1, 1, INFINITY, NULL, shortcut);
            y = net_conv(n, y, &h, &w, &c, width, 3, stride, 1, INFINITY, NULL, shortcut);
            x = net_conv(n, y, &h, &w, &c, width * 4, 1, 1, 1, INFINITY, shortcut, NULL);
        }
    net_tail(n, x, h, w, c, 1000);
}

static void net_run(net *n, et_threadpool *pool) {
    et_err err = {0};
    for (size_t i = 0; i < n->count; i++) {
        step *s = &n->steps[i];
        switch (s->kind) {
        case STEP_CONV: et_conv2d_nhwc_run(s->conv, pool, &err); break;
        case STEP_MAXPOOL: et_pool2d_nhwc_run(s->pool, pool, &err); break;
        case STEP_GAP:
            et_global_avgpool_nhwc(1, s->h * s->w, s->c, s->in, 0, s->out, 0, -INFINITY, INFINITY, pool);
            break;
        case STEP_FC: et_fully_connected_run(s->fc, pool, &err); break;
        }
    }
}

static void net_free(net *n) {
    for (size_t i = 0; i < n->count; i++) {
        step *s = &n->steps[i];
        et_conv2d_nhwc_destroy(s->conv);
        et_pool2d_nhwc_destroy(s->pool);
        et_fully_connected_destroy(s->fc);
    }
    for (int i = 0; i < NET_BUFFERS; i++)
        et_aligned_free(n->buffers[i]);
}

static void bench_network(const char *name, void (*build)(net *, float *), et_threadpool *pools[2]) {
    net *n = calloc(1, sizeof *n);
    float *image = alloc_floats(224 * 224 * 3, 0.5f);
    build(n, image);
    double ms[2][2];
    for (int t = 0; t < 2; t++) {
        net_run(n, pools[t]);
        const int reps = quick ? 5 : 31;
        double samples[31];
        for (int i = 0; i < reps; i++) {
            const double t0 = now_s();
            net_run(n, pools[t]);
            samples[i] = now_s() - t0;
        }
        for (int i = 1; i < reps; i++)
            for (int j = i; j > 0 && samples[j] < samples[j - 1]; j--) {
                const double tmp = samples[j];
                samples[j] = samples[j - 1];
                samples[j - 1] = tmp;
            }
        ms[t][0] = samples[0] * 1e3, ms[t][1] = samples[reps / 2] * 1e3;
    }
    printf("  %-14s %3zu ops %5.2f GMAC | 1 thread: min %7.2f ms median %7.2f ms | 2 threads: min %7.2f ms median "
           "%7.2f ms\n",
           name, n->count, n->macs / 1e9, ms[0][0], ms[0][1], ms[1][0], ms[1][1]);
    net_free(n);
    free(n);
    et_aligned_free(image);
}

int main(int argc, char **argv) {
    quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    const et_cpu_features *f = et_cpu_features_get();
    printf("edgetune kernel bench: best ISA %s, operators use %s\n\n", et_cpu_isa_label(f->best), et_cpu_isa_name());
    printf("GEMM microkernels, operands in L1 (%% of the measured FMA peak of the same vector width):\n");
    size_t n_gemm, n_igemm;
    const et_f32_gemm_config *gemms = et_f32_gemm_configs(&n_gemm);
    const et_f32_igemm_config *igemms = et_f32_igemm_configs(&n_igemm);
    for (size_t i = 0; i < n_gemm; i++) /* the SIMD ones, each with the IGEMM kernel of the same requirement */
        for (size_t j = 0; j < n_igemm; j++)
            if (gemms[i].req != ET_KREQ_SCALAR && igemms[j].req == gemms[i].req && et_kreq_runnable(gemms[i].req))
                bench_microkernels(&gemms[i], &igemms[j]);
    printf("\nThread pool:\n");
    bench_threadpool();
    printf(
        "\nConvolution operator, batch 1 (best of 5 medians; GFLOP/s counts a direct convolution's work, so Winograd\n"
        "rows can pass the FMA peak; without --quick, 3x3 stride-1 layers also run forced through each path after the\n"
        "engine's own choice at that size):                               1 thread               | 2 threads\n");
    et_err err = {0};
    et_threadpool *pools[2] = {NULL, et_threadpool_create(2, &err)};
    if (!pools[1]) {
        fprintf(stderr, "kernel_bench: %s\n", err.msg);
        return 1;
    }
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
        bench_layer(&layers[i], pools, ET_CONV_ALGO_AUTO);
        if (layers[i].k == 3 && layers[i].stride == 1 && layers[i].groups == 1 && !quick)
            for (et_conv_algo a = ET_CONV_ALGO_DIRECT; a <= ET_CONV_ALGO_WINOGRAD_4X4; a++)
                bench_layer(&layers[i], pools, a);
    }
    printf("\nWhole networks at 224x224, batch 1 (convolutions with fused activations and residual adds, pooling,\n"
           "classifier; no layout conversion at the graph boundary):\n");
    bench_network("MobileNetV2", build_mobilenet_v2, pools);
    bench_network("ResNet-50", build_resnet50, pools);
    et_threadpool_destroy(pools[1]);
    return 0;
}
