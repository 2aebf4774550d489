#!/usr/bin/env bash
# db_failures.sh: failure without loss, through the real binary. A writer killed with SIGKILL mid-save leaves a
# database that passes integrity_check with every committed run readable; two writers and an editor at once all
# succeed; a corrupt file, another program's SQLite file, a newer schema, a read-only file (as an unprivileged
# user) and a truncated blob each give one line on stderr and exit 2, and the file is left byte for byte as it was.
# Usage: db_failures.sh EDGETUNE DB_SEED
set -u
ET=$1
SEED=$2
dir=$(mktemp -d)
chmod 755 "$dir"
trap 'rm -rf "$dir"' EXIT
cd "$dir"
. "$(dirname "$0")/lib.sh"
# unchanged FILE CMD...: CMD exits 2 with one line and FILE keeps its bytes
unchanged() {
    local f=$1; shift
    cp "$f" before.bin
    expect 2 "$@"
    cmp -s "$f" before.bin || bad "$f changed by: $*"
}
sql() { # sql DB STATEMENT: through python's sqlite3 or the sqlite3 shell, whichever exists
    if command -v python3 >/dev/null 2>&1 && python3 -c 'import sqlite3' 2>/dev/null; then
        python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print("\n".join(str(x[0]) for x in r))' "$1" "$2"
    elif command -v sqlite3 >/dev/null 2>&1; then
        sqlite3 "$1" "$2"
    else
        return 99
    fi
}
have_sql=1
sql "$dir/probe.db" "SELECT 1" >/dev/null 2>&1 || have_sql=0
rm -f "$dir/probe.db"

# --- SIGKILL in the middle of saving ---
"$SEED" kill.db forever 100 >started.txt &
pid=$!
for _ in $(seq 100); do [ -s started.txt ] && break; sleep 0.05; done
sleep 0.4
kill -9 "$pid"
wait "$pid" 2>/dev/null
expect 0 "$ET" --db kill.db runs --limit 0 --format csv
n=$(($(wc -l <out.txt) - 1))
check test "$n" -gt 0
for id in $(tail -n +2 out.txt | cut -d, -f1); do
    "$ET" --db kill.db show "$id" >/dev/null 2>err.txt || bad "run $id unreadable after SIGKILL: $(cat err.txt)"
done
if [ $have_sql = 1 ]; then
    check test "$(sql kill.db 'PRAGMA integrity_check')" = ok
    check test "$(sql kill.db "SELECT count(*) FROM runs WHERE status <> 'ok' OR id NOT IN (SELECT run_id FROM run_stats)")" = 0
fi
echo "SIGKILL mid-save: $n committed runs intact"

# --- two writers and an editor at once ---
"$SEED" two.db many 1 1 pi5 # create it first so the label loop has a run
"$SEED" two.db many 40 1000 pi5 & a=$!
"$SEED" two.db many 40 5000 orin & b=$!
for i in $(seq 20); do "$ET" --db two.db label 1 "edit $i" >/dev/null || bad "label during writes"; done
wait $a; ra=$?
wait $b; rb=$?
check test "$ra" = 0
check test "$rb" = 0
expect 0 "$ET" --db two.db runs --limit 0 --format csv
check test "$(($(wc -l <out.txt) - 1))" = 81

# --- a corrupt file: garbage bytes ---
head -c 20000 /dev/urandom >garbage.db
unchanged garbage.db "$ET" --db garbage.db runs
unchanged garbage.db "$ET" --db garbage.db label 1 x
unchanged garbage.db "$ET" --db garbage.db import two.db
check grep -q "not an SQLite database" err.txt
check test ! -e garbage.db-wal

if [ $have_sql = 1 ]; then
    # --- another program's SQLite database ---
    sql other.db "CREATE TABLE notes(x)" >/dev/null
    unchanged other.db "$ET" --db other.db runs
    check grep -q "another program" err.txt
    # --- a database from a newer edgetune ---
    "$SEED" newer.db many 2 1 pi5
    sql newer.db "PRAGMA user_version=999" >/dev/null
    unchanged newer.db "$ET" --db newer.db runs
    check grep -q "newer edgetune" err.txt
    unchanged newer.db "$ET" --db newer.db label 1 x
    # --- a truncated blob ---
    "$SEED" blob.db many 2 1 pi5
    sql blob.db "UPDATE samples SET data = substr(data, 1, 30) WHERE run_id = 2 AND kind = 'latency_ms'" >/dev/null
    expect 2 "$ET" --db blob.db show 2
    check grep -q "run 2 (" err.txt
    check grep -q "truncated" err.txt
    expect 0 "$ET" --db blob.db show 2 --no-samples
    expect 0 "$ET" --db blob.db show 1
fi

# --- read-only file and directory, as an unprivileged user ---
mkdir ro && "$SEED" ro/runs.db many 2 1 pi5
chmod 444 ro/runs.db
as_user=""
if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null 2>&1 && as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
    # the binary must be reachable by that user
    $as_user test -x "$ET" 2>/dev/null || as_user="skip"
fi
if [ "$as_user" != skip ]; then
    unchanged ro/runs.db $as_user "$ET" --db ro/runs.db label 1 x
    check grep -q "read-only" err.txt
    expect 0 $as_user "$ET" --db ro/runs.db runs # reading still works
    chmod 555 ro
    expect 2 $as_user "$ET" --db ro/new.db label 1 x
    check test ! -e ro/new.db
    chmod 755 ro
else
    echo "skipped: read-only checks (no unprivileged user available)"
fi

et_finish db_failures
