/* test_task_grid.c: et_task_grid_next (task_grid.h), the task loops' step from one task to the next, against
 * et_task_grid_at on every task of grids in both orders (row tiles outer and column blocks outer), with one and
 * several column blocks and products. */
#include "engine/operators/task_grid.h"
#include "et_test.h"

static void check_grid(size_t m_tiles, size_t n_blocks, size_t outer, bool n_outer) {
    et_task_grid g = {.m_tiles = m_tiles, .n_blocks = n_blocks, .n_outer = n_outer};
    g.tasks = m_tiles * n_blocks * outer;
    size_t mt, nb, rest;
    et_task_grid_at(&g, 0, &mt, &nb, &rest);
    for (size_t t = 0; t < g.tasks; t++, et_task_grid_next(&g, &mt, &nb, &rest)) {
        size_t want_mt, want_nb, want_rest;
        et_task_grid_at(&g, t, &want_mt, &want_nb, &want_rest);
        ET_CHECK_MSG(mt == want_mt && nb == want_nb && rest == want_rest,
                     "grid %zux%zux%zu n_outer %d task %zu: (%zu,%zu,%zu), want (%zu,%zu,%zu)", m_tiles, n_blocks,
                     outer, (int)n_outer, t, mt, nb, rest, want_mt, want_nb, want_rest);
    }
}

static void test_next_follows_at(void) {
    static const size_t shapes[][3] = {{1, 1, 1}, {2091, 1, 1}, {9, 3, 1}, {5, 4, 3}, {1, 7, 2}, {6, 1, 4}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        check_grid(shapes[i][0], shapes[i][1], shapes[i][2], false);
        check_grid(shapes[i][0], shapes[i][1], shapes[i][2], true);
    }
}

int main(void) {
    ET_RUN(test_next_follows_at);
    return et_test_done();
}
