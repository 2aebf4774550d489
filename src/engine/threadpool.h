/* threadpool.h: the engine's one pool of worker threads.
 *
 * A pool of `threads` runs each parallel_for on the calling thread plus threads-1 workers. Work is handed out
 * in chunks from one atomic counter, so a thread slowed by another process on a shared core takes fewer chunks
 * instead of holding everyone up. Between jobs a worker spins on the job counter for a short while (about
 * 200 us) and then sleeps on a futex, so back-to-back layers start in well under a microsecond while an idle
 * pool costs no CPU. parallel_for allocates nothing. One thread at a time may call parallel_for on a pool, and
 * a task may not call parallel_for on the pool that runs it. */
#ifndef ET_ENGINE_THREADPOOL_H
#define ET_ENGINE_THREADPOOL_H

#include <stddef.h>
#include <sys/types.h>

#include "util/status.h"

typedef struct et_threadpool et_threadpool;

/* Runs the items [begin, end) of a job; called with disjoint ranges that together cover [0, n). */
typedef void (*et_task_fn)(void *ctx, size_t begin, size_t end);

/* A pool of `threads` threads, the caller included (1 = no workers; parallel_for then runs inline).
 * Returns NULL and fills err (ET_E_USAGE for threads < 1 or > 256, ET_E_RUNTIME when a thread cannot be
 * started). The caller owns the pool and frees it with et_threadpool_destroy. */
et_threadpool *et_threadpool_create(int threads, et_err *err);

/* Stops and joins the workers and frees the pool; NULL is a no-op. */
void et_threadpool_destroy(et_threadpool *pool);

/* The number of threads, the caller included; 1 for NULL. */
int et_threadpool_size(const et_threadpool *pool);

/* Calls fn(ctx, begin, end) over [0, n) split into chunks run by all threads, and returns when every chunk has
 * finished. pool == NULL (or a pool of 1) runs fn(ctx, 0, n) on the caller. Chunks are never empty. */
void et_threadpool_parallel_for(et_threadpool *pool, size_t n, et_task_fn fn, void *ctx);

/* Like parallel_for, with a chunk size of at most `max_chunk` items (>= 1), for jobs whose items are uneven. */
void et_threadpool_parallel_for_chunked(et_threadpool *pool, size_t n, size_t max_chunk, et_task_fn fn, void *ctx);

/* Writes up to `max` Linux thread ids: the thread that created the pool first, then each worker (for per-thread
 * perf counters). Returns how many it wrote. A NULL pool writes the calling thread's id. */
int et_threadpool_tids(const et_threadpool *pool, pid_t *tids, int max);

#endif
