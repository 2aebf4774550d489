/* threadpool.c: serial placeholder; every call runs on the caller's thread. */
#include "engine/threadpool.h"

#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

struct et_threadpool {
    int threads;
};

et_threadpool *et_threadpool_create(int threads, et_err *err) {
    et_threadpool *p = malloc(sizeof *p);
    if (!p) {
        et_fail(err, ET_E_NOMEM, "out of memory creating the thread pool");
        return NULL;
    }
    p->threads = threads;
    return p;
}

void et_threadpool_destroy(et_threadpool *pool) { free(pool); }
int et_threadpool_size(const et_threadpool *pool) { return pool ? pool->threads : 1; }

void et_threadpool_parallel_for(et_threadpool *pool, size_t n, et_task_fn fn, void *ctx) {
    (void)pool;
    if (n)
        fn(ctx, 0, n);
}

int et_threadpool_tids(const et_threadpool *pool, pid_t *tids, int max) {
    (void)pool;
    if (max < 1)
        return 0;
    tids[0] = (pid_t)syscall(SYS_gettid);
    return 1;
}
