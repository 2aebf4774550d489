#!/usr/bin/python3
"""train_speed.py: PyTorch's side of the training speed benchmark (train_speed.sh): one epoch of distillation of a
Fashion-MNIST fixture network, step for step what tests/bench/train_bench.c times in edgetune.

    /usr/bin/python3 tests/bench/train_speed.py resnet|mbv2 [--samples N] [--batch B] [--threads T]
                                              [--channels-last]

The network is the fixture's architecture (fixtures/gen/archs.py) with every BatchNorm folded away (an Identity,
and a bias on the convolution before it), which is the graph edgetune trains when it fine-tunes the fixture file
(the exporter folded BatchNorm into it). Per step, as train_bench.c: the teacher's forward (a frozen copy, eval
mode, no_grad), the student's forward in training mode, 2^2 x KL(softmax(t/2) || softmax(s/2)), backward,
AdamW (lr 1e-3, weight decay 0.01). Inputs: N seeded uniform [-1, 1) samples 1x28x28, in order; one warm-up
step first. torch.set_num_threads(T) and set_num_interop_threads(1). Prints one line (wall seconds, and the
process's CPU seconds over all threads):
    pytorch MODEL: epoch of N samples, batch B, T threads, FORMAT: S s, R samples/s, C s CPU
"""
import argparse
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "gen"))
import archs  # noqa: E402


def fold_bn(module):
    """Replaces every BatchNorm2d by Identity and gives every convolution a bias (in place; in these networks
    every convolution is followed by a BatchNorm)."""
    for name, child in list(module.named_children()):
        if isinstance(child, nn.Conv2d):
            if child.bias is None:
                child.bias = nn.Parameter(torch.zeros(child.out_channels))
        elif isinstance(child, nn.BatchNorm2d):
            setattr(module, name, nn.Identity())
        else:
            fold_bn(child)
    return module


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", choices=("resnet", "mbv2"))
    ap.add_argument("--samples", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--channels-last", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1)
    make = archs.FmnistResNet if a.model == "resnet" else archs.FmnistMobileNetV2
    student = fold_bn(make())
    teacher = fold_bn(make())
    teacher.load_state_dict(student.state_dict())
    teacher.eval()
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    student = student.to(memory_format=fmt)
    teacher = teacher.to(memory_format=fmt)
    student.train()
    g = torch.Generator().manual_seed(12345)
    data = (torch.rand(a.samples, 1, 28, 28, generator=g) * 2 - 1).contiguous(memory_format=fmt)
    opt = torch.optim.AdamW(student.parameters(), lr=1e-3, weight_decay=0.01)
    T = 2.0

    def step(x):
        with torch.no_grad():
            t = teacher(x)
        s = student(x)
        loss = F.kl_div(F.log_softmax(s / T, 1), F.log_softmax(t / T, 1), reduction="batchmean",
                        log_target=True) * T * T
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step(data[:a.batch])
    t0, c0 = time.perf_counter(), time.process_time()
    for at in range(0, a.samples, a.batch):
        step(data[at:at + a.batch])
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    print("pytorch fmnist_%s: epoch of %d samples, batch %d, %d thread%s, %s: %.3f s, %.0f samples/s, %.3f s CPU" %
          (a.model, a.samples, a.batch, a.threads, "s" if a.threads > 1 else "",
           "channels-last" if a.channels_last else "NCHW", dt, a.samples / dt, dc))


if __name__ == "__main__":
    main()
