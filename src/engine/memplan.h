/* memplan.h: placing tensors in one arena by lifetime.
 *
 * Each request is a buffer alive from step `first` to step `last` (inclusive). Buffers whose lifetimes overlap
 * get disjoint byte ranges; the rest may share. Greedy by decreasing size, each placed at the lowest offset
 * that fits between the already-placed buffers it overlaps in time (the classic approach of TFLite's arena
 * planner): not optimal, but within a few percent of the lower bound (the largest sum of live sizes) on CNNs. */
#ifndef ET_ENGINE_MEMPLAN_H
#define ET_ENGINE_MEMPLAN_H

#include <stdint.h>

typedef struct et_mem_req {
    int64_t bytes;
    int first, last;
} et_mem_req;

/* Fills offsets[n] (each a multiple of 64) and returns the arena size in bytes, or -1 on out-of-memory. */
int64_t et_memplan(const et_mem_req *reqs, int n, int64_t *offsets);

/* The lower bound: the largest total size of buffers alive at the same step (for tests and reports). */
int64_t et_memplan_lower_bound(const et_mem_req *reqs, int n);

#endif
