#!/usr/bin/env bash
# man_lint.sh BINARY MANPAGE: the man page renders without a single groff warning (every warning enabled, on the
# utf8, ascii and latin1 devices, and through man(1) when it is installed), and it documents the program as it
# is: every subcommand `edgetune --help` lists has its own section, and every flag any `edgetune COMMAND --help`
# (and the global help) mentions appears in the page.
set -u
bin=$1
page=$2
fail=0
command -v groff >/dev/null || { echo "skipped: groff is not installed (./build.sh deps test)"; exit 77; }

for dev in utf8 ascii latin1; do
    out=$(groff -man -T"$dev" -ww -z "$page" 2>&1) || { echo "groff -T$dev failed"; fail=1; }
    [ -z "$out" ] || { echo "groff -T$dev warnings:"; echo "$out"; fail=1; }
done
if command -v man >/dev/null; then
    out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    [ -z "$out" ] || { echo "man --warnings:"; echo "$out"; fail=1; }
fi

# the page source with groff's escaped hyphens as plain ones
text=$(sed 's/\\-/-/g' "$page")
commands=$("$bin" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')
[ -n "$commands" ] || { echo "no commands in 'edgetune --help'"; exit 1; }
for c in $commands; do
    if ! grep -qE "^\.SS \"edgetune (\[$c\]|$c)( |\")" <<<"$text"; then
        echo "subcommand '$c' has no section (.SS \"edgetune $c ...\") in $page"
        fail=1
    fi
    flags=$("$bin" "$c" --help | grep -oE -- '(^|[ [(|])--?[a-z][a-z0-9-]*' | sed 's/^[ [(|]//' | sort -u)
    for f in $flags; do
        grep -qF -- "$f" <<<"$text" || { echo "'edgetune $c' flag $f is not in $page"; fail=1; }
    done
done
for f in $("$bin" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
    grep -qF -- "$f" <<<"$text" || { echo "global flag $f is not in $page"; fail=1; }
done
# the environment the program reads, and the keys the workbench binds
for v in EDGETUNE_DB EDGETUNE_SYSROOT EDGETUNE_ISA NO_COLOR; do
    grep -q "^\.B $v" <<<"$text" || { echo "environment variable $v is not in ENVIRONMENT"; fail=1; }
done
# keys: the words of the .B/.BR lines in the KEYS section
documented=$(awk '/^\.SH KEYS/ { on = 1; next } /^\.SH/ { on = 0 } on && /^\.BR? / { $1 = ""; gsub(/[",]/, " "); print }' \
    <<<"$text" | tr -s ' ' '\n' | sort -u)
for k in $("$bin" tui --keys | awk '{ print $1 }' | tr '/' '\n' | sort -u); do
    grep -qxF -- "$k" <<<"$documented" || { echo "key '$k' is not in KEYS"; fail=1; }
done
[ $fail = 0 ] && echo "ok: $(wc -l <"$page") lines, commands: $(echo $commands)"
exit $fail
