# e2e_lib.sh: helpers for the tmux end-to-end tests (sourced). The binary runs in a tmux session on a private
# socket (the user's tmux server is never touched) with a fresh database; the tests drive it with send-keys and
# read the screen with capture-pane, polling with a deadline instead of sleeping a fixed time.
#
#   e2e_init BINARY                      temp dir, socket, skip (77) without tmux or sqlite3
#   e2e_start W H "ENV=..." -- ARGS...   starts `env ENV... BINARY ARGS...` in a W x H session
#   e2e_wait REGEX [SECONDS]             until the screen matches (extended regex); fails with the screen
#   e2e_wait_gone REGEX [SECONDS]        until it no longer matches
#   e2e_keys KEY...                      tmux send-keys
#   e2e_exit_code [SECONDS]              waits for the program to end, prints its exit code
#   e2e_sql "SELECT ..."                 sqlite3 on the test database
#   e2e_kill, e2e_resize W H             end the session (SIGHUP to the program), resize it
#   e2e_train_copy FIXTURE NAME DIR N    fixtures/models/FIXTURE.onnx as $E2E_DIR/NAME.onnx and the first N of
#                                        its calibration images in $E2E_DIR/DIR/ (training data for the view)
set -u

e2e_fail() {
    echo "FAIL: $*" >&2
    if [ -n "${E2E_SOCK:-}" ] && tmux -S "$E2E_SOCK" has-session -t "${E2E_S:-et0}" 2>/dev/null; then
        echo "--- screen ---" >&2
        tmux -S "$E2E_SOCK" capture-pane -p -t "$E2E_S" >&2
        echo "--------------" >&2
    fi
    exit 1
}

e2e_cleanup() {
    [ -n "${E2E_SOCK:-}" ] && tmux -S "$E2E_SOCK" kill-server 2>/dev/null
    [ -n "${E2E_DIR:-}" ] && rm -rf "$E2E_DIR"
    return 0
}

e2e_init() {
    E2E_BIN=$1
    command -v tmux >/dev/null || { echo "skipped: tmux is not installed (./build.sh deps test)"; exit 77; }
    command -v sqlite3 >/dev/null || { echo "skipped: sqlite3 is not installed"; exit 77; }
    E2E_SRC=${ET_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
    E2E_DIR=$(mktemp -d /tmp/et-e2e.XXXXXX)
    E2E_SOCK=$E2E_DIR/tmux.sock
    E2E_DB=$E2E_DIR/runs.db
    E2E_MODEL=$E2E_SRC/fixtures/models/demo.onnx
    trap e2e_cleanup EXIT
    # one server for the whole test, kept alive by a session of its own: killing a test's session must not
    # race with the server shutting down while the next session starts
    tmux -S "$E2E_SOCK" -u new-session -d -s keep -x 80 -y 24 "sleep 100000" || e2e_fail "cannot start tmux"
    E2E_N=0
    E2E_S=et0
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# e2e_start W H [VAR=VALUE...] -- [ARGS...]
e2e_start() {
    local w=$1 h=$2
    shift 2
    local envs=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        envs+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    local args
    args=$(printf ' %q' "$@")
    local envq
    envq=$(printf ' %q' "${envs[@]}")
    # the inner sh execs the binary, so its pid is edgetune's; the outer one records the exit code
    local cmd="sh -c 'echo \$\$ > $E2E_DIR/pid; exec env EDGETUNE_DB=$E2E_DB$envq $E2E_BIN$args'; echo \$? > $E2E_DIR/exit; sleep 600"
    rm -f "$E2E_DIR/exit" "$E2E_DIR/pid"
    E2E_N=$((E2E_N + 1))
    E2E_S=et$E2E_N
    tmux -S "$E2E_SOCK" -u new-session -d -s "$E2E_S" -x "$w" -y "$h" "$cmd" || e2e_fail "tmux new-session"
    tmux -S "$E2E_SOCK" set-option -t "$E2E_S" status off >/dev/null
    local end
    end=$(($(now_ms) + 10000))
    while [ ! -s "$E2E_DIR/pid" ]; do
        [ "$(now_ms)" -gt "$end" ] && e2e_fail "the program did not start"
        sleep 0.02
    done
    E2E_PID=$(cat "$E2E_DIR/pid")
}

e2e_screen() { tmux -S "$E2E_SOCK" capture-pane -p -t "$E2E_S"; }

e2e_wait() {
    local re=$1 secs=${2:-30} end
    end=$(($(now_ms) + secs * 1000))
    while :; do
        e2e_screen | grep -qE -- "$re" && return 0
        [ "$(now_ms)" -gt "$end" ] && e2e_fail "no /$re/ on the screen after ${secs} s"
        sleep 0.05
    done
}

e2e_wait_gone() {
    local re=$1 secs=${2:-30} end
    end=$(($(now_ms) + secs * 1000))
    while e2e_screen | grep -qE -- "$re"; do
        [ "$(now_ms)" -gt "$end" ] && e2e_fail "/$re/ still on the screen after ${secs} s"
        sleep 0.05
    done
}

e2e_keys() { tmux -S "$E2E_SOCK" send-keys -t "$E2E_S" "$@"; }

# ends the current session (its pane gets SIGHUP, as when an SSH connection drops)
e2e_kill() { tmux -S "$E2E_SOCK" kill-session -t "$E2E_S"; }

# tmux resize-window for the current session
e2e_resize() { tmux -S "$E2E_SOCK" resize-window -t "$E2E_S" -x "$1" -y "$2"; }

e2e_exit_code() {
    local secs=${1:-30} end
    end=$(($(now_ms) + secs * 1000))
    while [ ! -s "$E2E_DIR/exit" ]; do
        [ "$(now_ms)" -gt "$end" ] && e2e_fail "the program did not exit within ${secs} s"
        sleep 0.05
    done
    cat "$E2E_DIR/exit"
}

e2e_sql() { sqlite3 "$E2E_DB" "$1"; }

# q, then: exit code 0 within 30 s and no run left 'running' in the database
e2e_quit_clean() {
    e2e_keys q
    local code
    code=$(e2e_exit_code 30)
    [ "$code" = 0 ] || e2e_fail "exit code $code after q"
    [ "$(e2e_sql "SELECT count(*) FROM runs WHERE status = 'running'")" = 0 ] || e2e_fail "a run was left 'running'"
}

# CPU time (clock ticks, user + system) the program has used so far
e2e_cpu_ticks() { awk '{print $14 + $15}' "/proc/$E2E_PID/stat"; }

# e2e_train_copy FIXTURE NAME DIR N: a copy of a fixture model and N of its calibration images as training data
e2e_train_copy() {
    local m=$E2E_SRC/fixtures/models f
    cp "$m/$1.onnx" "$E2E_DIR/$2.onnx" || e2e_fail "cannot copy $m/$1.onnx"
    mkdir "$E2E_DIR/$3"
    for f in $(ls "$m/$1.calib" | grep '\.npy$' | head -n "$4"); do cp "$m/$1.calib/$f" "$E2E_DIR/$3/"; done
    [ "$(ls "$E2E_DIR/$3" | wc -l)" = "$4" ] || e2e_fail "fewer than $4 calibration images in $m/$1.calib"
}
