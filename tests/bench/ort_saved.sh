#!/usr/bin/env bash
# ort_saved.sh: `edgetune save` against ONNX Runtime on the full-size models: the saved int8 (QDQ) file runs in
# ORT, its outputs are compared with edgetune's on the tuned model, and the latencies of both are reported next to
# fp32.
#
#   tests/bench/ort_saved.sh [--models mobilenet_v2,resnet18] [--bits 8,7] [--rounds N] [--iters N] [--threads T]
#                            [--dir DIR] [--layers-config FILE]
#
# --dir: read DIR/MODEL.onnx and DIR/MODEL.input.npy instead of fixtures/large (e.g. fixtures/train_tv.py's output);
# --layers-config: a search's -o file, given to save, run and the int8 bench beside --bits B --act-bits 8 (the
# file's comment names the model-wide knobs the search used: give the same --bits).
#
# Per model and weight width (8: full range; 7: what ORT's u8s8 kernels on CPUs without VNNI compute exactly):
#   edgetune save MODEL --bits B --act-bits 8 -o build/ort_saved/MODEL.wB.onnx
#   agreement: `edgetune run MODEL --bits B --act-bits 8 --force-int8` vs ort_infer.js on the saved file (same
#   input: fixtures/large/MODEL.input.npy), as cosine, max abs difference and arg-max, for ORT with all graph
#   optimizations (its int8 kernels) and with them off ('basic': the QDQ arithmetic as written)
#   latency p50 (ms): edgetune bench fp32 and int8 (speed guard on, as a user gets it), ORT fp32 and the saved
#   file; rounds alternate the tools, the best p50 of each is kept.
# Needs node + onnxruntime-node (tests/bench/setup_ort.sh) and /usr/bin/python3 with numpy. Exit 0, 1 on failure.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
models=mobilenet_v2,resnet18 bits=8,7 rounds=3 iters=30 threads=1 dir= lc=()
while [ $# -gt 0 ]; do
    case "$1" in
    --models) models=$2; shift ;;
    --bits) bits=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --iters) iters=$2; shift ;;
    --threads) threads=$2; shift ;;
    --dir) dir=$2; shift ;;
    --layers-config) [ -f "$2" ] || { echo "ort_saved.sh: --layers-config $2: not found" >&2; exit 2; }
        lc=(--layers-config "$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ort_saved.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
ET=${EDGETUNE:-$root/build/edgetune}
out=$root/build/ort_saved
mkdir -p "$out"
py=/usr/bin/python3
cat >"$out/ort_level.js" <<'EOF'
// ort_level.js MODEL IN.npy OUT.npy LEVEL: one inference at a graph optimization level
const O = require(process.env.ET_BENCH + '/ort.js');
const N = require(process.env.ET_BENCH + '/npy.js');
(async () => {
  const [model, input, outp, level] = process.argv.slice(2);
  const ort = O.load();
  const opts = O.sessionOptions(1);
  opts.graphOptimizationLevel = level;
  const s = await ort.InferenceSession.create(model, opts);
  const x = N.read(input);
  const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x.data, x.dims) });
  const y = r[s.outputNames[0]];
  N.write(outp, 'float32', y.dims, y.data);
})().catch((e) => { console.error(e.message); process.exit(1); });
EOF
export ET_BENCH=$here
# p50 from a JSON object on stdin (the whole text, else its last line that parses)
P50='import json,sys
t = sys.stdin.read()
try:
    d = json.loads(t)
except ValueError:
    d = next(json.loads(l) for l in reversed(t.strip().splitlines()) if l.startswith("{"))
print("%.3f" % d["latency_ms"]["p50"])'
p50_et() { "$ET" bench "$@" --threads "$threads" --iters "$iters" --warmup 5 --no-save --no-profilers --no-fidelity --json |
    $py -c "$P50"; }
p50_ort() { node "$here/ort_time.js" "$1" --threads "$threads" --iters "$iters" --warmup 5 --input "$2" --json |
    $py -c "$P50"; }
best() { $py -c 'import sys; print(min(float(x) for x in sys.argv[1:]))' "$@"; }
compare() { $py - "$1" "$2" <<'EOF'
import sys, numpy as np
a = np.load(sys.argv[1]).ravel().astype(np.float64); b = np.load(sys.argv[2]).ravel().astype(np.float64)
cos = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
print("cos %.6f, max|d| %.3g, arg-max %s" % (cos, np.abs(a - b).max(), "same" if a.argmax() == b.argmax() else "DIFFERS"))
EOF
}
printf '| model | weights | saved MiB | ORT all vs edgetune | ORT basic vs edgetune | edgetune fp32 | edgetune int8 | ORT fp32 | ORT saved int8 |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
IFS=, read -r -a mlist <<<"$models"
IFS=, read -r -a blist <<<"$bits"
for m in "${mlist[@]}"; do
    model=${dir:-$root/fixtures/large}/$m.onnx
    input=${dir:-$root/fixtures/large}/$m.input.npy
    [ -f "$model" ] || { echo "missing $model (fixtures/generate.py --large-only)" >&2; exit 1; }
    for b in "${blist[@]}"; do
        saved=$out/$m.w$b.onnx
        "$ET" save "$model" --bits "$b" --act-bits 8 ${lc[@]+"${lc[@]}"} --input "$input" -o "$saved" >"$out/$m.w$b.save.txt"
        "$ET" run "$model" --bits "$b" --act-bits 8 --force-int8 ${lc[@]+"${lc[@]}"} --input "$input" --output-dir "$out/$m.w$b.et" >/dev/null
        et_out=$(ls "$out/$m.w$b.et"/*.npy | head -1)
        node "$out/ort_level.js" "$saved" "$input" "$out/$m.w$b.all.npy" all
        node "$out/ort_level.js" "$saved" "$input" "$out/$m.w$b.basic.npy" basic
        agree_all=$(compare "$et_out" "$out/$m.w$b.all.npy")
        agree_basic=$(compare "$et_out" "$out/$m.w$b.basic.npy")
        ef=() ei=() of=() oi=()
        for ((r = 0; r < rounds; r++)); do
            ef+=("$(p50_et "$model")")
            ei+=("$(p50_et "$model" --bits "$b" --act-bits 8 ${lc[@]+"${lc[@]}"})")
            of+=("$(p50_ort "$model" "$input")")
            oi+=("$(p50_ort "$saved" "$input")")
        done
        size=$($py -c "import os; print('%.2f' % (os.path.getsize('$saved') / 1048576))")
        printf '| %s | %s-bit | %s | %s | %s | %s | %s | %s | %s |\n' "$m" "$b" "$size" "$agree_all" "$agree_basic" \
            "$(best "${ef[@]}")" "$(best "${ei[@]}")" "$(best "${of[@]}")" "$(best "${oi[@]}")"
    done
done
echo
echo "p50 ms, best of $rounds rounds, $iters iterations, $threads thread(s); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
