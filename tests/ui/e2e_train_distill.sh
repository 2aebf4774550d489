#!/usr/bin/env bash
# e2e_train_distill.sh BINARY: distill in the training view, in tmux at 80x24. The workbench opens a copy of
# fmnist_resnet (the teacher), evaluated on 100 of its labelled test images, with 200 of its calibration images as
# the training data (`tui --data`), in a fresh database:
#   1. T, the 'train' row turned to distill, a student whose inputs and outputs differ (digits.onnx) is refused in
#      the form with one line naming it (et_train_job_check on the real files), nothing stored;
#   2. fmnist_mbv2.onnx as the student (the fixture the CLI test distills into too): one epoch (4 steps of 64)
#      finishes with the untrained student's accuracy beside the trained one's, writes teacher-trained.onnx and
#      stores a distill run naming the student and the teacher;
#   3. Enter opens the trained student in the workbench, measured with accuracy on the teacher's evaluation set.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/e2e_lib.sh"
e2e_init "$1"
M=$E2E_SRC/fixtures/models
e2e_train_copy fmnist_resnet teacher data 200
cd "$E2E_DIR" || e2e_fail "cd $E2E_DIR"
envs=(LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color)
args=("$E2E_DIR/teacher.onnx" --data "$E2E_DIR/data" --eval "$M/fmnist_resnet.eval" --eval-limit 100
    --calib "$M/fmnist_resnet.calib" --seconds 0.5 --min-seconds 0.2 --no-profilers --threads 1)
e2e_start 80 24 "${envs[@]}" -- "${args[@]}"
e2e_wait "edgetune +teacher.onnx" 30

# 1. distill, a student with other inputs and outputs: refused in the form
e2e_keys T
e2e_wait "data +$E2E_DIR/data" 5
e2e_keys Up Right # data -> train (the student row is skipped while fine-tuning): distill
e2e_wait "train +distill into a student" 5
e2e_keys Down
e2e_keys -l "$M/digits.onnx"
e2e_keys Enter
# the line wraps in the form: read it with the lines joined and the frame removed
joined() { e2e_screen | sed 's/│//g' | tr '\n' ' ' | tr -s ' '; }
want="the student $M/digits.onnx: its input 0 is 1x1x8x8, the teacher's 1x1x28x28; distillation needs the same inputs and outputs"
end=$(($(now_ms) + 30000))
until joined | grep -qF -- "$want"; do
    [ "$(now_ms)" -gt "$end" ] && e2e_fail "the form does not refuse digits.onnx with: $want"
    sleep 0.1
done
[ "$(e2e_sql "SELECT count(*) FROM runs WHERE id IN (SELECT run_id FROM train_runs)")" = 0 ] ||
    e2e_fail "a refused student stored a training run"

# 2. a good student: one epoch
e2e_keys C-u
e2e_keys -l "$M/fmnist_mbv2.onnx"
e2e_keys Enter
e2e_wait "distilling teacher.onnx into fmnist_mbv2" 10
e2e_wait "done in [0-9.]+ s: wrote teacher-trained.onnx, stored as run [0-9]+" 180
screen=$(e2e_screen)
run=$(echo "$screen" | sed -nE 's/.*stored as run ([0-9]+).*/\1/p' | head -n 1)
echo "$screen" | grep -qE "student untrained [0-9.]+ % \([-+][0-9.]+ pp\)" || e2e_fail "no untrained student accuracy"
echo "$screen" | grep -qE "trained [0-9.]+ % \([-+][0-9.]+ pp\)" || e2e_fail "no trained accuracy"
[ -s teacher-trained.onnx ] || e2e_fail "teacher-trained.onnx was not written"
[ "$(e2e_sql "SELECT kind FROM train_runs WHERE run_id = $run")" = distill ] || e2e_fail "run $run is not a distill run"
[ "$(e2e_sql "SELECT student_path FROM train_runs WHERE run_id = $run")" = "$M/fmnist_mbv2.onnx" ] ||
    e2e_fail "run $run does not name the student"
[ "$(e2e_sql "SELECT parent_path FROM train_runs WHERE run_id = $run")" = "$E2E_DIR/teacher.onnx" ] ||
    e2e_fail "run $run does not name the teacher"
[ "$(e2e_sql "SELECT status FROM runs WHERE id = $run")" = ok ] || e2e_fail "run $run is not 'ok'"

# 3. the trained student opens in the workbench
e2e_keys Enter
e2e_wait "opened the trained teacher-trained.onnx" 10
e2e_wait "accuracy +[0-9.]+ %" 60
e2e_quit_clean
echo "ok: a mismatched student refused in the form; fmnist_mbv2 distilled from fmnist_resnet on 200 images as run $run"
