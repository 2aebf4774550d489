/* f32-igemm.h: fp32 indirect-GEMM microkernels for KxK convolutions (XNNPACK's igemm).
 *
 * Instead of an im2col copy, A is an indirection buffer: for a tile of MR output pixels and each of the ks
 * kernel taps, MR pointers to the kc input channels that tap reads (layout [tap][MR], ks * MR pointers per
 * tile). A tap that falls in the padding points at `zero`, a buffer of at least kc zeros. Every other pointer
 * gets a_offset bytes added before use, which lets one indirection buffer serve every image of a batch, every
 * group of a grouped convolution, and an input that moved. Rows i >= mr alias row mr - 1 in C (the pointers
 * of those rows must still be valid: duplicate the last pixel's).
 *
 * W is packed per panel of NR output channels: [bias x NR], then for each tap, for each of the kc input
 * channels, NR weights (et_f32_igemm_pack_oihw). C row i starts at c + i * cm_stride; columns walk panels. */
#ifndef ET_KERNELS_F32_IGEMM_H
#define ET_KERNELS_F32_IGEMM_H

#include <stddef.h>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/params.h"
#include "engine/kernels/precondition.h"

typedef void (*et_f32_igemm_ukernel_fn)(size_t mr, size_t nc, size_t kc, size_t ks, const float **a, const float *w,
                                        float *c, size_t cm_stride, size_t a_offset, const float *zero,
                                        const et_f32_minmax_params *params);

#define ET_F32_IGEMM_UKERNEL(name)                                                                                     \
    void name(size_t mr, size_t nc, size_t kc, size_t ks, const float **a, const float *w, float *c, size_t cm_stride, \
              size_t a_offset, const float *zero, const et_f32_minmax_params *params)

/* What every IGEMM kernel of MR rows checks on entry (precondition.h): 1..MR rows, at least one column (see
 * ET_F32_GEMM_REQUIRE) and an a_offset that keeps the rows it moves aligned to floats. */
#define ET_F32_IGEMM_REQUIRE(MR)                          \
    do {                                                  \
        ET_KERNEL_REQUIRE(mr >= 1 && mr <= (MR));         \
        ET_KERNEL_REQUIRE(nc >= 1);                       \
        ET_KERNEL_REQUIRE(a_offset % sizeof(float) == 0); \
    } while (0)

ET_F32_IGEMM_UKERNEL(et_f32_igemm_ukernel_4x4__scalar);
ET_F32_IGEMM_UKERNEL(et_f32_igemm_ukernel_6x16__avx2);
ET_F32_IGEMM_UKERNEL(et_f32_igemm_ukernel_6x32__avx512f);
ET_F32_IGEMM_UKERNEL(et_f32_igemm_ukernel_6x8__neon);

typedef struct et_f32_igemm_config {
    et_f32_igemm_ukernel_fn ukernel;
    size_t mr, nr;
    const char *name; /* "f32-igemm-6x16-avx2" */
    et_kreq req;      /* what the CPU must have (dispatch.h) */
} et_f32_igemm_config;

/* The config for the ISA path chosen at start: the first entry of the table this CPU and the path allow (never
 * NULL: scalar at worst; dispatch.h). */
const et_f32_igemm_config *et_f32_igemm_config_get(void);

/* Every config this build has, best first, scalar last (tests and benchmarks; check et_kreq_runnable before
 * calling a kernel). *count receives the number. */
const et_f32_igemm_config *et_f32_igemm_configs(size_t *count);

/* Floats in packed weights: round_up(n, nr) * (ks * kc + 1). */
size_t et_f32_igemm_packed_floats(size_t nr, size_t n, size_t ks, size_t kc);

/* Packs n output channels of OIHW weights w[o][ci][tap] (o < n, ci < kc, tap < ks, tap = ky * kw + kx) and
 * bias (NULL: zeros) into panels of nr. */
void et_f32_igemm_pack_oihw(size_t nr, size_t n, size_t ks, size_t kc, const float *w, const float *bias,
                            float *packed);

#endif
