/* qc8-gemm.h: quantized GEMM and indirect-GEMM microkernels: int8 activations x per-channel int8 (or int4)
 * weights, int32 accumulation, fp32 requantization to int8 (qparams.h has the scheme and the rounding rule).
 *
 *   C[m x n] = requantize(bias' + A[m x k] * W)          GEMM (1x1 convolution, fully-connected)
 *   same with A rows found through an indirection buffer  IGEMM (KxK convolution; layout as in f32-igemm.h)
 *
 * One config pairs a GEMM and an IGEMM kernel of the same tile, A format and packed-weight layout, so one
 * packing serves both. Families: qc8 (int8 weights in bytes or int16), qc4 (two 4-bit weights per byte,
 * unpacked to int8 in registers; src/engine/kernels/qc4-gemm/).
 *
 * Packed weights, per panel of NR output columns (panels past n zero-padded):
 *   [int32 bias' x NR]
 *   for each tap t < ks, for each block of KR input channels (kc rounded up to KR, zero-padded):
 *       NR x KR weights, column-major within the block: element (j, r) at j * KR + r
 *   [float requantization scale x NR]
 * Weight element formats: S8 (one byte each), S16 (int16, for vpmaddwd), S4 (nibbles: the NR*KR elements
 * e[] of a block in the order above take NR*KR/2 bytes, byte i = (e[i] & 15) | (e[i + NR*KR/2] << 4)).
 * bias' = bias - (zp_x + shift) * sum of the column's weights, shift = et_qa_format_shift(a_format).
 *
 * A: kc (a multiple of KR) elements per row in the config's a_format; GEMM row i at a + i * a_stride (bytes);
 * IGEMM pointers get a_offset bytes added unless they equal `zero` (padding: kc elements of zp_x in the
 * format). Rows i >= mr alias row mr - 1. C row i (int8) at c + i * cm_stride (bytes). A residual r (int8, NULL
 * for none) is read like C, row i at r + i * rm_stride; it is added before rounding (qparams.h). */
#ifndef ET_KERNELS_QC8_GEMM_H
#define ET_KERNELS_QC8_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/precondition.h"
#include "engine/kernels/qparams.h"

typedef void (*et_qgemm_ukernel_fn)(size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride, const void *w,
                                    int8_t *c, size_t cm_stride, const int8_t *r, size_t rm_stride,
                                    const et_qs8_requant_params *params);

typedef void (*et_qigemm_ukernel_fn)(size_t mr, size_t nc, size_t kc, size_t ks, const void **a, const void *w,
                                     int8_t *c, size_t cm_stride, size_t a_offset, const void *zero, const int8_t *r,
                                     size_t rm_stride, const et_qs8_requant_params *params);

#define ET_QGEMM_UKERNEL(name)                                                                           \
    void name(size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride, const void *w, int8_t *c, \
              size_t cm_stride, const int8_t *r, size_t rm_stride, const et_qs8_requant_params *params)

#define ET_QIGEMM_UKERNEL(name)                                                                                       \
    void name(size_t mr, size_t nc, size_t kc, size_t ks, const void **a, const void *w, int8_t *c, size_t cm_stride, \
              size_t a_offset, const void *zero, const int8_t *r, size_t rm_stride,                                   \
              const et_qs8_requant_params *params)

/* What every GEMM kernel of MR rows and k blocks of KR checks on entry (precondition.h): 1..MR rows (row mr - 1
 * is read and written), at least one column (a call reads a whole panel of W, which n = 0 columns do not have),
 * a depth of whole k blocks (the loops step KR at a time), and packed weights aligned to 4 bytes (the panels'
 * int32 biases and float scales are read in place). */
#define ET_QGEMM_REQUIRE(MR, KR)                  \
    do {                                          \
        ET_KERNEL_REQUIRE(mr >= 1 && mr <= (MR)); \
        ET_KERNEL_REQUIRE(nc >= 1);               \
        ET_KERNEL_REQUIRE(kc % (KR) == 0);        \
        ET_KERNEL_REQUIRE((uintptr_t)w % 4 == 0); \
    } while (0)

/* The same for IGEMM kernels. */
#define ET_QIGEMM_REQUIRE(MR, KR) ET_QGEMM_REQUIRE(MR, KR)

ET_QGEMM_UKERNEL(et_qc8_gemm_ukernel_4x4__scalar);
ET_QIGEMM_UKERNEL(et_qc8_igemm_ukernel_4x4__scalar);
ET_QGEMM_UKERNEL(et_qc4_gemm_ukernel_4x4__scalar);
ET_QIGEMM_UKERNEL(et_qc4_igemm_ukernel_4x4__scalar);
ET_QGEMM_UKERNEL(et_qc8_gemm_ukernel_6x16c2__avx2);
ET_QIGEMM_UKERNEL(et_qc8_igemm_ukernel_6x16c2__avx2);
ET_QGEMM_UKERNEL(et_qc8_gemm_ukernel_6x16c4__avx2);
ET_QIGEMM_UKERNEL(et_qc8_igemm_ukernel_6x16c4__avx2);
ET_QGEMM_UKERNEL(et_qc4_gemm_ukernel_6x16c4__avx2);
ET_QIGEMM_UKERNEL(et_qc4_igemm_ukernel_6x16c4__avx2);
ET_QGEMM_UKERNEL(et_qc8_gemm_ukernel_7x16c4__avx512vnni);
ET_QIGEMM_UKERNEL(et_qc8_igemm_ukernel_7x16c4__avx512vnni);
ET_QGEMM_UKERNEL(et_qc8_gemm_ukernel_4x8__neon);
ET_QIGEMM_UKERNEL(et_qc8_igemm_ukernel_4x8__neon);
ET_QGEMM_UKERNEL(et_qc4_gemm_ukernel_4x16__neon);
ET_QIGEMM_UKERNEL(et_qc4_igemm_ukernel_4x16__neon);
ET_QGEMM_UKERNEL(et_qc8_gemm_ukernel_4x16c4__neondot);
ET_QIGEMM_UKERNEL(et_qc8_igemm_ukernel_4x16c4__neondot);

/* X(enum, name, bits per packed element) */
#define ET_QW_FORMAT_LIST(X) \
    X(ET_QW_S8, "s8", 8)     \
    X(ET_QW_S16, "s16", 16)  \
    X(ET_QW_S4, "s4", 4)

typedef enum {
#define ET_X(e, name, bits) e,
    ET_QW_FORMAT_LIST(ET_X)
#undef ET_X
        ET_QW_FORMAT_COUNT
} et_qw_format;

typedef struct et_qgemm_config {
    et_qgemm_ukernel_fn gemm;
    et_qigemm_ukernel_fn igemm;
    size_t mr, nr, kr;
    et_qa_format a_format;
    et_qw_format w_format;
    int max_weight_bits; /* the widest weights it is exact for: 8, 7 (vpmaddubsw pairs fit int16) or 4 */
    et_kreq req;
    const char *gemm_name, *igemm_name; /* "qc8-gemm-6x16c2-avx2", "qc8-igemm-6x16c2-avx2" */
} et_qgemm_config;

/* Every config this build has, best first, scalar last (tests and benchmarks; check et_kreq_runnable before
 * calling a kernel). *count receives the number. */
const et_qgemm_config *et_qgemm_configs(size_t *count);

/* The config to use for weights of `weight_bits` (2..8) on this CPU and ISA path: the first entry of the table
 * this CPU and the path allow whose max_weight_bits >= weight_bits (never NULL: the scalar qc8 kernels take every
 * width; dispatch.h). */
const et_qgemm_config *et_qgemm_config_get(int weight_bits);

/* kc rounded up to the config's KR. */
size_t et_qgemm_kc_padded(const et_qgemm_config *cfg, size_t kc);

/* Bytes of packed weights for n columns, ks taps and kc input channels; 0 when the size overflows. */
size_t et_qgemm_packed_bytes(const et_qgemm_config *cfg, size_t n, size_t ks, size_t kc);

/* Packs n columns of weights and their bias and scales. Weight (column j, tap t, input channel i) is
 * w[j * w_stride_n + t * w_stride_t + i * w_stride_k]: OIHW convolution weights are (kc * ks, 1, ks), an
 * O x I fully-connected weight (kc, 0, 1), a K x N matrix (1, 0, N). Values must fit the config's
 * max_weight_bits (symmetric: |w| <= 2^(bits-1) - 1); the operator checks. bias (int32, NULL: zeros) gets
 * -(a_zero_point + shift) * sum(w) folded in; scale[j] is the requantization multiplier of column j. packed
 * holds et_qgemm_packed_bytes bytes. */
void et_qgemm_pack(const et_qgemm_config *cfg, size_t n, size_t ks, size_t kc, const int8_t *w, size_t w_stride_n,
                   size_t w_stride_t, size_t w_stride_k, const int32_t *bias, const float *scale, int32_t a_zero_point,
                   void *packed);

/* Bytes of one packed panel (NR columns): what the kernels step over per NR columns. */
size_t et_qgemm_panel_bytes(const et_qgemm_config *cfg, size_t ks, size_t kc);

#endif
