#!/usr/bin/env bash
# fixture_accuracy.sh: for every trained fixture (a manifest entry with `accuracy`: digits, fmnist_*), edgetune's
# fp32 accuracy on the committed <name>.eval/ counts exactly as many correct answers as PyTorch did when the
# generator trained the model, and the folder holds as many files as the manifest says. Folders are found next to
# the model as bench finds them (fmnist_mbv2.eval is a symlink). Needs python3 to read the JSON (exit 77 without).
#
# Folders of more than 1,000 files are measured in chunks of 1,000 (symlinked files plus their lines of
# labels.txt, via --eval) and the counts added: at this writing the loader reads at most 1,024 files of a folder
# (issue 11); chunked or not, the sum must be PyTorch's count.
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

# count_correct MODEL [EVAL_DIR]: prints "n_inputs correct" from bench --json
count_correct() {
    local extra=()
    [ $# -gt 1 ] && extra=(--eval "$2")
    "$bin" bench "$1" --no-save --no-profilers --iters 1 --warmup 0 --json "${extra[@]}" 2>err.txt |
        python3 -c '
import json, sys
f = json.load(sys.stdin)["fidelity"]
print(f["n_inputs"], round(f["accuracy"] * f["n_inputs"]))'
}

while read -r name want_n want_correct; do
    dir=$M/$name.eval
    files=$(find -L "$dir" -maxdepth 1 -name '*.npy' | wc -l)
    if [ "$files" != "$want_n" ]; then
        echo "FAIL $name: $files .npy files in $dir, the manifest says $want_n"
        fails=$((fails + 1))
        continue
    fi
    total_n=0
    total_correct=0
    if [ "$files" -le 1000 ]; then
        read -r n c < <(count_correct "$M/$name.onnx") || true
        total_n=${n:-0} total_correct=${c:-0}
    else
        find -L "$dir" -maxdepth 1 -name '*.npy' | sort >files.txt
        rm -rf chunks && mkdir chunks
        k=0
        while [ $((k * 1000)) -lt "$files" ]; do
            mkdir "chunks/$k"
            sed -n "$((k * 1000 + 1)),$((k * 1000 + 1000))p" files.txt | while read -r f; do ln -s "$f" "chunks/$k/"; done
            sed -n "$((k * 1000 + 1)),$((k * 1000 + 1000))p" "$dir/labels.txt" >"chunks/$k/labels.txt"
            read -r n c < <(count_correct "$M/$name.onnx" "chunks/$k") || true
            total_n=$((total_n + ${n:-0})) total_correct=$((total_correct + ${c:-0}))
            k=$((k + 1))
        done
    fi
    if [ "$total_n" != "$want_n" ] || [ "$total_correct" != "$want_correct" ]; then
        echo "FAIL $name: edgetune $total_correct correct of $total_n inputs, PyTorch $want_correct of $want_n ($(cat err.txt))"
        fails=$((fails + 1))
    else
        echo "ok   $name: $total_correct of $total_n correct, as PyTorch"
    fi
done <trained.txt

[ "$fails" = 0 ] || { echo "$fails failures"; exit 1; }
