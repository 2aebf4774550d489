#!/usr/bin/env bash
# profilers_fixtures.sh: `edgetune doctor` on every fixture tree (fixtures/sysroot/<scenario>) names the power
# source the tree has, or says none; `bench --json` with a fixture root reports its power and energy per inference;
# compare tests energy between two such runs from their power timelines.
# Needs python3 to read the JSON (skipped, exit 77, without it).
set -u
bin=$1
src=${ET_SOURCE_DIR:?}
export EDGETUNE_DB=$PWD/runs.db
command -v python3 >/dev/null || { echo "skipped: python3 is needed to read the JSON"; exit 77; }
fails=0

# scenario -> expected power source ("" = none)
declare -A want=(
    [intel-laptop]="rapl:psys" [amd-zen]="rapl:package-0" [rapl-noperm]="" [vm-no-pmu]=""
    [jetson-nano-jp4]="ina3221:POM_5V_IN" [xavier-jp5]="ina3221 (sum of 6 rails)" [orin-jp6]="ina3221:VDD_IN"
    [rpi5]="pi5-pmic (sum of 11 rails)" [rpi4]="" [paranoid-3]=""
)
for s in "${!want[@]}"; do
    root=$src/fixtures/sysroot/$s
    got=$(EDGETUNE_SYSROOT=$root "$bin" doctor --json 2>err.txt | python3 -c 'import json,sys; print(json.load(sys.stdin)["power_source"] or "")')
    if [ $? != 0 ] || [ "$got" != "${want[$s]}" ]; then
        echo "FAIL doctor $s: power source '$got', expected '${want[$s]}' ($(cat err.txt))"
        fails=$((fails + 1))
    else
        echo "ok   doctor $s: '${got:-none}'"
    fi
    EDGETUNE_SYSROOT=$root "$bin" doctor >/dev/null 2>&1 || { echo "FAIL doctor $s (text)"; fails=$((fails + 1)); }
done

# this machine: software counters work, and doctor says so
"$bin" doctor --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = {x["source"]: x for x in d["sources"]}
assert s["counters: software"]["available"], s["counters: software"]
' || { echo "FAIL doctor here: software counters"; fails=$((fails + 1)); }

# a constant-power fixture: average power and energy per inference
m=$src/fixtures/models/digits.onnx
EDGETUNE_SYSROOT=$src/fixtures/sysroot/orin-jp6 "$bin" bench "$m" --no-save --json --seconds 1 >bench.json 2>err.txt ||
    { echo "FAIL bench with orin-jp6: $(cat err.txt)"; fails=$((fails + 1)); }
python3 - bench.json <<'PY' || fails=$((fails + 1))
import json, sys
d = json.load(open(sys.argv[1]))
p = d["power"]
assert p["status"] == "ok" and p["source"] == "ina3221:VDD_IN", p
assert abs(p["avg_power_w"] - 6.126976) < 0.01 * 6.126976, p["avg_power_w"]
per_inf = p["avg_power_w"] * d["latency_ms"]["mean"]   # W * ms = mJ
assert abs(p["energy_per_inf_mj"] - per_inf) <= 0.10 * per_inf, (p["energy_per_inf_mj"], per_inf)
print("ok   bench orin-jp6: %.3f W, %.5f mJ per inference" % (p["avg_power_w"], p["energy_per_inf_mj"]))
PY

# here there is no power sensor: bench says why, with status, never a 0 W reading
"$bin" bench "$m" --no-save --json --iters 5 | python3 -c '
import json, sys
d = json.load(sys.stdin)
p = d["power"]
assert p["status"] != "ok" and p["why"], p
assert d["memory"]["status"] == "ok" and d["memory"]["peak_rss_bytes"] > 0, d["memory"]
assert any(c["status"] == "ok" for c in d["counters"]), d["counters"]
' || { echo "FAIL bench here: power/memory/counters sections"; fails=$((fails + 1)); }

# energy is tested like latency, from the stored power timelines: two saved runs with the constant-power fixture
# compare with an energy ratio, its p-value and a verdict (not n/a)
for i in 1 2; do
    EDGETUNE_SYSROOT=$src/fixtures/sysroot/orin-jp6 "$bin" bench "$m" --seconds 0.5 --label "energy $i" >/dev/null 2>err.txt ||
        { echo "FAIL bench $i with orin-jp6 (saved): $(cat err.txt)"; fails=$((fails + 1)); }
done
ids=$("$bin" runs --limit 2 --json | python3 -c 'import json, sys; r = json.load(sys.stdin)["rows"]; print(r[0]["id"], r[1]["id"])')
"$bin" compare ${ids% *} --baseline ${ids#* } --json >cmp.json 2>err.txt ||
    { echo "FAIL compare of the two energy runs: $(cat err.txt)"; fails=$((fails + 1)); }
python3 - cmp.json <<'PY' || fails=$((fails + 1))
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
run = [r for r in rows if not r["baseline"]][0]
assert run["energy_ratio_verdict"] in ("same", "small", "better", "worse"), run
assert 0 <= run["energy_ratio_p"] <= 1 and run["energy_ratio_ci_low"] <= run["energy_ratio_ci_high"], run
print("ok   compare energy from the timelines: %.3fx, p %.3g, %s" % (run["energy_ratio"], run["energy_ratio_p"],
      run["energy_ratio_verdict"]))
PY

[ "$fails" = 0 ] && echo "all passed" || echo "$fails failed"
[ "$fails" = 0 ]
