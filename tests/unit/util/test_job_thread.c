/* test_job_thread.c: a job on a thread (util/job_thread.h): it publishes three values, each waking the pipe; a
 * take copies only when the sequence number moved; the thread holds every signal blocked; cancel marks the
 * snapshot and the job sees the flag; join waits for the job's last publish. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "et_test.h"
#include "util/job_thread.h"

typedef struct snap {
    uint64_t seq;
    bool cancel_asked, sigint_blocked, done;
    int value;
} snap;

typedef struct job {
    et_job_thread jt;
    snap pub;
} job;

static void copy_snap(void *dst, const void *src) { *(snap *)dst = *(const snap *)src; }

static void nap(void) { nanosleep(&(struct timespec){0, 2000000}, NULL); }

static void *run(void *arg) {
    job *j = arg;
    sigset_t mask;
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    for (int i = 1; i <= 3; i++) {
        et_job_thread_lock(&j->jt);
        j->pub.value = i;
        j->pub.sigint_blocked = sigismember(&mask, SIGINT) == 1;
        et_job_thread_publish(&j->jt, &j->pub.seq);
    }
    for (int i = 0; i < 5000 && !j->jt.cancel; i++) /* up to 10 s for the test to cancel */
        nap();
    et_job_thread_lock(&j->jt);
    j->pub.done = j->jt.cancel == 1;
    et_job_thread_publish(&j->jt, &j->pub.seq);
    return NULL;
}

/* Takes until pred holds on the copy (up to 10 s). */
static bool take_until(job *j, snap *s, int value, bool cancel_asked) {
    for (int i = 0; i < 5000; i++) {
        et_job_thread_take(&j->jt, s->seq, &j->pub.seq, copy_snap, s, &j->pub);
        if (s->value == value && s->cancel_asked == cancel_asked)
            return true;
        nap();
    }
    return false;
}

static void test_publish_take_cancel_join(void) {
    int fds[2];
    ET_REQUIRE(pipe(fds) == 0);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    fcntl(fds[1], F_SETFL, O_NONBLOCK);
    job j;
    memset(&j, 0, sizeof j);
    ET_REQUIRE(et_job_thread_start(&j.jt, fds[1], 'j', run, &j) == 0);
    snap s = {0};
    ET_CHECK(take_until(&j, &s, 3, false));
    ET_CHECK(s.sigint_blocked);
    ET_CHECK(!s.done);
    ET_CHECK(s.seq >= 3);
    char buf[8] = {0};
    ET_CHECK(read(fds[0], buf, sizeof buf) >= 1); /* woken, with the job's byte */
    ET_CHECK(buf[0] == 'j');
    snap same = s;
    same.value = -1; /* nothing published since: a take leaves the copy alone */
    ET_CHECK(!et_job_thread_take(&j.jt, same.seq, &j.pub.seq, copy_snap, &same, &j.pub));
    ET_CHECK_INT(same.value, -1);
    et_job_thread_cancel(&j.jt, &j.pub.cancel_asked, &j.pub.seq);
    ET_CHECK(take_until(&j, &s, 3, true));
    et_job_thread_join(&j.jt);
    s = j.pub;        /* the thread is gone (and the mutex destroyed): read directly */
    ET_CHECK(s.done); /* the job saw the flag and published its last snapshot before join returned */
    ET_CHECK(et_job_thread_elapsed_s(&j.jt) >= 0.0);
    close(fds[0]);
    close(fds[1]);
}

int main(void) {
    ET_RUN(test_publish_take_cancel_join);
    return et_test_done();
}
