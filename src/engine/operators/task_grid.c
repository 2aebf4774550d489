/* task_grid.c: splitting convolution work into tasks (see task_grid.h). */
#include "engine/operators/task_grid.h"

#include "util/mem.h"

static size_t target_tasks(size_t threads) { return threads > 1 ? threads * ET_TASKS_PER_THREAD : 1; }

void et_task_grid_gemm(et_task_grid *g, size_t m, size_t mr, size_t n, size_t nr, size_t outer, size_t group_bytes,
                       size_t panel_bytes, size_t threads) {
    const size_t target = target_tasks(threads);
    g->m = m;
    g->m_tiles = (m + mr - 1) / mr;
    const size_t m_tasks = outer * g->m_tiles;
    size_t nc = n;
    g->n_outer = group_bytes > ET_TASK_L2_BUDGET_BYTES && g->m_tiles > 1;
    if (g->n_outer) {
        const size_t panels = ET_TASK_L2_BUDGET_BYTES / (panel_bytes ? panel_bytes : 1);
        nc = (panels ? panels : 1) * nr;
    }
    if (m_tasks < target) {
        const size_t want_blocks = (target + m_tasks - 1) / m_tasks;
        const size_t split = et_round_up((n + want_blocks - 1) / want_blocks, nr);
        nc = split < nc ? split : nc;
    }
    g->nc = nc < n ? nc : n;
    g->n_blocks = (n + g->nc - 1) / g->nc;
    g->tasks = m_tasks * g->n_blocks;
}

void et_task_grid_rows(et_task_grid *g, size_t rows, size_t width, size_t threads) {
    const size_t target = target_tasks(threads);
    size_t chunks = rows >= target ? 1 : (target + rows - 1) / rows;
    chunks = chunks > width ? width : chunks;
    g->chunk_w = (width + chunks - 1) / chunks;
    g->row_chunks = (width + g->chunk_w - 1) / g->chunk_w;
    g->tasks = rows * g->row_chunks;
}
