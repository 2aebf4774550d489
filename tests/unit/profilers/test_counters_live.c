/* test_counters_live.c: counters on this machine, through the real perf_event_open. Whatever the machine has,
 * the answers must be consistent: a counted event has a plausible value, an uncounted one says why. Threads that
 * are not listed (a busy "UI" thread) must not be counted. */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "prof_helpers.h"
#include "profilers/counters.h"

static pid_t my_tid(void) { return (pid_t)syscall(SYS_gettid); }

static double thread_cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Burns `seconds` of this thread's CPU time, however busy the machine is. */
static void spin_for(double seconds) {
    double end = thread_cpu_s() + seconds;
    volatile double x = 1.0;
    while (thread_cpu_s() < end)
        x = x * 1.0000001 + 1e-9;
}

typedef struct worker {
    atomic_int phase; /* 0 wait, 1 spin, 2 done spinning, 3 exit (pool threads outlive the timed loop) */
    double seconds;
    pid_t tid;
    double cpu_s; /* CPU time the thread used while spinning */
} worker;

static void *worker_main(void *arg) {
    worker *w = arg;
    w->tid = my_tid();
    while (atomic_load(&w->phase) == 0)
        sleep_ms(1);
    double c0 = thread_cpu_s();
    spin_for(w->seconds);
    w->cpu_s = thread_cpu_s() - c0;
    atomic_store(&w->phase, 2);
    while (atomic_load(&w->phase) != 3)
        sleep_ms(1);
    return NULL;
}

/* The scheduler's run time of a thread (/proc/self/task/TID/schedstat, ns), the reference task-clock must match:
 * in a VM, CLOCK_THREAD_CPUTIME_ID can run ahead of what the scheduler accounts. -1 when not available. */
static double sched_runtime_s(pid_t tid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", (int)tid);
    FILE *f = fopen(path, "r");
    unsigned long long ns = 0;
    bool ok = f && fscanf(f, "%llu", &ns) == 1;
    if (f)
        fclose(f);
    return ok ? (double)ns / 1e9 : -1.0;
}

static const et_counter *find(const et_counter *l, int n, const char *label) {
    for (int i = 0; i < n; i++)
        if (strcmp(l[i].label, label) == 0)
            return &l[i];
    return NULL;
}

static void test_listed_threads_only(void) {
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open("/", &sr, NULL) == ET_OK);
    et_counters *c = NULL;
    et_err err = {0};
    ET_REQUIRE(et_counters_create(NULL, &sr, NULL, true, &c, &err) == ET_OK);

    worker engine = {0, 0.10, 0, 0}, ui = {0, 0.20, 0, 0};
    pthread_t te, tu;
    ET_REQUIRE(pthread_create(&te, NULL, worker_main, &engine) == 0);
    ET_REQUIRE(pthread_create(&tu, NULL, worker_main, &ui) == 0);
    while (!engine.tid || !ui.tid)
        sleep_ms(1);
    pid_t tids[2] = {my_tid(), engine.tid};
    double rt0[3] = {sched_runtime_s(tids[0]), sched_runtime_s(tids[1]), sched_runtime_s(ui.tid)};
    et_counters_start(c, tids, 2);
    atomic_store(&engine.phase, 1);
    atomic_store(&ui.phase, 1); /* busy, but not one of ours */
    spin_for(0.05);
    /* fresh pages: page faults in user mode */
    size_t bytes = 8u << 20;
    char *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ET_REQUIRE(mem != MAP_FAILED);
    madvise(mem, bytes, MADV_NOHUGEPAGE);
    for (size_t i = 0; i < bytes; i += 4096)
        mem[i] = 1;
    for (int i = 0; i < 5; i++)
        sleep_ms(2); /* voluntary context switches */
    while (atomic_load(&engine.phase) != 2)
        sleep_ms(1);
    et_counters_stop(c);
    double listed_s = sched_runtime_s(tids[0]) - rt0[0] + sched_runtime_s(tids[1]) - rt0[1];
    while (atomic_load(&ui.phase) != 2)
        sleep_ms(1);
    double ui_s = sched_runtime_s(ui.tid) - rt0[2];
    atomic_store(&engine.phase, 3);
    atomic_store(&ui.phase, 3);
    pthread_join(te, NULL);
    pthread_join(tu, NULL);
    munmap(mem, bytes);

    et_counter *list = NULL;
    int n = et_counters_read(c, 10, &list);
    ET_REQUIRE(n >= 4);
    const et_counter *tc = find(list, n, "task-clock (ns)");
    ET_REQUIRE(tc);
    if (tc->status == ET_AVAIL_OK) {
        /* main 0.05 s of CPU (and page-fault time) + engine 0.10 s; the "UI" thread's 0.20 s is not ours */
        double s = tc->value / 1e9;
        if (rt0[0] >= 0 && rt0[1] >= 0 && rt0[2] >= 0) {
            ET_CHECK_MSG(fabs(s - listed_s) < 0.1 * listed_s + 0.002, "task-clock %.4f s, scheduler %.4f s", s,
                         listed_s);
            ET_CHECK_MSG(ui_s > 0.1 && s < listed_s + 0.5 * ui_s, "task-clock %.4f s includes the UI thread", s);
        } else {
            ET_CHECK_MSG(s > 0.10 && s < 0.30, "task-clock %.3f s (engine thread used %.3f s)", s, engine.cpu_s);
        }
        ET_CHECK_NEAR(tc->value_per_inf, tc->value / 10, 1e-6);
        const et_counter *pf = find(list, n, "page-faults");
        ET_REQUIRE(pf);
        ET_CHECK_MSG(pf->status == ET_AVAIL_OK && pf->value >= 1000, "page faults %.0f", pf->value);
        const et_counter *cs = find(list, n, "context-switches");
        ET_REQUIRE(cs);
        if (c->env.kernel_ok)
            ET_CHECK_MSG(cs->status == ET_AVAIL_OK && cs->value >= 5, "context switches %.0f", cs->value);
        else
            ET_CHECK(cs->status == ET_AVAIL_NO_PERMISSION && cs->why[0]);
    } else {
        ET_CHECK(tc->why[0] != '\0');
    }
    const et_counter *cyc = find(list, n, "cycles");
    ET_REQUIRE(cyc);
    if (cyc->status == ET_AVAIL_OK) {
        ET_CHECK(cyc->running_ns > 0 ? cyc->value > 1e6 : strstr(cyc->why, "not counted") != NULL);
    } else {
        ET_CHECK(cyc->why[0] != '\0' && strstr(cyc->why, "perf_event_open(perf::CYCLES)") != NULL);
        fprintf(stderr, "  (hardware counters here: %s: %s)\n", et_avail_name(cyc->status), cyc->why);
    }
    for (int i = 0; i < n; i++)
        ET_CHECK_MSG(list[i].status == ET_AVAIL_OK || list[i].why[0], "%s without a reason", list[i].name);
    free(list);
    et_counters_destroy(c);
    et_sysroot_close(&sr);
}

static void test_start_stop_repeat(void) {
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open("/", &sr, NULL) == ET_OK);
    et_counters *c = NULL;
    ET_REQUIRE(et_counters_create("perf::TASK-CLOCK", &sr, NULL, true, &c, NULL) == ET_OK);
    pid_t tid = my_tid();
    for (int round = 0; round < 3; round++) {
        et_counters_start(c, &tid, 1);
        spin_for(0.02);
        et_counters_stop(c);
        et_counter *list = NULL;
        int n = et_counters_read(c, 1, &list);
        const et_counter *tc = find(list, n, "task-clock (ns)");
        ET_REQUIRE(tc);
        if (tc->status == ET_AVAIL_OK) /* each round counts only itself */
            ET_CHECK_MSG(tc->value > 0.015e9 && tc->value < 0.06e9, "round %d: %.0f ns", round, tc->value);
        free(list);
    }
    et_counters_destroy(c);
    et_sysroot_close(&sr);
}

/* An unprivileged user (paranoid 2, no CAP_PERFMON): perf would count context switches as 0 in user mode, so
 * they come from /proc/self/task/TID/status. The scratch tree says "unprivileged" and links to the real tasks. */
static void test_context_switches_from_proc(void) {
    char dir[256];
    scratch_make(dir, sizeof dir);
    ET_REQUIRE(dir[0]);
    put_file(dir, "proc/sys/kernel/perf_event_paranoid", "2\n");
    put_file(dir, "proc/self/status", "Name:\tt\nCapEff:\t0000000000000000\n");
    char link[400];
    snprintf(link, sizeof link, "%s/proc/self/task", dir);
    ET_REQUIRE(symlink("/proc/self/task", link) == 0);
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open(dir, &sr, NULL) == ET_OK);
    et_counters *c = NULL;
    ET_REQUIRE(et_counters_create("perf::TASK-CLOCK", &sr, NULL, true, &c, NULL) == ET_OK);
    ET_CHECK(!c->env.kernel_ok);
    pid_t tid = my_tid();
    et_counters_start(c, &tid, 1);
    for (int i = 0; i < 8; i++)
        sleep_ms(2); /* 8 voluntary switches at least */
    et_counters_stop(c);
    et_counter *list = NULL;
    int n = et_counters_read(c, 1, &list);
    const et_counter *cs = find(list, n, "context-switches");
    ET_REQUIRE(cs);
    ET_CHECK_MSG(cs->status == ET_AVAIL_OK && cs->value >= 8 && cs->value < 100, "%s %.0f: %s",
                 et_avail_name(cs->status), cs->value, cs->why);
    ET_CHECK(strstr(cs->why, "/proc/self/task/TID/status") != NULL);
    const et_counter *mig = find(list, n, "cpu-migrations");
    ET_REQUIRE(mig);
    ET_CHECK(mig->status == ET_AVAIL_OK ? strstr(mig->why, "sched") != NULL : mig->status == ET_AVAIL_NO_PERMISSION);
    free(list);
    et_counters_destroy(c);
    et_sysroot_close(&sr);
    scratch_remove(dir);
}

static void test_list_events(void) {
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open("/", &sr, NULL) == ET_OK);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ET_REQUIRE(f);
    ET_CHECK(et_counters_list_events_at(f, &sr, NULL, NULL) == ET_OK);
    fclose(f);
    ET_CHECK(strstr(text, "perf::PERF_COUNT_SW_TASK_CLOCK") != NULL);
    ET_CHECK(strstr(text, "perf::PERF_COUNT_HW_CPU_CYCLES") != NULL);
    free(text);
    et_sysroot_close(&sr);
}

int main(void) {
    ET_RUN(test_listed_threads_only);
    ET_RUN(test_start_stop_repeat);
    ET_RUN(test_context_switches_from_proc);
    ET_RUN(test_list_events);
    return et_test_done();
}
