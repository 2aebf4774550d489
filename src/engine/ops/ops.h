/* ops.h: the operator implementations and which ET_OP each serves. One implementation may serve several
 * operators (binary.c serves Add, Sub, Mul...). To add an operator: implement et_impl_<name> in its own file
 * and add X(OP, impl) lines here. The registry (registry.c) is built from this list. */
#ifndef ET_ENGINE_OPS_OPS_H
#define ET_ENGINE_OPS_OPS_H

#include "engine/op.h"

#define ET_OP_IMPL_LIST(X)                                                                        \
    X(ADD, et_impl_binary) X(SUB, et_impl_binary) X(MUL, et_impl_binary) X(DIV, et_impl_binary)    \
    X(POW, et_impl_binary) X(EQUAL, et_impl_binary) X(LESS, et_impl_binary)                        \
    X(GREATER, et_impl_binary) X(LESS_OR_EQUAL, et_impl_binary) X(GREATER_OR_EQUAL, et_impl_binary) \
    X(AND, et_impl_binary) X(OR, et_impl_binary) X(XOR, et_impl_binary) X(PRELU, et_impl_binary)   \
    X(MIN, et_impl_binary) X(MAX, et_impl_binary) X(SUM, et_impl_binary) X(MEAN, et_impl_binary)    \
    /* neural-network operators (conv.c, conv_transpose.c, gemm.c, pool.c, norm.c, softmax.c, reduce.c,  \
       resize.c) */                                                                                   \
    X(CONV, et_impl_conv) X(CONV_TRANSPOSE, et_impl_conv_transpose)                                \
    X(GEMM, et_impl_gemm) X(MATMUL, et_impl_matmul)                                                 \
    X(MAX_POOL, et_impl_pool) X(AVERAGE_POOL, et_impl_pool) X(GLOBAL_MAX_POOL, et_impl_pool)          \
    X(GLOBAL_AVERAGE_POOL, et_impl_pool) X(BATCH_NORM, et_impl_batch_norm)                            \
    X(LAYER_NORM, et_impl_layer_norm) X(INSTANCE_NORM, et_impl_instance_norm)                        \
    X(SOFTMAX, et_impl_softmax) X(LOG_SOFTMAX, et_impl_softmax) X(REDUCE_MEAN, et_impl_reduce)        \
    X(REDUCE_SUM, et_impl_reduce) X(REDUCE_MAX, et_impl_reduce) X(REDUCE_MIN, et_impl_reduce)         \
    X(ARG_MAX, et_impl_argmax) X(RESIZE, et_impl_resize) X(UPSAMPLE, et_impl_resize)

#define ET_X(op, impl) extern const et_op_impl impl;
ET_OP_IMPL_LIST(ET_X)
#undef ET_X

#endif
