#!/usr/bin/env bash
# run.sh: the speed benchmark behind `./build.sh bench`: edgetune against ONNX Runtime (onnxruntime-node) on
# full-size torchvision models, one table at the end.
#
#   tests/bench/run.sh [--models LIST] [--threads LIST] [--quick] [--iters N] [--warmup N] [--rounds N]
#                      [--ort-only] [--edgetune-args "KNOBS"] [--format table|md]
#
#   --models LIST   comma-separated subset of mobilenet_v2,mobilenet_v3_small,resnet18,resnet50,squeezenet1_1
#   --threads LIST  thread counts, comma-separated (default 1,2)
#   --quick         10 iterations, 2 warm-up, 1 round: a smoke test, not a measurement
#   --rounds N      each round runs edgetune then ORT on every (model, threads); the table keeps the best p50
#                   (default 2: alternating spreads slow periods of a shared machine over both)
#   --ort-only      skip edgetune (also what happens, per run, when `edgetune bench` fails)
#   --edgetune-args extra knobs for edgetune, e.g. "--bits 8 --act-bits 8" (the precision column follows them)
#
# fixtures/large/ is generated when a model is missing (needs python3-torch, python3-torchvision, python3-onnx).
# Raw outputs go to build/bench/<time>/ (one JSON per run, stderr next to it). Environment: EDGETUNE (binary,
# default build/edgetune), EDGETUNE_ORT_DIR (see setup_ort.sh). Exit 0 ok, 1 a run failed, 2 bad usage.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

all_models="mobilenet_v2,mobilenet_v3_small,resnet18,resnet50,squeezenet1_1"
models=$all_models threads="1,2" iters=50 warmup=5 rounds=2 ort_only=0 et_args="" format=table
while [ $# -gt 0 ]; do
    case "$1" in
    --models) models=${2:?--models needs a list}; shift ;;
    --threads) threads=${2:?--threads needs a list}; shift ;;
    --iters) iters=${2:?}; shift ;;
    --warmup) warmup=${2:?}; shift ;;
    --rounds) rounds=${2:?}; shift ;;
    --quick) iters=10 warmup=2 rounds=1 ;;
    --ort-only) ort_only=1 ;;
    --edgetune-args) et_args=${2?}; shift ;;
    --format) format=${2:?}; shift ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1'; see tests/bench/run.sh --help" ;;
    esac
    shift
done
for n in "$iters" "$warmup" "$rounds"; do
    [[ $n =~ ^[0-9]+$ ]] || die "--iters, --warmup and --rounds take whole numbers, got '$n'"
done
{ [ "$iters" -ge 1 ] && [ "$rounds" -ge 1 ]; } || die "--iters and --rounds must be at least 1"
IFS=, read -r -a model_list <<<"$models"
IFS=, read -r -a thread_list <<<"$threads"
for m in "${model_list[@]}"; do
    [[ ",$all_models," == *",$m,"* ]] || die "unknown model '$m' (one of $all_models)"
done
for t in "${thread_list[@]}"; do
    [[ $t =~ ^[1-9][0-9]*$ ]] || die "bad thread count '$t' in --threads"
done
case "$format" in table | md) ;; *) die "--format is table or md" ;; esac

# --- tools ------------------------------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node not found; run: ./build.sh deps bench"
ort_dir=$("$here/setup_ort.sh") || die "onnxruntime-node is not available (tests/bench/setup_ort.sh failed)"
say "ONNX Runtime: $ort_dir"
edgetune=${EDGETUNE:-$root/build/edgetune}
if [ "$ort_only" = 0 ] && [ ! -x "$edgetune" ]; then
    say "no edgetune binary at $edgetune (run ./build.sh); measuring ORT only"
    ort_only=1
fi

# --- models -----------------------------------------------------------------------------------------------
large=$root/fixtures/large
missing=()
for m in "${model_list[@]}"; do
    [ -f "$large/$m.onnx" ] && [ -f "$large/$m.input.npy" ] || missing+=("$m")
done
if [ ${#missing[@]} -gt 0 ]; then
    py=/usr/bin/python3
    [ -x "$py" ] || py=python3
    "$py" -c 'import torch, torchvision, onnx' 2>/dev/null ||
        die "fixtures/large/ lacks ${missing[*]} and $py cannot import torch, torchvision and onnx; run: ./build.sh deps bench"
    say "generating fixtures/large/: ${missing[*]}"
    (IFS=,; "$py" "$root/fixtures/generate.py" --large-only --large-models "${missing[*]}") >&2
fi

# --- runs -------------------------------------------------------------------------------------------------
out=$root/build/bench/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
say "results: $out (iters $iters, warm-up $warmup, rounds $rounds)"
failed=0
run_one() { # TOOL FILE_BASE MODEL THREADS
    local tool=$1 base=$2 model=$3 t=$4 rc=0
    if [ "$tool" = edgetune ]; then
        # shellcheck disable=SC2086 # et_args is a list of knobs on purpose
        "$edgetune" bench "$model" --threads "$t" --iters "$iters" --warmup "$warmup" --json --no-save $et_args \
            >"$base.edgetune.json" 2>"$base.edgetune.err" || rc=$?
    else
        node "$here/ort_time.js" "$model" --threads "$t" --iters "$iters" --warmup "$warmup" --json \
            >"$base.ort.json" 2>"$base.ort.err" || rc=$?
    fi
    if [ "$rc" != 0 ]; then
        say "$tool failed on $(basename "$model") with $t thread(s) (exit $rc): $(head -c 300 "$base.$tool.err" | head -n 1)"
        failed=1
    fi
}
for r in $(seq 1 "$rounds"); do
    for m in "${model_list[@]}"; do
        for t in "${thread_list[@]}"; do
            say "round $r/$rounds: $m, $t thread(s)"
            base=$out/$m.t$t.r$r
            [ "$ort_only" = 1 ] || run_one edgetune "$base" "$large/$m.onnx" "$t"
            run_one ort "$base" "$large/$m.onnx" "$t"
        done
    done
done

# The ISA flags that matter for the kernels edgetune and ORT pick, from the first CPU's flag line.
isa=$(awk -F: '/^(flags|Features)/ { print $2; exit }' /proc/cpuinfo 2>/dev/null | tr ' ' '\n' |
    grep -x -E 'avx2|fma|avx512f|avx512_vnni|avx_vnni|asimd|asimddp' | sort -u | tr '\n' ' ' || true)
echo "host: $(hostname), $(nproc) CPUs, ISA: ${isa:-unknown}"
node "$here/report.js" "$out" --format "$format"
exit $failed
