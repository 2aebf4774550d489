#!/usr/bin/env bash
# setup_ort.sh: makes onnxruntime-node (ONNX Runtime for Node.js) available to the reference scripts in
# tests/bench/ and prints where it is. ORT is only a yardstick for tests and benchmarks: edgetune never links it.
#
#   tests/bench/setup_ort.sh            use the copy the scripts already find, else install one
#   tests/bench/setup_ort.sh --install  install into the cache folder even if another copy is found
#
# The cache folder is $EDGETUNE_ORT_DIR, else ${XDG_CACHE_HOME:-~/.cache}/edgetune/ort (outside the source tree,
# so `./build.sh clean` keeps it). The version is $EDGETUNE_ORT_VERSION (default 1.30.0, the one the committed
# numbers were taken with). npm runs with --ignore-scripts: the CPU binaries ship inside the package, the
# install script would only fetch optional GPU libraries. Prints the module folder on stdout; exit 2 when npm
# is missing, 1 when the install fails.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${EDGETUNE_ORT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/edgetune/ort}
version=${EDGETUNE_ORT_VERSION:-1.30.0}

command -v node >/dev/null 2>&1 || { echo "setup_ort.sh: node not found; run: ./build.sh deps bench" >&2; exit 2; }
if [ "${1:-}" != "--install" ]; then
    if found=$(node "$here/ort.js" 2>/dev/null); then
        printf '%s\n' "${found%%$'\t'*}"
        exit 0
    fi
fi
command -v npm >/dev/null 2>&1 || { echo "setup_ort.sh: npm not found; run: ./build.sh deps bench" >&2; exit 2; }
mkdir -p "$dir"
[ -f "$dir/package.json" ] || printf '{ "private": true, "description": "edgetune benchmark reference" }\n' >"$dir/package.json"
echo "setup_ort.sh: installing onnxruntime-node@$version into $dir" >&2
if ! (cd "$dir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
    "onnxruntime-node@$version" >&2); then
    echo "setup_ort.sh: npm install onnxruntime-node@$version failed (network? registry?); see the npm output above" >&2
    exit 1
fi
EDGETUNE_ORT_DIR=$dir node "$here/ort.js" >/dev/null ||
    { echo "setup_ort.sh: installed, but node cannot load $dir/node_modules/onnxruntime-node" >&2; exit 1; }
printf '%s\n' "$dir/node_modules/onnxruntime-node"
