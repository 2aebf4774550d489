/* test_threadpool.c: the worker pool: every item of every job runs exactly once whatever the thread count and
 * job size, jobs run back to back (the spin path) and after the workers went to sleep (the futex path), a NULL
 * pool and a pool of 1 run inline on the caller, both threads really take part, tids are reported, and bad
 * thread counts are refused. */
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine/threadpool.h"
#include "et_test.h"

typedef struct {
    _Atomic unsigned *hits;
    _Atomic int calls;
    _Atomic pid_t other_tid;
    pid_t caller;
} count_ctx;

static void count_task(void *p, size_t begin, size_t end) {
    count_ctx *ctx = p;
    ET_CHECK(begin < end);
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add(&ctx->hits[i], 1);
    atomic_fetch_add(&ctx->calls, 1);
    const pid_t me = (pid_t)syscall(SYS_gettid);
    if (me != ctx->caller)
        atomic_store(&ctx->other_tid, me);
}

static int run_and_check(et_threadpool *pool, size_t n) {
    count_ctx ctx = {0};
    ctx.hits = calloc(n + 1, sizeof *ctx.hits);
    ctx.caller = (pid_t)syscall(SYS_gettid);
    et_threadpool_parallel_for(pool, n, count_task, &ctx);
    int ok = 1;
    for (size_t i = 0; i < n; i++)
        if (atomic_load(&ctx.hits[i]) != 1)
            ok = 0;
    free((void *)ctx.hits);
    return ok;
}

static void test_every_item_once(void) {
    const int threads[] = {1, 2, 3, 5};
    const size_t sizes[] = {0, 1, 2, 3, 7, 64, 1000, 4097};
    for (size_t t = 0; t < 4; t++) {
        et_err err = {0};
        et_threadpool *pool = et_threadpool_create(threads[t], &err);
        ET_REQUIRE(pool != NULL);
        ET_CHECK_INT(et_threadpool_size(pool), threads[t]);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            for (int rep = 0; rep < 50; rep++)
                ET_CHECK_MSG(run_and_check(pool, sizes[s]), "threads %d, n %zu, repetition %d", threads[t], sizes[s],
                             rep);
        et_threadpool_destroy(pool);
    }
    ET_CHECK(run_and_check(NULL, 100));
    ET_CHECK_INT(et_threadpool_size(NULL), 1);
}

static void test_after_sleep(void) {
    et_err err = {0};
    et_threadpool *pool = et_threadpool_create(2, &err);
    ET_REQUIRE(pool != NULL);
    for (int rep = 0; rep < 3; rep++) {
        const struct timespec nap = {0, 5 * 1000 * 1000}; /* 5 ms: far past the spin window */
        nanosleep(&nap, NULL);
        ET_CHECK(run_and_check(pool, 500));
    }
    et_threadpool_destroy(pool);
}

static void slow_task(void *p, size_t begin, size_t end) {
    for (size_t i = begin; i < end; i++) {
        const struct timespec nap = {0, 200 * 1000};
        nanosleep(&nap, NULL);
    }
    count_task(p, begin, end);
}

static void test_workers_take_part(void) {
    et_err err = {0};
    et_threadpool *pool = et_threadpool_create(2, &err);
    ET_REQUIRE(pool != NULL);
    count_ctx ctx = {0};
    ctx.hits = calloc(64, sizeof *ctx.hits);
    ctx.caller = (pid_t)syscall(SYS_gettid);
    et_threadpool_parallel_for(pool, 64, slow_task, &ctx);
    ET_CHECK(atomic_load(&ctx.other_tid) != 0); /* 64 x 200 us: the worker must have taken some */
    pid_t tids[4] = {0};
    ET_CHECK_INT(et_threadpool_tids(pool, tids, 4), 2);
    ET_CHECK_INT(tids[0], ctx.caller);
    ET_CHECK_INT(tids[1], atomic_load(&ctx.other_tid));
    ET_CHECK_INT(et_threadpool_tids(pool, tids, 1), 1);
    ET_CHECK_INT(et_threadpool_tids(NULL, tids, 4), 1);
    ET_CHECK_INT(tids[0], ctx.caller);
    free((void *)ctx.hits);
    et_threadpool_destroy(pool);
}

static void test_chunk_limit(void) {
    et_err err = {0};
    et_threadpool *pool = et_threadpool_create(2, &err);
    ET_REQUIRE(pool != NULL);
    count_ctx ctx = {0};
    ctx.hits = calloc(1000, sizeof *ctx.hits);
    et_threadpool_parallel_for_chunked(pool, 1000, 1, count_task, &ctx);
    ET_CHECK_INT(atomic_load(&ctx.calls), 1000);
    free((void *)ctx.hits);
    et_threadpool_destroy(pool);
}

/* Threads that pay or stay out: the start cost is measured and clamped, work far below it stays on the caller,
 * work far above it splits, and a NULL pool or a pool of 1 never splits. */
static void test_for_work(void) {
    et_err err = {0};
    ET_CHECK(et_threadpool_for_work(NULL, 1e12) == NULL);
    ET_CHECK(et_threadpool_start_ns(NULL) == 0);
    et_threadpool *one = et_threadpool_create(1, &err);
    ET_REQUIRE(one != NULL);
    ET_CHECK(et_threadpool_for_work(one, 1e12) == NULL);
    ET_CHECK(et_threadpool_start_ns(one) == 0);
    et_threadpool_destroy(one);
    et_threadpool *pool = et_threadpool_create(2, &err);
    ET_REQUIRE(pool != NULL);
    const double start = et_threadpool_start_ns(pool);
    ET_CHECK(start >= 200 && start <= 100000);
    ET_CHECK(et_threadpool_for_work(pool, 0) == NULL);
    ET_CHECK(et_threadpool_for_work(pool, start) == NULL); /* saves start / 2: less than it costs */
    ET_CHECK(et_threadpool_for_work(pool, 4.0 * ET_THREADPOOL_PAY_FACTOR * start) == pool);
    ET_CHECK(et_threadpool_for_work(pool, 1e9) == pool);
    et_threadpool_destroy(pool);
}

static void test_bad_counts(void) {
    et_err err = {0};
    ET_CHECK(et_threadpool_create(0, &err) == NULL);
    ET_CHECK_INT(err.status, ET_E_USAGE);
    ET_CHECK(strstr(err.msg, "thread count 0") != NULL);
    ET_CHECK(et_threadpool_create(100000, &err) == NULL);
    et_threadpool_destroy(NULL);
}

int main(void) {
    ET_RUN(test_every_item_once);
    ET_RUN(test_after_sleep);
    ET_RUN(test_workers_take_part);
    ET_RUN(test_chunk_limit);
    ET_RUN(test_for_work);
    ET_RUN(test_bad_counts);
    return et_test_done();
}
