/* onnx_writer.h: a graph (pristine or tuned) as an ONNX file that other runtimes load.
 *
 * The tuned graph's internal operators become standard ONNX in QDQ form:
 *   et.Quantize / et.Dequantize   QuantizeLinear / DequantizeLinear (per-tensor scale and int8 zero point)
 *   et.QConv                      DequantizeLinear on X, on the int8 weights (per output channel, axis 0) and on
 *                                 the int32 bias -> Conv [-> Add(DequantizeLinear(residual))] [-> activation]
 *                                 -> QuantizeLinear
 *   et.QGemm                      the same around Gemm(transB = 1), or MatMul (+ Add for the bias) on 3-D inputs
 *   et.QAdd                       DequantizeLinear on both -> Add [-> activation] -> QuantizeLinear
 *   et.QLut                       DequantizeLinear -> its activation (HardSwish, HardSigmoid, Sigmoid)
 *                                 -> QuantizeLinear
 *   et.QMul, et.QGap              DequantizeLinear -> Mul / GlobalAveragePool [-> activation] -> QuantizeLinear
 * Weight-only quantized constants (float values carrying a quant info) are stored as int8 codes with a
 * DequantizeLinear in front (fp16 weights as float16 with a Cast), so the file has the deployment's size; pruned
 * and channel-pruned weights are written as they are (zeros stored; shrunk shapes). Fused activations are written
 * back as their own nodes (HardSwish as HardSigmoid * x below opset 14). int8 concatenations stay Concat.
 *
 * The opset is the model's, raised to 13 when QDQ nodes need per-axis scales (refused, naming the operator, when
 * an operator of the graph changed meaning between the model's opset and 13). Node order is the graph's
 * (topological), which the ONNX checker requires. */
#ifndef ET_MODEL_ONNX_WRITER_H
#define ET_MODEL_ONNX_WRITER_H

#include <stdint.h>

#include "model/graph.h"
#include "model/pb_writer.h"

typedef struct et_onnx_write_info {
    int64_t opset; /* the opset written */
    int n_nodes;   /* ONNX nodes written */
    int n_qdq;     /* QuantizeLinear + DequantizeLinear nodes among them */
    int64_t bytes; /* file size */
} et_onnx_write_info;

/* Encodes g as an ONNX ModelProto into out (which the caller frees with et_pbw_free). ET_E_UNSUPPORTED naming
 * the node for operators or opsets that cannot be written; ET_E_NOMEM. info may be NULL. */
et_status et_onnx_encode(const et_graph *g, const char *producer_version, et_pbw *out, et_onnx_write_info *info,
                         et_err *err);

/* Writes the encoding to path atomically (a temporary file renamed over it). ET_E_IO / ET_E_PERMISSION naming the
 * path, or the errors of et_onnx_encode. */
et_status et_onnx_write(const et_graph *g, const char *path, const char *producer_version, et_onnx_write_info *info,
                        et_err *err);

#endif
