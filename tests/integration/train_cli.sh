#!/usr/bin/env bash
# train_cli.sh: `edgetune finetune` and `edgetune distill` through the real binary, a few steps each (the full
# trainings are benchmarks: tests/bench/train_table.sh). Training data: the 256 Fashion-MNIST training images of
# fixtures/models/fmnist_resnet.calib/ (no labels), evaluation on a 100-image subset of fmnist_resnet.eval/.
#   - finetune with gradual pruning writes a file that edgetune loads, stores an 'ok' run whose `runs` config
#     says "finetune 2 ep" and whose `show` (text and JSON) holds the lineage: parent, output and its sha256
#     (equal to the file's), data set and per-epoch lines;
#   - finetune --recover full starts training from the compensated weights (one step at a tiny rate keeps the
#     recovered accuracy, far above what magnitude channel pruning leaves);
#   - finetune --feature-kd pairs the convolutions and trains; distill with --feature-kd exits 2 with one line;
#   - distill (fmnist_mbv2 as the student of fmnist_resnet) stores the student in the lineage;
#   - gradual unstructured pruning says how ERK shared the ratio out; --prune-end 0.3 of 3 epochs reaches the
#     ratio within the first epoch (the default, 2/3 of the steps, does not);
#   - SIGINT after the first epoch: exit 1, one line naming --resume, the run 'aborted', the checkpoint kept;
#     --resume continues from it and finishes (epoch 3 of 3, "resuming from"), and its lineage names the aborted
#     run (show: "resumed from run UUID", show --json: resumed_from);
#   - SIGKILL: the next database open marks the run aborted; --resume finishes it, resumed from the killed run;
#   - bad usage (no --data, a missing data folder, --resume without a checkpoint, gradual without --prune or with
#     --recover, a student with other outputs, a model given twice, -o naming the student) exits 2 with one line,
#     stores nothing and leaves the files alone.
# Usage: train_cli.sh EDGETUNE
set -u
ET=$1
SRC=${ET_SOURCE_DIR:?}
M=$SRC/fixtures/models
. "$(dirname "$0")/lib.sh"
et_scratch
DATA=$M/fmnist_resnet.calib
common=(--data "$DATA" --eval-limit 100 --batch 16 --threads 1)

# --- finetune, gradual pruning: file, run, lineage ------------------------------------------------------------
expect 0 "$ET" finetune "$M/fmnist_resnet.onnx" --prune 0.5 --schedule gradual --epochs 2 "${common[@]}" -o ft.onnx
check grep -q "^epoch 2/2: loss" out.txt
check grep -q "^accuracy on .*fp32 .*knobs one-shot .*trained " out.txt
check grep -q "^saved as run 1 (ok)" out.txt
check grep -q "gradual pruning shares 50 % out over .* layers by Erdos-Renyi-kernel allocation" out.txt err.txt
check test -s ft.onnx
expect 0 "$ET" info ft.onnx
expect 0 "$ET" runs
check grep -q "finetune 2 ep" out.txt
expect 0 "$ET" show 1
check grep -q "^training .*finetune, 2 of 2 epochs, batch 16, gradual schedule" out.txt
check grep -q "parent: $M/fmnist_resnet.onnx" out.txt
check grep -q "output: ft.onnx (sha256 $(sha256sum ft.onnx | cut -c1-16))" out.txt
check grep -q "data: $DATA, 256 samples" out.txt
check grep -q "epoch 2: loss .*sparsity 50.0 %" out.txt
expect 0 "$ET" show 1 --json
if [ -x /usr/bin/python3 ]; then
    check /usr/bin/python3 -c '
import json, sys, hashlib
t = json.load(open("out.txt"))["training"]
assert t["kind"] == "finetune" and t["epochs_completed"] == 2 and len(t["epoch"]) == 2, t
assert t["output_sha256"] == hashlib.sha256(open("ft.onnx", "rb").read()).hexdigest(), t["output_sha256"]
assert t["data_samples"] == 256 and not t["data_labels"]
assert 0 <= t["accuracy_after"] <= 1 and 0 <= t["accuracy_fp32"] <= 1
'
fi

# --- finetune --recover: training starts from the compensated weights --------------------------------------------
# 50 % channel pruning by magnitude leaves fmnist_resnet near chance (~10 %); with --recover full it keeps > 60 %.
# One step at a tiny rate must end where it started: the trained accuracy is the recovered one, not chance.
expect 0 "$ET" finetune "$M/fmnist_resnet.onnx" --prune 0.5 --prune-method channel --recover full --epochs 1 \
    "${common[@]}" --data-limit 16 --lr 1e-6 --no-save -o rc.onnx
acc() { sed -nE "s/^accuracy on .*$1 ([0-9.]+)% .*/\1/p" out.txt | sed -E 's/ .*//'; }
check awk -v b="$(acc 'knobs one-shot')" -v a="$(sed -nE 's/^accuracy on .*trained ([0-9.]+)%.*/\1/p' out.txt)" \
    'BEGIN { exit !(b > 60 && a > 60 && a - b < 5 && b - a < 5) }'

# --- finetune --feature-kd: the convolutions paired and trained; distill refuses it (exit 2) -------------------
expect 0 "$ET" finetune "$M/fmnist_resnet.onnx" --prune 0.5 --schedule gradual --epochs 1 "${common[@]}" \
    --data-limit 32 --feature-kd 3 --no-save -o fk.onnx
check grep -q "feature distillation: the outputs of [1-9][0-9]* convolutions pulled toward" out.txt err.txt
check grep -q "^epoch 1/1: loss" out.txt
expect 2 "$ET" distill "$M/fmnist_resnet.onnx" "$M/fmnist_mbv2.onnx" --epochs 1 "${common[@]}" --data-limit 16 \
    --feature-kd 1 --no-save -o fk2.onnx
check grep -q "feature-kd needs finetune" err.txt
check test ! -e fk2.onnx

# --- finetune --prune-end: where the gradual schedule reaches the ratio ----------------------------------------
expect 0 "$ET" finetune "$M/fmnist_resnet.onnx" --prune 0.5 --schedule gradual --epochs 3 "${common[@]}" \
    --data-limit 32 --eval-limit 16 --prune-end 0.3 --no-save -o pe.onnx
check grep -q "^epoch 1/3: .*sparsity 50.0%" out.txt
expect 0 "$ET" finetune "$M/fmnist_resnet.onnx" --prune 0.5 --schedule gradual --epochs 3 "${common[@]}" \
    --data-limit 32 --eval-limit 16 --no-save -o pe.onnx
check grep -q "^epoch 1/3: .*sparsity [1-4][0-9].[0-9]%" out.txt

# --- distill: the student in the lineage -----------------------------------------------------------------------
expect 0 "$ET" distill "$M/fmnist_resnet.onnx" "$M/fmnist_mbv2.onnx" --epochs 1 "${common[@]}" -o st.onnx
check grep -q "^epoch 1/1: loss" out.txt
check grep -q "student untrained .*trained " out.txt
check test -s st.onnx
expect 0 "$ET" show last
check grep -q "^training .*distill, 1 of 1 epochs" out.txt
check grep -q "student: $M/fmnist_mbv2.onnx (sha256 " out.txt
check grep -q "teacher: $M/fmnist_resnet.onnx" out.txt

# --- SIGINT: aborted, checkpoint kept, --resume finishes --------------------------------------------------------
run_until_epoch1() { # signal, then args: starts the command, sends the signal once epoch 1 is printed and its
    local sig=$1; shift # checkpoint (renamed into place whole) is there
    rm -f ab.onnx.ckpt
    "$@" >out.txt 2>err.txt &
    local pid=$! i
    for i in $(seq 600); do grep -q "^epoch 1/3" out.txt && [ -e ab.onnx.ckpt ] && break; sleep 0.1; done
    kill "-$sig" "$pid" 2>/dev/null
    wait "$pid"
}
ft3=("$ET" finetune "$M/fmnist_resnet.onnx" --prune 0.5 --epochs 3 "${common[@]}" --batch 4 -o ab.onnx)
run_until_epoch1 INT "${ft3[@]}"
rc=$?
if [ "$rc" = 1 ]; then ok; else bad "SIGINT: exit $rc (want 1) -- $(cat err.txt)"; fi
check grep -q "run the same command with --resume" err.txt
check test -s ab.onnx.ckpt
check test ! -e ab.onnx
expect 0 "$ET" show last
check grep -q "^status .*aborted" out.txt
last_uuid() { "$ET" show last --json | grep -o '"uuid": *"[^"]*"' | head -1 | sed 's/.*"\([^"]*\)"$/\1/'; }
aborted_uuid=$(last_uuid)
expect 0 "${ft3[@]}" --resume
check grep -q "resuming from ab.onnx.ckpt: [12] of 3 epochs done, step [0-9]*, trained by run $aborted_uuid" err.txt
check grep -q "^epoch 3/3: loss" out.txt
check test -s ab.onnx
resumed_from() { # the run's lineage: show's line and show --json's field must both name the aborted run
    expect 0 "$ET" show last
    check grep -q "resumed from run $1" out.txt
    expect 0 "$ET" show last --json
    check grep -q "\"resumed_from\": *\"$1\"" out.txt
}
check test -n "$aborted_uuid"
resumed_from "$aborted_uuid"

# --- SIGKILL: the next open marks the run aborted; --resume finishes --------------------------------------------
rm -f ab.onnx ab.onnx.ckpt
run_until_epoch1 KILL "${ft3[@]}" 2>/dev/null # bash reports the kill
expect 0 "$ET" runs --limit 1
check grep -q " aborted" out.txt
killed_uuid=$(last_uuid)
expect 0 "${ft3[@]}" --resume
check grep -q "^epoch 3/3: loss" out.txt
check test "$killed_uuid" != "$aborted_uuid"
resumed_from "$killed_uuid"

# --- bad usage: exit 2, one line, nothing stored -------------------------------------------------------------
n_before=$("$ET" runs --format csv | wc -l)
expect 2 "$ET" finetune "$M/fmnist_resnet.onnx" -o x.onnx
expect 2 "$ET" finetune "$M/fmnist_resnet.onnx" --data "$dir/no-such-folder" -o x.onnx
expect 2 "$ET" finetune "$M/fmnist_resnet.onnx" --data "$DATA" -o fresh.onnx --resume
expect 2 "$ET" finetune "$M/fmnist_resnet.onnx" --data "$DATA" -o x.onnx --schedule gradual
expect 2 "$ET" finetune "$M/fmnist_resnet.onnx" --data "$DATA" -o x.onnx --prune 0.8 --schedule gradual --recover full
expect 2 "$ET" finetune "$M/fmnist_resnet.onnx" --data "$DATA" -o x.onnx --prune 0.8 --prune-end 0.5
expect 2 "$ET" finetune "$M/fmnist_resnet.onnx" --data "$DATA" --epochs 0 -o x.onnx
expect 2 "$ET" finetune "$M/fmnist_resnet.onnx" "$M/fmnist_mbv2.onnx" --data "$DATA" -o x.onnx
expect 2 "$ET" distill "$M/fmnist_resnet.onnx" --data "$DATA" -o x.onnx
expect 2 "$ET" distill "$M/fmnist_resnet.onnx" "$M/digits.onnx" --data "$DATA" -o x.onnx
cp "$M/fmnist_mbv2.onnx" student.onnx
expect 2 "$ET" distill "$M/fmnist_resnet.onnx" student.onnx --data "$DATA" -o student.onnx
check cmp -s student.onnx "$M/fmnist_mbv2.onnx"
n_after=$("$ET" runs --format csv | wc -l)
if [ "$n_before" = "$n_after" ]; then ok; else bad "bad usage stored runs ($n_before -> $n_after lines)"; fi
check test ! -e x.onnx

et_finish train_cli
