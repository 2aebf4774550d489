/* test_memory_and_run.c: peak RSS of the timed loop on this machine (clear_refs really resets the peak), its
 * fallbacks, and a whole profiler run here as bench makes it: software counters, memory and thermal data, and a
 * reason for every missing section, in text and JSON. */
#include <math.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "prof_helpers.h"
#include "profilers/memory.h"
#include "profilers/profilers.h"

static void touch(size_t bytes, bool keep, char **out) {
    char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return;
    for (size_t i = 0; i < bytes; i += 4096)
        m[i] = (char)i;
    if (keep)
        *out = m;
    else
        munmap(m, bytes);
}

static void test_peak_of_the_loop_only(void) {
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open("/", &sr, NULL) == ET_OK);
    et_memory m;
    et_memory_init(&m, &sr);
    touch(96u << 20, false, NULL); /* a big peak before the loop ... */
    et_memory_start(&m);           /* ... forgotten here */
    char *loop = NULL;
    touch(24u << 20, true, &loop);
    et_memory_stop(&m);
    et_memory_info info;
    memset(&info, 0, sizeof info);
    et_memory_fill(&m, &info);
    ET_CHECK(info.status == ET_AVAIL_OK);
    if (m.clear_errno == 0) {
        ET_CHECK_STR(info.peak_rss_method, "clear_refs+VmHWM");
        double mib = (double)info.peak_rss_bytes / 1048576.0;
        ET_CHECK_MSG(mib >= 24 && mib < 90, "peak %.1f MiB: the 96 MiB before the loop leaked in", mib);
    } else {
        ET_CHECK(strstr(info.why, "clear_refs") != NULL);
    }
    if (loop)
        munmap(loop, 24u << 20);
    et_sysroot_close(&sr);
}

static void test_fallbacks(void) {
    char dir[256];
    scratch_make(dir, sizeof dir);
    ET_REQUIRE(dir[0]);
    put_file(dir, "proc/self/status", "Name:\tx\nVmHWM:\t  4096 kB\n");
    put_file(dir, "proc/self/clear_refs", "");
    put_file(dir, ".edgetune/denied", "proc/self/clear_refs\n"); /* as an unprivileged user on a hardened kernel */
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open(dir, &sr, NULL) == ET_OK);
    et_memory m;
    et_memory_init(&m, &sr);
    et_memory_info info;
    memset(&info, 0, sizeof info);
    et_memory_fill(&m, &info);
    ET_CHECK(info.status == ET_AVAIL_NOT_RUN); /* never started */
    et_memory_start(&m);
    et_memory_stop(&m);
    et_memory_fill(&m, &info);
    ET_CHECK_STR(info.peak_rss_method, "VmHWM (process peak)");
    ET_CHECK(strstr(info.why, "EACCES") && info.peak_rss_bytes == 4096 * 1024);
    et_sysroot_close(&sr);
    scratch_remove(dir);

    scratch_make(dir, sizeof dir); /* no /proc at all: getrusage */
    ET_REQUIRE(et_sysroot_open(dir, &sr, NULL) == ET_OK);
    et_memory_init(&m, &sr);
    et_memory_start(&m);
    et_memory_stop(&m);
    et_memory_fill(&m, &info);
    ET_CHECK_STR(info.peak_rss_method, "ru_maxrss (process peak)");
    ET_CHECK(info.peak_rss_bytes > 0 && strstr(info.why, "whole process"));
    et_sysroot_close(&sr);
    scratch_remove(dir);
}

static double thread_cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The run bench makes on this machine. */
static void test_whole_run_here(void) {
    unsetenv("EDGETUNE_SYSROOT");
    et_profiler_config cfg = et_profiler_config_all();
    et_profilers *p = NULL;
    et_err err = {0};
    ET_REQUIRE(et_profilers_open(&cfg, &p, &err) == ET_OK);
    pid_t tid = (pid_t)syscall(SYS_gettid);
    et_profilers_start(p, &tid, 1);
    double end = thread_cpu_s() + 0.1;
    volatile double x = 1;
    while (thread_cpu_s() < end)
        x *= 1.0000001;
    (void)x;
    et_profilers_stop(p);
    et_result r;
    et_result_init(&r);
    et_profilers_read(p, 10, &r);
    et_profilers_read(p, 10, &r); /* reading again replaces, never leaks or doubles */
    et_profilers_close(p);

    ET_CHECK(r.memory.status == ET_AVAIL_OK && r.memory.peak_rss_bytes > 0);
    bool task_clock = false;
    for (int i = 0; i < r.n_counters; i++) {
        const et_counter *c = &r.counters[i];
        ET_CHECK_MSG(c->status == ET_AVAIL_OK || c->why[0], "%s without a reason", c->name);
        if (strcmp(c->label, "task-clock (ns)") == 0 && c->status == ET_AVAIL_OK) {
            task_clock = true;
            ET_CHECK_MSG(c->value_per_inf > 0.8e7 && c->value_per_inf < 3e7, "task-clock %.0f ns per inference",
                         c->value_per_inf);
        }
    }
    ET_CHECK(task_clock || r.n_counters == 0 || r.counters[0].status != ET_AVAIL_OK);
    ET_CHECK(r.power.status == ET_AVAIL_OK ? r.power.avg_power_w >= 0 : r.power.why[0] != '\0');
    ET_CHECK(r.thermal.status == ET_AVAIL_OK || r.thermal.why[0]);
    ET_CHECK(r.thermal.throttle_why[0] != '\0' || r.thermal.status != ET_AVAIL_OK);

    ET_CHECK(strcmp(r.memory.peak_rss_method, "clear_refs+VmHWM") == 0);
    if (r.power.status != ET_AVAIL_OK)
        ET_CHECK(r.power.why[0] != '\0');
    ET_CHECK(isnan(et_result_ipc(&r)) || et_result_ipc(&r) > 0);
    et_result_free(&r);
}

static void test_bad_config(void) {
    et_profiler_config cfg = et_profiler_config_all();
    cfg.events = "perf::CYCLES,not_an_event";
    et_profilers *p = NULL;
    et_err err = {0};
    ET_CHECK(et_profilers_open(&cfg, &p, &err) == ET_E_USAGE);
    ET_CHECK(p == NULL && strstr(err.msg, "'not_an_event'"));
    setenv("EDGETUNE_SYSROOT", "/no/such/root", 1);
    ET_CHECK(et_profilers_open(&cfg, &p, &err) == ET_E_IO);
    ET_CHECK(strstr(err.msg, "EDGETUNE_SYSROOT") != NULL);
    et_host_info host;
    et_host_info_read(&host); /* a bad root still describes the machine */
    ET_CHECK(host.arch[0] && host.cores > 0);
    unsetenv("EDGETUNE_SYSROOT");
}

int main(void) {
    ET_RUN(test_peak_of_the_loop_only);
    ET_RUN(test_fallbacks);
    ET_RUN(test_whole_run_here);
    ET_RUN(test_bad_config);
    return et_test_done();
}
