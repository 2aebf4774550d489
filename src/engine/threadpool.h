/* threadpool.h: a fixed pool of worker threads for data-parallel operator work (placeholder API; the
 * spinning pool replaces the serial implementation). */
#ifndef ET_ENGINE_THREADPOOL_H
#define ET_ENGINE_THREADPOOL_H

#include <stddef.h>
#include <sys/types.h>

#include "util/status.h"

typedef struct et_threadpool et_threadpool;
typedef void (*et_task_fn)(void *ctx, size_t begin, size_t end);

et_threadpool *et_threadpool_create(int threads, et_err *err);
void et_threadpool_destroy(et_threadpool *pool);
int et_threadpool_size(const et_threadpool *pool);
void et_threadpool_parallel_for(et_threadpool *pool, size_t n, et_task_fn fn, void *ctx);
int et_threadpool_tids(const et_threadpool *pool, pid_t *tids, int max);

#endif
