#!/usr/bin/python3
"""make_qdq.py: an fp32 ONNX CNN -> its QDQ int8 form, the input ONNX Runtime runs as int8 (QLinearConv etc.),
to time ONNX Runtime's int8 path against edgetune's (tests/bench/qkernel_bench.c).

    /usr/bin/python3 tests/bench/make_qdq.py MODEL.onnx OUT.onnx [--act u8|s8] [--scale S]

Weights of Conv and Gemm: int8, symmetric per output channel, with DequantizeLinear; bias int32 (scale x_s * w_s).
Activations: every float tensor a node produces (and the graph input) gets QuantizeLinear -> DequantizeLinear with
one fixed scale (default 0.05) and a zero point in the middle of the range (u8: 128, s8: 0). The scales are not
calibrated: the model is for timing, not accuracy. --act u8 gives ONNX Runtime its fastest form on x86 (U8S8).
Test-only tool (numpy + onnx), never needed to build or run edgetune."""
import argparse

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--act", choices=["u8", "s8"], default="u8")
    ap.add_argument("--scale", type=float, default=0.05)
    a = ap.parse_args()
    m = onnx.load(a.model)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    act_type = TensorProto.UINT8 if a.act == "u8" else TensorProto.INT8
    zp_val = 128 if a.act == "u8" else 0
    new_inits, new_nodes = [], []
    s_name, z_name = "qdq_act_scale", "qdq_act_zp"
    new_inits.append(numpy_helper.from_array(np.array(a.scale, np.float32), s_name))
    new_inits.append(helper.make_tensor(z_name, act_type, [], [zp_val]))
    renamed = {}  # float tensor -> its dequantized name

    def qdq(name):
        if name in renamed:
            return renamed[name]
        q, dq = name + "_q", name + "_dq"
        new_nodes.append(helper.make_node("QuantizeLinear", [name, s_name, z_name], [q], name=name + "_Q"))
        new_nodes.append(helper.make_node("DequantizeLinear", [q, s_name, z_name], [dq], name=name + "_DQ"))
        renamed[name] = dq
        return dq

    graph_outputs = {o.name for o in g.output}
    for inp in g.input:
        if inp.name not in inits:
            qdq(inp.name)
    for node in g.node:
        ins = list(node.input)
        if node.op_type in ("Conv", "Gemm") and len(ins) >= 2 and ins[1] in inits:
            w = numpy_helper.to_array(inits[ins[1]]).astype(np.float32)
            if node.op_type == "Gemm":
                trans_b = next((at.i for at in node.attribute if at.name == "transB"), 0)
                wo = w if trans_b else w.T  # [out][in]
            else:
                wo = w
            flat = np.abs(wo.reshape(wo.shape[0], -1)).max(axis=1)
            ws = np.where(flat > 0, flat / 127.0, 1.0).astype(np.float32)
            shape = [-1] + [1] * (wo.ndim - 1)
            wq = np.clip(np.round(wo / ws.reshape(shape)), -127, 127).astype(np.int8)
            if node.op_type == "Gemm" and not trans_b:
                wq = wq.T
            axis = 1 if (node.op_type == "Gemm" and not trans_b) else 0
            base = node.name or ins[1]
            new_inits += [numpy_helper.from_array(wq, base + "_wq"), numpy_helper.from_array(ws, base + "_ws"),
                          numpy_helper.from_array(np.zeros(len(ws), np.int8), base + "_wz")]
            new_nodes.append(helper.make_node("DequantizeLinear", [base + "_wq", base + "_ws", base + "_wz"],
                                              [base + "_wdq"], axis=axis, name=base + "_WDQ"))
            ins[1] = base + "_wdq"
            if len(ins) >= 3 and ins[2] in inits:
                b = numpy_helper.to_array(inits[ins[2]]).astype(np.float32)
                bs = (ws * a.scale).astype(np.float32)
                bq = np.round(b / bs).astype(np.int32)
                new_inits += [numpy_helper.from_array(bq, base + "_bq"), numpy_helper.from_array(bs, base + "_bs"),
                              numpy_helper.from_array(np.zeros(len(bs), np.int32), base + "_bz")]
                new_nodes.append(helper.make_node("DequantizeLinear", [base + "_bq", base + "_bs", base + "_bz"],
                                                  [base + "_bdq"], axis=0, name=base + "_BDQ"))
                ins[2] = base + "_bdq"
        for i, n in enumerate(ins):
            if n in renamed:
                ins[i] = renamed[n]
        del node.input[:]
        node.input.extend(ins)
        new_nodes.append(node)
        if node.op_type not in ("Shape", "Constant"):
            for o in node.output:
                if o not in graph_outputs:
                    qdq(o)
    used = {n for node in new_nodes for n in node.input}
    keep = [t for t in g.initializer if t.name in used]  # the float weights now quantized are dropped
    del g.node[:]
    g.node.extend(new_nodes)
    del g.initializer[:]
    g.initializer.extend(keep + [t for t in new_inits if t.name in used])
    if m.opset_import[0].version < 13:
        m.opset_import[0].version = 13
    onnx.checker.check_model(m)
    onnx.save(m, a.out)


if __name__ == "__main__":
    main()
