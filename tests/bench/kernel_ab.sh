#!/usr/bin/env bash
# kernel_ab.sh: the GEMM/IGEMM, int8 depthwise and int8 multiply microkernels of this checkout against those of another
# revision, in one process (kernel_ab.c). For changes to kernel code that must not cost speed: timings on a shared machine drift by 5-15 %
# between runs, but two versions interleaved in one process see the same drift, and instruction counts see none.
#
#   tests/bench/kernel_ab.sh [--base REV] [--callgrind] [FILTER [BLOCKS]]
#
#   --base REV   the other revision (default: main)
#   --callgrind  instructions per call of each version (valgrind --tool=callgrind), instead of timings
#   FILTER       only cases whose kernel name contains it; BLOCKS: interleaved blocks per side (default 20)
#
# Needs the x86-64 build in build/ (./build.sh) for this checkout's kernels; builds REV's kernel files into
# build/kernel_ab/ with the flags CMakeLists.txt gives their ISA, and renames their symbols old_*. Prints one line
# per case: the fastest block of each side and new/old (below 1: this checkout is faster). Exit 2 on bad usage.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$here"
base=main callgrind=0
while [ $# -gt 0 ]; do
    case "$1" in
    --base) base=${2:?--base needs a revision}; shift 2 ;;
    --callgrind) callgrind=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "kernel_ab.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) break ;;
    esac
done
filter=${1:-} blocks=${2:-20}
[ "$(uname -m)" = x86_64 ] || { echo "kernel_ab.sh: x86-64 only" >&2; exit 2; }
git rev-parse --verify -q "$base^{commit}" >/dev/null || { echo "kernel_ab.sh: no revision '$base'" >&2; exit 2; }
[ -f build/libetcore.a ] || { echo "kernel_ab.sh: build/libetcore.a missing; run ./build.sh first" >&2; exit 2; }
cmake --build build --target etcore >/dev/null

out=build/kernel_ab
rm -rf "$out" && mkdir -p "$out/base" "$out/obj"
git archive "$base" src | tar -x -C "$out/base"
cflags="-O2 -std=c11 -D_GNU_SOURCE -DET_VERSION=\"ab\" -fno-math-errno -I$out/base/src -I$out/base"
for f in "$out"/base/src/engine/kernels/*/*gemm*-avx2.c "$out"/base/src/engine/kernels/*/*gemm*-scalar.c \
    "$out"/base/src/engine/kernels/qc8-dwconv/*-avx2.c "$out"/base/src/engine/kernels/qs8-vmul/*-avx2.c; do
    name=$(basename "$f" .c)
    case "$name" in *-avx2) isa="-mavx2 -mfma -mf16c" ;; *) isa="" ;; esac
    # shellcheck disable=SC2086
    cc $cflags $isa -c "$f" -o "$out/obj/$name.o"
    renames=$(nm "$out/obj/$name.o" | awk '$2 == "T" {printf " --redefine-sym %s=old_%s", $3, $3}')
    # shellcheck disable=SC2086
    objcopy $renames "$out/obj/$name.o"
done
cc -O2 -std=c11 -D_GNU_SOURCE -Isrc tests/bench/kernel_ab.c "$out"/obj/*.o build/libetcore.a -lm -lpthread \
    -o "$out/kernel_ab"

if [ "$callgrind" = 0 ]; then
    exec "$out/kernel_ab" "$filter" "$blocks"
fi
command -v valgrind >/dev/null || { echo "kernel_ab.sh: --callgrind needs valgrind" >&2; exit 2; }
echo "instructions per call (callgrind; each version called 2000 times):"
"$out/kernel_ab" "$filter" 0 | while read -r index name rest; do
    KERNEL_AB_CALLS=1000 KERNEL_AB_CASE=$index valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" \
        "$out/kernel_ab" "$filter" 1 >/dev/null 2>&1
    callgrind_annotate --inclusive=yes "$out/cg.out" 2>/dev/null | grep -E '\?\?\?:(old_)?et_.*ukernel' |
        grep -v '=>' | sed 's/,//g' |
        awk -v d="$name $(echo "$rest" | awk '{print $1, $2, $3, $4}')" \
            '{if ($0 ~ /old_et_/) o = $1; else n = $1}
             END {printf "%-70s old %9.1f  new %9.1f  (%+.2f %%)\n", d, o / 2000, n / 2000, 100 * (n - o) / o}'
done
