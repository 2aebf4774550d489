/* job_thread.h: one job on a thread of its own, for a front end that polls it (the workbench's training and
 * search views: src/bench/train_worker.c, src/search/search_worker.c). What the two had each written for itself:
 *
 *   et_job_thread_start     starts fn(arg) with every signal blocked (thread.h), notes the start time
 *   et_job_thread_lock      the mutex guarding what the job publishes (its snapshot, kept by the caller)
 *   et_job_thread_publish   bumps the snapshot's sequence number, unlocks, writes one wake-up byte to wake_fd
 *   et_job_thread_take      copies the snapshot out under the mutex when its sequence number moved
 *   et_job_thread_cancel    sets the cancel flag the job polls, marks the snapshot, publishes
 *   et_job_thread_join      sets the cancel flag, waits for the thread, destroys the mutex
 *
 * The snapshot and the job's own state belong to the caller; this holds only the thread, the mutex, the flag and
 * the wake-up. The wake-up pipe is non-blocking: a full pipe already holds a wake-up, so a failed write is fine. */
#ifndef ET_UTIL_JOB_THREAD_H
#define ET_UTIL_JOB_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct et_job_thread {
    pthread_t thread;
    pthread_mutex_t mu;
    volatile int cancel; /* 0: run; 1: asked to stop (a job may store other values of its own, search.h's 2) */
    int wake_fd;         /* < 0: nobody to wake */
    char wake_byte;
    double t0_s; /* et_clock_s() when started */
} et_job_thread;

/* Starts fn(arg) on a thread with every signal blocked. Returns 0, or pthread_create's errno value (nothing to
 * join or destroy then). */
int et_job_thread_start(et_job_thread *j, int wake_fd, char wake_byte, void *(*fn)(void *), void *arg);

/* Seconds since et_job_thread_start. */
double et_job_thread_elapsed_s(const et_job_thread *j);

void et_job_thread_lock(et_job_thread *j);
void et_job_thread_unlock(et_job_thread *j);

/* After a change made under et_job_thread_lock: ++*seq (the snapshot's sequence number), unlock, wake. */
void et_job_thread_publish(et_job_thread *j, uint64_t *seq);

/* Under the mutex: when have_seq differs from *pub_seq (the published snapshot's), copy(dst, src); returns whether
 * it copied. copy is the snapshot's own (a deep copy where it owns memory). */
bool et_job_thread_take(et_job_thread *j, uint64_t have_seq, const uint64_t *pub_seq,
                        void (*copy)(void *dst, const void *src), void *dst, const void *src);

/* Asks the job to stop: the flag, then *cancel_asked = true in the snapshot, published. */
void et_job_thread_cancel(et_job_thread *j, bool *cancel_asked, uint64_t *seq);

/* Asks the job to stop when it still runs, waits for it, destroys the mutex. */
void et_job_thread_join(et_job_thread *j);

#endif
