#!/usr/bin/env bash
# e2e_resize.sh BINARY: the workbench resized while it runs: 80x24 -> 200x50 (the larger layout, secondary
# metrics appear) -> 60x20 (a clear "terminal too small") -> 80x24 (back, keys still work); and the CPU time the
# idle workbench uses (it sleeps in poll(): no timer, no redraw without a reason).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/e2e_lib.sh"
e2e_init "$1"

e2e_start 80 24 LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=tmux-256color -- "$E2E_MODEL" --seconds 2
e2e_wait "settled: stored as run 1" 60

# idle: nothing changes, so the process should sleep; 5 s of wall time, CPU ticks (1/100 s) used in them
before=$(e2e_cpu_ticks)
t0=$(now_ms)
while [ $(($(now_ms) - t0)) -lt 5000 ]; do sleep 0.5; done
idle_ticks=$(($(e2e_cpu_ticks) - before))
echo "idle: ${idle_ticks} ticks of CPU (1 tick = 10 ms) in 5 s"
[ "$idle_ticks" -le 5 ] || e2e_fail "the idle workbench used ${idle_ticks} ticks (> 1 % of a core) in 5 s"

e2e_resize 200 50
e2e_wait "[│|]p90 +[0-9.]+ ms" 10                 # the comparison lists the secondary metrics on a big screen
e2e_wait "cores\)" 10                        # the whole header fits
[ "$(e2e_screen | awk '{ if (length($0) > m) m = length($0) } END { print m }')" -gt 150 ] ||
    e2e_fail "the screen did not grow to 200 columns"

e2e_resize 60 20
e2e_wait "terminal too small: 60x20" 10
e2e_wait "at least 80x24"

e2e_resize 80 24
e2e_wait "vs baseline: run 1" 10
e2e_wait_gone "too small" 5
e2e_keys 2
e2e_wait "Runs: 1 of 1" 10
e2e_keys 3
e2e_wait "Layers: .* steps" 10
e2e_keys 1 q
code=$(e2e_exit_code 30)
[ "$code" = 0 ] || e2e_fail "exit code $code after q"
echo "ok"
