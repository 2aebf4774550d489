#!/usr/bin/env bash
# build.sh: the one entry point for edgetune developers and users.
#
#   ./build.sh [build]        install missing packages (as root) and build into build/ (binary: build/edgetune)
#   ./build.sh run [ARGS...]  build, then open the workbench (default: the bundled demo model)
#   ./build.sh test           build and run every test: unit, conformance, integration, ui, e2e, the unit and
#                             conformance tests and the hostile-input CLI test again under ASan+UBSan, and the
#                             fuzzer for 60 s
#   ./build.sh asan           only the sanitizer part of `test`
#   ./build.sh fuzz [SECONDS] build the libFuzzer target with clang and run it (default 60 s)
#   ./build.sh cross          aarch64 build with gcc-aarch64-linux-gnu, its tests under qemu-aarch64
#                             (a Cortex-A72 without dot-product, and a CPU with it)
#   ./build.sh bench          speed table: edgetune against ONNX Runtime (npm onnxruntime-node) on
#                             full-size models that the fixture generator makes into fixtures/large/
#   ./build.sh format [FILE...]  rewrite the C files (all tracked ones, or those named) in .clang-format's layout
#   ./build.sh deps [GROUP]   only install (or list) the packages a group needs: build test cross bench, or
#                             fixtures (what fixtures/generate.py needs; nothing else uses it)
#   ./build.sh clean          remove every build folder
#
# Missing Debian/Ubuntu packages are installed with apt-get when run as root; otherwise the one apt line to
# run is printed and the script exits with code 2.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
jobs=$(nproc 2>/dev/null || echo 2)

say() { printf 'build.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 2; }

# --- packages -------------------------------------------------------------------------------------------------
pkgs_build="gcc make cmake pkg-config libncurses-dev libpfm4-dev libsqlite3-dev liblz4-dev"
pkgs_test="tmux sqlite3 clang clang-format libclang-rt-dev groff-base man-db chromium"
pkgs_cross="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static"
pkgs_bench="python3-torch python3-torchvision python3-onnx python3-numpy"
# only for regenerating the committed fixtures (fixtures/generate.py): the build and the tests never need them
pkgs_fixtures="python3-torch python3-torchvision python3-onnx python3-numpy python3-sklearn dataset-fashion-mnist"
pkgs_node="nodejs npm" # only when no node/npm is on PATH (NodeSource's nodejs bundles npm, Debian's does not)

missing_pkgs() {
    local p out=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || out="$out $p"
    done
    echo "${out# }"
}

need() {
    command -v dpkg-query >/dev/null 2>&1 || return 0 # not Debian-like: trust the user's toolchain
    local miss
    miss=$(missing_pkgs "$@")
    [ -z "$miss" ] && return 0
    if [ "$(id -u)" = 0 ]; then
        say "installing missing packages: $miss"
        export DEBIAN_FRONTEND=noninteractive
        # shellcheck disable=SC2086
        apt-get install -y -q --no-install-recommends $miss >/dev/null ||
            { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $miss >/dev/null; } ||
            die "apt-get could not install: $miss"
    else
        die "missing packages; run: sudo apt-get install -y $miss"
    fi
}

# --- builds ---------------------------------------------------------------------------------------------------
configure_and_build() { # DIR [cmake args...]
    local dir=$1; shift
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
}

build_main() { need $pkgs_build; configure_and_build build -DET_WERROR=ON; }

build_asan() {
    need $pkgs_build
    configure_and_build build-asan -DET_WERROR=ON -DET_SANITIZE=ON
}

run_fuzz() { # SECONDS
    local secs=${1:-60}
    need $pkgs_build $pkgs_test
    CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Release -DET_FUZZ=ON -DET_CORE_ONLY=ON >/dev/null
    cmake --build build-fuzz -j "$jobs" --target fuzz_model
    local corpus=build-fuzz/corpus
    rm -rf "$corpus" && mkdir -p "$corpus"
    # seeds: every fixture model small enough for -max_len, the hostile files, and hand-made seeds
    find fixtures/models fixtures/bad tests/fuzz/seeds -maxdepth 1 -type f \( -name '*.onnx' -o -name '*.seed' \) \
        -size -256k -exec cp {} "$corpus"/ \; 2>/dev/null || true
    say "fuzzing the ONNX reader and graph passes for ${secs} s"
    local rc=0
    ASAN_OPTIONS=detect_leaks=1 build-fuzz/tests/fuzz/fuzz_model -max_total_time="$secs" -rss_limit_mb=2048 \
        -max_len=262144 -print_final_stats=1 "$corpus" >build-fuzz/fuzz.log 2>&1 || rc=$?
    grep -E '^#[0-9]+ +DONE|^stat::(number_of_executed|new_units|peak_rss)' build-fuzz/fuzz.log || true
    if [ "$rc" != 0 ]; then
        tail -n 40 build-fuzz/fuzz.log
        die "the fuzzer found a failure (log: build-fuzz/fuzz.log; reproduce: build-fuzz/tests/fuzz/fuzz_model CRASH_FILE)"
    fi
}

run_cross() {
    need $pkgs_build $pkgs_cross
    configure_and_build build-aarch64 -DET_WERROR=ON -DET_CORE_ONLY=ON \
        -DCMAKE_TOOLCHAIN_FILE="$here/tests/cross/aarch64-linux-gnu.cmake"
    local cpu
    for cpu in cortex-a72 cortex-a76; do
        say "aarch64 tests under qemu-aarch64 -cpu $cpu"
        (cd build-aarch64 && ET_QEMU_CPU=$cpu ctest --output-on-failure -j "$jobs" -L 'unit|conformance')
    done
}

cmd=${1:-build}
[ $# -gt 0 ] && shift
case "$cmd" in
build)
    build_main
    ;;
run)
    build_main
    exec build/edgetune tui "$@" # the workbench; with no MODEL the demo model, runs in the default database
    ;;
test)
    build_main
    need $pkgs_test
    say "tests"
    (cd build && ctest --output-on-failure -j "$jobs" -LE 'fuzz|bench')
    say "unit and conformance tests under ASan+UBSan"
    build_asan
    (cd build-asan && ctest --output-on-failure -j "$jobs" -L 'unit|conformance|asan')
    run_fuzz 60
    say "all tests passed"
    ;;
asan)
    build_asan
    (cd build-asan && ctest --output-on-failure -j "$jobs" -L 'unit|conformance|asan')
    ;;
fuzz)
    run_fuzz "${1:-60}"
    ;;
cross)
    run_cross
    ;;
bench)
    build_main
    need $pkgs_bench
    command -v node >/dev/null && command -v npm >/dev/null || need $pkgs_node
    exec tests/bench/run.sh "$@"
    ;;
format)
    need clang-format
    exec tests/structure/format.sh "$here" --fix "$@"
    ;;
deps)
    group=${1:-build}
    case "$group" in
    build) need $pkgs_build ;;
    test) need $pkgs_build $pkgs_test ;;
    cross) need $pkgs_build $pkgs_cross ;;
    bench)
        need $pkgs_build $pkgs_bench
        command -v node >/dev/null && command -v npm >/dev/null || need $pkgs_node
        ;;
    fixtures) need $pkgs_fixtures ;;
    *) die "unknown package group '$group' (build, test, cross, bench, fixtures)" ;;
    esac
    ;;
clean)
    rm -rf build build-asan build-fuzz build-aarch64
    ;;
-h | --help | help)
    sed -n "2,/^set -euo/p" "$0" | sed "/^set -euo/d; s/^# \{0,1\}//"
    ;;
*)
    die "unknown command '$cmd'; see ./build.sh --help"
    ;;
esac
