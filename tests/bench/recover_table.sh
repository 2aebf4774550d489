#!/usr/bin/env bash
# recover_table.sh: the accuracy table of recovery (man edgetune-tune(7), RECOVERY): for each model and knob
# configuration, the accuracy drop against fp32 in percentage points with --recover none and with --recover
# full (or the modes given), measured by `edgetune bench --json` on the model's evaluation set after
# calibrating on its calibration set.
#
#   tests/bench/recover_table.sh [--modes none,full] [--eval DIR]... [--calib DIR] [--eval-limit N]
#                                [--threads T] [--format table|md] MODEL.onnx... [-- CONFIG...]
#
# Each MODEL uses MODEL.eval/ (labelled: labels.txt) and MODEL.calib/ beside it, or the folders given: several
# --eval folders are measured one after the other and counted together. CONFIG is a knob string in quotes; the
# default set is the table's: 4, 3 and 2-bit weights, 4-bit weights with int8 activations (--force-int8: native
# int8 on every layer, whatever the speed guard would pick), 50 %, 70 % and 80 % unstructured, 2:4, 50 % channel
# pruning, 8-bit weights and activations with 30 % unstructured pruning. The last columns are the
# recovery time per run as the engine reports it. Raw JSON stays in build/recover_table/. Needs python3 (to
# read the JSON). Exit 0, 1 when a run fails, 2 on bad usage.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
ET=${EDGETUNE:-$root/build/edgetune}
modes=none,full limit= threads=1 format=table calib=
models=() configs=() evals=()
while [ $# -gt 0 ]; do
    case "$1" in
    --modes) modes=$2; shift ;;
    --eval) evals+=("$2"); shift ;;
    --calib) calib=$2; shift ;;
    --eval-limit) limit=$2; shift ;;
    --threads) threads=$2; shift ;;
    --format) format=$2; shift ;;
    --) shift; configs=("$@"); break ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "recover_table.sh: unknown option $1" >&2; exit 2 ;;
    *) models+=("$1") ;;
    esac
    shift
done
[ ${#models[@]} -gt 0 ] || { echo "recover_table.sh: give at least one model" >&2; exit 2; }
[ -x "$ET" ] || { echo "recover_table.sh: $ET not built (./build.sh)" >&2; exit 2; }
[ ${#configs[@]} -gt 0 ] || configs=("--bits 4" "--bits 3" "--bits 2" "--bits 4 --act-bits 8 --force-int8"
    "--prune 0.5" "--prune 0.5 --prune-method nm" "--prune 0.7" "--prune 0.8" "--prune 0.5 --prune-method channel"
    "--bits 8 --act-bits 8 --force-int8 --prune 0.3")
out=$root/build/recover_table/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
IFS=, read -r -a mode_list <<<"$modes"
fail=0
rows=$out/rows.tsv
: >"$rows"
for m in "${models[@]}"; do
    base=${m%.onnx}
    model_evals=("$base.eval")
    [ ${#evals[@]} -eq 0 ] || model_evals=("${evals[@]}")
    for cfg in "${configs[@]}"; do
        for r in "${mode_list[@]}"; do
            for ((e = 0; e < ${#model_evals[@]}; e++)); do
                tag=$(basename "$base")_$(echo "$cfg" | tr -c 'A-Za-z0-9.\n' '_')_${r}_$e
                # shellcheck disable=SC2086
                if ! "$ET" bench "$m" $cfg --recover "$r" --eval "${model_evals[$e]}" --calib "${calib:-$base.calib}" \
                    ${limit:+--eval-limit $limit} --threads "$threads" --iters 3 --warmup 1 --no-profilers \
                    --no-save --json >"$out/$tag.json" 2>"$out/$tag.err"; then
                    echo "recover_table.sh: $m $cfg --recover $r failed: $(tail -1 "$out/$tag.err")" >&2
                    fail=1
                    continue
                fi
                printf '%s\t%s\t%s\t%s\n' "$(basename "$m")" "$cfg" "$r" "$out/$tag.json" >>"$rows"
            done
        done
    done
done
python3 - "$rows" "$format" "$modes" <<'EOF'
import json, re, sys
rows, fmt, modes = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
parts, order = {}, []
for line in open(rows):
    model, cfg, mode, path = line.rstrip("\n").split("\t")
    d = json.load(open(path))
    f = d.get("fidelity") or {}
    m = re.search(r"in ([0-9.]+) (m?s)", d.get("engine", {}).get("notes", ""))
    secs = (float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)) if m else None
    if (model, cfg) not in parts:
        parts[(model, cfg)] = {}
        order.append((model, cfg))
    parts[(model, cfg)].setdefault(mode, []).append(
        (f.get("accuracy"), f.get("baseline_accuracy"), f.get("n_compared") or 0, secs))
def pct(x):
    return f"{100 * x:.2f}" if x is not None else "-"
head = ["model", "config", "images", "fp32 %"] + [f"{r} %" for r in modes] + [f"drop {r} pp" for r in modes] + [
    f"{r} s" for r in modes if r != "none"]
out = []
for key in order:
    acc, base, n_img, secs = {}, None, 0, {}
    for mode, ps in parts[key].items():  # the evaluation folders counted together
        n = sum(p[2] for p in ps)
        if n and all(p[0] is not None and p[1] is not None for p in ps):
            acc[mode] = sum(p[0] * p[2] for p in ps) / n
            base, n_img = sum(p[1] * p[2] for p in ps) / n, n
        s = [p[3] for p in ps if p[3] is not None]
        secs[mode] = sum(s) / len(s) if s else None
    row = [key[0], key[1], str(n_img), pct(base)] + [pct(acc.get(r)) for r in modes]
    row += [f"{100 * (base - acc[r]):.2f}" if r in acc and base is not None else "-" for r in modes]
    row += [f"{secs[r]:.1f}" if secs.get(r) is not None else "-" for r in modes if r != "none"]
    out.append(row)
if fmt == "md":
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in out:
        print("| " + " | ".join(r) + " |")
else:
    w = [max([len(h)] + [len(r[i]) for r in out]) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w[i]) for i, h in enumerate(head)))
    for r in out:
        print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)))
EOF
echo "raw: $out"
exit $fail
