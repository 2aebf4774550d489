#!/usr/bin/env bash
# e2e_workbench.sh BINARY [utf8|vt100]: the workbench's main scenario in tmux at 80x24 with the demo model and a
# fresh database: wait for the fp32 baseline, set weight bits to 8 and pruning to 30 % with the arrow keys, wait
# for the new numbers, check that the screen shows both runs with deltas, quit with q, and check that the
# database holds both runs. `utf8` runs with LANG=C.UTF-8 TERM=xterm-256color, `vt100` with LANG=C TERM=vt100
# (and then the screen must be pure ASCII).
#
# If the 8-bit, 30 % pruned setting does not run ("n/a for these knobs"), the test fails and prints the reason
# the screen gives: tuning is part of every build, so that is a bug, never a reason to skip.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/e2e_lib.sh"
e2e_init "$1"
variant=${2:-utf8}
case "$variant" in
utf8) envs=(LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color) ;;
vt100) envs=(LANG=C LC_ALL=C TERM=vt100) ;;
*) e2e_fail "unknown variant $variant" ;;
esac

e2e_start 80 24 "${envs[@]}" -- "$E2E_MODEL" --seconds 2

# 1. the baseline: fp32 measured first and stored as run 1
e2e_wait "settled: stored as run 1" 60
e2e_wait "vs baseline: run 1"
e2e_screen | grep -qE "p50 +[0-9.]+ ms" || e2e_fail "no p50 latency on the screen"

# 2. weight bits 32 -> 16 -> 8, then prune ratio 0 -> 30 % (down to its row, six steps of 5 %)
t0=$(now_ms)
e2e_keys Right
e2e_wait "weight bits .* 16 fp16" 5
ack_ms=$(($(now_ms) - t0))
e2e_keys Right Down Down Down Down Right Right Right Right Right Right
e2e_wait "prune ratio .* 30 %" 10
e2e_wait "Live: w8 a32 channel sym, prune 30% unstructured" 10

# 3. the new numbers beside the baseline (tuning failing is a failure, with the reason the screen gives)
e2e_wait "settled: stored as run [0-9]+|n/a for these knobs" 120
screen=$(e2e_screen)
if echo "$screen" | grep -q "n/a for these knobs"; then
    why=$(echo "$screen" | grep -oE "n/a: .*" | head -n 1)
    e2e_fail "8-bit weights with 30 % pruning did not run: ${why:-the screen gives no reason}"
fi
echo "$screen" | grep -qE "p50 +[0-9.]+ ms +[0-9.]+ ms +[-+][0-9.]+ ms" ||
    e2e_fail "the p50 row does not show baseline, current and a signed delta"
# a ratio, or (when the two runs' latencies do not differ significantly) the test's "same"
echo "$screen" | grep -qE "[0-9.]+x (faster|slower)|= same" || e2e_fail "no speed ratio or verdict against the baseline"
echo "$screen" | grep -qE "[0-9.]+x (smaller|larger)" || e2e_fail "no size ratio against the baseline"
if [ "$variant" = vt100 ]; then
    e2e_screen | LC_ALL=C grep -q '[^ -~]' && e2e_fail "non-ASCII characters on a vt100 in the C locale"
    e2e_screen | grep -q "^+ Knobs -" || e2e_fail "no ASCII frame"
fi

# 4. quit: exit code 0, terminal back (the shell's prompt is not ours to check), runs in the database
e2e_keys q
code=$(e2e_exit_code 30)
[ "$code" = 0 ] || e2e_fail "exit code $code after q"
[ "$(e2e_sql "SELECT count(*) FROM runs WHERE status = 'running'")" = 0 ] || e2e_fail "a run was left 'running'"
[ "$(e2e_sql "SELECT count(*) FROM runs WHERE weight_bits = 32 AND act_bits = 32 AND prune_ratio = 0 AND status = 'ok'")" -ge 1 ] ||
    e2e_fail "the fp32 baseline is not in the database"
echo "key acknowledged on screen after ${ack_ms} ms (send-keys to capture-pane, polled every 50 ms)"
[ "$(e2e_sql "SELECT count(*) FROM runs WHERE weight_bits = 8 AND abs(prune_ratio - 0.3) < 0.001 AND status = 'ok'")" -ge 1 ] ||
    e2e_fail "the 8-bit, 30 % pruned run is not in the database"
echo "ok: $variant"
