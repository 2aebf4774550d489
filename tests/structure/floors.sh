#!/usr/bin/env bash
# floors.sh: the dependency graph of src/, ui/, profilers/ and db/ against the floors README.md defines.
#
#   tests/structure/floors.sh SOURCE_DIR [BUILD_DIR]
#
# A file depends on another when it includes it ("#include" lines, resolved against src/ and the top level) or,
# given a build folder, when its object file uses a symbol the other's object file defines (nm): one shared header
# can hide a circle between the .c files behind it, the linker's view cannot. Fails (exit 1), naming each edge, on
#   - a file that is on no floor;
#   - an upward dependency: a file that depends on a folder of a higher floor, or of another folder on its own
#     floor, unless a folder README lists it as "- upward: `FROM` -> `TO`...: why" (FROM and TO are path
#     prefixes; a line may name several TO);
#   - an "- upward:" line that no dependency needs any more (so the list cannot go stale);
#   - a circle between files: Tarjan's strongly connected components of the graph, each printed with the edges
#     that close it. Headers never depend on .c files, so a circle always passes through two .c files that call
#     each other, directly or around a ring.
# The floors are the block after "<!-- floors" in README.md: "NUMBER FOLDER what it holds", lowest first. A folder
# may depend on itself and on folders of lower numbers. Needs bash, find, grep, sed, awk and, with BUILD_DIR, nm.
set -euo pipefail

src_dir=${1:?usage: floors.sh SOURCE_DIR [BUILD_DIR]}
build_dir=${2:-}
cd "$src_dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- the floors and the allowed exceptions --------------------------------------------------------------------
awk '/^<!-- floors/ { on = 1; next } on && /^```/ { if (++fence == 2) exit; next } on && fence == 1 && /^[0-9]+[[:space:]]/ {
    print $1, $2 }' README.md >"$tmp/floors"
[ -s "$tmp/floors" ] || { echo "floors.sh: no floors block ('<!-- floors' then a code block) in README.md" >&2; exit 2; }
find src ui profilers db -name README.md -print0 | xargs -0 grep -h '^- upward:' 2>/dev/null |
    sed -E 's/^- upward:[[:space:]]*//; s/:[[:space:]].*$//; s/`//g; s/[[:space:]]*->[[:space:]]*/ /' >"$tmp/upward" || true

# --- the edges --------------------------------------------------------------------------------------------------
# "inc FROM TO" for each include that resolves to a file of the tree (against src/, then the top level)
find src ui profilers db -name '*.[ch]' | sort >"$tmp/files"
xargs grep -H -E '^[[:space:]]*#[[:space:]]*include[[:space:]]+"' <"$tmp/files" | awk -v files="$tmp/files" '
BEGIN { while ((getline f < files) > 0) known[f] = 1 }
{
    from = $0; sub(/:.*/, "", from)
    inc = $0; sub(/^[^"]*"/, "", inc); sub(/".*/, "", inc)
    if (("src/" inc) in known) print "inc", from, "src/" inc
    else if (inc in known) print "inc", from, inc
}' >"$tmp/edges"

# "sym FROM TO SYMBOL" for each external symbol one object uses and another defines. Objects are
# <build>/CMakeFiles/<target>.dir/<source>.o; those whose source is gone (a stale build folder) are skipped.
if [ -n "$build_dir" ]; then
    command -v nm >/dev/null || { echo "floors.sh: nm (binutils) is needed with a build folder" >&2; exit 2; }
    find "$build_dir/CMakeFiles" -path '*/CMakeFiles/*.dir/*' -name '*.c.o' | sort | while IFS= read -r o; do
        s=${o#*.dir/}
        s=${s%.o}
        case "$s" in src/* | ui/* | profilers/* | db/*) [ -f "$s" ] && echo "$o" ;; esac
    done >"$tmp/objects"
    if [ -s "$tmp/objects" ]; then
        xargs nm -P -A <"$tmp/objects" | awk '
        {
            obj = $1; sub(/:$/, "", obj); sub(/^.*\.dir\//, "", obj); sub(/\.o$/, "", obj)
            if ($3 == "U") users[$2] = users[$2] " " obj
            else if ($3 ~ /^[TDBRCV]$/) def[$2] = obj
        }
        END {
            for (sym in users) {
                if (!(sym in def)) continue
                n = split(users[sym], u, " ")
                for (i = 1; i <= n; i++) if (u[i] != def[sym]) print "sym", u[i], def[sym], sym
            }
        }' | sort -u >>"$tmp/edges"
    fi
fi

# --- the checks -------------------------------------------------------------------------------------------------
awk -v floors="$tmp/floors" -v upward="$tmp/upward" -v files="$tmp/files" '
function folder_of(p,   f, best) {
    best = ""
    for (f in rank)
        if (index(p, f "/") == 1 && length(f) > length(best))
            best = f
    return best
}
function allowed(a, b,   i, k, n, t) {
    for (i = 1; i <= n_up; i++) {
        if (index(a, up_from[i]) != 1)
            continue
        n = split(up_to[i], t, " ")
        for (k = 1; k <= n; k++)
            if (index(b, t[k]) == 1) {
                used[i] = 1
                return 1
            }
    }
    return 0
}
function tarjan(v,   i, w) {
    idx[v] = low[v] = counter++
    stack[++sp] = v
    on[v] = 1
    for (i = 1; i <= nout[v]; i++) {
        w = out[v, i]
        if (!(w in idx)) {
            tarjan(w)
            if (low[w] < low[v]) low[v] = low[w]
        } else if (on[w] && idx[w] < low[v])
            low[v] = idx[w]
    }
    if (low[v] == idx[v]) {
        n_comp++
        do {
            w = stack[sp--]
            on[w] = 0
            comp[w] = n_comp
            size[n_comp]++
        } while (w != v)
    }
}
BEGIN {
    while ((getline line < floors) > 0) { split(line, p, " "); rank[p[2]] = p[1] + 0 }
    while ((getline line < upward) > 0) {
        n = split(line, p, " ")
        if (n < 2) continue
        up_from[++n_up] = p[1]
        up_to[n_up] = ""
        for (i = 2; i <= n; i++) up_to[n_up] = up_to[n_up] " " p[i]
    }
    while ((getline f < files) > 0)
        if (folder_of(f) == "") { print "not on a floor: " f " (add its folder to the floors block of README.md)"; bad = 1 }
}
{
    kind = $1; a = $2; b = $3; sym = $4
    if (a == b) next
    fa = folder_of(a); fb = folder_of(b)
    if (fa != "" && fb != "" && fa != fb && rank[fb] >= rank[fa] && !allowed(a, b)) {
        what = kind == "inc" ? "includes" : "calls " sym " in"
        key = a " " b
        if (!(key in told)) {
            told[key] = 1
            printf "upward: %s (%s, floor %d) %s %s (%s, floor %d)\n", a, fa, rank[fa], what, b, fb, rank[fb]
        }
        bad = 1
    }
    if (!((a, b) in edge)) {
        edge[a, b] = kind == "inc" ? "includes " b : "calls " sym
        out[a, ++nout[a]] = b
        node[a] = node[b] = 1
    }
}
END {
    for (v in node) if (!(v in idx)) tarjan(v)
    for (v in node) {
        c = comp[v]
        if (size[c] < 2) continue
        for (i = 1; i <= nout[v]; i++) {
            w = out[v, i]
            if (comp[w] == c) circle[c] = circle[c] sprintf("\n    %s -> %s (%s)", v, w, edge[v, w])
        }
    }
    for (c = 1; c <= n_comp; c++)
        if (size[c] >= 2) { printf "circle of %d files:%s\n", size[c], circle[c]; bad = 1 }
    for (i = 1; i <= n_up; i++)
        if (!used[i]) { printf "an upward line no dependency needs (take it off its README):%s ->%s\n", " " up_from[i], up_to[i]; bad = 1 }
    exit bad
}' "$tmp/edges" && { echo "floors.sh: $(wc -l <"$tmp/files") files, $(grep -c '^inc' "$tmp/edges") includes, $(grep -c '^sym' "$tmp/edges" || true) symbol uses: no circle, no upward dependency outside the READMEs' list"; exit 0; }
exit 1
