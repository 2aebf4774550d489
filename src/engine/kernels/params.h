/* params.h: the parameter blocks that kernels of every ISA share.
 *
 * Plain structs read once per kernel call (the kernel broadcasts them into registers), so one layout serves the
 * scalar, AVX2, AVX-512 and NEON kernels alike. A clamp of [-INFINITY, +INFINITY] is the identity. */
#ifndef ET_KERNELS_PARAMS_H
#define ET_KERNELS_PARAMS_H

#include <stddef.h>

/* Output clamp fused into a kernel: Relu = [0, inf], Relu6 = [0, 6], Clip = [min, max]. */
typedef struct et_f32_minmax_params {
    float min, max;
} et_f32_minmax_params;

/* Elementwise unary operations. X(enum, name) */
#define ET_UNARY_LIST(X)                                                               \
    X(ET_UNARY_CLAMP, "clamp")          /* min(max(x, min), max): Relu, Relu6, Clip */ \
    X(ET_UNARY_HSWISH, "hardswish")     /* x * min(max(x + 3, 0), 6) / 6 */            \
    X(ET_UNARY_HSIGMOID, "hardsigmoid") /* min(max(alpha * x + beta, 0), 1) */         \
    X(ET_UNARY_SIGMOID, "sigmoid")      /* 1 / (1 + exp(-x)), about 2 ulp */           \
    X(ET_UNARY_TANH, "tanh")            /* about 3 ulp */                              \
    X(ET_UNARY_LRELU, "leakyrelu")      /* x >= 0 ? x : alpha * x */

typedef enum {
#define ET_X(e, name) e,
    ET_UNARY_LIST(ET_X)
#undef ET_X
        ET_UNARY_COUNT
} et_unary_op;

/* Parameters of a unary operation: min/max for CLAMP, alpha/beta for HSIGMOID (ONNX defaults 0.2, 0.5) and
 * LRELU (alpha, ONNX default 0.01). Unused fields are ignored. */
typedef struct et_f32_unary_params {
    float min, max, alpha, beta;
} et_f32_unary_params;

/* Elementwise binary operations; RSUB and RDIV swap the operands (b - a, b / a) for a scalar on the left. */
#define ET_BINARY_LIST(X)     \
    X(ET_BINARY_ADD, "add")   \
    X(ET_BINARY_SUB, "sub")   \
    X(ET_BINARY_MUL, "mul")   \
    X(ET_BINARY_DIV, "div")   \
    X(ET_BINARY_MAX, "max")   \
    X(ET_BINARY_MIN, "min")   \
    X(ET_BINARY_RSUB, "rsub") \
    X(ET_BINARY_RDIV, "rdiv")

typedef enum {
#define ET_X(e, name) e,
    ET_BINARY_LIST(ET_X)
#undef ET_X
        ET_BINARY_COUNT
} et_binary_op;

#endif
