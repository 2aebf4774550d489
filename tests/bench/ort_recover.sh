#!/usr/bin/env bash
# ort_recover.sh: files `edgetune save` writes with recovery, run by ONNX Runtime: its accuracy on the evaluation
# set beside edgetune's on the same tuned model ("save writes the reconstructed weights; ONNX Runtime runs
# the file and agrees with edgetune").
#
#   tests/bench/ort_recover.sh MODEL.onnx [--eval DIR] [--calib DIR] [--max N] [--recover full] [CONFIG]...
#
# Every input of the evaluation folder is scored by both tools, or with --max N the first N (file-name order). A
# CONFIG may name a per-layer file (e.g. the winner of `edgetune search -o win.cfg`): "--bits 8 --layers-config win.cfg".
#
# CONFIG is a knob string in quotes, e.g. "--bits 4" "--bits 4 --act-bits 8" "--prune 0.5 --prune-method nm";
# the default set covers weight-only, int8, unstructured, N:M and channel pruning. For each: edgetune save (int8
# layers in QDQ form), edgetune bench on the same knobs (--force-int8 with --act-bits 8, as save writes every
# layer int8) for its accuracy, and tests/bench/ort_accuracy.js on the saved file with ORT's optimizations 'all'
# (its own int8 kernels) and 'basic' (the QDQ arithmetic as written). Needs node + onnxruntime-node
# (tests/bench/setup_ort.sh). Exit 0, 1 on failure.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
ET=${EDGETUNE:-$root/build/edgetune}
model= eval= calib= max= recover=full
configs=()
while [ $# -gt 0 ]; do
    case "$1" in
    --eval) eval=$2; shift ;;
    --calib) calib=$2; shift ;;
    --max) max=$2; shift ;;
    --recover) recover=$2; shift ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*" "*) configs+=("$1") ;; # a knob string ("--bits 4 --act-bits 8") is a CONFIG, not an option
    -*) echo "ort_recover.sh: unknown option $1" >&2; exit 2 ;;
    *) if [ -z "$model" ]; then model=$1; else configs+=("$1"); fi ;;
    esac
    shift
done
[ -n "$model" ] || { echo "ort_recover.sh: give the model" >&2; exit 2; }
base=${model%.onnx}
eval=${eval:-$base.eval}
calib=${calib:-$base.calib}
out=$root/build/ort_recover
mkdir -p "$out"
# Both tools must score the same images: with --max N, the first N inputs (file-name order) and their labels are
# copied to a scratch folder that edgetune and ORT both read (bench's --eval-limit draws a random subset instead).
if [ -n "$max" ]; then
    sub=$out/eval.first$max
    rm -rf "$sub" && mkdir -p "$sub"
    ls "$eval" | grep '\.npy$' | sort | head -n "$max" | while read -r f; do cp "$eval/$f" "$sub/"; done
    head -n "$max" "$eval/labels.txt" >"$sub/labels.txt"
    eval=$sub
fi
[ ${#configs[@]} -gt 0 ] || configs=("--bits 4" "--bits 4 --act-bits 8" "--bits 8 --act-bits 8 --prune 0.3"
    "--prune 0.5 --prune-method nm" "--prune 0.5 --prune-method channel")
printf '%-44s %-8s %12s %12s %12s\n' config recover "edgetune %" "ORT all %" "ORT basic %"
rc=0
i=0
for cfg in "${configs[@]}"; do
    i=$((i + 1))
    f=$out/$(basename "$base").$i.onnx
    # shellcheck disable=SC2086
    "$ET" save "$model" $cfg --recover "$recover" --calib "$calib" -o "$f" >/dev/null
    force=
    case " $cfg " in *" --act-bits 8 "*) force=--force-int8 ;; esac
    # shellcheck disable=SC2086
    et=$("$ET" bench "$model" $cfg $force --recover "$recover" --calib "$calib" --eval "$eval" --no-save --iters 3 \
        --no-profilers | sed -n 's/.*accuracy \([0-9.]*\) %.*/\1/p' | head -1)
    all=$(node "$here/ort_accuracy.js" "$f" "$eval" --level all | sed -n 's/accuracy \([0-9.]*\) %.*/\1/p')
    basic=$(node "$here/ort_accuracy.js" "$f" "$eval" --level basic | sed -n 's/accuracy \([0-9.]*\) %.*/\1/p')
    printf '%-44s %-8s %12s %12s %12s\n' "$cfg" "$recover" "${et:-?}" "${all:-?}" "${basic:-?}"
    [ -n "$et" ] && [ -n "$basic" ] || rc=1
done
exit $rc
