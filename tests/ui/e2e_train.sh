#!/usr/bin/env bash
# e2e_train.sh BINARY: the training view in tmux at 80x24. A copy of the demo model (fixtures/models/fmnist_demo.onnx)
# with 48 of its calibration images as MODEL.train/ beside it (so the view finds its data by the default rule),
# evaluated on 100 of its labelled test images, in a fresh database:
#   1. the knobs start at 25 % pruning (--prune 0.25); the training starts while the workbench still measures;
#   2. T opens the form with the data folder filled in; Enter starts one epoch (batch 64: one step);
#   3. wait for "done": the screen shows the accuracy of fp32, of the knobs one-shot and trained, the file written
#      and the run stored; the run is in `edgetune runs` (finetune 1 ep) and `show` names the data and the file;
#      `edgetune finetune` with the same settings writes the same file byte for byte (one job, two front ends);
#   4. Enter opens the trained file in the workbench (the header names it), measured on the labelled evaluation
#      set it was trained against (accuracy shows);
#   5. a second start with 30 epochs is cancelled with c: the run is stored aborted, the checkpoint kept; q quits
#      with exit code 0 and no run is left 'running'.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/e2e_lib.sh"
e2e_init "$1"
M=$E2E_SRC/fixtures/models
e2e_train_copy fmnist_demo demo demo.train 48
cd "$E2E_DIR" || e2e_fail "cd $E2E_DIR"
envs=(LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color)
args=("$E2E_DIR/demo.onnx" --prune 0.25 --eval "$M/fmnist_demo.eval" --eval-limit 100 --calib "$M/fmnist_demo.calib"
    --seconds 0.5 --min-seconds 0.2 --no-profilers --threads 1)

# 1. the knobs start at 25 % pruning; the training starts while the workbench measures (they share the core)
e2e_start 80 24 "${envs[@]}" -- "${args[@]}"
e2e_wait "prune ratio .* 25 %" 30
e2e_wait "edgetune +demo.onnx" 30 # the header names the model once the session is open

# 2. the form, with the data found beside the model; one epoch
e2e_keys T
e2e_wait "data +$E2E_DIR/demo.train" 5
e2e_screen | grep -qE "write to +demo-trained.onnx" || e2e_fail "the output is not demo-trained.onnx by default"
t0=$(now_ms)
e2e_keys Enter
e2e_wait "done in [0-9.]+ s: wrote demo-trained.onnx, stored as run [0-9]+" 90
took=$(($(now_ms) - t0))
screen=$(e2e_screen)
run=$(echo "$screen" | sed -nE 's/.*stored as run ([0-9]+).*/\1/p' | head -n 1)
echo "$screen" | grep -qE "fp32 [0-9.]+ % +knobs one-shot [0-9.]+ % \([-+][0-9.]+ pp\)" ||
    e2e_fail "no fp32 and one-shot accuracy on the screen"
echo "$screen" | grep -qE "trained [0-9.]+ % \([-+][0-9.]+ pp\)" || e2e_fail "no trained accuracy on the screen"
echo "$screen" | grep -qE "^ +│ +1 +[0-9.]+ +[0-9.]+ %" || e2e_fail "no row for epoch 1"
[ -s demo-trained.onnx ] || e2e_fail "demo-trained.onnx was not written"
[ -s demo-trained.onnx.ckpt ] || e2e_fail "no checkpoint demo-trained.onnx.ckpt"

# 3. stored: runs and show see it, as a finetune run with its data and file
EDGETUNE_DB=$E2E_DB "$E2E_BIN" runs >runs.txt 2>&1 || e2e_fail "edgetune runs: $(cat runs.txt)"
grep -q "finetune 1 ep" runs.txt || e2e_fail "the training run is not in edgetune runs: $(cat runs.txt)"
EDGETUNE_DB=$E2E_DB "$E2E_BIN" show "$run" >show.txt 2>&1 || e2e_fail "edgetune show $run: $(cat show.txt)"
grep -q "data: $E2E_DIR/demo.train, 48 samples" show.txt || e2e_fail "show $run does not name the data: $(cat show.txt)"
grep -q "output: demo-trained.onnx" show.txt || e2e_fail "show $run does not name the file: $(cat show.txt)"
[ "$(e2e_sql "SELECT status FROM runs WHERE id = $run")" = ok ] || e2e_fail "run $run is not 'ok'"
# the same job as `edgetune finetune` with the same settings: byte for byte the same file
"$E2E_BIN" finetune demo.onnx --prune 0.25 --data demo.train --eval "$M/fmnist_demo.eval" --eval-limit 100 \
    --calib "$M/fmnist_demo.calib" --threads 1 --no-save -o cli.onnx >cli.txt 2>&1 || e2e_fail "finetune: $(cat cli.txt)"
[ "$(sha256sum <cli.onnx)" = "$(sha256sum <demo-trained.onnx)" ] ||
    e2e_fail "the training view and edgetune finetune with the same settings wrote different files"

# 4. open the trained file
e2e_keys Enter
e2e_wait "opened the trained demo-trained.onnx" 10
# measured on the evaluation set of the model it came from: accuracy with labels, not "no labels"
e2e_wait "accuracy +[0-9.]+ %" 60

# 5. a long training, cancelled
e2e_keys T
e2e_wait "write to +demo-trained.onnx" 5
e2e_keys Down Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right
e2e_wait "epochs +30" 5
e2e_keys Down Down Down C-u
e2e_keys -l "long.onnx"
e2e_keys Enter
e2e_wait "epoch [0-9]+/30" 60
e2e_keys c
e2e_wait "cancelled \(run [0-9]+ aborted\); checkpoint kept: long.onnx.ckpt" 60
[ -s long.onnx.ckpt ] || e2e_fail "the cancelled training left no checkpoint"
[ "$(e2e_sql "SELECT count(*) FROM runs WHERE status = 'aborted'")" -ge 1 ] || e2e_fail "the cancelled run is not stored aborted"
e2e_keys Escape
e2e_wait_gone "Train" 5
e2e_quit_clean
echo "ok: one epoch over 48 images trained, measured and stored in ${took} ms (from Enter to the screen)"
