#!/usr/bin/env bash
# fixture_accuracy.sh: for every trained fixture (a manifest entry with `accuracy`: digits, fmnist_*), edgetune's
# fp32 accuracy on the committed <name>.eval/ counts exactly as many correct answers, over exactly as many
# inputs, as PyTorch did when fixtures/generate.py trained the model. The folder is found next to the model as
# bench finds it (fmnist_mbv2.eval is a symlink to fmnist_resnet.eval). Needs python3 to read the JSON (exit 77
# without).
set -u
bin=$1
src=${ET_SOURCE_DIR:?}
M=$src/fixtures/models
export EDGETUNE_DB=$PWD/runs.db
command -v python3 >/dev/null || { echo "skipped: python3 is needed to read the JSON"; exit 77; }
fails=0

# "name eval_images correct" per trained model
python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["models"]
for name in sorted(m):
    a = m[name].get("accuracy")
    if a:
        print(name, a["eval_images"], a["correct"])
' "$M/manifest.json" >trained.txt || { echo "FAIL cannot read $M/manifest.json"; exit 1; }
[ "$(wc -l <trained.txt)" -ge 4 ] || { echo "FAIL expected digits and three fmnist models in the manifest"; exit 1; }

while read -r name want_n want_correct; do
    got=$("$bin" bench "$M/$name.onnx" --no-save --no-profilers --iters 1 --warmup 0 --json 2>err.txt |
        python3 -c '
import json, sys
f = json.load(sys.stdin)["fidelity"]
print(f["n_inputs"], round(f["accuracy"] * f["n_inputs"]))')
    if [ "$got" != "$want_n $want_correct" ]; then
        echo "FAIL $name: edgetune '${got:-no result}' (inputs, correct), PyTorch $want_n inputs, $want_correct correct ($(cat err.txt))"
        fails=$((fails + 1))
    else
        echo "ok   $name: $want_correct of $want_n correct, as PyTorch"
    fi
done <trained.txt

[ "$fails" = 0 ] || { echo "$fails failures"; exit 1; }
