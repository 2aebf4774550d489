#!/usr/bin/env bash
# e2e_train_resume.sh BINARY: resume in the training view, in tmux at 80x24. The demo model with 48 of its
# calibration images as MODEL.train/ (as e2e_train.sh), evaluated on 100 labelled test images, a fresh database:
#   1. the form's 'start' row says there is no checkpoint for res.onnx; 12 epochs start, and are cancelled with c
#      after epoch 3: the run is stored aborted, the checkpoint kept, and the view offers r;
#   2. r resumes from the checkpoint in the view: it finishes, writes res.onnx and names the aborted run on the
#      screen; in the database exactly one run is aborted and exactly one names it (train_runs.resumed_from) as
#      its parent, and that one is 'ok';
#   3. the form again: the checkpoint now exists, so its 'start' row is live; turned to resume with 13 epochs
#      instead of 12, the job refuses the checkpoint (made for other settings) with its one line, nothing stored.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/e2e_lib.sh"
e2e_init "$1"
M=$E2E_SRC/fixtures/models
e2e_train_copy fmnist_demo demo demo.train 48
cd "$E2E_DIR" || e2e_fail "cd $E2E_DIR"
envs=(LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color)
args=("$E2E_DIR/demo.onnx" --prune 0.25 --eval "$M/fmnist_demo.eval" --eval-limit 100 --calib "$M/fmnist_demo.calib"
    --seconds 0.5 --min-seconds 0.2 --no-profilers --threads 1)
e2e_start 80 24 "${envs[@]}" -- "${args[@]}"
e2e_wait "edgetune +demo.onnx" 30

# 1. 12 epochs to res.onnx, cancelled after the third
e2e_keys T
e2e_wait "data +$E2E_DIR/demo.train" 5
e2e_keys Down Right Right Right Right Right Right Right Right Right Right Right
e2e_wait "epochs +12" 5
e2e_keys Down Down Down C-u
e2e_keys -l "res.onnx"
e2e_wait "start +from scratch \(no checkpoint res.onnx.ckpt\)" 5
e2e_keys Enter
e2e_wait "epoch ([3-9]|1[0-2])/12" 60
e2e_keys c
e2e_wait "cancelled \(run [0-9]+ aborted\); checkpoint kept: res.onnx.ckpt|done in" 60
screen=$(e2e_screen)
echo "$screen" | grep -q "done in" && e2e_fail "the training finished before c cancelled it"
aborted=$(echo "$screen" | sed -nE 's/.*cancelled \(run ([0-9]+) aborted\).*/\1/p' | head -n 1)
[ -s res.onnx.ckpt ] || e2e_fail "the cancelled training left no checkpoint"
[ ! -e res.onnx ] || e2e_fail "a cancelled training wrote res.onnx"
e2e_wait "r: resume from the checkpoint" 5
[ "$(e2e_sql "SELECT status FROM runs WHERE id = $aborted")" = aborted ] || e2e_fail "run $aborted is not aborted"
uuid=$(e2e_sql "SELECT uuid FROM runs WHERE id = $aborted")

# 2. r: the same job from the checkpoint
e2e_keys r
e2e_wait "done in [0-9.]+ s: wrote res.onnx, stored as run [0-9]+" 120
screen=$(e2e_screen)
resumed=$(echo "$screen" | sed -nE 's/.*stored as run ([0-9]+).*/\1/p' | head -n 1)
echo "$screen" | grep -q "continues run ${uuid:0:8} from its checkpoint" || e2e_fail "the screen does not name run ${uuid:0:8}"
echo "$screen" | grep -q "resumed: fine-tuning demo.onnx" || e2e_fail "the title does not say the job was resumed"
[ -s res.onnx ] || e2e_fail "res.onnx was not written"
[ "$(e2e_sql "SELECT count(*) FROM runs WHERE status = 'aborted'")" = 1 ] || e2e_fail "not exactly one aborted run"
[ "$(e2e_sql "SELECT count(*) FROM train_runs WHERE resumed_from = '$uuid'")" = 1 ] ||
    e2e_fail "not exactly one run names the aborted one ($uuid) as its parent"
[ "$(e2e_sql "SELECT run_id FROM train_runs WHERE resumed_from = '$uuid'")" = "$resumed" ] ||
    e2e_fail "the run naming $uuid is not run $resumed"
[ "$(e2e_sql "SELECT status FROM runs WHERE id = $resumed")" = ok ] || e2e_fail "the resumed run $resumed is not ok"
EDGETUNE_DB=$E2E_DB "$E2E_BIN" show "$resumed" >show.txt 2>&1 || e2e_fail "show $resumed: $(cat show.txt)"
grep -q "resumed from run $uuid" show.txt || e2e_fail "show $resumed does not name its parent: $(cat show.txt)"

# 3. the form offers the checkpoint; with other settings (13 epochs) the job refuses it
e2e_keys Escape
e2e_wait_gone "Train" 5
e2e_keys T
e2e_wait "start +from scratch \(replacing the checkpoint res.onnx.ckpt\)" 5
n_runs=$(e2e_sql "SELECT count(*) FROM runs")
e2e_keys Up Up Up Right # the form kept its row (write to): rate, schedule, epochs: 13
e2e_wait "epochs +13" 5
e2e_keys Down Down Down Down Right # schedule, rate, write to, start (live now): resume
e2e_wait "start +resume from the checkpoint res.onnx.ckpt" 5
e2e_keys Enter
e2e_wait "checkpoint res.onnx.ckpt was made for other settings" 60
[ "$(e2e_sql "SELECT count(*) FROM runs")" = "$n_runs" ] || e2e_fail "a refused resume stored a run"
e2e_keys Escape
e2e_wait_gone "Train" 5
e2e_quit_clean
echo "ok: cancelled run $aborted, resumed in the view as run $resumed (its parent $uuid); a resume with other settings refused"
