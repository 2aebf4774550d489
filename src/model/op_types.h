/* op_types.h: every operator the engine knows, as one X-macro list: X(ID, "OnnxName").
 * The ONNX operators (default domain) come first; names starting with "et." are the engine's internal operators,
 * created by graph passes (layout, fusion, quantization) and never matched against a model's op_type. */
#ifndef ET_MODEL_OP_TYPES_H
#define ET_MODEL_OP_TYPES_H

/* laid out by hand: clang-format 14 does not settle on one layout for a multi-line macro here */
// clang-format off
#define ET_ONNX_OP_LIST(X)                                                                       \
    /* convolution and matrix products */                                                        \
    X(CONV, "Conv") X(CONV_TRANSPOSE, "ConvTranspose") X(GEMM, "Gemm") X(MATMUL, "MatMul")       \
    /* elementwise binary (broadcasting) */                                                      \
    X(ADD, "Add") X(SUB, "Sub") X(MUL, "Mul") X(DIV, "Div") X(POW, "Pow")                        \
    X(EQUAL, "Equal") X(LESS, "Less") X(GREATER, "Greater")                                      \
    X(LESS_OR_EQUAL, "LessOrEqual") X(GREATER_OR_EQUAL, "GreaterOrEqual")                        \
    X(AND, "And") X(OR, "Or") X(XOR, "Xor")                                                      \
    /* elementwise variadic */                                                                   \
    X(MIN, "Min") X(MAX, "Max") X(SUM, "Sum") X(MEAN, "Mean")                                    \
    /* elementwise unary */                                                                      \
    X(SQRT, "Sqrt") X(EXP, "Exp") X(LOG, "Log") X(NEG, "Neg") X(ABS, "Abs")                      \
    X(RECIPROCAL, "Reciprocal") X(FLOOR, "Floor") X(CEIL, "Ceil") X(NOT, "Not")                  \
    X(RELU, "Relu") X(CLIP, "Clip") X(LEAKY_RELU, "LeakyRelu") X(PRELU, "PRelu")                 \
    X(SIGMOID, "Sigmoid") X(HARD_SIGMOID, "HardSigmoid") X(HARD_SWISH, "HardSwish")              \
    X(TANH, "Tanh") X(ERF, "Erf") X(ELU, "Elu") X(SOFTPLUS, "Softplus")                          \
    X(WHERE, "Where")                                                                            \
    /* normalisation and softmax */                                                              \
    X(SOFTMAX, "Softmax") X(LOG_SOFTMAX, "LogSoftmax")                                           \
    X(BATCH_NORM, "BatchNormalization") X(LAYER_NORM, "LayerNormalization")                      \
    X(INSTANCE_NORM, "InstanceNormalization")                                                    \
    /* pooling */                                                                                \
    X(MAX_POOL, "MaxPool") X(AVERAGE_POOL, "AveragePool")                                        \
    X(GLOBAL_AVERAGE_POOL, "GlobalAveragePool") X(GLOBAL_MAX_POOL, "GlobalMaxPool")              \
    /* reductions */                                                                             \
    X(REDUCE_MEAN, "ReduceMean") X(REDUCE_SUM, "ReduceSum") X(REDUCE_MAX, "ReduceMax")           \
    X(REDUCE_MIN, "ReduceMin") X(ARG_MAX, "ArgMax")                                              \
    /* shape and data movement */                                                                \
    X(FLATTEN, "Flatten") X(RESHAPE, "Reshape") X(TRANSPOSE, "Transpose")                        \
    X(SQUEEZE, "Squeeze") X(UNSQUEEZE, "Unsqueeze") X(CONCAT, "Concat") X(SPLIT, "Split")        \
    X(SLICE, "Slice") X(GATHER, "Gather") X(SHAPE, "Shape") X(CAST, "Cast")                      \
    X(CONSTANT, "Constant") X(CONSTANT_OF_SHAPE, "ConstantOfShape") X(IDENTITY, "Identity")      \
    X(DROPOUT, "Dropout") X(PAD, "Pad") X(RESIZE, "Resize") X(UPSAMPLE, "Upsample")              \
    X(EXPAND, "Expand") X(RANGE, "Range") X(TILE, "Tile")                                        \
    /* quantization (QDQ models, such as the ones `edgetune save` writes) */                     \
    X(QUANTIZE_LINEAR, "QuantizeLinear") X(DEQUANTIZE_LINEAR, "DequantizeLinear")
// clang-format on

/* Internal operators: inputs/outputs are documented where each is created. */
/* laid out by hand: clang-format 14 does not settle on one layout for a multi-line macro here */
// clang-format off
#define ET_INTERNAL_OP_LIST(X)                                                                   \
    X(CONV_NHWC, "et.ConvNhwc")               /* Conv on channels-last tensors, fused activation  \
                                                 and optional residual input */                   \
    X(POOL_NHWC, "et.PoolNhwc")               /* Max/Average/Global pooling, channels-last */    \
    X(QUANTIZE, "et.Quantize")                /* fp32 -> int8/uint8 */                           \
    X(DEQUANTIZE, "et.Dequantize")            /* int8/uint8 -> fp32 */                           \
    X(QCONV_NHWC, "et.QConvNhwc")             /* quantized conv, int32 accumulation */           \
    X(QGEMM, "et.QGemm")                      /* quantized fully-connected / matmul */             \
    X(QCONV, "et.QConv")                      /* quantized conv in ONNX layout (tune makes it;     \
                                                 layout.c turns it into et.QConvNhwc) */           \
    X(QADD, "et.QAdd")                        /* int8 + int8 -> int8 (residual adds) */           \
    X(QLUT, "et.QLut")                        /* int8 -> int8 through a 256-entry table: the node's \
                                                 act (HardSwish, HardSigmoid, Sigmoid) */          \
    X(QMUL, "et.QMul")                        /* int8 * int8 -> int8, broadcasting (SE scaling) */ \
    X(QGAP, "et.QGap")                        /* int8 global average pooling */
// clang-format on

typedef enum {
    ET_OP_UNKNOWN = 0,
#define ET_X(id, name) ET_OP_##id,
    ET_ONNX_OP_LIST(ET_X) ET_OP_FIRST_INTERNAL_,
    ET_OP_INTERNAL_BEFORE_ = ET_OP_FIRST_INTERNAL_ - 1,
    ET_INTERNAL_OP_LIST(ET_X)
#undef ET_X
        ET_OP_COUNT
} et_op;

/* The operator's name ("Conv", "et.ConvNhwc"); "?" for out-of-range values. */
const char *et_op_name(et_op op);
/* Looks up an ONNX op_type in the default domain; ET_OP_UNKNOWN when the engine does not implement it. */
et_op et_op_from_onnx(const char *op_type);
static inline int et_op_is_internal(et_op op) { return op >= ET_OP_FIRST_INTERNAL_; }

#endif
