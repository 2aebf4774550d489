#!/usr/bin/python3
"""export_fmnist.py: Fashion-MNIST images as an edgetune evaluation set or training data.

    /usr/bin/python3 tests/bench/export_fmnist.py OUT [--n N] [--offset K] [--form folder|batched] [--split test|train]

Writes N images of the test set (default; all 10,000, starting at image K) or of the training set (--split train:
60,000; the data `edgetune finetune --data` and `distill --data` train on), normalised as the fixture models were
trained:
(x / 255 - 0.2860) / 0.3530, float32, one sample 1x1x28x28:
  folder   OUT/img_00000.npy ... (one file per image) and OUT/labels.txt (one class index per line)
  batched  OUT/images.npy (N x 1 x 28 x 28) and OUT/labels.npy (N int64)
Both forms are the same samples in the same order (file names sort as the images' order), so `edgetune bench
MODEL --eval OUT` must give the same accuracy for either. Needs numpy only; reads the IDX files from
/usr/share/datasets/fashion-mnist (or --data DIR).
"""
import argparse
import gzip
import os
import sys

import numpy as np

MEAN, STD = 0.2860, 0.3530


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--form", choices=("folder", "batched"), default="folder")
    ap.add_argument("--split", choices=("test", "train"), default="test")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    a = ap.parse_args()
    prefix = "t10k" if a.split == "test" else "train"
    images = read_idx(os.path.join(a.data, prefix + "-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(a.data, prefix + "-labels-idx1-ubyte.gz"))
    if a.offset < 0 or a.n < 1 or a.offset + a.n > len(images):
        sys.exit("export_fmnist: images %d..%d do not exist (the %s set has %d)" % (a.offset, a.offset + a.n,
                                                                                    a.split, len(images)))
    x = ((images[a.offset:a.offset + a.n].astype(np.float32) / 255.0 - MEAN) / STD).astype(np.float32)
    x = x.reshape(a.n, 1, 1, 28, 28)
    y = labels[a.offset:a.offset + a.n].astype(np.int64)
    os.makedirs(a.out, exist_ok=True)
    if a.form == "batched":
        np.save(os.path.join(a.out, "images.npy"), x.reshape(a.n, 1, 28, 28))
        np.save(os.path.join(a.out, "labels.npy"), y)
    else:
        for i in range(a.n):
            np.save(os.path.join(a.out, "img_%05d.npy" % (a.offset + i)), x[i])
        with open(os.path.join(a.out, "labels.txt"), "w") as f:
            f.write("".join("%d\n" % v for v in y))
    print("export_fmnist: %d %s images (%d..%d) as %s in %s" % (a.n, a.split, a.offset, a.offset + a.n - 1, a.form,
                                                                  a.out))


if __name__ == "__main__":
    main()
