/* kernel_ab.c: one GEMM/IGEMM/int8 depthwise/int8 multiply microkernel of two revisions side by side, in one process (kernel_ab.sh builds it).
 *
 * The old revision's kernel objects are linked in with their symbols renamed old_*; for each case below both
 * versions run on the same operands, in interleaved blocks of calls (old, new, old, new, ...), and each side's
 * figure is its fastest block: on a shared, noisy machine a burst of someone else's work then cannot sink one side
 * alone. Under valgrind --tool=callgrind (kernel_ab.sh --callgrind) the instruction counts of the two functions
 * compare the code itself, free of noise.
 *
 * Usage: kernel_ab [FILTER [BLOCKS]]   (cases whose kernel name contains FILTER; BLOCKS per side, default 20;
 *                                      0 lists the cases)
 * Environment: KERNEL_AB_CALLS fixes the calls per block, KERNEL_AB_CASE runs one case (its index). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/kernels/f32-gemm/f32-gemm.h"
#include "engine/kernels/f32-igemm/f32-igemm.h"
#include "engine/kernels/qc8-dwconv/qc8-dwconv.h"
#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "engine/kernels/qs8-vmul/qs8-vmul.h"
#include "util/mem.h"

#if defined(__x86_64__)
/* laid out by hand: clang-format 14 does not settle on one layout for a multi-line macro here */
// clang-format off
#define ET_AB_KERNELS(F, FI, Q, QI, D, M)                                                                     \
    F(et_f32_gemm_ukernel_6x16__avx2) F(et_f32_gemm_ukernel_1x16__avx2) F(et_f32_gemm_ukernel_4x4__scalar)     \
    F(et_f32_gemm_ukernel_1x4__scalar) FI(et_f32_igemm_ukernel_6x16__avx2) FI(et_f32_igemm_ukernel_4x4__scalar) \
    Q(et_qc8_gemm_ukernel_6x16c2__avx2) QI(et_qc8_igemm_ukernel_6x16c2__avx2)                                  \
    Q(et_qc8_gemm_ukernel_6x16c4__avx2) QI(et_qc8_igemm_ukernel_6x16c4__avx2)                                  \
    Q(et_qc4_gemm_ukernel_6x16c4__avx2) QI(et_qc4_igemm_ukernel_6x16c4__avx2)                                  \
    Q(et_qc8_gemm_ukernel_4x4__scalar) QI(et_qc8_igemm_ukernel_4x4__scalar)                                    \
    Q(et_qc4_gemm_ukernel_4x4__scalar) QI(et_qc4_igemm_ukernel_4x4__scalar)                                    \
    D(et_qc8_dwconv_ukernel_9p16c__avx2) D(et_qc8_dwconv_ukernel_xp16c__avx2) M(et_qs8_vmul_ukernel_x16__avx2)
// clang-format on
#define DECL_F(n) ET_F32_GEMM_UKERNEL(old_##n);
#define DECL_FI(n) ET_F32_IGEMM_UKERNEL(old_##n);
#define DECL_Q(n) ET_QGEMM_UKERNEL(old_##n);
#define DECL_QI(n) ET_QIGEMM_UKERNEL(old_##n);
#define DECL_D(n) ET_QDWCONV_UKERNEL(old_##n);
#define DECL_M(n) ET_QS8_VMUL_UKERNEL(old_##n);
ET_AB_KERNELS(DECL_F, DECL_FI, DECL_Q, DECL_QI, DECL_D, DECL_M)

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *xalloc(size_t bytes, int fill) {
    void *p = et_aligned_alloc(bytes + 256);
    if (!p) {
        fprintf(stderr, "kernel_ab: out of memory\n");
        exit(1);
    }
    memset(p, fill, bytes + 256);
    return p;
}

typedef enum {
    F32_GEMM,
    F32_IGEMM,
    Q_GEMM,
    Q_IGEMM,
    Q_DW,
    Q_MUL
} kind; /* Q_DW: mr pixels of nc channels, ks taps; Q_MUL: mr rows of nc */

typedef struct {
    kind k;
    void *old_fn, *new_fn;
    const char *name;
    size_t mr, kc, ks, nc, a_bytes, indirect_mr; /* a_bytes: bytes per A element; indirect_mr: the kernel's MR */
} kcase;

static float *fa, *fw, *fc, *fzero;
static const float **find;
static uint8_t *qa, *qw, *qzero;
static int8_t *qc;
static const void **qind;
static const et_f32_minmax_params clamp = {-INFINITY, INFINITY};
static et_qs8_requant_params rp;
static et_qs8_mul_params mp;

static void run(const kcase *c, void *fn, long calls) {
    for (long i = 0; i < calls; i++) {
        switch (c->k) {
        case F32_GEMM: ((et_f32_gemm_ukernel_fn)fn)(c->mr, c->nc, c->kc, fa, c->kc, fw, fc, c->nc, &clamp); break;
        case F32_IGEMM:
            ((et_f32_igemm_ukernel_fn)fn)(c->mr, c->nc, c->kc, c->ks, find, fw, fc, c->nc, 0, fzero, &clamp);
            break;
        case Q_GEMM:
            ((et_qgemm_ukernel_fn)fn)(c->mr, c->nc, c->kc, qa, c->kc * c->a_bytes, qw, qc, c->nc, NULL, 0, &rp);
            break;
        case Q_IGEMM:
            ((et_qigemm_ukernel_fn)fn)(c->mr, c->nc, c->kc, c->ks, qind, qw, qc, c->nc, 0, qzero, NULL, 0, &rp);
            break;
        case Q_MUL:
            for (size_t r = 0; r < c->mr; r++) /* a squeeze-excitation scaling: each pixel's row times the gate */
                ((et_qs8_vmul_ukernel_fn)fn)(c->nc, (const int8_t *)qa + r * c->nc, (const int8_t *)qw, 0,
                                             qc + r * c->nc, &mp);
            break;
        case Q_DW:
            ((et_qdwconv_ukernel_fn)fn)(c->nc, c->mr, c->ks, qind, qw, qc, c->ks, c->nc, 0, qzero, NULL, 0, &rp);
            break;
        }
        __asm__ volatile("" ::: "memory");
    }
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : "";
    const int blocks = argc > 2 ? atoi(argv[2]) : 20;
    fa = xalloc(64 << 10, 0), fw = xalloc(1 << 20, 0), fc = xalloc(64 << 10, 0), fzero = xalloc(4096, 0);
    qa = xalloc(64 << 10, 1), qw = xalloc(1 << 20, 0), qc = xalloc(64 << 10, 0), qzero = xalloc(4096, 0);
    for (size_t i = 0; i < (64 << 10) / 4; i++)
        fa[i] = 0.01f * (float)(i % 13);
    for (size_t i = 0; i < (1 << 20) / 4; i++)
        fw[i] = 0.02f * (float)(i % 7);
    for (size_t i = 0; i < (1 << 20); i++)
        qw[i] = (uint8_t)(i % 5); /* small weights, and scales that are small positive floats */
    find = malloc(64 * 16 * sizeof *find), qind = malloc(64 * 16 * sizeof *qind);
    et_qs8_requant_params_init(&rp, 0, -128, 127, 0.0f, 0);
    et_qs8_mul_params_init(&mp, 0.05f, 3, 0.01f, -128, 0.02f, -5, -128, 127);
    /* kind, kernel, mr, kc, ks, nc, bytes per A element, kernel MR */
#define C(k, n, mr, kc, ks, nc, eb, MR) \
    { k, (void *)old_##n, (void *)n, #n, mr, kc, ks, nc, eb, MR }
    const kcase cases[] = {
        C(F32_GEMM, et_f32_gemm_ukernel_6x16__avx2, 6, 272, 1, 16, 4, 6), /* kernel_bench's L1 case */
        C(F32_GEMM, et_f32_gemm_ukernel_6x16__avx2, 6, 64, 1, 64, 4, 6),
        C(F32_GEMM, et_f32_gemm_ukernel_6x16__avx2, 5, 128, 1, 32, 4, 6),
        C(F32_GEMM, et_f32_gemm_ukernel_6x16__avx2, 4, 128, 1, 32, 4, 6),
        C(F32_GEMM, et_f32_gemm_ukernel_6x16__avx2, 6, 128, 1, 8, 4, 6),
        C(F32_GEMM, et_f32_gemm_ukernel_6x16__avx2, 6, 8, 1, 16, 4, 6), /* a call that is mostly overhead */
        C(F32_IGEMM, et_f32_igemm_ukernel_6x16__avx2, 6, 32, 9, 16, 4, 6),
        C(F32_IGEMM, et_f32_igemm_ukernel_6x16__avx2, 6, 64, 9, 64, 4, 6),
        C(F32_IGEMM, et_f32_igemm_ukernel_6x16__avx2, 5, 32, 9, 32, 4, 6),
        C(F32_IGEMM, et_f32_igemm_ukernel_6x16__avx2, 6, 32, 9, 8, 4, 6),
        C(F32_IGEMM, et_f32_igemm_ukernel_6x16__avx2, 6, 3, 49, 64, 4, 6), /* a 7x7 stem over 3 channels */
        C(F32_GEMM, et_f32_gemm_ukernel_1x16__avx2, 1, 512, 1, 32, 4, 1),
        C(F32_GEMM, et_f32_gemm_ukernel_4x4__scalar, 4, 64, 1, 16, 4, 4),
        C(F32_GEMM, et_f32_gemm_ukernel_1x4__scalar, 1, 64, 1, 16, 4, 1),
        C(F32_IGEMM, et_f32_igemm_ukernel_4x4__scalar, 4, 16, 9, 16, 4, 4),
        C(Q_GEMM, et_qc8_gemm_ukernel_6x16c2__avx2, 6, 512, 1, 16, 2, 6),
        C(Q_GEMM, et_qc8_gemm_ukernel_6x16c2__avx2, 5, 256, 1, 32, 2, 6),
        C(Q_IGEMM, et_qc8_igemm_ukernel_6x16c2__avx2, 6, 64, 9, 32, 2, 6),
        /* 1x1 convolutions of MobileNetV2 / V3-Small (AVX2 path, 8-bit weights): small K, a row of 6 pixels */
        C(Q_GEMM, et_qc8_gemm_ukernel_6x16c2__avx2, 6, 16, 1, 96, 2, 6),  /* V2 features.2 expand, 112x112 */
        C(Q_GEMM, et_qc8_gemm_ukernel_6x16c2__avx2, 6, 24, 1, 144, 2, 6), /* V2 features.3 expand, 56x56 */
        C(Q_GEMM, et_qc8_gemm_ukernel_6x16c2__avx2, 6, 96, 1, 24, 2, 6),  /* V2 features.2 project */
        C(Q_GEMM, et_qc8_gemm_ukernel_6x16c2__avx2, 6, 16, 1, 16, 2, 6),  /* V3-Small features.1 project */
        C(Q_GEMM, et_qc8_gemm_ukernel_6x16c2__avx2, 6, 72, 1, 24, 2, 6),  /* V3-Small features.2 project */
        C(Q_GEMM, et_qc8_gemm_ukernel_6x16c2__avx2, 5, 96, 1, 576, 2, 6), /* V3-Small features.11 expand, 7x7 */
        C(Q_GEMM, et_qc8_gemm_ukernel_6x16c2__avx2, 4, 96, 1, 576, 2, 6),
        C(F32_GEMM, et_f32_gemm_ukernel_6x16__avx2, 6, 16, 1, 96, 4, 6), /* the same in fp32, for comparison */
        C(F32_GEMM, et_f32_gemm_ukernel_6x16__avx2, 6, 24, 1, 144, 4, 6),
        C(F32_GEMM, et_f32_gemm_ukernel_6x16__avx2, 6, 96, 1, 24, 4, 6),
        C(Q_GEMM, et_qc8_gemm_ukernel_6x16c4__avx2, 6, 512, 1, 16, 1, 6),
        C(Q_IGEMM, et_qc8_igemm_ukernel_6x16c4__avx2, 6, 64, 9, 32, 1, 6),
        C(Q_GEMM, et_qc4_gemm_ukernel_6x16c4__avx2, 6, 512, 1, 16, 1, 6),
        C(Q_IGEMM, et_qc4_igemm_ukernel_6x16c4__avx2, 6, 64, 9, 32, 1, 6),
        C(Q_GEMM, et_qc8_gemm_ukernel_4x4__scalar, 4, 128, 1, 16, 1, 4),
        C(Q_IGEMM, et_qc8_igemm_ukernel_4x4__scalar, 4, 32, 9, 16, 1, 4),
        C(Q_GEMM, et_qc4_gemm_ukernel_4x4__scalar, 4, 128, 1, 16, 1, 4),
        C(Q_IGEMM, et_qc4_igemm_ukernel_4x4__scalar, 4, 32, 9, 16, 1, 4),
        /* int8 depthwise rows of MobileNetV3-Small / V2: 16 pixels of nc channels (tails of 8 at 72, 88, 120) */
        C(Q_DW, et_qc8_dwconv_ukernel_9p16c__avx2, 16, 1, 9, 16, 1, 1),
        C(Q_DW, et_qc8_dwconv_ukernel_9p16c__avx2, 16, 1, 9, 72, 1, 1),
        C(Q_DW, et_qc8_dwconv_ukernel_9p16c__avx2, 16, 1, 9, 88, 1, 1),
        C(Q_DW, et_qc8_dwconv_ukernel_9p16c__avx2, 16, 1, 9, 144, 1, 1),
        C(Q_DW, et_qc8_dwconv_ukernel_xp16c__avx2, 16, 1, 25, 96, 1, 1),
        C(Q_DW, et_qc8_dwconv_ukernel_xp16c__avx2, 16, 1, 25, 120, 1, 1),
        C(Q_DW, et_qc8_dwconv_ukernel_xp16c__avx2, 16, 1, 25, 240, 1, 1),
        /* int8 squeeze-excitation scaling of MobileNetV3-Small: 16 pixels of 16, 120 and 576 channels */
        C(Q_MUL, et_qs8_vmul_ukernel_x16__avx2, 16, 1, 1, 16, 1, 1),
        C(Q_MUL, et_qs8_vmul_ukernel_x16__avx2, 16, 1, 1, 120, 1, 1),
        C(Q_MUL, et_qs8_vmul_ukernel_x16__avx2, 16, 1, 1, 576, 1, 1),
    };
    const char *one = getenv("KERNEL_AB_CASE");
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const kcase *c = &cases[ci];
        if (!strstr(c->name, filter) || (one && (size_t)atoi(one) != ci))
            continue;
        for (size_t i = 0; c->k == Q_DW && i < c->mr * c->ks; i++) /* pixel x's taps: ind[x * ks ...] */
            qind[i] = qa + i * 7 % 20 * c->nc;
        for (size_t t = 0; c->k != Q_DW && t < c->ks; t++) /* rows of the indirection buffer: over the A buffer */
            for (size_t r = 0; r < c->indirect_mr; r++) {
                find[t * c->indirect_mr + r] = fa + (t * 7 + r * 3) % 20 * c->kc;
                qind[t * c->indirect_mr + r] = qa + (t * 7 + r * 3) % 20 * c->kc * c->a_bytes;
            }
        if (blocks == 0) { /* the list of cases */
            printf("%2zu %-36s mr=%zu nc=%zu kc=%zu ks=%zu\n", ci, c->name, c->mr, c->nc, c->kc, c->ks);
            continue;
        }
        const double work = (double)(c->mr * c->nc * c->kc * c->ks);
        const long calls = getenv("KERNEL_AB_CALLS") ? atol(getenv("KERNEL_AB_CALLS")) : (long)(2e7 / work) + 1;
        double best[2] = {1e30, 1e30};
        run(c, c->old_fn, calls), run(c, c->new_fn, calls); /* warm up */
        for (int b = 0; b < blocks; b++)
            for (int v = 0; v < 2; v++) {
                const double t0 = now_s();
                run(c, v ? c->new_fn : c->old_fn, calls);
                const double dt = (now_s() - t0) / (double)calls;
                best[v] = dt < best[v] ? dt : best[v];
            }
        printf("%2zu %-36s mr=%zu nc=%-3zu kc=%-4zu ks=%-2zu  old %9.1f ns  new %9.1f ns  new/old %.3f\n", ci, c->name,
               c->mr, c->nc, c->kc, c->ks, best[0] * 1e9, best[1] * 1e9, best[1] / best[0]);
    }
    return 0;
}
#else
int main(void) {
    fprintf(stderr, "kernel_ab: only the x86-64 kernels are listed (the aarch64 ones run under qemu here)\n");
    return 2;
}
#endif
