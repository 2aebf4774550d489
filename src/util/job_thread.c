/* job_thread.c: see job_thread.h. */
#include "util/job_thread.h"

#include <unistd.h>

#include "util/clock.h"
#include "util/thread.h"

int et_job_thread_start(et_job_thread *j, int wake_fd, char wake_byte, void *(*fn)(void *), void *arg) {
    j->cancel = 0;
    j->wake_fd = wake_fd;
    j->wake_byte = wake_byte;
    j->t0_s = et_clock_s();
    pthread_mutex_init(&j->mu, NULL);
    int rc = et_thread_start_masked(&j->thread, fn, arg); /* signals stay with the UI thread */
    if (rc != 0)
        pthread_mutex_destroy(&j->mu);
    return rc;
}

double et_job_thread_elapsed_s(const et_job_thread *j) { return et_clock_s() - j->t0_s; }

void et_job_thread_lock(et_job_thread *j) { pthread_mutex_lock(&j->mu); }

void et_job_thread_unlock(et_job_thread *j) { pthread_mutex_unlock(&j->mu); }

void et_job_thread_publish(et_job_thread *j, uint64_t *seq) {
    ++*seq;
    pthread_mutex_unlock(&j->mu);
    if (j->wake_fd >= 0) {
        ssize_t n = write(j->wake_fd, &j->wake_byte, 1);
        (void)n; /* a full pipe already holds a wake-up */
    }
}

bool et_job_thread_take(et_job_thread *j, uint64_t have_seq, const uint64_t *pub_seq,
                        void (*copy)(void *dst, const void *src), void *dst, const void *src) {
    pthread_mutex_lock(&j->mu);
    bool changed = have_seq != *pub_seq;
    if (changed)
        copy(dst, src);
    pthread_mutex_unlock(&j->mu);
    return changed;
}

void et_job_thread_cancel(et_job_thread *j, bool *cancel_asked, uint64_t *seq) {
    j->cancel = 1;
    pthread_mutex_lock(&j->mu);
    *cancel_asked = true;
    et_job_thread_publish(j, seq);
}

void et_job_thread_join(et_job_thread *j) {
    j->cancel = 1;
    pthread_join(j->thread, NULL);
    pthread_mutex_destroy(&j->mu);
}
