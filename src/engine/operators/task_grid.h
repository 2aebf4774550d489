/* task_grid.h: how the NHWC convolution operators (fp32 conv2d.c, int8 qconv2d.c) split a run into tasks.
 *
 * GEMM-shaped work (gemm, igemm) is a flat list of tasks, each one kernel call on a tile of up to MR output rows x
 * nc output columns. nc is the whole group when there are enough row tiles to keep every thread busy, and is cut
 * into NR-multiples when there are not (a 7x7 layer has 9 tiles of 6 pixels). When a group's packed weights exceed
 * ET_TASK_L2_BUDGET_BYTES the tasks go column block by column block (N outer), so one block of weights stays in L2
 * while every row tile streams past it; otherwise row tile by row tile (M outer), which keeps the MR rows of input
 * in L1 across all columns. Row-shaped work (depthwise) splits output rows into chunks of chunk_w pixels. */
#ifndef ET_ENGINE_OPERATORS_TASK_GRID_H
#define ET_ENGINE_OPERATORS_TASK_GRID_H

#include <stdbool.h>
#include <stddef.h>

enum { ET_TASK_L2_BUDGET_BYTES = 256 * 1024, ET_TASKS_PER_THREAD = 4 };

typedef struct et_task_grid {
    size_t m, m_tiles, nc, n_blocks; /* GEMM-shaped: rows, row tiles, columns per block, column blocks */
    bool n_outer;
    size_t row_chunks, chunk_w; /* row-shaped */
    size_t tasks;
} et_task_grid;

/* GEMM-shaped: m rows in tiles of mr, n columns per group in panels of nr, `outer` independent products (groups x
 * images); group_bytes of packed weights per group, panel_bytes per nr-column panel. */
void et_task_grid_gemm(et_task_grid *g, size_t m, size_t mr, size_t n, size_t nr, size_t outer, size_t group_bytes,
                       size_t panel_bytes, size_t threads);

/* Row-shaped: `rows` output rows of `width` pixels. */
void et_task_grid_rows(et_task_grid *g, size_t rows, size_t width, size_t threads);

/* The rows of row tile mt split evenly: m_tiles stays ceil(m / mr), but sizes differ by at most one (a 7x7 layer's
 * 49 pixels in 9 tiles: 5, 5, 6, 5, 6, 5, 6, 5, 6) instead of mr, ..., mr and a remainder, so a kernel whose cost
 * follows its row count (f32-gemm-body-6x16-avx2.h, qc8-gemm-body-6x16c2-avx2.h) computes no padding rows; on other kernels
 * it costs the same. An indirection buffer must be built with the split its users read. */
static inline void et_tile_rows(size_t mt, size_t m, size_t m_tiles, size_t *row0, size_t *rows) {
    *row0 = mt * m / m_tiles;
    *rows = (mt + 1) * m / m_tiles - *row0;
}

/* Task t of a GEMM-shaped grid: row tile, column block, and the index of its (group, image) product. */
static inline void et_task_grid_at(const et_task_grid *g, size_t t, size_t *mt, size_t *nb, size_t *rest) {
    if (g->n_outer) {
        *mt = t % g->m_tiles;
        *nb = t / g->m_tiles % g->n_blocks;
        *rest = t / g->m_tiles / g->n_blocks;
    } else {
        *nb = t % g->n_blocks;
        *mt = t / g->n_blocks % g->m_tiles;
        *rest = t / g->n_blocks / g->m_tiles;
    }
}

/* The task after (mt, nb, rest) in the grid's order: what et_task_grid_at gives for t + 1, without its divisions
 * (a task of a 16-channel stem is one 6-pixel kernel call, and the divisions cost a visible share of it). A task
 * loop calls et_task_grid_at once for its first task, then this. */
static inline void et_task_grid_next(const et_task_grid *g, size_t *mt, size_t *nb, size_t *rest) {
    size_t *inner = g->n_outer ? mt : nb, *outer = g->n_outer ? nb : mt;
    const size_t n_inner = g->n_outer ? g->m_tiles : g->n_blocks, n_outer = g->n_outer ? g->n_blocks : g->m_tiles;
    if (++*inner < n_inner)
        return;
    *inner = 0;
    if (++*outer < n_outer)
        return;
    *outer = 0;
    ++*rest;
}

#endif
