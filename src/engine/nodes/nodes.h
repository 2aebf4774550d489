/* nodes.h: the node implementations and which ET_OP each serves. One implementation may serve several
 * operators (binary.c serves Add, Sub, Mul...). To add an operator: implement et_impl_<name> in its own file
 * and add X(OP, impl) lines here. The registry (registry.c) is built from this list. */
#ifndef ET_ENGINE_NODES_NODES_H
#define ET_ENGINE_NODES_NODES_H

#include "engine/op.h"

/* laid out by hand: clang-format 14 does not settle on one layout for a multi-line macro here */
// clang-format off
#define ET_OP_IMPL_LIST(X)                                                                        \
    X(ADD, et_impl_binary) X(SUB, et_impl_binary) X(MUL, et_impl_binary) X(DIV, et_impl_binary)    \
    X(POW, et_impl_binary) X(EQUAL, et_impl_binary) X(LESS, et_impl_binary)                        \
    X(GREATER, et_impl_binary) X(LESS_OR_EQUAL, et_impl_binary) X(GREATER_OR_EQUAL, et_impl_binary) \
    X(AND, et_impl_binary) X(OR, et_impl_binary) X(XOR, et_impl_binary) X(PRELU, et_impl_binary)   \
    X(MIN, et_impl_binary) X(MAX, et_impl_binary) X(SUM, et_impl_binary) X(MEAN, et_impl_binary)   \
    X(SQRT, et_impl_unary) X(EXP, et_impl_unary) X(LOG, et_impl_unary) X(NEG, et_impl_unary)       \
    X(ABS, et_impl_unary) X(RECIPROCAL, et_impl_unary) X(FLOOR, et_impl_unary) X(CEIL, et_impl_unary) \
    X(NOT, et_impl_unary) X(RELU, et_impl_unary) X(CLIP, et_impl_unary) X(LEAKY_RELU, et_impl_unary) \
    X(SIGMOID, et_impl_unary) X(HARD_SIGMOID, et_impl_unary) X(HARD_SWISH, et_impl_unary)          \
    X(TANH, et_impl_unary) X(ERF, et_impl_unary) X(ELU, et_impl_unary) X(SOFTPLUS, et_impl_unary)  \
    X(RESHAPE, et_impl_reshape) X(FLATTEN, et_impl_flatten) X(SQUEEZE, et_impl_squeeze)            \
    X(UNSQUEEZE, et_impl_unsqueeze) X(IDENTITY, et_impl_identity) X(DROPOUT, et_impl_identity)     \
    X(SHAPE, et_impl_shape) X(CONSTANT, et_impl_constant) X(CONSTANT_OF_SHAPE, et_impl_constant_of_shape) \
    X(RANGE, et_impl_range) X(CAST, et_impl_cast) X(TRANSPOSE, et_impl_transpose)                 \
    X(CONCAT, et_impl_concat) X(SPLIT, et_impl_split) X(SLICE, et_impl_slice) X(GATHER, et_impl_gather) \
    X(WHERE, et_impl_where) X(EXPAND, et_impl_expand) X(TILE, et_impl_tile) X(PAD, et_impl_pad)    \
    /* neural-network operators (conv.c, conv_transpose.c, gemm.c, pool.c, norm.c, softmax.c, reduce.c,  \
       resize.c) */                                                                                   \
    X(CONV, et_impl_conv) X(CONV_TRANSPOSE, et_impl_conv_transpose)                                \
    X(GEMM, et_impl_gemm) X(MATMUL, et_impl_matmul)                                                 \
    X(MAX_POOL, et_impl_pool) X(AVERAGE_POOL, et_impl_pool) X(GLOBAL_MAX_POOL, et_impl_pool)          \
    X(GLOBAL_AVERAGE_POOL, et_impl_pool) X(BATCH_NORM, et_impl_batch_norm)                            \
    X(LAYER_NORM, et_impl_layer_norm) X(INSTANCE_NORM, et_impl_instance_norm)                        \
    X(SOFTMAX, et_impl_softmax) X(LOG_SOFTMAX, et_impl_softmax) X(REDUCE_MEAN, et_impl_reduce)        \
    X(REDUCE_SUM, et_impl_reduce) X(REDUCE_MAX, et_impl_reduce) X(REDUCE_MIN, et_impl_reduce)         \
    X(ARG_MAX, et_impl_argmax) X(RESIZE, et_impl_resize) X(UPSAMPLE, et_impl_resize)                 \
    /* channels-last fast paths (layout.c creates them) */                                          \
    X(CONV_NHWC, et_impl_conv_nhwc) X(POOL_NHWC, et_impl_pool_nhwc)                                 \
    /* quantized operators (tune/qgraph.c creates them; qquant.c, qconv.c, qgemm.c, qadd.c, qlut.c, qmul.c, qgap.c) */        \
    X(QUANTIZE, et_impl_quantize) X(DEQUANTIZE, et_impl_dequantize) X(QCONV, et_impl_qconv)           \
    X(QCONV_NHWC, et_impl_qconv_nhwc) X(QGEMM, et_impl_qgemm) X(QADD, et_impl_qadd)                 \
    X(QLUT, et_impl_qlut) X(QMUL, et_impl_qmul) X(QGAP, et_impl_qgap)                               \
    X(QUANTIZE_LINEAR, et_impl_quantize_linear) X(DEQUANTIZE_LINEAR, et_impl_dequantize_linear)
// clang-format on

/* A prepare function that only sets run (operators with no parameters to precompute). */
/* laid out by hand: clang-format 14 does not settle on one layout for a multi-line macro here */
// clang-format off
#define ET_SIMPLE_PREPARE(NAME, RUN)                                                               \
    static et_status NAME(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {    \
        inst->run = RUN;                                                                           \
        (void)g, (void)n, (void)err;                                                               \
        return ET_OK;                                                                              \
    }
// clang-format on

/* Whether et.PoolNhwc computes pooling node n on NCHW input shape x exactly as ONNX does (layout.c asks). */
bool et_pool_nhwc_supports(const et_node *n, const et_shape *x);

#define ET_X(op, impl) extern const et_op_impl impl;
ET_OP_IMPL_LIST(ET_X)
#undef ET_X

#endif
