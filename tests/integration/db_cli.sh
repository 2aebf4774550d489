#!/usr/bin/env bash
# db_cli.sh: the run-database commands through the real binary: runs (filters, formats), show, compare (every
# format read back, numbers checked), label, baseline, rm, import, --help of each, and exit codes for bad input.
# Usage: db_cli.sh EDGETUNE DB_SEED
set -u
ET=$1
SEED=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
. "$(dirname "$0")/lib.sh"
PY=""
command -v python3 >/dev/null 2>&1 && PY=python3

export EDGETUNE_DB="$dir/runs.db"
"$SEED" "$EDGETUNE_DB" demo || { echo "seeding failed" >&2; exit 1; }

# --- runs ---
expect 0 "$ET" runs
check grep -q "mobilenet_v3.onnx" out.txt
check test "$(grep -c '^ *[0-9]' out.txt)" = 8
expect 0 "$ET" runs --model mobilenet --format csv
check test "$(wc -l <out.txt)" = 3 # header + 2
expect 0 "$ET" runs --host orin --json
if [ -n "$PY" ]; then
    check $PY -c 'import json,sys; d=json.load(open("out.txt")); r=d["rows"]; assert len(r)==2 and all(x["host"]=="orin" for x in r); assert r[0]["started_unix_ms"]>=r[1]["started_unix_ms"]'
fi
expect 0 "$ET" runs --bits 8 --format csv
check test "$(wc -l <out.txt)" = 4
expect 0 "$ET" runs --prune 0.3 --threads 4 --format csv
check test "$(wc -l <out.txt)" = 3
expect 0 "$ET" runs --limit 3 --format md
check test "$(grep -c '^| [0-9]' out.txt)" = 3
expect 0 "$ET" --db "$dir/none.db" runs
check grep -q "no runs yet" out.txt
check test ! -e "$dir/none.db"
expect 2 "$ET" runs --bits x
expect 2 "$ET" runs --format xml
expect 2 "$ET" runs --frobnicate

# --- show ---
expect 0 "$ET" show 3
check grep -q "compression" out.txt
check grep -q "p50" out.txt
expect 0 "$ET" show last --json
if [ -n "$PY" ]; then
    check $PY -c 'import json; d=json.load(open("out.txt")); assert d["run_id"]==8 and len(d["latency_samples_ms"])==100 and d["samples"]["latency"]["compression_ratio"]>1'
fi
expect 2 "$ET" show 999
expect 2 "$ET" show
expect 2 "$ET" show 1 2

# --- compare: every format, read back ---
for f in table md csv json latex html; do
    expect 0 "$ET" compare 2 3 --format "$f" -o "cmp.$f"
    check test -s "cmp.$f"
    check test ! -s out.txt
done
check grep -q "x faster" cmp.table
check grep -q '\\toprule' cmp.latex
if [ -n "$PY" ]; then
    check $PY - <<'PYEOF'
import csv, json, xml.etree.ElementTree as ET
rows = list(csv.reader(open("cmp.csv", newline="")))
assert rows[0][0] == "run" and len(rows) == 4, rows
j = json.load(open("cmp.json"))
r = {x["run"]: x for x in j["rows"]}
assert set(r) == {1, 2, 3}, r.keys()
for k in (2, 3):
    assert abs(r[k]["speedup"] - r[1]["latency_p50_ms"] / r[k]["latency_p50_ms"]) < 1e-12
    assert r[k]["vs"] == 1
# csv numbers equal json numbers exactly
hdr = rows[0]
for row in rows[1:]:
    rec = dict(zip(hdr, row))
    assert float(rec["speed-up (x)"]) == r[int(rec["run"])]["speedup"]
ET.parse("cmp.html")
PYEOF
fi
expect 0 "$ET" compare 5 --baseline 1 --json
if [ -n "$PY" ]; then
    check $PY -c 'import json; d=json.load(open("out.txt")); a,b=d["rows"]; assert a["run"]==1 and b["model"]=="mobilenet_v3.onnx" and b["speedup"]>5 and b["size_ratio"]>5 and b["accuracy_delta_pp"]<0'
fi
expect 2 "$ET" compare
expect 2 "$ET" compare 1 --baseline 999
expect 2 "$ET" compare 1 -o "$dir/no/such/dir/x.csv"

# --- label, baseline, rm ---
expect 0 "$ET" label 2 "int8, the good one"
expect 0 "$ET" runs --label "good one" --format csv
check test "$(wc -l <out.txt)" = 2
check grep -q '"int8, the good one"' out.txt
expect 2 "$ET" label 999 x
expect 0 "$ET" baseline 6
expect 0 "$ET" compare 2 --json
if [ -n "$PY" ]; then
    check $PY -c 'import json; d=json.load(open("out.txt")); assert d["rows"][0]["run"]==6 and d["rows"][1]["vs"]==6'
fi
expect 0 "$ET" runs --baselines --format csv
check test "$(wc -l <out.txt)" = 2
expect 0 "$ET" baseline 6 --clear
expect 2 "$ET" rm 4 999 # one bad id: nothing removed
expect 0 "$ET" show 4
expect 0 "$ET" rm 4 5
expect 2 "$ET" show 4
expect 0 "$ET" runs --format csv
check test "$(wc -l <out.txt)" = 7

# --- import ---
"$SEED" pi-a.db many 5 1000 raspberrypi && "$SEED" pi-a.db machine-id aaaa
"$SEED" pi-b.db many 3 2000 raspberrypi && "$SEED" pi-b.db machine-id bbbb
expect 0 "$ET" import pi-a.db pi-b.db
check grep -q "pi-a.db: 5 runs added, 0 already here (1 new host" out.txt
check grep -q "pi-b.db: 3 runs added, 0 already here (1 new host" out.txt
expect 0 "$ET" import pi-a.db
check grep -q "0 runs added, 5 already here" out.txt
expect 0 "$ET" runs --host raspberrypi --format csv --limit 0
check test "$(wc -l <out.txt)" = 9
echo "not a database" >junk.db
expect 2 "$ET" import junk.db
expect 2 "$ET" import missing.db

# --- help tells the truth: every flag the parser accepts is in --help ---
for c in runs show compare label baseline rm import; do
    expect 0 "$ET" "$c" --help
    check grep -q "usage: edgetune $c" out.txt
done
for flag in --model --host --label --bits --act-bits --prune --prune-method --threads --baselines --limit --format --json -o; do
    "$ET" runs --help | grep -q -- "$flag" || bad "runs --help lacks $flag"
done
expect 0 "$ET" --help
for c in runs show compare label baseline rm import; do check grep -q "^  $c " out.txt; done

et_finish db_cli
