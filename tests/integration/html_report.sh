#!/usr/bin/env bash
# html_report.sh EDGETUNE: the HTML report of a 12-point sweep (fixtures/models/digits.onnx, bits 32,8,4 x prune
# 0,0.25,0.5,0.75, its labelled evaluation set) and of a compare: one self-contained file with the four pictures
# (latency distributions, accuracy against latency with the Pareto front, size bars, energy bars) as inline SVG,
# no script, no network; each SVG parses as XML; Chromium (headless) renders the sweep's report to a screenshot
# that is not blank. The screenshot stays in this test's folder under build/ (sweep_report.png) to look at.
# Skips (77) only when chromium is missing: ./build.sh test installs Debian's `chromium` package as root.
set -u
bin=$1
src=${ET_SOURCE_DIR:?}
models=$src/fixtures/models
py=/usr/bin/python3
[ -x "$py" ] || py=python3
fail() { echo "html_report: $*" >&2; exit 1; }

export EDGETUNE_DB=$PWD/report.db
rm -f report.db report.db-wal report.db-shm sweep_report.html compare_report.html sweep_report.png
"$bin" sweep "$models/digits.onnx" --bits 32,8,4 --prune 0,0.25,0.5,0.75 --eval "$models/digits.eval" \
    --iters 20 --format html -o sweep_report.html 2>err.txt || fail "sweep failed: $(cat err.txt)"
"$bin" compare 2 3 4 --baseline 1 --format html -o compare_report.html 2>err.txt || fail "compare failed: $(cat err.txt)"

"$py" - sweep_report.html compare_report.html <<'PY' || exit 1
import re, sys, xml.etree.ElementTree as ET
for path in sys.argv[1:]:
    html = open(path, encoding="utf-8").read()
    assert "<script" not in html.lower(), f"{path}: has a script"
    assert not re.search(r'(src|href)\s*=\s*"(https?:|//)', html), f"{path}: loads something from the network"
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    ids = re.findall(r'<figure id="([a-z]+)"', html)
    assert ids == ["latency", "scatter", "size", "energy"], f"{path}: figures {ids}"
    assert len(svgs) == 4, f"{path}: {len(svgs)} SVG elements, want 4"
    for s in svgs:
        ET.fromstring(s)  # raises on anything that is not well-formed XML
    scatter = svgs[1]
    assert "polyline" in scatter, f"{path}: no Pareto front line"
    assert "(baseline)" in html, f"{path}: the baseline is not named"
    rows = html.count("<tr>") - 1
    if "sweep" in path:
        assert rows == 12, f"{path}: {rows} table rows, want the 12 points"
print("html_report: 2 reports, 4 figures each, every SVG parses")
PY

chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
    echo "skipped: chromium is not installed (./build.sh deps test installs it as root); the SVG checks passed"
    exit 77
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" --hide-scrollbars \
    --window-size=1000,1800 --screenshot="$PWD/sweep_report.png" "file://$PWD/sweep_report.html" >chromium.log 2>&1 ||
    fail "chromium could not render the report: $(tail -3 chromium.log)"
[ -s sweep_report.png ] || fail "chromium wrote no screenshot"

# not blank: decode the PNG (zlib, no PIL) and count colours and non-white pixels
"$py" - sweep_report.png <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), f"PNG colour type {ctype} depth {depth}"
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours, nonwhite, i = set(), 0, 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    if y % 4 == 0:
        for x in range(0, stride, bpp * 2):
            px = bytes(line[x:x + 3]); colours.add(px); nonwhite += px != b"\xff\xff\xff"
print(f"html_report: screenshot {w}x{h}, {len(colours)} colours, {nonwhite} non-white sampled pixels")
assert len(colours) >= 8, "the screenshot has almost no colours: blank?"
assert nonwhite > 2000, "the screenshot is almost all white: blank?"
PY
