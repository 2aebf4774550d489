#!/usr/bin/env bash
# e2e_layers.sh BINARY: per-layer knobs from the layers view, in tmux at 100x30 on the demo with a database that
# holds one `edgetune sensitivity` analysis of the fp32 setting: the layers view shows it as a column.
# After the fp32 baseline settles: the layers view (3) in plan order (s), the second step (the first Conv, after
# the layout change), Enter opens its knobs; two steps right take its weight bits 32 -> 16 -> 8, each measured at once; Esc closes; the
# view's last line names the override; the run that settles stores it (runs.layers holds the layer's line); 0 in the
# dialog gives the key back and the next run has no override; q quits with exit 0.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/e2e_lib.sh"
e2e_init "$1"
# a stored sensitivity analysis of the fp32 setting (1 thread, the demo's evaluation set), as the CLI leaves it
demo=$E2E_SRC/fixtures/models/fmnist_demo.onnx
EDGETUNE_DB=$E2E_DB "$E2E_BIN" sensitivity "$demo" --threads 1 --candidates 'bits=4' --iters 2 --warmup 0 \
    >"$E2E_DIR/sens.txt" 2>&1 || e2e_fail "sensitivity: $(tail -n 3 "$E2E_DIR/sens.txt")"
e2e_start 100 30 LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color -- --seconds 1 --threads 1

e2e_wait "settled: stored as run 2" 60
e2e_keys 3
e2e_wait "Layers: " 10
# the analysis of this setting is a column: each weight layer's 4-bit accuracy change
e2e_wait "sensitivity" 10
[ "$(e2e_screen | grep -cE "bits=4 [-+][0-9]+\.[0-9]{2}")" -ge 3 ] ||
    e2e_fail "no stored sensitivity per layer in the layers view: $(e2e_screen | sed -n 3,8p)"
e2e_keys s # plan order: the rows keep their places when a new run re-times them
e2e_wait "sorted by plan order" 5
e2e_keys g Down Enter
if ! e2e_wait "Layer /" 10; then
    e2e_fail "Enter on the second step did not open its knobs: $(e2e_screen | tail -n 1)"
fi
e2e_wait "weight bits +model \\(32 fp32\\)" 5
layer=$(e2e_screen | sed -nE 's/.*Layer (\/[^ ]+) .*/\1/p' | head -n 1)
[ -n "$layer" ] || e2e_fail "no layer name in the dialog's title"
e2e_keys Right
e2e_wait "weight bits +16 fp16" 5
e2e_keys Right
e2e_wait "weight bits +8 " 5
e2e_wait "model: p50 [0-9.]+ ms" 60
e2e_keys Escape
e2e_wait "per-layer: bits 8" 30
e2e_wait "settled: stored as run" 60
n=$(e2e_sql "SELECT count(*) FROM runs WHERE status = 'ok' AND layers = '$layer bits=8' AND weight_bits = 32")
[ "$n" -ge 1 ] || e2e_fail "no settled run stores '$layer bits=8': $(e2e_sql "SELECT id, status, layers FROM runs")"

# the key back to the model: the next run has no override
e2e_keys Enter
e2e_wait "Layer /" 10
e2e_keys 0
e2e_wait "weight bits +model \\(32 fp32\\)" 5
e2e_keys Escape
e2e_wait_gone "per-layer: bits" 30
e2e_quit_clean
echo "ok: $layer at 8 bits from the layers view, stored; back to the model's knobs"
