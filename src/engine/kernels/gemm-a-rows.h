/* gemm-a-rows.h: where the GEMM and IGEMM kernels find their rows of A: the one thing the two differ in.
 *
 * A GEMM/IGEMM body (gemm-body.h) reads A only through et_a_row():
 *   GEMM   one "tap": row r at a + r * stride bytes, rows r >= mr aliasing row mr - 1 (f32-gemm.h);
 *   IGEMM  ks taps of MR pointers each ([tap][MR]); a pointer that equals `zero` (padding) is used as is,
 *          every other one gets `offset` bytes added (f32-igemm.h).
 * Which of the two a kernel is, is the compile-time constant ET_BODY_INDIRECT: only that branch is compiled, and a
 * GEMM's tap loop runs once (ks = 1). A GEMM's row pointers are computed once per call, before the loops, as the
 * hand-written GEMM kernels did. */
#ifndef ET_KERNELS_GEMM_A_ROWS_H
#define ET_KERNELS_GEMM_A_ROWS_H

#include <stddef.h>
#include <stdint.h>

enum { ET_A_ROWS_MAX = 7 }; /* the largest MR of any GEMM kernel */

typedef struct et_a_rows {
    const void *const *indirect;    /* IGEMM: the indirection buffer; NULL for a GEMM */
    size_t offset;                  /* IGEMM: bytes added to every pointer that is not `zero` */
    const void *zero;               /* IGEMM: the padding row */
    const void *row[ET_A_ROWS_MAX]; /* GEMM: where row r starts, rows >= mr aliasing row mr - 1 */
} et_a_rows;

/* The GEMM row after `prev`: a stride further while r < mr, else the same (rows r >= mr alias row mr - 1). Kept
 * opaque to the compiler: told that the rows lie a stride apart, it folds the row pointers into one base and
 * rebuilds them with extra address arithmetic inside the k loop; opaque, each row keeps its own register, as in
 * the IGEMM loop. (A row a kernel never reads costs no instruction.) */
static inline __attribute__((always_inline)) const void *et_a_gemm_next_row(const void *prev, int step, size_t stride) {
    const char *row = step ? (const char *)prev + stride : (const char *)prev;
    __asm__("" : "+r"(row));
    return row;
}

/* A GEMM's rows: row r at a + r * stride bytes for r < mr; computed once per kernel call, before the loops. */
static inline __attribute__((always_inline)) et_a_rows et_a_rows_gemm(const void *a, size_t stride, size_t mr) {
    _Static_assert(ET_A_ROWS_MAX == 7, "one line per row below");
    et_a_rows rows = {NULL, 0, NULL, {a}};
    rows.row[1] = et_a_gemm_next_row(rows.row[0], 1 < mr, stride);
    rows.row[2] = et_a_gemm_next_row(rows.row[1], 2 < mr, stride);
    rows.row[3] = et_a_gemm_next_row(rows.row[2], 3 < mr, stride);
    rows.row[4] = et_a_gemm_next_row(rows.row[3], 4 < mr, stride);
    rows.row[5] = et_a_gemm_next_row(rows.row[4], 5 < mr, stride);
    rows.row[6] = et_a_gemm_next_row(rows.row[5], 6 < mr, stride);
    return rows;
}

/* An IGEMM's rows: ks taps of MR pointers in `indirect`. */
static inline __attribute__((always_inline)) et_a_rows et_a_rows_igemm(const void *const *indirect, size_t offset,
                                                                       const void *zero, size_t mr) {
    (void)mr; /* the indirection buffer repeats the last pixel's pointers itself */
    const et_a_rows rows = {indirect, offset, zero, {NULL}};
    return rows;
}

/* Row r of tap t, in a kernel of MR rows (the stride of the indirection buffer). `indirect` is the kernel's
 * ET_BODY_INDIRECT (gemm-body.h), a compile-time constant: the branch it picks is all that is compiled. */
static inline __attribute__((always_inline)) const void *et_a_row(const int indirect, const et_a_rows *A,
                                                                  const size_t MR, size_t t, size_t r) {
    if (!indirect)
        return A->row[r];
    const void *p = A->indirect[t * MR + r];
    return p == A->zero ? p : (const void *)((uintptr_t)p + A->offset);
}

#endif
