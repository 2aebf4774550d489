#!/usr/bin/env bash
# cli_errors.sh: bad input ends in ONE clear line on stderr and exit code 2, never a crash: hostile model files,
# wrong flags, missing files. Also checks that info still describes valid models edgetune cannot run.
set -u
bin=$1
src=${ET_SOURCE_DIR:?}
bad=$src/fixtures/bad
models=$src/fixtures/models
export EDGETUNE_DB=$PWD/runs.db
fails=0

# expect_2 DESCRIPTION CMD...: exit code 2, exactly one stderr line starting with "edgetune", nothing on stdout
expect_2() {
    local what=$1; shift
    "$@" >out.txt 2>err.txt
    local rc=$?
    local lines
    lines=$(wc -l <err.txt)
    if [ "$rc" != 2 ] || [ "$lines" != 1 ] || ! grep -q '^edgetune' err.txt || [ -s out.txt ]; then
        echo "FAIL $what: rc=$rc, $lines stderr lines:"; cat err.txt; head -3 out.txt
        fails=$((fails + 1))
    else
        echo "ok   $what: $(cat err.txt)"
    fi
}

for f in truncated bitflip empty not_onnx absurd_dims cyclic missing_initializer; do
    for cmd in info run "bench --no-save"; do
        # shellcheck disable=SC2086
        expect_2 "$cmd $f" "$bin" $cmd "$bad/$f.onnx"
    done
done
for cmd in run "bench --no-save"; do
    # shellcheck disable=SC2086
    expect_2 "$cmd absurd_input" "$bin" $cmd "$bad/absurd_input.onnx"
    # shellcheck disable=SC2086
    expect_2 "$cmd unsupported_ops" "$bin" $cmd "$bad/unsupported_ops.onnx"
done
grep -q "LSTM (1 node), NonMaxSuppression (1 node)" err.txt || { echo "FAIL: unsupported ops not listed together"; fails=$((fails + 1)); }

# info describes models it cannot run
"$bin" info "$bad/unsupported_ops.onnx" >out.txt 2>err.txt || { echo "FAIL info unsupported_ops: rc $?"; fails=$((fails + 1)); }
grep -q "unsupported operators: LSTM" out.txt || { echo "FAIL info unsupported_ops does not list them"; fails=$((fails + 1)); }

# wrong flags and files
m=$models/digits.onnx
expect_2 "no model" "$bin" bench --no-save
expect_2 "missing model file" "$bin" run "$PWD/nope.onnx"
expect_2 "unknown flag" "$bin" run "$m" --frobnicate
expect_2 "bad bits" "$bin" bench --no-save "$m" --bits 9
expect_2 "bad threads" "$bin" bench --no-save "$m" --threads 0
expect_2 "bad prune" "$bin" bench --no-save "$m" --prune 1.5
expect_2 "bad nm" "$bin" bench --no-save "$m" --nm 4:2
expect_2 "bad shape" "$bin" run "$m" --shape input=1xax8
expect_2 "shape for no input" "$bin" run "$m" --shape nope=1x1x8x8
expect_2 "missing input file" "$bin" run "$m" --input "$PWD/nope.npy"
printf 'not numpy' >bad.npy
expect_2 "bad input file" "$bin" run "$m" --input bad.npy
expect_2 "wrong input shape" "$bin" run "$m" --input "$models/mobilenetv2_small.input.npy"
expect_2 "iters needs a value" "$bin" bench --no-save "$m" --iters
# evaluation sets: labels that do not match the samples, a batched file of the wrong shape, a bad limit
mkdir -p ev
cp "$models/digits.eval/input_000.npy" "$models/digits.eval/input_001.npy" "$models/digits.eval/input_002.npy" ev/
printf '1\n2\n' >ev/labels.txt
expect_2 "labels count differs" "$bin" bench --no-save "$m" --eval ev --iters 1
grep -q "2 labels for 3 samples" err.txt || { echo "FAIL: the label count message"; fails=$((fails + 1)); }
expect_2 "batched eval of the wrong shape" "$bin" bench --no-save "$m" --eval "$models/mobilenetv2_small.input.npy" --iters 1
expect_2 "calib of the wrong shape" "$bin" run "$m" --act-bits 8 --bits 8 --calib "$models/mobilenetv2_small.input.npy"
expect_2 "eval-limit not a number" "$bin" bench --no-save "$m" --eval-limit lots
expect_2 "missing eval folder" "$bin" bench --no-save "$m" --eval "$PWD/nope"
rm -rf ev
expect_2 "unknown command" "$bin" frobnicate
expect_2 "dynamic dim without --shape" "$bin" run "$models/dynamic_shape.onnx" --shape nope=1

# run writes outputs named after the graph outputs, sanitised
"$bin" run "$models/fpn_resize.onnx" --input "$models/fpn_resize.input.npy" --output-dir outdir >out.txt 2>err.txt ||
    { echo "FAIL run --output-dir: $(cat err.txt)"; fails=$((fails + 1)); }
ls outdir/*.npy >/dev/null 2>&1 || { echo "FAIL: no outputs written"; fails=$((fails + 1)); }
ls outdir | grep -q '^p3_feature_0\.npy$' || { echo "FAIL: output name not sanitised: $(ls outdir)"; fails=$((fails + 1)); }

[ "$fails" = 0 ] && echo "all passed" || echo "$fails failed"
[ "$fails" = 0 ]
