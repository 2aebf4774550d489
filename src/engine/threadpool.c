/* threadpool.c: spin-then-futex worker pool (see threadpool.h).
 *
 * A job is posted by writing its fields and bumping `generation` (release). Workers wait for a new generation:
 * first by spinning with a pause for up to SPIN_NS, then by futex_wait on the generation word. Sleepers
 * announce themselves in `sleepers` before their final check, and the poster bumps the generation before it
 * reads `sleepers` (both sequentially consistent), so either the poster sees the sleeper and wakes it or the
 * sleeper sees the new generation: no lost wake-up, and no futex syscall while everyone is spinning.
 * Completion: a worker joins a job before it takes chunks, through one atomic word `job_state` = 2 x (workers
 * inside the job) + closed bit. The caller runs chunks too; when none are left it sets the closed bit and waits
 * only for the workers that joined. A worker that was descheduled (a shared core) and wakes after the close
 * sees the bit and leaves, so a slow or sleeping worker never holds a job up: the caller simply did its share.
 * The caller waits on the same spin-then-futex pattern, with `caller_sleeping` as its announcement. */
#include "engine/threadpool.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { MAX_THREADS = 256 };
static const int64_t SPIN_NS = 200000;      /* how long a waiting thread spins before it sleeps */
static const int64_t CALIB_ITEM_NS = 10000; /* one calibration item (see calibrate) */

struct et_threadpool {
    int threads;
    pthread_t *workers; /* threads - 1 */
    pid_t *tids;        /* threads: creator first */
    _Atomic uint32_t generation;
    _Atomic uint32_t sleepers;
    _Atomic uint32_t job_state; /* 2 x joined workers + closed bit */
    _Atomic uint32_t caller_sleeping;
    _Atomic bool stop;
    _Atomic int started;
    /* the job in flight, written before generation is bumped */
    et_task_fn fn;
    void *ctx;
    size_t n, chunk;
    _Atomic size_t next;
    double start_ns; /* measured at create: see et_threadpool_start_ns */
    uint64_t jobs;   /* jobs handed to the workers (only the one caller writes it) */
};

typedef struct {
    et_threadpool *pool;
    int index;
} worker_arg;

static long futex(_Atomic uint32_t *word, int op, uint32_t val) {
    return syscall(SYS_futex, (uint32_t *)word, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#endif
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spins until *word != old or SPIN_NS passes; returns the value it saw last. */
static uint32_t spin_while_equal(_Atomic uint32_t *word, uint32_t old) {
    const int64_t deadline = now_ns() + SPIN_NS;
    for (;;) {
        for (int i = 0; i < 128; i++) {
            const uint32_t v = atomic_load_explicit(word, memory_order_acquire);
            if (v != old)
                return v;
            cpu_relax();
        }
        if (now_ns() > deadline)
            return atomic_load_explicit(word, memory_order_acquire);
    }
}

static void run_chunks(et_threadpool *pool) {
    const size_t n = pool->n, chunk = pool->chunk;
    for (;;) {
        const size_t begin = atomic_fetch_add_explicit(&pool->next, chunk, memory_order_relaxed);
        if (begin >= n)
            break;
        const size_t end = n - begin < chunk ? n : begin + chunk;
        pool->fn(pool->ctx, begin, end);
    }
}

static void *worker_main(void *p) {
    const worker_arg arg = *(worker_arg *)p;
    free(p);
    et_threadpool *pool = arg.pool;
    pool->tids[arg.index] = (pid_t)syscall(SYS_gettid);
    atomic_fetch_add(&pool->started, 1);
    uint32_t seen = 0;
    for (;;) {
        uint32_t gen = spin_while_equal(&pool->generation, seen);
        while (gen == seen) {
            atomic_fetch_add(&pool->sleepers, 1);
            if (atomic_load(&pool->generation) == seen)
                futex(&pool->generation, FUTEX_WAIT, seen);
            atomic_fetch_sub(&pool->sleepers, 1);
            gen = atomic_load(&pool->generation);
        }
        seen = gen;
        if (atomic_load_explicit(&pool->stop, memory_order_acquire))
            break;
        const uint32_t before = atomic_fetch_add(&pool->job_state, 2);
        if (!(before & 1)) /* joined an open job (this one, or a later one posted meanwhile) */
            run_chunks(pool);
        if (atomic_fetch_sub(&pool->job_state, 2) == 3 && atomic_load(&pool->caller_sleeping))
            futex(&pool->job_state, FUTEX_WAKE, 1);
    }
    return NULL;
}

/* Bumps the generation and wakes the workers that went to sleep. */
static void post(et_threadpool *pool) {
    atomic_fetch_add(&pool->generation, 1);
    if (atomic_load(&pool->sleepers) > 0)
        futex(&pool->generation, FUTEX_WAKE, INT_MAX);
}

/* A calibration item: busy for CALIB_ITEM_NS (not asleep: a sleeping caller would hide the worker's delay). */
static void busy_item(void *ctx, size_t begin, size_t end) {
    (void)ctx;
    for (size_t i = begin; i < end; i++) {
        const int64_t until = now_ns() + CALIB_ITEM_NS;
        while (now_ns() < until)
            cpu_relax();
    }
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The start cost: jobs of one busy item of CALIB_ITEM_NS per thread, which take CALIB_ITEM_NS when every thread
 * starts at once; what a job takes beyond that is what starting and joining it cost (a worker that never comes
 * leaves its item to the caller, and the cost then reads as a whole item: on a machine whose other cores are
 * busy, splitting small work does not pay). The median, so one descheduled moment does not decide it; clamped to
 * [200 ns, 100 us]. About ET_THREADPOOL_CALIB_JOBS x 10-20 us at create. */
static void calibrate(et_threadpool *pool) {
    if (pool->threads < 2)
        return;
    double t[ET_THREADPOOL_CALIB_JOBS];
    for (int i = 0; i < 4; i++)
        et_threadpool_parallel_for(pool, (size_t)pool->threads, busy_item, NULL);
    for (int i = 0; i < ET_THREADPOOL_CALIB_JOBS; i++) {
        const int64_t t0 = now_ns();
        et_threadpool_parallel_for(pool, (size_t)pool->threads, busy_item, NULL);
        t[i] = (double)(now_ns() - t0 - CALIB_ITEM_NS);
    }
    qsort(t, ET_THREADPOOL_CALIB_JOBS, sizeof t[0], cmp_double);
    double s = t[ET_THREADPOOL_CALIB_JOBS / 2];
    pool->start_ns = s < 200 ? 200 : s > 100000 ? 100000 : s;
}

et_threadpool *et_threadpool_create(int threads, et_err *err) {
    if (threads < 1 || threads > MAX_THREADS) {
        et_fail(err, ET_E_USAGE, "thread count %d is out of range; use 1 to %d", threads, MAX_THREADS);
        return NULL;
    }
    et_threadpool *pool = calloc(1, sizeof *pool);
    if (!pool)
        goto nomem;
    pool->threads = threads;
    atomic_store(&pool->job_state, 1); /* closed until the first job */
    pool->tids = calloc((size_t)threads, sizeof *pool->tids);
    pool->workers = calloc((size_t)threads, sizeof *pool->workers);
    if (!pool->tids || !pool->workers)
        goto nomem;
    pool->tids[0] = (pid_t)syscall(SYS_gettid);
    int started = 0;
    for (int i = 1; i < threads; i++) {
        worker_arg *arg = malloc(sizeof *arg);
        if (!arg)
            break;
        arg->pool = pool;
        arg->index = i;
        const int rc = pthread_create(&pool->workers[i - 1], NULL, worker_main, arg);
        if (rc != 0) {
            free(arg);
            et_fail(err, ET_E_RUNTIME, "cannot start worker thread %d of %d: %s; try fewer threads", i, threads,
                    strerror(rc));
            break;
        }
        char name[16];
        snprintf(name, sizeof name, "et-worker-%d", i);
        pthread_setname_np(pool->workers[i - 1], name);
        started++;
    }
    while (atomic_load(&pool->started) < started)
        sched_yield();
    if (started != threads - 1) {
        pool->threads = started + 1; /* destroy joins only the ones that run */
        et_threadpool_destroy(pool);
        if (err && err->status != ET_E_RUNTIME)
            et_fail(err, ET_E_NOMEM, "out of memory starting %d threads", threads);
        return NULL;
    }
    calibrate(pool);
    return pool;
nomem:
    if (pool) {
        free(pool->tids);
        free(pool->workers);
        free(pool);
    }
    et_fail(err, ET_E_NOMEM, "out of memory creating a pool of %d threads", threads);
    return NULL;
}

void et_threadpool_destroy(et_threadpool *pool) {
    if (!pool)
        return;
    atomic_store_explicit(&pool->stop, true, memory_order_release);
    post(pool);
    for (int i = 1; i < pool->threads; i++)
        pthread_join(pool->workers[i - 1], NULL);
    free(pool->workers);
    free(pool->tids);
    free(pool);
}

int et_threadpool_size(const et_threadpool *pool) { return pool ? pool->threads : 1; }

void et_threadpool_parallel_for_chunked(et_threadpool *pool, size_t n, size_t max_chunk, et_task_fn fn, void *ctx) {
    if (n == 0)
        return;
    if (!pool || pool->threads == 1 || n == 1) {
        fn(ctx, 0, n);
        return;
    }
    /* About 8 chunks per thread: enough to even out a busy core, few enough that the counter stays cheap. */
    size_t chunk = n / ((size_t)pool->threads * 8);
    if (chunk < 1)
        chunk = 1;
    if (max_chunk >= 1 && chunk > max_chunk)
        chunk = max_chunk;
    pool->jobs++;
    pool->fn = fn;
    pool->ctx = ctx;
    pool->n = n;
    pool->chunk = chunk;
    atomic_store_explicit(&pool->next, 0, memory_order_relaxed);
    /* Reopen by clearing the bit, never by a store: a worker that woke late for the last job may be between its
     * +2 and -2, and its pair must stay balanced. */
    atomic_fetch_and(&pool->job_state, ~1u);
    post(pool);
    run_chunks(pool);
    uint32_t state = atomic_fetch_or(&pool->job_state, 1) | 1; /* closed: late workers will not join */
    while (state != 1) {
        state = spin_while_equal(&pool->job_state, state);
        if (state == 1)
            break;
        atomic_store(&pool->caller_sleeping, 1);
        state = atomic_load(&pool->job_state);
        if (state != 1)
            futex(&pool->job_state, FUTEX_WAIT, state);
        atomic_store(&pool->caller_sleeping, 0);
        state = atomic_load(&pool->job_state);
    }
}

void et_threadpool_parallel_for(et_threadpool *pool, size_t n, et_task_fn fn, void *ctx) {
    et_threadpool_parallel_for_chunked(pool, n, 0, fn, ctx);
}

double et_threadpool_start_ns(const et_threadpool *pool) { return pool && pool->threads > 1 ? pool->start_ns : 0; }

void et_threadpool_set_start_ns(et_threadpool *pool, double ns) {
    if (pool)
        pool->start_ns = ns < 0 ? 0 : ns;
}

et_threadpool *et_threadpool_for_work(et_threadpool *pool, double serial_ns) {
    if (!pool || pool->threads < 2)
        return NULL;
    const double saved_ns = serial_ns * (1.0 - 1.0 / pool->threads);
    return saved_ns > ET_THREADPOOL_PAY_FACTOR * pool->start_ns ? pool : NULL;
}

uint64_t et_threadpool_jobs(const et_threadpool *pool) { return pool ? pool->jobs : 0; }

int et_threadpool_tids(const et_threadpool *pool, pid_t *tids, int max) {
    if (max <= 0)
        return 0;
    if (!pool) {
        tids[0] = (pid_t)syscall(SYS_gettid);
        return 1;
    }
    const int count = pool->threads < max ? pool->threads : max;
    for (int i = 0; i < count; i++)
        tids[i] = pool->tids[i];
    return count;
}
