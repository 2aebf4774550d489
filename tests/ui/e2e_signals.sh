#!/usr/bin/env bash
# e2e_signals.sh BINARY: the ways out besides q, each while a measurement is in flight: the SSH session drops
# (the terminal closes: SIGHUP), SIGTERM, and Ctrl-C (SIGINT). Each time the database must be consistent: the
# measurement in flight stored as 'aborted' (never left 'running'), earlier runs intact; the exit code 1 after
# SIGTERM and 0 after Ctrl-C, and the terminal restored (the goodbye line shows on the plain terminal).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/e2e_lib.sh"
e2e_init "$1"
envs=(LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color)

# starts the workbench with a measurement that lasts at least 60 s, and waits until it is under way
start_measuring() {
    e2e_start 80 24 "${envs[@]}" -- "$E2E_MODEL" --min-seconds 60 --no-fidelity
    e2e_wait "measuring [0-9.]+ s: [1-9][0-9]* iters" 60
}

aborted() { e2e_sql "SELECT count(*) FROM runs WHERE status = 'aborted'"; }
running() { e2e_sql "SELECT count(*) FROM runs WHERE status = 'running'"; }

# 0. one completed run that must survive everything below
e2e_start 80 24 "${envs[@]}" -- "$E2E_MODEL" --seconds 1
e2e_wait "settled: stored as run 1" 60
e2e_keys q
[ "$(e2e_exit_code 20)" = 0 ] || e2e_fail "q did not quit cleanly"
e2e_kill

# 1. the terminal goes away (a dropped SSH session): SIGHUP
start_measuring
pid=$E2E_PID
e2e_kill
t0=$(now_ms)
while kill -0 "$pid" 2>/dev/null; do
    [ $(($(now_ms) - t0)) -gt 20000 ] && e2e_fail "still running 20 s after SIGHUP"
    sleep 0.05
done
[ "$(aborted)" = 1 ] || e2e_fail "after SIGHUP: $(aborted) aborted runs, expected 1"
[ "$(running)" = 0 ] || e2e_fail "after SIGHUP: a run was left 'running'"
[ "$(e2e_sql "SELECT min(iters) > 0 FROM runs WHERE status = 'aborted'")" = 1 ] ||
    e2e_fail "the aborted run kept none of its iterations"

# 2. SIGTERM: exit code 1, the terminal restored, the reason on stderr
start_measuring
kill -TERM "$E2E_PID"
code=$(e2e_exit_code 20)
[ "$code" = 1 ] || e2e_fail "exit code $code after SIGTERM, expected 1"
e2e_wait "stopped by SIGTERM" 5
[ "$(aborted)" = 2 ] || e2e_fail "after SIGTERM: $(aborted) aborted runs, expected 2"
[ "$(running)" = 0 ] || e2e_fail "after SIGTERM: a run was left 'running'"
e2e_kill

# 3. Ctrl-C: a way to quit like q (exit code 0), the measurement in flight stored as aborted
start_measuring
e2e_keys C-c
code=$(e2e_exit_code 20)
[ "$code" = 0 ] || e2e_fail "exit code $code after Ctrl-C, expected 0"
[ "$(aborted)" = 3 ] || e2e_fail "after Ctrl-C: $(aborted) aborted runs, expected 3"
[ "$(running)" = 0 ] || e2e_fail "after Ctrl-C: a run was left 'running'"
[ "$(e2e_sql "SELECT count(*) FROM runs WHERE status = 'ok'")" = 1 ] || e2e_fail "the completed run went missing"
sqlite3 "$E2E_DB" "PRAGMA integrity_check" | grep -qx ok || e2e_fail "integrity check failed"
echo "ok"
