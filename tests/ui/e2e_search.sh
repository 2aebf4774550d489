#!/usr/bin/env bash
# e2e_search.sh BINARY: the search view in tmux at 132x43 on a fixture model (fixtures/models/fmnist_resnet.onnx,
# 100 of its labelled test images, 1 thread), in a fresh database:
#   1. P opens the form with the CLI's defaults (1 pp, latency, the default candidates); a tiny search: one
#      candidate (bits=4), 0.05 s a point, the quick grid (bits only, 1 round, 20 iterations), 10 pp, objective
#      size (deterministic); Enter starts it and the view shows the phase
#      (sensitivity i/N, then the uniform grid and the finalists) and the points measured;
#   2. it finishes with a winner: the database holds the search's points as runs labelled 'search <time>: ...'
#      (the winner among them), as `edgetune search` stores them; w writes the winner's --layers-config file,
#      which `edgetune bench --layers-config` reads and which equals the -o file of `edgetune search` with the
#      same settings (one job, two front ends); Enter applies it to the workbench (its layers become the
#      knobs' overrides: runs.layers of the next run);
#   3. a second search, cancelled with c during the sensitivity or the grid: the points measured so far are
#      stored ('cancelled' on the screen, and the reference among the runs of that search); q quits with exit
#      code 0 and no run left 'running'.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/e2e_lib.sh"
e2e_init "$1"
M=$E2E_SRC/fixtures/models
cd "$E2E_DIR" || e2e_fail "cd $E2E_DIR"
envs=(LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color)
args=("$M/fmnist_resnet.onnx" --bits 8 --eval "$M/fmnist_resnet.eval" --eval-limit 100 --calib "$M/fmnist_resnet.calib"
    --seconds 0.2 --min-seconds 0.1 --no-profilers --threads 1)
t0=$(now_ms)

# 1. the form, then a tiny search
e2e_start 132 43 "${envs[@]}" -- "${args[@]}"
e2e_wait "edgetune +fmnist_resnet.onnx" 30
e2e_keys P
e2e_wait "max drop +1 pp against fp32" 5
e2e_screen | grep -qE "candidates +bits=4;prune=0.25,method=channel;prune=0.5,method=channel" ||
    e2e_fail "the candidates are not the CLI's default"
e2e_keys Right Right Right Right Down Right Down C-u
e2e_keys -l "bits=4"
e2e_keys Down Down Left Down Right
e2e_wait "max drop +10 pp" 5
e2e_wait "objective +size" 5
e2e_wait "time a point +0.05 s" 5
e2e_wait "grid +quick" 5
e2e_keys Enter
e2e_wait "sensitivity [0-9]+/[0-9]+|round [0-9]/1: uniform grid" 60
e2e_wait "round [0-9]/1: (uniform grid|finalist|base) [0-9]+/[0-9]+" 60
e2e_screen | grep -qE "[0-9]+ measured" || e2e_fail "no count of the points measured"

# 2. done: stored, written, applied
e2e_wait "done in [0-9.]+ s: winner " 90
screen=$(e2e_screen)
group=$(echo "$screen" | sed -nE "s/.*stored as '(search [0-9T]+): \.\.\.'.*/\1/p" | head -n 1)
[ -n "$group" ] || e2e_fail "the view does not say where the points were stored"
echo "$screen" | grep -q "Pareto front" || e2e_fail "no table of the front"
echo "$screen" | grep -qE " W  [a-z0-9]" || e2e_fail "the winner is not in the table of the front"
n=$(e2e_sql "SELECT count(*) FROM runs WHERE label LIKE '$group: %'")
[ "$n" -ge 5 ] || e2e_fail "only $n runs of the search are stored"
[ "$(e2e_sql "SELECT count(*) FROM runs WHERE label LIKE '$group: winner (%'")" = 1 ] ||
    e2e_fail "the winner is not stored as such"
e2e_keys w
e2e_wait "wrote fmnist_resnet-search.cfg" 10
grep -qE '^/.* bits=4$' fmnist_resnet-search.cfg || e2e_fail "the written file: $(cat fmnist_resnet-search.cfg)"
"$E2E_BIN" bench "$M/fmnist_resnet.onnx" --bits 8 --layers-config fmnist_resnet-search.cfg --no-save --iters 3 \
    --eval-limit 20 >bench.txt 2>&1 || e2e_fail "bench --layers-config: $(cat bench.txt)"
# the same job as `edgetune search` with the same settings (size: deterministic): the same winner
"$E2E_BIN" search "$M/fmnist_resnet.onnx" --max-drop 10 --objective size --bits 8 --threads 1 --candidates bits=4 \
    --seconds 0.05 --uniform-act-bits 32 --uniform-prune 0 --rounds 1 --iters 20 --sens-iters 5 \
    --eval "$M/fmnist_resnet.eval" --eval-limit 100 --calib "$M/fmnist_resnet.calib" --no-save -o cli.cfg >cli.txt 2>&1 ||
    e2e_fail "edgetune search: $(tail -3 cli.txt)"
[ "$(grep -v '^#' cli.cfg)" = "$(grep -v '^#' fmnist_resnet-search.cfg)" ] ||
    e2e_fail "the search view and edgetune search with the same settings chose different winners: $(cat cli.cfg fmnist_resnet-search.cfg)"
e2e_keys Enter
e2e_wait "applied the search's winner" 10
e2e_wait "layers +[0-9]+ overrides|per-layer" 30
want=$(grep -E '^/' fmnist_resnet-search.cfg | head -n 1)
for i in $(seq 1 60); do
    [ "$(e2e_sql "SELECT count(*) FROM runs WHERE layers LIKE '%${want%% *}%' AND label NOT LIKE 'search%'")" -ge 1 ] && break
    sleep 0.5
done
[ "$i" -lt 60 ] || e2e_fail "no workbench run with the winner's overrides ($want)"

# 3. a second search on the CLI's grid, cancelled: what was measured is stored
e2e_keys P
e2e_wait "max drop +10 pp" 5
e2e_keys Right
e2e_wait "grid +the CLI's" 5
e2e_keys Enter
e2e_wait "sensitivity [0-9]+/[0-9]+|round [0-9]/2" 60
e2e_keys c
e2e_wait "cancelled in [0-9.]+ s" 60
screen=$(e2e_screen)
group2=$(echo "$screen" | sed -nE "s/.*stored as '(search [0-9T]+): \.\.\.'.*/\1/p" | head -n 1)
[ -n "$group2" ] && [ "$group2" != "$group" ] || e2e_fail "the cancelled search's points were not stored"
[ "$(e2e_sql "SELECT count(*) FROM runs WHERE label = '$group2: fp32'")" = 1 ] ||
    e2e_fail "the cancelled search's reference is not stored"
e2e_keys Escape
e2e_quit_clean
took=$(($(now_ms) - t0))
echo "search view: done, stored, written, applied, cancelled in $took ms"
[ "$took" -lt 60000 ] || e2e_fail "the test took $took ms (over 60 s)"
