/* memplan.c: greedy-by-size arena placement. */
#include "engine/memplan.h"

#include <stdlib.h>

typedef struct sized {
    int64_t bytes;
    int index;
} sized;

/* Larger first; equal sizes keep request order so plans are deterministic. */
static int by_size_desc(const void *a, const void *b) {
    const sized *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    return x->index - y->index;
}

static int64_t align64(int64_t x) { return (x + 63) & ~(int64_t)63; }

int64_t et_memplan(const et_mem_req *reqs, int n, int64_t *offsets) {
    sized *order = malloc((size_t)(n ? n : 1) * sizeof *order);
    int *placed = malloc((size_t)(n ? n : 1) * sizeof *placed);
    int *cand = malloc((size_t)(n ? n : 1) * sizeof *cand);
    if (!order || !placed || !cand) {
        free(order), free(placed), free(cand);
        return -1;
    }
    for (int i = 0; i < n; i++)
        order[i] = (sized){reqs[i].bytes, i};
    qsort(order, (size_t)n, sizeof *order, by_size_desc);
    int n_placed = 0;
    int64_t total = 0;
    for (int k = 0; k < n; k++) {
        int i = order[k].index;
        int64_t size = align64(reqs[i].bytes);
        /* buffers already placed that overlap in time, by offset */
        int nc = 0;
        for (int j = 0; j < n_placed; j++) {
            int p = placed[j];
            if (reqs[p].first <= reqs[i].last && reqs[i].first <= reqs[p].last)
                cand[nc++] = p;
        }
        /* insertion sort by offset (nc is small in practice) */
        for (int a = 1; a < nc; a++) {
            int x = cand[a], b = a - 1;
            while (b >= 0 && offsets[cand[b]] > offsets[x]) {
                cand[b + 1] = cand[b];
                b--;
            }
            cand[b + 1] = x;
        }
        int64_t at = 0;
        for (int a = 0; a < nc; a++) {
            int p = cand[a];
            if (offsets[p] - at >= size && size > 0)
                break;
            int64_t end = offsets[p] + align64(reqs[p].bytes);
            if (end > at)
                at = end;
        }
        offsets[i] = at;
        if (at + size > total)
            total = at + size;
        placed[n_placed++] = i;
    }
    free(order), free(placed), free(cand);
    return total;
}

int64_t et_memplan_lower_bound(const et_mem_req *reqs, int n) {
    int max_step = 0, min_step = 0;
    for (int i = 0; i < n; i++) {
        if (reqs[i].last > max_step)
            max_step = reqs[i].last;
        if (reqs[i].first < min_step)
            min_step = reqs[i].first;
    }
    int64_t best = 0;
    for (int s = min_step; s <= max_step; s++) {
        int64_t live = 0;
        for (int i = 0; i < n; i++)
            if (reqs[i].first <= s && s <= reqs[i].last)
                live += align64(reqs[i].bytes);
        if (live > best)
            best = live;
    }
    return best;
}
