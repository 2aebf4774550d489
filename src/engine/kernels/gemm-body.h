/* gemm-body.h: how one body serves both the GEMM and the IGEMM kernel of a tile.
 *
 * Each ISA's GEMM and IGEMM kernels of a tile differ only in where a row of A starts (gemm-a-rows.h); the rest,
 * accumulate, requantize or clamp, store and the tails, is written once, in a body header
 * (<family>-body-<tile>-<isa>.h; qgemm-body-*.h where the qc8 and qc4 kernels of an ISA share one).
 * The body header is a template: a kernel file defines which kernel it is and includes it, and the body header
 * then defines that kernel function, e.g. all of qc8-igemm-6x16c4-avx2.c is
 *
 *     #define ET_BODY_NAME et_qc8_igemm_ukernel_6x16c4__avx2
 *     #define ET_BODY_INDIRECT 1            (0: a GEMM, A rows a stride apart; 1: an IGEMM)
 *     #include "engine/kernels/qc8-gemm/qc8-gemm-body-6x16c4-avx2.h"
 *
 * (a body shared by kernels of several weight widths or tile heights also takes ET_BODY_W_BITS or ET_BODY_MR).
 * Inside, ET_<FAMILY>_BODY_SIGNATURE is the kernel's signature (the family header's GEMM or IGEMM one), and
 * ET_<FAMILY>_BODY_PROLOGUE(MR...) opens it: the family's precondition check (precondition.h), `const et_a_rows A`
 * read by ET_BODY_A_ROW(MR, t, r), and for a GEMM `const size_t ks = 1`, a single tap.
 *
 * Why a template and not an always-inline function called from two small kernels: measured, inlining a body into
 * a wrapper changes the compiler's register allocation of the inner loop (the qc4 AVX2 loop spilled 10 of its 12
 * int16 sums and ran 13-31 % slower). Compiled as the kernel function itself, each body gives the instructions
 * the two hand-written kernels had. A body may be included once per file; one kernel per file. */
#ifndef ET_KERNELS_GEMM_BODY_H
#define ET_KERNELS_GEMM_BODY_H

#if !defined(ET_BODY_NAME) || !defined(ET_BODY_INDIRECT)
#error "a kernel file defines ET_BODY_NAME and ET_BODY_INDIRECT before it includes a GEMM body (gemm-body.h)"
#endif

#include "engine/kernels/gemm-a-rows.h"

#if ET_BODY_INDIRECT
#define ET_F32_GEMM_BODY_SIGNATURE ET_F32_IGEMM_UKERNEL(ET_BODY_NAME)
#define ET_F32_GEMM_BODY_PROLOGUE(MR) \
    ET_F32_IGEMM_REQUIRE(MR);         \
    const et_a_rows A = et_a_rows_igemm((const void *const *)a, a_offset, zero, mr)
#define ET_QGEMM_BODY_SIGNATURE ET_QIGEMM_UKERNEL(ET_BODY_NAME)
#define ET_QGEMM_BODY_PROLOGUE(MR, KR) \
    ET_QIGEMM_REQUIRE(MR, KR);         \
    const et_a_rows A = et_a_rows_igemm(a, a_offset, zero, mr)
#else
#define ET_F32_GEMM_BODY_SIGNATURE ET_F32_GEMM_UKERNEL(ET_BODY_NAME)
#define ET_F32_GEMM_BODY_PROLOGUE(MR) \
    ET_F32_GEMM_REQUIRE(MR);          \
    const size_t ks = 1;              \
    const et_a_rows A = et_a_rows_gemm(a, a_stride * sizeof(float), mr)
#define ET_QGEMM_BODY_SIGNATURE ET_QGEMM_UKERNEL(ET_BODY_NAME)
#define ET_QGEMM_BODY_PROLOGUE(MR, KR) \
    ET_QGEMM_REQUIRE(MR, KR);          \
    const size_t ks = 1;               \
    const et_a_rows A = et_a_rows_gemm(a, a_stride, mr)
#endif

/* Row r of tap t of the kernel's A (MR: the kernel's rows, the stride of an indirection buffer). */
#define ET_BODY_A_ROW(MR, t, r) et_a_row(ET_BODY_INDIRECT, &A, (MR), (t), (r))

#endif
