#!/usr/bin/env bash
# train_tv_args.sh: the argument checks of fixtures/train_tv.py (each bad argument: one line naming it on stderr,
# exit 2, nothing written, torch never imported, so this takes about a second). Not in ./build.sh test: the script
# itself trains for ~20 CPU minutes and needs Debian's python3-torch; this only checks what a user mistypes.
#   tests/bench/train_tv_args.sh      exit 0 when every case behaves, 1 otherwise
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
py=${PYTHON:-/usr/bin/python3}
script=$root/fixtures/train_tv.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/afile"
fails=0
# expect RC PATTERN ARGS...: exit status RC, one stderr line matching PATTERN, nothing new in $tmp
expect() {
    local rc=$1 pat=$2
    shift 2
    "$py" "$script" "$@" >"$tmp/.out" 2>"$tmp/.err"
    local got=$? lines
    lines=$(grep -c . "$tmp/.err")
    if [ "$got" != "$rc" ] || ! grep -q -- "$pat" "$tmp/.err" || [ "$lines" != 1 ] || [ -e "$tmp/out" ]; then
        echo "FAIL: train_tv.py $* -> exit $got (want $rc), stderr: $(cat "$tmp/.err")"
        fails=$((fails + 1))
    else
        echo "ok: train_tv.py $* -> exit $got"
    fi
}
expect 2 "unknown model 'vgg16'" "$tmp/out" --models vgg16
expect 2 "unknown model 'resnet'" "$tmp/out" --models mobilenet_v2,resnet
expect 2 "--models: empty" "$tmp/out" --models ,
expect 2 "--eval-count 0: out of range" "$tmp/out" --eval-count 0
expect 2 "--calib-count 20000: out of range" "$tmp/out" --calib-count 20000
expect 2 "--images-low -1: out of range" "$tmp/out" --images-low -1
expect 2 "invalid int value" "$tmp/out" --images-full many
expect 2 "unrecognized arguments" "$tmp/out" --epochs 3
expect 2 "exists and is not a directory" "$tmp/afile"
expect 2 "is fixtures/large" "$root/fixtures/large"
expect 2 "the following arguments are required" 
[ "$fails" = 0 ] || { echo "$fails case(s) failed"; exit 1; }
"$py" "$script" --help | grep -q -- "--images-full" || { echo "FAIL: --help"; exit 1; }
echo "all cases ok"
