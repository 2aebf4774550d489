#!/usr/bin/env bash
# train_speed.sh: time per training epoch, edgetune against PyTorch (python3-torch) in the same run: one epoch of
# distillation of each Fashion-MNIST fixture network over N samples at the same batch and thread count
# (build/tests/train_bench, train_bench.c; /usr/bin/python3 tests/bench/train_speed.py). The two alternate,
# round after round, so that a slow spell of a shared machine hits both; the best round of each is reported.
# PyTorch runs both memory formats (NCHW and channels-last) and its faster one counts.
#
#   tests/bench/train_speed.sh [--models resnet,mbv2] [--threads 1,2] [--batch 64] [--samples 10000] [--rounds 2]
#
# Prints a markdown table: wall seconds per epoch of each with the process's CPU seconds beside them (on a shared
# machine a one-thread run's CPU time is what its wall time would be on an idle one), and the ratios edgetune /
# PyTorch (below 1: edgetune faster).
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

secs() { sed -E 's/.*: ([0-9.]+) s, .*/\1/'; }            # wall seconds of a result line
cpus() { sed -E 's/.*, ([0-9.]+) s CPU$/\1/'; }            # CPU seconds of the same line
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "| model | threads | edgetune s/epoch (CPU s) | PyTorch s/epoch (CPU s), format | edgetune / PyTorch, wall (CPU) |"
echo "|---|---|---|---|---|"
IFS=, read -ra ms <<<"$models"
IFS=, read -ra ts <<<"$threads"
for m in "${ms[@]}"; do
    for t in "${ts[@]}"; do
        be="" bec="" bp="" bpc="" bfmt=""
        for _ in $(seq "$rounds"); do
            line=$("$tb" "$here/fixtures/models/fmnist_$m.onnx" --samples "$samples" --batch "$batch" --threads "$t")
            w=$(secs <<<"$line") c=$(cpus <<<"$line")
            [ -z "$be" ] || awk -v a="$be" -v b="$w" 'BEGIN { exit !(b + 0 < a + 0) }' && be=$w bec=$c
            for fmt in "" --channels-last; do
                # shellcheck disable=SC2086 # fmt is empty or one flag
                line=$("$py" "$here/tests/bench/train_speed.py" "$m" --samples "$samples" --batch "$batch" \
                    --threads "$t" $fmt 2>/dev/null)
                w=$(secs <<<"$line") c=$(cpus <<<"$line")
                if [ -z "$bp" ] || awk -v a="$bp" -v b="$w" 'BEGIN { exit !(b + 0 < a + 0) }'; then
                    bp=$w bpc=$c bfmt=${fmt:---nchw}
                fi
            done
        done
        printf '| fmnist_%s | %s | %.2f (%.2f) | %.2f (%.2f), %s | %s (%s) |\n' "$m" "$t" "$be" "$bec" "$bp" "$bpc" \
            "${bfmt#--}" "$(ratio "$be" "$bp")" "$(ratio "$bec" "$bpc")"
    done
done
echo
echo "batch $batch, $samples samples, best of $rounds rounds each (PyTorch: its faster memory format); CPU s: the"
echo "process's CPU time over all threads. $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs"
