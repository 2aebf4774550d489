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
#include <stdint.h>
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

/* How many jobs parallel_for has handed to the workers since the pool was created (a job run inline, on a pool of
 * 1 or for n == 1, does not count); 0 for NULL. The plan reads it around a step to learn whether the step split. */
uint64_t et_threadpool_jobs(const et_threadpool *pool);

/* Threads that pay or stay out. A split job costs its start (posting it, a worker noticing, the counter, the
 * join) on top of its work; for a small operator that is more than the second thread saves, and a model of many
 * small operators ran slower at 2 threads than at 1. Each pool measures its start cost once, when it is created
 * (from ET_THREADPOOL_CALIB_JOBS short jobs: threadpool.c, calibrate), and keeps it. An operator estimates
 * its single-thread time from its work size (the rates below) and asks et_threadpool_for_work whether to split. */
enum { ET_THREADPOOL_CALIB_JOBS = 31 };

/* Single-thread rates the estimates use, in ns per unit of work. They are a fast x86 core's (AVX2 + FMA); on a
 * slower core (a Pi) the real time is longer than the estimate, so an operator stays on one thread where a split
 * might have paid a little, never the other way round. */
#define ET_NS_PER_MAC_GEMM_F32 0.05   /* fp32 GEMM / IGEMM: ~20 MAC/ns */
#define ET_NS_PER_MAC_GEMM_INT8 0.035 /* int8 GEMM / IGEMM: ~28 MAC/ns */
#define ET_NS_PER_MAC_DW 0.25         /* depthwise (either precision): ~4 MAC/ns, load-bound */
#define ET_NS_PER_BYTE_STREAM 0.05    /* elementwise, pooling, copies: ~20 bytes/ns from L2 */

/* A split pays when the time the other threads save, serial_ns x (1 - 1/threads), exceeds this many start costs
 * (2 rather than 1: the estimate is rough, and a split also moves data between cores' caches). */
#define ET_THREADPOOL_PAY_FACTOR 2.0

/* The measured cost of starting and joining one job on this pool, in ns; 0 for NULL or a pool of 1. */
double et_threadpool_start_ns(const et_threadpool *pool);

/* Replaces the measured start cost (ns >= 0): 0 splits every job that has work, as before this decision existed.
 * For tests that must run the multi-thread path of small operators, and for benches that compare both. */
void et_threadpool_set_start_ns(et_threadpool *pool, double ns);

/* `pool` when a job of about serial_ns of single-thread work pays for being split over it, else NULL (run it on
 * the caller: pass the result to parallel_for, and plan the tasks for et_threadpool_size of the result). */
et_threadpool *et_threadpool_for_work(et_threadpool *pool, double serial_ns);

#endif
