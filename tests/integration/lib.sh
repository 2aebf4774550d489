# lib.sh: what every integration script starts with, sourced after it sets ET (the binary). Counters `pass` and
# `fails`; ok and bad count a check (bad prints FAIL and the reason on stderr); check CMD... counts CMD's success;
# expect CODE CMD... runs CMD with stdout in out.txt and stderr in err.txt and counts whether it exited CODE (and,
# for CODE 2, whether stderr is exactly one line: the house rule for bad input); it returns non-zero when the check
# failed, so `expect 0 ... && says ...` skips what cannot hold. says TEXT FILE counts whether FILE holds TEXT.
# et_scratch makes an empty folder `dir` (removed on exit), enters it and points EDGETUNE_DB at a database there.
# et_finish NAME prints the tally and is the script's exit status.
fails=0
pass=0
ok() { pass=$((pass + 1)); }
bad() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}
check() { if "$@"; then ok; else bad "$*"; fi; }
expect() {
    local want=$1
    shift
    "$@" >out.txt 2>err.txt
    local got=$?
    if [ "$got" != "$want" ]; then
        bad "exit $got (want $want): $* -- $(tail -n 5 err.txt)"
        return 1
    fi
    if [ "$want" = 2 ] && [ "$(wc -l <err.txt)" != 1 ]; then
        bad "not one line on stderr: $* -- $(cat err.txt)"
        return 1
    fi
    ok
}
says() { if grep -q -- "$1" "$2"; then ok; else bad "'$1' not in $2: $(head -c 600 "$2")"; fi; }
et_scratch() {
    dir=$(mktemp -d)
    # shellcheck disable=SC2064 # the folder is fixed now, on purpose
    trap "rm -rf '$dir'" EXIT
    cd "$dir" || exit 1
    export EDGETUNE_DB="$dir/runs.db"
}
et_finish() {
    echo "$1: $pass checks passed, $fails failed"
    [ "$fails" = 0 ]
}
