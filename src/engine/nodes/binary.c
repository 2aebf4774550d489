/* binary.c: broadcasting elementwise binary operators: Add Sub Mul Div Pow, Equal Less Greater LessOrEqual
 * GreaterOrEqual, And Or Xor, PRelu, and the variadic Min Max Sum Mean.
 *
 * Each (operator, element type) pair is one inner-loop function over a run of `n` elements with operand
 * strides 0 or 1; bcast.c turns any broadcast into such runs. float16/bfloat16 compute in float. Integer
 * division by zero gives 0 (ONNX leaves it undefined; we keep it deterministic). The float32 Add/Mul/Sub/Div
 * runs are the hot ones (residual adds, SE-block channel scaling on NHWC tensors): they run on the SIMD
 * f32-vbinary kernel of this CPU (same IEEE results as the loops below, which stay the reference). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/kernels/f32-vbinary/f32-vbinary.h"
#include "engine/nodes/bcast.h"
#include "engine/nodes/nodes.h"
#include "engine/threadpool.h"

typedef enum {
    K_ADD,
    K_SUB,
    K_MUL,
    K_DIV,
    K_POW,
    K_EQ,
    K_LT,
    K_GT,
    K_LE,
    K_GE,
    K_AND,
    K_OR,
    K_XOR,
    K_MIN,
    K_MAX,
    K_PRELU
} kind;

typedef void (*run_fn)(const void *a, int64_t sa, const void *b, int64_t sb, void *o, int64_t n);

/* ---- inner loops ---------------------------------------------------------------------------------------- */

/* laid out by hand: clang-format 14 does not settle on one layout for a multi-line macro here */
// clang-format off
#define ARITH_LOOP(NAME, T, EXPR)                                                                  \
    static void NAME(const void *va, int64_t sa, const void *vb, int64_t sb, void *vo, int64_t n) {  \
        const T *a = va, *b = vb;                                                                  \
        T *o = vo;                                                                                 \
        if (sa && sb) {                                                                            \
            for (int64_t i = 0; i < n; i++) { T x = a[i], y = b[i]; o[i] = (T)(EXPR); }            \
        } else if (sa) {                                                                           \
            T y = b[0];                                                                            \
            for (int64_t i = 0; i < n; i++) { T x = a[i]; o[i] = (T)(EXPR); }                      \
        } else if (sb) {                                                                           \
            T x = a[0];                                                                            \
            for (int64_t i = 0; i < n; i++) { T y = b[i]; o[i] = (T)(EXPR); }                      \
        } else {                                                                                   \
            T x = a[0], y = b[0];                                                                  \
            T r = (T)(EXPR);                                                                       \
            for (int64_t i = 0; i < n; i++) o[i] = r;                                              \
        }                                                                                          \
    }
// clang-format on

/* laid out by hand: clang-format 14 does not settle on one layout for a multi-line macro here */
// clang-format off
#define CMP_LOOP(NAME, T, EXPR)                                                                    \
    static void NAME(const void *va, int64_t sa, const void *vb, int64_t sb, void *vo, int64_t n) {  \
        const T *a = va, *b = vb;                                                                  \
        uint8_t *o = vo;                                                                           \
        for (int64_t i = 0; i < n; i++) { T x = a[i * sa], y = b[i * sb]; o[i] = (uint8_t)(EXPR); } \
    }
// clang-format on

/* half types: load to float, compute, store back */
/* laid out by hand: clang-format 14 does not settle on one layout for a multi-line macro here */
// clang-format off
#define HALF_LOOP(NAME, LOAD, STORE, EXPR, IS_CMP)                                                 \
    static void NAME(const void *va, int64_t sa, const void *vb, int64_t sb, void *vo, int64_t n) {  \
        const uint16_t *a = va, *b = vb;                                                           \
        for (int64_t i = 0; i < n; i++) {                                                          \
            float x = LOAD(a[i * sa]), y = LOAD(b[i * sb]);                                        \
            if (IS_CMP) ((uint8_t *)vo)[i] = (uint8_t)(EXPR);                                       \
            else ((uint16_t *)vo)[i] = STORE((float)(EXPR));                                       \
        }                                                                                          \
    }
// clang-format on

static inline int64_t idiv64(int64_t x, int64_t y) {
    return y == 0 ? 0 : (y == -1 ? (int64_t)(0 - (uint64_t)x) : x / y);
}
static inline uint64_t udiv64(uint64_t x, uint64_t y) { return y == 0 ? 0 : x / y; }
static inline double fmin_nan(double x, double y) { return isnan(x) || isnan(y) ? NAN : (x < y ? x : y); }
static inline double fmax_nan(double x, double y) { return isnan(x) || isnan(y) ? NAN : (x > y ? x : y); }
static inline double powi_d(double x, double y) { return pow(x, y); }
static inline int64_t ipow64(int64_t x, int64_t y) {
    if (y < 0)
        return x == 1 ? 1 : (x == -1 ? (y & 1 ? -1 : 1) : 0);
    uint64_t r = 1, b = (uint64_t)x;
    while (y) {
        if (y & 1)
            r *= b;
        b *= b;
        y >>= 1;
    }
    return (int64_t)r;
}

/* The set of loops for one C type. D = the type used for wide intermediate maths. */
/* laid out by hand: clang-format 14 does not settle on one layout for a multi-line macro here */
// clang-format off
#define SIGNED_SET(S, T)                                                          \
    ARITH_LOOP(add_##S, T, (int64_t)x + (int64_t)y)                               \
    ARITH_LOOP(sub_##S, T, (int64_t)x - (int64_t)y)                               \
    ARITH_LOOP(mul_##S, T, (uint64_t)(int64_t)x * (uint64_t)(int64_t)y)           \
    ARITH_LOOP(div_##S, T, idiv64(x, y))                                          \
    ARITH_LOOP(min_##S, T, x < y ? x : y)                                         \
    ARITH_LOOP(max_##S, T, x > y ? x : y)                                         \
    ARITH_LOOP(prelu_##S, T, x < 0 ? (int64_t)x * (int64_t)y : x)                 \
    CMP_LOOP(eq_##S, T, x == y) CMP_LOOP(lt_##S, T, x < y) CMP_LOOP(gt_##S, T, x > y) \
    CMP_LOOP(le_##S, T, x <= y) CMP_LOOP(ge_##S, T, x >= y)
// clang-format on

/* laid out by hand: clang-format 14 does not settle on one layout for a multi-line macro here */
// clang-format off
#define UNSIGNED_SET(S, T)                                                        \
    ARITH_LOOP(add_##S, T, (uint64_t)x + (uint64_t)y)                             \
    ARITH_LOOP(sub_##S, T, (uint64_t)x - (uint64_t)y)                             \
    ARITH_LOOP(mul_##S, T, (uint64_t)x * (uint64_t)y)                             \
    ARITH_LOOP(div_##S, T, udiv64(x, y))                                          \
    ARITH_LOOP(min_##S, T, x < y ? x : y)                                         \
    ARITH_LOOP(max_##S, T, x > y ? x : y)                                         \
    CMP_LOOP(eq_##S, T, x == y) CMP_LOOP(lt_##S, T, x < y) CMP_LOOP(gt_##S, T, x > y) \
    CMP_LOOP(le_##S, T, x <= y) CMP_LOOP(ge_##S, T, x >= y)
// clang-format on

/* laid out by hand: clang-format 14 does not settle on one layout for a multi-line macro here */
// clang-format off
#define FLOAT_SET(S, T)                                                           \
    ARITH_LOOP(add_##S, T, x + y)                                                 \
    ARITH_LOOP(sub_##S, T, x - y)                                                 \
    ARITH_LOOP(mul_##S, T, x * y)                                                 \
    ARITH_LOOP(div_##S, T, x / y)                                                 \
    ARITH_LOOP(min_##S, T, fmin_nan(x, y))                                        \
    ARITH_LOOP(max_##S, T, fmax_nan(x, y))                                        \
    ARITH_LOOP(prelu_##S, T, x < 0 ? x * y : x)                                   \
    CMP_LOOP(eq_##S, T, x == y) CMP_LOOP(lt_##S, T, x < y) CMP_LOOP(gt_##S, T, x > y) \
    CMP_LOOP(le_##S, T, x <= y) CMP_LOOP(ge_##S, T, x >= y)
// clang-format on

SIGNED_SET(i8, int8_t)
SIGNED_SET(i16, int16_t)
SIGNED_SET(i32, int32_t)
SIGNED_SET(i64, int64_t)
UNSIGNED_SET(u8, uint8_t)
UNSIGNED_SET(u16, uint16_t)
UNSIGNED_SET(u32, uint32_t)
UNSIGNED_SET(u64, uint64_t)
FLOAT_SET(f32, float)
FLOAT_SET(f64, double)

/* laid out by hand: clang-format 14 does not settle on one layout for a multi-line macro here */
// clang-format off
#define HALF_SET(S, LOAD, STORE)                                                       \
    HALF_LOOP(add_##S, LOAD, STORE, x + y, 0) HALF_LOOP(sub_##S, LOAD, STORE, x - y, 0) \
    HALF_LOOP(mul_##S, LOAD, STORE, x * y, 0) HALF_LOOP(div_##S, LOAD, STORE, x / y, 0) \
    HALF_LOOP(min_##S, LOAD, STORE, fmin_nan(x, y), 0)                                 \
    HALF_LOOP(max_##S, LOAD, STORE, fmax_nan(x, y), 0)                                 \
    HALF_LOOP(prelu_##S, LOAD, STORE, x < 0 ? x * y : x, 0)                            \
    HALF_LOOP(eq_##S, LOAD, STORE, x == y, 1) HALF_LOOP(lt_##S, LOAD, STORE, x < y, 1)  \
    HALF_LOOP(gt_##S, LOAD, STORE, x > y, 1) HALF_LOOP(le_##S, LOAD, STORE, x <= y, 1)  \
    HALF_LOOP(ge_##S, LOAD, STORE, x >= y, 1)
// clang-format on
HALF_SET(f16, et_f16_to_f32, et_f32_to_f16)
HALF_SET(bf16, et_bf16_to_f32, et_f32_to_bf16)

CMP_LOOP(eq_bool, uint8_t, (x != 0) == (y != 0))
CMP_LOOP(and_bool, uint8_t, x &&y)
CMP_LOOP(or_bool, uint8_t, x || y)
CMP_LOOP(xor_bool, uint8_t, (x != 0) != (y != 0))

/* Pow: the result has the base's type; the exponent may be any numeric type. Computed in double, or in
 * exact integer arithmetic for integer bases and exponents. */
typedef struct pow_types {
    et_dtype a, b;
} pow_types;

static run_fn pick(kind k, et_dtype t) {
/* laid out by hand: clang-format 14 does not settle on one layout for a multi-line macro here */
// clang-format off
#define CASE(S, DT)                                                                                 \
    case DT:                                                                                        \
        switch (k) {                                                                                \
        case K_ADD: return add_##S; case K_SUB: return sub_##S; case K_MUL: return mul_##S;           \
        case K_DIV: return div_##S; case K_MIN: return min_##S; case K_MAX: return max_##S;           \
        case K_EQ: return eq_##S; case K_LT: return lt_##S; case K_GT: return gt_##S;                 \
        case K_LE: return le_##S; case K_GE: return ge_##S; default: return NULL;                    \
        }
    // clang-format on
    // clang-format off
    switch (t) {
        CASE(i8, ET_DT_I8) CASE(i16, ET_DT_I16) CASE(i32, ET_DT_I32) CASE(i64, ET_DT_I64)
        CASE(u8, ET_DT_U8) CASE(u16, ET_DT_U16) CASE(u32, ET_DT_U32) CASE(u64, ET_DT_U64)
        CASE(f32, ET_DT_F32) CASE(f64, ET_DT_F64) CASE(f16, ET_DT_F16) CASE(bf16, ET_DT_BF16)
    case ET_DT_BOOL:
        switch (k) {
        case K_EQ: return eq_bool; case K_AND: return and_bool; case K_OR: return or_bool;
        case K_XOR: return xor_bool; default: return NULL;
        }
    default: return NULL;
    }
    // clang-format on
#undef CASE
}

static run_fn pick_prelu(et_dtype t) {
    switch (t) {
    case ET_DT_F32: return prelu_f32;
    case ET_DT_F64: return prelu_f64;
    case ET_DT_F16: return prelu_f16;
    case ET_DT_BF16: return prelu_bf16;
    case ET_DT_I8: return prelu_i8;
    case ET_DT_I16: return prelu_i16;
    case ET_DT_I32: return prelu_i32;
    case ET_DT_I64: return prelu_i64;
    default: return NULL;
    }
}

/* ---- operator glue --------------------------------------------------------------------------------------- */

static kind kind_of(et_op op) {
    switch (op) {
    case ET_OP_ADD:
    case ET_OP_SUM:
    case ET_OP_MEAN: return K_ADD;
    case ET_OP_SUB: return K_SUB;
    case ET_OP_MUL: return K_MUL;
    case ET_OP_DIV: return K_DIV;
    case ET_OP_POW: return K_POW;
    case ET_OP_EQUAL: return K_EQ;
    case ET_OP_LESS: return K_LT;
    case ET_OP_GREATER: return K_GT;
    case ET_OP_LESS_OR_EQUAL: return K_LE;
    case ET_OP_GREATER_OR_EQUAL: return K_GE;
    case ET_OP_AND: return K_AND;
    case ET_OP_OR: return K_OR;
    case ET_OP_XOR: return K_XOR;
    case ET_OP_MIN: return K_MIN;
    case ET_OP_MAX: return K_MAX;
    case ET_OP_PRELU: return K_PRELU;
    default: return K_ADD;
    }
}

static bool is_compare(kind k) { return k >= K_EQ && k <= K_XOR; }
static bool is_variadic(et_op op) { return op == ET_OP_MIN || op == ET_OP_MAX || op == ET_OP_SUM || op == ET_OP_MEAN; }

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    bool variadic = is_variadic(n->op);
    et_status st = et_op_check_arity(n, variadic ? 1 : 2, variadic ? 1 << 20 : 2, 1, 1, err);
    if (st != ET_OK)
        return st;
    kind k = kind_of(n->op);
    const et_value *a = et_node_cin(g, n, 0);
    et_shape shape = a->shape;
    for (int i = 1; i < n->n_inputs; i++) {
        const et_value *b = et_node_cin(g, n, i);
        if (!b)
            continue;
        if (k != K_POW && b->dtype != a->dtype)
            return et_op_fail(err, n, "inputs have different types (%s and %s)", et_dtype_name(a->dtype),
                              et_dtype_name(b->dtype));
        if (k == K_PRELU) { /* slope broadcasts to X (unidirectional) */
            et_shape r;
            if (!et_shape_broadcast(&a->shape, &b->shape, &r) || !et_shape_equal(&r, &a->shape))
                return et_op_fail(err, n, "slope does not broadcast to the input");
            continue;
        }
        if (!et_shape_broadcast(&shape, &b->shape, &shape)) {
            char s1[96], s2[96];
            return et_op_fail(err, n, "shapes %s and %s do not broadcast", et_shape_str(&a->shape, s1, sizeof s1),
                              et_shape_str(&b->shape, s2, sizeof s2));
        }
    }
    if (k == K_POW) {
        const et_value *b = et_node_cin(g, n, 1);
        if (!et_dtype_is_numeric(a->dtype) || !et_dtype_is_numeric(b->dtype) || a->dtype == ET_DT_BOOL)
            return et_op_fail(err, n, "Pow needs numeric inputs");
    } else if (k == K_PRELU ? !pick_prelu(a->dtype) : !pick(k, a->dtype)) {
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "element type %s is not supported", et_dtype_name(a->dtype));
    }
    if (n->op == ET_OP_MEAN && !et_dtype_is_float(a->dtype))
        return et_op_fail(err, n, "Mean needs floating-point inputs");
    et_op_set_output(g, n, 0, is_compare(k) ? ET_DT_BOOL : a->dtype, &shape);
    return ET_OK;
}

typedef struct params {
    kind k;
    run_fn fn;
    et_f32_vbinary_ukernel_fn simd; /* float32 Add/Sub/Mul/Div: the SIMD kernel; NULL otherwise */
} params;

/* One run of n float32 elements with operand strides 0 or 1 on the SIMD kernel. Both operands scalar (a run of
 * one repeated value) stays on the reference loop. */
static bool simd_run(const params *p, const float *a, int64_t sa, const float *b, int64_t sb, float *o, int64_t n) {
    static const et_f32_minmax_params none = {-INFINITY, INFINITY};
    static const et_binary_op direct[] =
        {[K_ADD] = ET_BINARY_ADD, [K_SUB] = ET_BINARY_SUB, [K_MUL] = ET_BINARY_MUL, [K_DIV] = ET_BINARY_DIV};
    static const et_binary_op swapped[] =
        {[K_ADD] = ET_BINARY_ADD, [K_SUB] = ET_BINARY_RSUB, [K_MUL] = ET_BINARY_MUL, [K_DIV] = ET_BINARY_RDIV};
    if (sa == 1)
        p->simd(direct[p->k], (size_t)n, a, b, sb == 0, o, &none);
    else if (sb == 1)
        p->simd(swapped[p->k], (size_t)n, b, a, 1, o, &none);
    else
        return false;
    return true;
}

typedef struct job {
    const et_op_inst *inst;
    const params *p;
    const et_tensor *a, *b;
    et_tensor *o;
    et_bcast bc;
    size_t ea, eb, eo; /* element sizes */
} job;

static void run_rows(void *ctx, size_t begin, size_t end) {
    const job *j = ctx;
    int64_t off[2];
    for (size_t row = begin; row < end; row++) {
        et_bcast_offsets(&j->bc, (int64_t)row, off);
        const char *a = (const char *)j->a->data + off[0] * (int64_t)j->ea;
        const char *b = (const char *)j->b->data + off[1] * (int64_t)j->eb;
        char *o = (char *)j->o->data + (int64_t)row * j->bc.inner * (int64_t)j->eo;
        const int64_t sa = j->bc.stride[0][j->bc.rank - 1], sb = j->bc.stride[1][j->bc.rank - 1];
        if (!j->p->simd || !simd_run(j->p, (const float *)a, sa, (const float *)b, sb, (float *)o, j->bc.inner))
            j->p->fn(a, sa, b, sb, o, j->bc.inner);
    }
}

static void pow_rows(void *ctx, size_t begin, size_t end) {
    const job *j = ctx;
    int64_t off[2];
    et_dtype ta = j->a->dtype, tb = j->b->dtype;
    bool exact = !et_dtype_is_float(ta) && !et_dtype_is_float(tb);
    for (size_t row = begin; row < end; row++) {
        et_bcast_offsets(&j->bc, (int64_t)row, off);
        int64_t sa = j->bc.stride[0][j->bc.rank - 1], sb = j->bc.stride[1][j->bc.rank - 1];
        for (int64_t i = 0; i < j->bc.inner; i++) {
            size_t ia = (size_t)(off[0] + i * sa), ib = (size_t)(off[1] + i * sb);
            size_t io = (size_t)((int64_t)row * j->bc.inner + i);
            if (exact)
                et_dtype_store_i64(ta, j->o->data, io,
                                   ipow64(et_dtype_load_i64(ta, j->a->data, ia),
                                          et_dtype_load_i64(tb, j->b->data, ib)));
            else
                et_dtype_store(ta, j->o->data, io,
                               powi_d(et_dtype_load(ta, j->a->data, ia), et_dtype_load(tb, j->b->data, ib)));
        }
    }
}

/* A per-channel float32 operand of an NHWC tensor (the squeeze-excitation scale, [1,H,W,C] x [1,1,1,C]) collapses
 * to rows of C elements with the same vector each row: at C = 16 one kernel call per pixel cost more than the
 * multiplies (0.042 ms for 56x56x16 on a Zen 5). The vector is repeated into a buffer of whole rows, so that one
 * call covers up to ET_REP_FLOATS elements of many pixels: the same operations on the same pairs. */
enum { ET_REP_FLOATS = 1024 };

typedef struct rep_job {
    const params *p;
    const float *full;    /* the [rows x c] operand, rows contiguous */
    float *o;             /* [rows x c] */
    int64_t c, rows, per; /* per: rows per chunk (per * c <= ET_REP_FLOATS) */
    bool vec_first;       /* the vector is the left operand (Sub/Div run swapped) */
    float rep[ET_REP_FLOATS];
} rep_job;

static void rep_chunks(void *ctx, size_t begin, size_t end) {
    const rep_job *j = ctx;
    for (size_t ci = begin; ci < end; ci++) {
        const int64_t r0 = (int64_t)ci * j->per, nr = j->rows - r0 < j->per ? j->rows - r0 : j->per;
        const float *a = j->full + r0 * j->c;
        float *o = j->o + r0 * j->c;
        if (j->vec_first)
            simd_run(j->p, j->rep, 1, a, 1, o, nr * j->c);
        else
            simd_run(j->p, a, 1, j->rep, 1, o, nr * j->c);
    }
}

/* The repeated-vector path when the broadcast is (full rows) op (one vector) or the other way round; false when it
 * is not (the row loop runs it). */
static bool rep_apply(et_exec_ctx *ctx, const params *p, const et_tensor *a, const et_tensor *b, et_tensor *o,
                      const et_bcast *bc) {
    if (!p->simd || bc->rank != 2 || bc->outer < 2 || bc->inner > ET_REP_FLOATS / 2)
        return false;
    const int64_t c = bc->inner;
    const bool a_full = bc->stride[0][0] == c && bc->stride[0][1] == 1;
    const bool b_full = bc->stride[1][0] == c && bc->stride[1][1] == 1;
    const bool a_vec = bc->stride[0][0] == 0 && bc->stride[0][1] == 1;
    const bool b_vec = bc->stride[1][0] == 0 && bc->stride[1][1] == 1;
    if (!((a_full && b_vec) || (a_vec && b_full)))
        return false;
    rep_job j = {.p = p, .o = o->data, .c = c, .rows = bc->outer, .per = ET_REP_FLOATS / c, .vec_first = a_vec};
    j.full = a_full ? a->data : b->data;
    const float *vec = a_full ? b->data : a->data;
    for (int64_t r = 0; r < j.per; r++)
        memcpy(j.rep + r * c, vec, (size_t)c * sizeof(float));
    const size_t chunks = (size_t)((j.rows + j.per - 1) / j.per);
    if (ctx->pool && bc->outer * bc->inner >= 65536)
        et_threadpool_parallel_for(ctx->pool, chunks, rep_chunks, &j);
    else
        rep_chunks(&j, 0, chunks);
    return true;
}

/* One binary step a (op) b -> o, rows spread over the pool when large. */
static void binary_apply(et_exec_ctx *ctx, const params *p, const et_tensor *a, const et_tensor *b, et_tensor *o) {
    job j = {.p = p,
             .a = a,
             .b = b,
             .o = o,
             .ea = et_dtype_size(a->dtype),
             .eb = et_dtype_size(b->dtype),
             .eo = et_dtype_size(o->dtype)};
    const et_shape *ins[2] = {&a->shape, &b->shape};
    et_bcast_init(&j.bc, &o->shape, ins, 2);
    if (p->k != K_POW && rep_apply(ctx, p, a, b, o, &j.bc))
        return;
    et_task_fn fn = p->k == K_POW ? pow_rows : run_rows;
    if (ctx->pool && j.bc.outer * j.bc.inner >= 65536)
        et_threadpool_parallel_for(ctx->pool, (size_t)j.bc.outer, fn, &j);
    else if (j.bc.outer > 0)
        fn(&j, 0, (size_t)j.bc.outer);
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    if ((inst->n_in == 2 && inst->node->op != ET_OP_MEAN) || !is_variadic(inst->node->op)) {
        binary_apply(ctx, p, &inst->in[0], &inst->in[1], &inst->out[0]);
        return ET_OK;
    }
    /* variadic: out = in0 broadcast, then out = out (op) in_k; Mean divides at the end */
    et_tensor *o = &inst->out[0];
    int64_t numel = et_shape_numel(&o->shape);
    size_t esize = et_dtype_size(o->dtype);
    {
        const et_tensor *a = &inst->in[0];
        et_bcast bc;
        const et_shape *ins[1] = {&a->shape};
        et_bcast_init(&bc, &o->shape, ins, 1);
        int64_t off;
        for (int64_t row = 0; row < bc.outer; row++) {
            et_bcast_offsets(&bc, row, &off);
            for (int64_t i = 0; i < bc.inner; i++)
                memcpy((char *)o->data + (size_t)(row * bc.inner + i) * esize,
                       (const char *)a->data + (size_t)(off + i * bc.stride[0][bc.rank - 1]) * esize, esize);
        }
    }
    for (int k = 1; k < inst->n_in; k++)
        if (inst->in[k].data)
            binary_apply(ctx, p, o, &inst->in[k], o);
    if (inst->node->op == ET_OP_MEAN)
        for (int64_t i = 0; i < numel; i++)
            et_dtype_store(o->dtype, o->data, (size_t)i, et_dtype_load(o->dtype, o->data, (size_t)i) / inst->n_in);
    (void)err;
    return ET_OK;
}

static et_status prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    params *p = malloc(sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    p->k = kind_of(n->op);
    p->fn = p->k == K_PRELU ? pick_prelu(inst->in[0].dtype) : p->k == K_POW ? NULL : pick(p->k, inst->in[0].dtype);
    p->simd = NULL;
    if (inst->in[0].dtype == ET_DT_F32 && (p->k == K_ADD || p->k == K_SUB || p->k == K_MUL || p->k == K_DIV)) {
        const et_f32_vbinary_config *cfg = et_f32_vbinary_config_get();
        p->simd = cfg->ukernel;
        snprintf(inst->kernel, sizeof inst->kernel, "%s", cfg->name);
    }
    inst->params = p;
    inst->run = run;
    (void)g;
    return ET_OK;
}

const et_op_impl et_impl_binary = {infer, prepare};
