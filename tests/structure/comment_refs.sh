#!/usr/bin/env bash
# comment_refs.sh: comments in src/, ui/, profilers/, db/ and tests/ name files that exist, and never the process
# that made the code.
#
#   tests/structure/comment_refs.sh SOURCE_DIR [FILE]...
#
# In every comment of the .c and .h files (and every "#" comment line of the shell scripts, CMakeLists.txt files
# and build.sh), a word that looks like a file name (NAME.c, .h, .sh, .py, .js, .md, with or without a folder;
# an upper-case name is a placeholder) must name a file of the tree (its last path parts), a system header the
# tree includes, or one of the outside names listed below. A comment must not name a branch ("branch `kernels`",
# "the tune branch") or an issue ("issue 4"): say what the code does and why. Each finding is printed as
# FILE:LINE: what. FILEs named on the command line are waiting for a fix by someone else: their findings are
# listed but do not fail, and a named FILE without findings fails (take it off the list).
set -euo pipefail

src_dir=${1:?usage: comment_refs.sh SOURCE_DIR [FILE]...}
shift
cd "$src_dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# names a comment may use that are not files of the tree: the Linux kernel's sources, products
cat >"$tmp/outside" <<'LIST'
kernel/events/core.c
Node.js
LIST
find . -path ./.git -prune -o -path ./build -prune -o -path './build-*' -prune -o -type f -print | sed 's#^\./##' >"$tmp/tree"
find src ui profilers db tests -name '*.[ch]' | sort >"$tmp/files"
{ find src ui profilers db tests -name '*.sh' -o -name CMakeLists.txt -o -name '*.cmake'; echo CMakeLists.txt; echo build.sh; } |
    grep -v '^tests/structure/comment_refs.sh$' | sort >"$tmp/scripts"
xargs grep -h -o -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*<[^>]+>' <"$tmp/files" |
    sed -E 's/.*<([^>]+)>/\1/' | sort -u >"$tmp/system"

# shellcheck disable=SC2046
awk -v tree="$tmp/tree" -v sys="$tmp/system" -v outside="$tmp/outside" '
BEGIN {
    while ((getline p < tree) > 0) {
        n = split(p, part, "/")
        suffix = part[n]
        known[suffix] = 1
        for (i = n - 1; i >= 1; i--) { suffix = part[i] "/" suffix; known[suffix] = 1 }
    }
    while ((getline p < sys) > 0) { known[p] = 1; n = split(p, part, "/"); known[part[n]] = 1 }
    while ((getline p < outside) > 0) known[p] = 1
}
function check(text, line,   t, rest, stem) {
    rest = text
    while (match(rest, /[A-Za-z0-9_.\/-]+\.(c|h|sh|py|js|md)([^A-Za-z0-9_]|$)/)) {
        t = substr(rest, RSTART, RLENGTH)
        rest = substr(rest, RSTART + RLENGTH)
        sub(/[^A-Za-z0-9_]$/, "", t)
        sub(/^[.\/]+/, "", t)
        stem = t; sub(/\.[a-z]+$/, "", stem); sub(/.*\//, "", stem)
        if (length(stem) < 2) continue   # "r.h", "a.c": struct fields, not files
        if (stem !~ /[a-z]/) continue    # "NAME.c", "SCRIPT.sh": placeholders
        if (!(t in known)) printf "%s:%d: names %s, which is not a file of the tree\n", FILENAME, line, t
    }
    if (text ~ /[Bb]ranch `[a-z0-9_-]+`/ || text ~ /the [a-z0-9_-]+ branch([^a-z-]|$)/ || text ~ /[Ii]ssue #?[0-9]/)
        printf "%s:%d: names the process that made the code (a branch or an issue): %s\n", FILENAME, line, text
}
FNR == 1 { in_block = 0; hash = FILENAME ~ /(\.sh|\.cmake|CMakeLists\.txt)$/ }
hash { if ($0 ~ /^[ \t]*#/ && $0 !~ /^#!/) check($0, FNR); next }
{
    line = $0
    while (line != "") {
        if (in_block) {
            end = index(line, "*/")
            if (end == 0) { check(line, FNR); line = "" }
            else { check(substr(line, 1, end - 1), FNR); line = substr(line, end + 2); in_block = 0 }
            continue
        }
        b = index(line, "/*"); s = index(line, "//")
        if (b == 0 && s == 0) break
        if (s > 0 && (b == 0 || s < b)) { check(substr(line, s + 2), FNR); break }
        line = substr(line, b + 2); in_block = 1
    }
}' $(cat "$tmp/files" "$tmp/scripts") >"$tmp/found"

status=0
waiting=" $* "
while IFS= read -r f; do
    [ -n "$f" ] || continue
    file=${f%%:*}
    if [[ "$waiting" == *" $file "* ]]; then echo "waiting: $f"; else echo "$f"; status=1; fi
done <"$tmp/found"
for w in "$@"; do
    grep -q "^$w:" "$tmp/found" || { echo "named as waiting but its comments are fine (take it off the list): $w"; status=1; }
done
[ "$status" = 0 ] && echo "comment_refs.sh: $(cat "$tmp/files" "$tmp/scripts" | wc -l) files: every file a comment names exists, no branch or issue named"
exit "$status"
