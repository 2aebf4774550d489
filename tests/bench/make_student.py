#!/usr/bin/python3
"""make_student.py: an untrained student for `edgetune distill` on a Fashion-MNIST fixture model.

    /usr/bin/python3 tests/bench/make_student.py resnet|mbv2 OUT.onnx [--seed N]

Builds the fixture's own architecture (fixtures/gen/archs.py) narrower, so that it has at most a quarter of the
teacher's multiply-accumulates, initialises it with PyTorch's default initialisation (seeded), and exports it
with its BatchNormalization nodes kept (TrainingMode.PRESERVE: distill trains them with batch statistics).
Input `input` [1,1,28,28], output `output` [1,10], as the teachers. Prints the MACs of both (convolutions and
linear layers, counted per sample with forward hooks) and fails when the student has more than a quarter.

  resnet  FmnistResNet widths 8-16-24 (teacher fmnist_resnet: 16-32-64)
  mbv2    FmnistMobileNetV2 stem 8, rows (1,8,1,1) (3,12,2,2) (3,24,2,2), last 64 (teacher: stem 16, 16/24/48,
          last 128)
"""
import argparse
import io
import os
import sys

import onnx
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "gen"))
import archs  # noqa: E402


def macs(net):
    """Multiply-accumulates of one 1x1x28x28 sample through net's Conv2d and Linear layers."""
    total = [0]

    def conv_hook(m, inp, out):
        total[0] += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear_hook(m, inp, out):
        total[0] += m.in_features * m.out_features

    hooks = []
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    net.eval()
    with torch.no_grad():
        net(torch.zeros(1, 1, 28, 28))
    for h in hooks:
        h.remove()
    return total[0]


def build(kind):
    if kind == "resnet":
        return archs.FmnistResNet(), archs.FmnistResNet(widths=(8, 16, 24))
    return (archs.FmnistMobileNetV2(),
            archs.FmnistMobileNetV2(cfg=((1, 8, 1, 1), (3, 12, 2, 2), (3, 24, 2, 2)), stem=8, last=64))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kind", choices=("resnet", "mbv2"))
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    teacher, student = build(a.kind)
    mt, ms = macs(teacher), macs(student)
    print("make_student: teacher fmnist_%s %d MACs, student %d MACs (%.3f of the teacher's)" % (a.kind, mt, ms,
                                                                                                  ms / mt))
    if ms * 4 > mt:
        sys.exit("make_student: the student has more than a quarter of the teacher's MACs")
    student.eval()
    f = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(student, torch.zeros(1, 1, 28, 28), f, opset_version=13, input_names=["input"],
                          output_names=["output"], do_constant_folding=False,
                          training=torch.onnx.TrainingMode.PRESERVE)
    proto = onnx.load_from_string(f.getvalue())
    onnx.checker.check_model(proto)
    with open(a.out, "wb") as fh:
        fh.write(f.getvalue())
    print("make_student: wrote %s (%d bytes, %d nodes)" % (a.out, len(f.getvalue()), len(proto.graph.node)))


if __name__ == "__main__":
    main()
