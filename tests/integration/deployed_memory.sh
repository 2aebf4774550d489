#!/usr/bin/env bash
# deployed_memory.sh: the memory headline through the public CLI. bench --json leads its memory object
# with what the tuned model needs when deployed, measured in a separate process; 8-bit and 4-bit weights and
# channel pruning need less than fp32; show, runs, compare and sweep show it first (compare's memory ratio uses
# it); edgetune's own peak stays, labelled. Needs python3 to read the JSON (skipped, exit 77, without it).
set -u
bin=$1
src=${ET_SOURCE_DIR:?}
m=$src/fixtures/models/demo.onnx
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
export EDGETUNE_DB=$PWD/runs.db
command -v python3 >/dev/null || { echo "skipped: python3 is needed to read the JSON"; exit 77; }
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

bench() { # NAME KNOBS...: bench --json into NAME.json
    local name=$1; shift
    "$bin" bench "$m" --json --iters 3 --warmup 1 --no-fidelity --force-int8 --label "$name" "$@" >"$name.json" 2>"$name.err" ||
        fail "bench $name: $(cat "$name.err")"
}
bench fp32
bench w8a8 --bits 8 --act-bits 8
bench w4a8 --bits 4 --act-bits 8
bench channel --prune 0.5 --prune-method channel
bench w4 --bits 4
python3 - <<'PY' || fails=$((fails + 1))
import json
r = {n: json.load(open(n + ".json")) for n in ("fp32", "w8a8", "w4a8", "channel", "w4")}
mib = lambda n: r[n]["memory"]["deployed_bytes"] / 2**20
for n, d in r.items():
    mem = d["memory"]
    assert list(mem)[0] == "deployed_bytes", (n, list(mem))
    dep = mem["deployed"]
    assert dep["status"] == "ok" and mem["deployed_bytes"] == dep["peak_bytes"], dep
    assert "separate process" in dep["method"] and "packed weights" in dep["includes"], dep
    assert dep["peak_bytes"] >= dep["runtime_bytes"] + 0.9 * dep["weights_bytes"], dep
    assert mem["peak_rss_of"].startswith("edgetune's own process"), mem
    print("%-8s deployed %.2f MiB, edgetune's own peak %s" % (n, mib(n), mem.get("peak_rss_bytes")))
assert mib("fp32") > mib("w8a8") > mib("w4a8"), "fp32 > 8-bit > 4-bit"
assert mib("fp32") > mib("channel"), "fp32 > channel-pruned"
# weight-only 4-bit runs on fp32 kernels: fp32's memory (within 5 %: resident pages of two separate processes
# differ by a few hundred KiB from run to run), well above w4a8's, and the run says why
assert abs(mib("w4") - mib("fp32")) < 0.05 * mib("fp32"), (mib("w4"), mib("fp32"))
assert mib("w4") > mib("w4a8") + 1.0, (mib("w4"), mib("w4a8"))
assert "fp32 kernels" in r["w4"]["memory"]["deployed"]["note"], r["w4"]["memory"]["deployed"]
PY

# show: deployed memory first, then edgetune's own peak, labelled
"$bin" show last >show.txt || fail "show"
grep -A1 '^memory' show.txt | head -1 | grep -q 'deployed .*MiB: what the tuned model needs' || fail "show: deployed first: $(grep -A2 '^memory' show.txt)"
grep -q "edgetune's own peak RSS" show.txt || fail "show: edgetune's own peak labelled"

# runs and compare: the deployed column, and compare's memory ratio against the fp32 baseline from it
"$bin" runs --format csv >runs.csv || fail "runs"
head -1 runs.csv | grep -q ',p99 (ms),deployed mem (MiB),edgetune peak (MiB),' || fail "runs: no deployed_mib column: $(head -1 runs.csv)"
ids=$("$bin" runs --json | python3 -c 'import json,sys; print(" ".join(str(r["id"]) for r in json.load(sys.stdin)["rows"]))')
"$bin" compare $ids --format json >cmp.json || fail "compare"
python3 - <<'PY' || fails=$((fails + 1))
import json
t = json.load(open("cmp.json"))
rows = t["rows"]
by = {r["label"]: r for r in rows}
base = by["fp32"]["deployed_mib"]
for n in ("w8a8", "w4a8", "channel"):
    r = by[n]
    assert r["memory_ratio"] > 1.0, (n, r)
    assert abs(r["memory_ratio"] - base / r["deployed_mib"]) < 0.01, (n, r, base)
    print("compare %-8s %.2f MiB, memory ratio %.2fx (fp32 %.2f MiB)" % (n, r["deployed_mib"], r["memory_ratio"], base))
PY

# sweep: deployed memory is the first measured column
"$bin" sweep "$m" --bits 32,8 --act-bits 8 --iters 2 --warmup 1 --no-save --force-int8 --format csv >sweep.csv 2>sweep.err ||
    fail "sweep: $(cat sweep.err)"
head -1 sweep.csv | grep -q '^config,exec,deployed mem (MiB),size (MiB),' || fail "sweep columns: $(head -1 sweep.csv)"

[ "$fails" = 0 ] && echo "all passed"
exit $((fails > 0))
