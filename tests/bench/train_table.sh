#!/usr/bin/env bash
# train_table.sh: the results table of training (man/edgetune.1, TRAINING RESULTS): on the
# Fashion-MNIST fixture models, distillation only (no labels), the accuracy drop against fp32 before training
# (the knobs applied one-shot, or the untrained student) and after, on the model's whole <name>.eval/ folder.
#
#   tests/bench/train_table.sh [--models fmnist_resnet,fmnist_mbv2] [--threads N] [--out DIR] [--rows LIST]
#                              [--seeds LIST]
#
# --seeds 1,2,3 trains each row once per seed (--seed S: the order of the training batches) and
# reports every seed's drop and their mean: one seed alone moves a row by 0.2-0.3 pp on 2,000 images, and the
# seeds' mean is what a user can expect (default: seed 1 only).
#
# Rows (--rows picks some, comma-separated; default all):
#   u80     --prune 0.8 --prune-method unstructured --schedule gradual, 3 epochs, batch 16, lr 0.006, --feature-kd 3
#           (each layer's share by Erdos-Renyi-kernel allocation, each step's kept weights refit by least squares on
#           the last batch, every convolution's output also distilled; target: drop <= 1.0 pp)
#   u90     the same at 0.9 (reported)
#   ch50    --prune 0.5 --prune-method channel --recover full, 2 epochs, batch 16, lr 0.003 (target: drop <= 1.0 pp;
#           training starts from the least-squares refit on MODEL.calib/, "before" is that refit)
#   ch50x60k  the same over the whole Fashion-MNIST training set, 60,000 images (OUT/train60k): the issue names
#           no data size for the channel row (it fixes 10,000 images only for the 80 % row)
#           (the channel rows do not pass --feature-kd: with channel maps every convolution pairs, but on the
#           validation slice no weight beat the outputs alone on fmnist_mbv2; man/edgetune.1, TRAINING RESULTS)
#   w4a8    --bits 4 --act-bits 8 --force-int8, 1 epoch of QAT at the defaults (target: drop <= 0.5 pp)
#   student distill into make_student.py's student (<= 1/4 of the MACs, random weights), 15 epochs at lr 0.005
#           (target: >= 90 % of the teacher's accuracy)
# Training data: 10,000 Fashion-MNIST training images (export_fmnist.py --split train --n 10000 --form batched,
# written to OUT/train10k once; ch50x60k: all 60,000, OUT/train60k, written when that row first runs), AdamW,
# batch 64 where not said otherwise. Gradual pruning with Erdos-Renyi-kernel
# shares per layer and batch 16 came out of trials on these models with 10,000 images: uniform per-layer 80 % at
# batch 64 lost 3.75 pp (fmnist_resnet) and 17.7 pp (fmnist_mbv2), whose depthwise layers do not survive 80 % each;
# one global threshold (--prune-method global) lost more than ERK on the validation images. The learning rates
# (0.006 gradual, 0.003 channel with --recover full; ch50x60k keeps ch50's) were picked on a
# validation slice, Fashion-MNIST test images 2000-9999 (export_fmnist.py --offset 2000 --n 8000), never on the
# .eval/ folders (test images 0-1999) that the table reports. Every run is stored in OUT/runs.db
# (`edgetune --db OUT/runs.db runs` lists them with their lineage); each command's output is in OUT/<model>-<row>.log.
# Prints a markdown table. Takes about 10-20 minutes per model on 2 cores (ch50x60k: 1-3 minutes more per seed).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
models=fmnist_resnet,fmnist_mbv2
threads=2
out=${TMPDIR:-/tmp}/edgetune-train-table
rows=u80,u90,ch50,ch50x60k,w4a8,student
seeds=1
while [ $# -gt 0 ]; do
    case $1 in
    --models) models=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    *) echo "train_table.sh: unknown argument '$1' (see the opening comment)" >&2; exit 2 ;;
    esac
done
et=${EDGETUNE:-$here/build/edgetune} # EDGETUNE: another binary (a copy, while build/ is rebuilt)
py=/usr/bin/python3
[ -x "$et" ] || { echo "train_table.sh: build first (./build.sh)" >&2; exit 2; }
mkdir -p "$out"
data=$out/train10k
[ -f "$data/images.npy" ] || "$py" "$here/tests/bench/export_fmnist.py" "$data" --split train --n 10000 --form batched

run_row() { # model row -> one table line
    local m=$1 row=$2 src=$here/fixtures/models/$1.onnx args=() cmd=finetune desc log rdata=$data
    log=$out/$m-$row.log
    case $row in
    u80) args=(--prune 0.8 --prune-method unstructured --schedule gradual --epochs 3 --batch 16 --lr 0.006
        --feature-kd 3)
        desc="80 % unstructured (ERK), gradual, 3 epochs, features" ;;
    u90) args=(--prune 0.9 --prune-method unstructured --schedule gradual --epochs 3 --batch 16 --lr 0.006
        --feature-kd 3)
        desc="90 % unstructured (ERK), gradual, 3 epochs, features" ;;
    ch50) args=(--prune 0.5 --prune-method channel --recover full --epochs 2 --batch 16 --lr 0.003)
        desc="50 % channel, --recover full, 2 epochs" ;;
    ch50x60k) args=(--prune 0.5 --prune-method channel --recover full --epochs 2 --batch 16 --lr 0.003)
        rdata=$out/train60k
        [ -f "$rdata/images.npy" ] ||
            "$py" "$here/tests/bench/export_fmnist.py" "$rdata" --split train --n 60000 --form batched >&2
        desc="50 % channel, --recover full, 2 epochs over 60,000 images" ;;
    w4a8) args=(--bits 4 --act-bits 8 --force-int8 --epochs 1); desc="4-bit weights, 8-bit activations, 1 epoch QAT" ;;
    student)
        "$py" "$here/tests/bench/make_student.py" "${m#fmnist_}" "$out/$m-student-init.onnx" >"$out/$m-student-make.log" 2>&1
        cmd=distill; args=("$out/$m-student-init.onnx" --epochs 15 --lr 0.005)
        desc="student, $(grep -o '([0-9.]* of the teacher' "$out/$m-student-make.log" | tr -d '(' | sed 's/ of the teacher/ of the MACs/'), random init, 15 epochs" ;;
    *) echo "train_table.sh: unknown row '$row'" >&2; exit 2 ;;
    esac
    local t0=$SECONDS seed fp="" before="" after="" drops=() line
    IFS=, read -ra ss <<<"$seeds"
    for seed in "${ss[@]}"; do
        log=$out/$m-$row-s$seed.log
        "$et" --db "$out/runs.db" $cmd "$src" "${args[@]}" --data "$rdata" --threads "$threads" --seed "$seed" \
            -o "$out/$m-$row-s$seed.onnx" --label "train_table $row seed $seed" >"$log" 2>&1 || true
        line=$(grep '^accuracy on' "$log" || echo "")
        if [ -z "$line" ]; then
            printf '| %s | %s | failed (seed %s): %s | | | |\n' "$m" "$desc" "$seed" "$(tail -1 "$log")"
            return
        fi
        # accuracy on SRC: fp32 F%, knobs one-shot B% (-X pp against fp32), trained A% (-Y pp against fp32)
        fp=$(sed -E 's/.*fp32 ([0-9.]+)%.*/\1/' <<<"$line")
        before=$(sed -E 's/.*(one-shot|untrained) ([0-9.]+)% \(([-+0-9.]+) pp.*/\2 (\3)/' <<<"$line")
        after=$(sed -E 's/.*trained ([0-9.]+)% \(([-+0-9.]+) pp.*/\1 (\2)/' <<<"$line")
        drops+=("$(sed -E 's/.*trained [0-9.]+% \(([-+0-9.]+) pp.*/\1/' <<<"$line")")
    done
    local secs=$((SECONDS - t0))
    if [ ${#drops[@]} -gt 1 ]; then # every seed's drop and their mean
        after="mean $(printf '%s\n' "${drops[@]}" | awk '{s += $1} END {printf "%+.2f", s / NR}') pp (seeds ${seeds//,//}: $(
            IFS=/; echo "${drops[*]}" | sed 's#/# / #g'))"
    fi
    printf '| %s | %s | %s | %s | %s | %d s |\n' "$m" "$desc" "$fp" "$before" "$after" "$secs"
}

echo "| model | knobs, training | fp32 % | before: % (pp against fp32) | trained: % (pp against fp32) | wall time |"
echo "|---|---|---|---|---|---|"
IFS=, read -ra ms <<<"$models"
IFS=, read -ra rs <<<"$rows"
for m in "${ms[@]}"; do
    for r in "${rs[@]}"; do
        run_row "$m" "$r"
    done
done
echo
echo "evaluation: each model's whole fixtures/models/<name>.eval/ (2,000 labelled Fashion-MNIST test images);"
echo "training data: $data (10,000 training images; ch50x60k: $out/train60k, 60,000), no labels used; threads $threads; seeds $seeds; logs in $out"
