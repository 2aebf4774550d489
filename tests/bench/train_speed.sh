#!/usr/bin/env bash
# train_speed.sh: time per training epoch, edgetune against PyTorch (python3-torch) in the same run: one epoch of
# distillation of each Fashion-MNIST fixture network over N samples at the same batch and thread count
# (build/tests/train_bench, train_bench.c; /usr/bin/python3 tests/bench/train_speed.py). The two alternate,
# round after round, so that a slow spell of a shared machine hits both; the best round of each is reported.
# PyTorch runs both memory formats (NCHW and channels-last) and its faster one counts.
#
#   tests/bench/train_speed.sh [--models resnet,mbv2] [--threads 1,2] [--batch 64] [--samples 10000] [--rounds 2]
#
# Prints a markdown table: seconds per epoch of each and the ratio edgetune / PyTorch (below 1: edgetune faster).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
models=resnet,mbv2
threads=1,2
batch=64
samples=10000
rounds=2
while [ $# -gt 0 ]; do
    case $1 in
    --models) models=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --samples) samples=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "train_speed.sh: unknown argument '$1' (see the opening comment)" >&2; exit 2 ;;
    esac
done
tb=$here/build/tests/train_bench
py=/usr/bin/python3
[ -x "$tb" ] || { echo "train_speed.sh: build first (./build.sh; build/tests/train_bench)" >&2; exit 2; }
"$py" -c 'import torch' 2>/dev/null || { echo "train_speed.sh: /usr/bin/python3 has no torch (apt install python3-torch)" >&2; exit 2; }

secs() { sed -E 's/.*: ([0-9.]+) s, .*/\1/'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }

echo "| model | threads | batch | samples | edgetune s/epoch | PyTorch s/epoch (format) | edgetune / PyTorch |"
echo "|---|---|---|---|---|---|---|"
IFS=, read -ra ms <<<"$models"
IFS=, read -ra ts <<<"$threads"
for m in "${ms[@]}"; do
    for t in "${ts[@]}"; do
        best_et="" best_nchw="" best_cl=""
        for _ in $(seq "$rounds"); do
            e=$("$tb" "$here/fixtures/models/fmnist_$m.onnx" --samples "$samples" --batch "$batch" --threads "$t" | secs)
            p=$("$py" "$here/tests/bench/train_speed.py" "$m" --samples "$samples" --batch "$batch" --threads "$t" 2>/dev/null | secs)
            c=$("$py" "$here/tests/bench/train_speed.py" "$m" --samples "$samples" --batch "$batch" --threads "$t" \
                --channels-last 2>/dev/null | secs)
            best_et=$(min "$best_et" "$e") best_nchw=$(min "$best_nchw" "$p") best_cl=$(min "$best_cl" "$c")
        done
        fmt=NCHW best_pt=$best_nchw
        if awk -v a="$best_cl" -v b="$best_nchw" 'BEGIN { exit !(a + 0 < b + 0) }'; then fmt=channels-last best_pt=$best_cl; fi
        ratio=$(awk -v a="$best_et" -v b="$best_pt" 'BEGIN { printf "%.2f", a / b }')
        printf '| fmnist_%s | %s | %s | %s | %.2f | %.2f (%s; other format %.2f) | %s |\n' "$m" "$t" "$batch" "$samples" \
            "$best_et" "$best_pt" "$fmt" "$([ "$fmt" = NCHW ] && echo "$best_cl" || echo "$best_nchw")" "$ratio"
    done
done
echo
echo "best of $rounds rounds each; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs online"
