#!/usr/bin/env bash
# e2e_terms.sh BINARY: the workbench starts, draws its frame and quits cleanly with every TERM the issue names
# (xterm-256color, screen, tmux, linux, vt100); colours appear only when the terminal has them and NO_COLOR is
# not set; an unknown TERM and a missing terminal are refused with one clear line and exit code 2.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/e2e_lib.sh"
e2e_init "$1"

# SGR colour codes in the captured screen (30-37/40-47 foreground/background, or 38;5 / 48;5 for 256 colours)
has_colour() { tmux -S "$E2E_SOCK" capture-pane -e -p -t "$E2E_S" | grep -qE $'\e\\[([0-9;]*;)?([34][0-7]|[34]8;5;[0-9]+)(;[0-9;]*)?m'; }

check_term() { # TERM LANG NO_COLOR(0|1) want_colour(0|1)
    local envs=(TERM=$1 LANG=$2 LC_ALL=$2)
    [ "$3" = 1 ] && envs+=(NO_COLOR=1)
    e2e_start 80 24 "${envs[@]}" -- "$E2E_MODEL" --no-save --seconds 1
    e2e_wait "Knobs" 20
    e2e_wait "vs baseline" 20
    if [ "$4" = 1 ]; then
        has_colour || e2e_fail "TERM=$1: no colours on the screen"
    else
        has_colour && e2e_fail "TERM=$1 NO_COLOR=$3: colours on the screen"
    fi
    e2e_keys q
    local code
    code=$(e2e_exit_code 20)
    [ "$code" = 0 ] || e2e_fail "TERM=$1: exit code $code after q"
    e2e_kill
    echo "TERM=$1 LANG=$2 NO_COLOR=$3: ok"
}

check_term xterm-256color C.UTF-8 0 1
check_term xterm-256color C.UTF-8 1 0
check_term screen C.UTF-8 0 1
check_term tmux-256color C.UTF-8 0 1
check_term linux C 0 1
check_term vt100 C 0 0

# refused: an unknown terminal type, and no terminal at all
e2e_start 80 24 TERM=no-such-terminal -- "$E2E_MODEL" --no-save
code=$(e2e_exit_code 20)
[ "$code" = 2 ] || e2e_fail "unknown TERM: exit code $code, expected 2"
e2e_wait "TERM=no-such-terminal is unknown to terminfo" 5
e2e_kill
out=$(EDGETUNE_DB=$E2E_DB "$E2E_BIN" "$E2E_MODEL" --no-save </dev/null 2>&1 >/dev/null)
code=$?
[ "$code" = 2 ] || e2e_fail "no terminal: exit code $code, expected 2"
grep -q "needs a terminal" <<<"$out" || e2e_fail "no terminal: the message was: $out"
echo "ok"
