/* test_counters.c: the counter set through an injected perf layer: grouping by PMU and counter count, per-thread
 * opens, group reads and scaling, "not counted", and the failures ENOENT, EACCES, EINVAL (ungrouped fallback),
 * EMFILE and ESRCH, plus the exclude_kernel decision from the permission context of a fixture tree. */
#include <sys/ioctl.h>

#include "prof_helpers.h"
#include "profilers/counters.h"

enum { MAX_FAKE = 512, FD_BASE = 1000 };

typedef struct fake_event {
    struct perf_event_attr attr;
    pid_t pid;
    int group_fd;
    bool open, enabled, was_reset;
} fake_event;

typedef struct fake_perf {
    fake_event ev[MAX_FAKE];
    int n;
    int n_open_now;
    /* what to answer */
    int (*decide)(struct fake_perf *f, const struct perf_event_attr *a, pid_t pid, int group_fd);
    uint64_t ena, run;      /* times every read reports */
    long short_read;        /* >0: reads return this many bytes */
    int opens_until_emfile; /* >0: the open with this number fails with EMFILE */
    int n_opens;
} fake_perf;

static uint64_t value_of(const fake_event *e) { return 1000 * (e->attr.config + 1) + (uint64_t)e->pid; }

static int f_open(void *ctx, struct perf_event_attr *a, pid_t pid, int cpu, int group_fd, unsigned long flags) {
    (void)cpu, (void)flags;
    fake_perf *f = ctx;
    f->n_opens++;
    if (f->opens_until_emfile > 0 && f->n_opens == f->opens_until_emfile)
        return -EMFILE;
    int e = f->decide ? f->decide(f, a, pid, group_fd) : 0;
    if (e)
        return -e;
    if (f->n == MAX_FAKE)
        return -EMFILE;
    fake_event *ev = &f->ev[f->n];
    ev->attr = *a;
    ev->pid = pid;
    ev->group_fd = group_fd;
    ev->open = true;
    ev->enabled = !a->disabled;
    f->n_open_now++;
    return FD_BASE + f->n++;
}

static fake_event *fe(fake_perf *f, int fd) {
    return fd >= FD_BASE && fd < FD_BASE + f->n ? &f->ev[fd - FD_BASE] : NULL;
}

static long f_read(void *ctx, int fd, void *buf, unsigned long len) {
    fake_perf *f = ctx;
    fake_event *e = fe(f, fd);
    if (!e || !e->open)
        return -EBADF;
    uint64_t out[64];
    int n = 0;
    if (e->attr.read_format & PERF_FORMAT_GROUP) {
        out[n++] = 0;
        out[n++] = f->ena;
        out[n++] = f->run;
        int nr = 0;
        for (int i = 0; i < f->n; i++) {
            fake_event *m = &f->ev[i];
            if (m->open && (i == fd - FD_BASE || m->group_fd == fd)) {
                out[n++] = value_of(m);
                out[n++] = (uint64_t)(FD_BASE + i) * 7; /* the id */
                nr++;
            }
        }
        out[0] = (uint64_t)nr;
    } else {
        out[n++] = value_of(e);
        out[n++] = f->ena;
        out[n++] = f->run;
        out[n++] = (uint64_t)fd * 7;
    }
    size_t bytes = (size_t)n * sizeof(uint64_t);
    if (f->short_read > 0)
        bytes = (size_t)f->short_read;
    if (bytes > len)
        return -ENOSPC;
    memcpy(buf, out, bytes);
    return (long)bytes;
}

static int f_ioctl(void *ctx, int fd, unsigned long request, unsigned long arg) {
    fake_perf *f = ctx;
    fake_event *e = fe(f, fd);
    if (!e || !e->open)
        return -EBADF;
    if (request == PERF_EVENT_IOC_ID)
        *(uint64_t *)arg = (uint64_t)fd * 7;
    else if (request == PERF_EVENT_IOC_ENABLE)
        e->enabled = true;
    else if (request == PERF_EVENT_IOC_DISABLE)
        e->enabled = false;
    else if (request == PERF_EVENT_IOC_RESET)
        e->was_reset = true;
    return 0;
}

static int f_close(void *ctx, int fd) {
    fake_perf *f = ctx;
    fake_event *e = fe(f, fd);
    if (!e || !e->open)
        return -EBADF;
    e->open = false;
    f->n_open_now--;
    return 0;
}

static int64_t f_clock(void *ctx) {
    (void)ctx;
    return 42;
}

static et_perf_ops ops_for(fake_perf *f) {
    et_perf_ops o = {f_open, f_read, f_ioctl, f_close, f_clock, f};
    return o;
}

static void fake_init(fake_perf *f) {
    memset(f, 0, sizeof *f);
    f->ena = f->run = 5000;
}

static const et_counter *find_counter(const et_counter *list, int n, const char *label) {
    for (int i = 0; i < n; i++)
        if (strcmp(list[i].label, label) == 0)
            return &list[i];
    return NULL;
}

static bool is_hw(const struct perf_event_attr *a) { return a->type == PERF_TYPE_HARDWARE; }

/* a machine with a PMU (amd-zen fixture: root, paranoid 2) where the kernel accepts everything */
static void test_groups_and_per_thread_sums(void) {
    fake_perf f;
    fake_init(&f);
    et_perf_ops ops = ops_for(&f);
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open(fixture_root("amd-zen"), &sr, NULL) == ET_OK);
    et_counters *c = NULL;
    et_err err = {0};
    ET_REQUIRE(et_counters_create(NULL, &sr, &ops, true, &c, &err) == ET_OK);
    ET_CHECK_INT(c->n_events, 11); /* 7 hardware + 4 software */
    ET_CHECK_INT(f.n_open_now, 0); /* trial opens are closed again */
    int hw_in_groups = 0, sw_groups = 0;
    for (int g = 0; g < c->n_groups; g++) {
        const et_event *lead = &c->ev[c->groups[g].member[0]];
        if (lead->hardware) {
            ET_CHECK(c->groups[g].n <= c->group_cap);
            hw_in_groups += c->groups[g].n;
        } else {
            sw_groups++;
        }
        for (int m = 1; m < c->groups[g].n; m++) /* one PMU per group */
            ET_CHECK(c->ev[c->groups[g].member[m]].hardware == lead->hardware);
    }
    ET_CHECK_INT(hw_in_groups, 7);
    ET_CHECK_INT(sw_groups, 1);
    ET_CHECK(c->groups[0].member[0] == 0 && c->groups[0].member[1] == 1); /* cycles and instructions together */

    pid_t tids[2] = {101, 102};
    int before = f.n;
    et_counters_start(c, tids, 2);
    ET_CHECK_INT(f.n_open_now, 2 * 11);
    for (int i = before; i < f.n; i++) {
        const fake_event *e = &f.ev[i];
        ET_CHECK(e->pid == 101 || e->pid == 102);
        ET_CHECK(!e->attr.inherit);
        ET_CHECK(e->attr.read_format & PERF_FORMAT_GROUP);
        ET_CHECK(!e->attr.exclude_kernel); /* root in this fixture */
        if (e->group_fd == -1)
            ET_CHECK(e->attr.disabled && e->enabled && e->was_reset); /* leaders: disabled at open, then enabled */
        else
            ET_CHECK(!e->attr.disabled && fe(&f, e->group_fd)->pid == e->pid);
    }
    et_counters_stop(c);
    ET_CHECK_INT(f.n_open_now, 0);
    et_counter *list = NULL;
    int n = et_counters_read(c, 10, &list);
    ET_CHECK_INT(n, 11);
    const et_counter *ins = find_counter(list, n, "instructions");
    ET_REQUIRE(ins != NULL);
    /* value_of = 1000 * (config + 1) + pid, summed over the two threads */
    ET_CHECK_INT(ins->raw, 2 * 2000 + 101 + 102);
    ET_CHECK_NEAR(ins->value, 2 * 2000 + 101 + 102, 1e-9);
    ET_CHECK_NEAR(ins->value_per_inf, (2 * 2000 + 101 + 102) / 10.0, 1e-9);
    ET_CHECK_INT(ins->enabled_ns, 10000);
    ET_CHECK_INT(ins->running_ns, 10000);
    ET_CHECK_STR(ins->name, "perf::INSTRUCTIONS");
    ET_CHECK(find_counter(list, n, "context-switches")->status == ET_AVAIL_OK);
    free(list);
    et_counters_destroy(c);
    et_sysroot_close(&sr);
}

static void test_multiplexing_scaled_and_not_counted(void) {
    fake_perf f;
    fake_init(&f);
    f.ena = 4000;
    f.run = 1000; /* scheduled a quarter of the time */
    et_perf_ops ops = ops_for(&f);
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open(fixture_root("amd-zen"), &sr, NULL) == ET_OK);
    et_counters *c = NULL;
    ET_REQUIRE(et_counters_create("perf::CYCLES", &sr, &ops, true, &c, NULL) == ET_OK);
    pid_t tid = 7;
    et_counters_start(c, &tid, 1);
    et_counters_stop(c);
    et_counter *list = NULL;
    int n = et_counters_read(c, 4, &list);
    const et_counter *cyc = find_counter(list, n, "cycles");
    ET_REQUIRE(cyc);
    ET_CHECK_INT(cyc->raw, 1000 + 7);
    ET_CHECK_NEAR(cyc->value, (1000 + 7) * 4.0, 1e-9); /* raw * enabled / running */
    ET_CHECK(strstr(cyc->why, "multiplexed") && strstr(cyc->why, "25.0%"));
    free(list);

    f.run = 0; /* enabled but never on a counter: not counted, which is not zero */
    et_counters_start(c, &tid, 1);
    et_counters_stop(c);
    n = et_counters_read(c, 4, &list);
    cyc = find_counter(list, n, "cycles");
    ET_REQUIRE(cyc);
    ET_CHECK(cyc->status == ET_AVAIL_OK);
    ET_CHECK_INT(cyc->running_ns, 0);
    ET_CHECK_INT(cyc->enabled_ns, 4000);
    ET_CHECK(strstr(cyc->why, "not counted") != NULL);
    free(list);
    et_counters_destroy(c);
    et_sysroot_close(&sr);
}

static int no_hardware(fake_perf *f, const struct perf_event_attr *a, pid_t pid, int group_fd) {
    (void)f, (void)pid, (void)group_fd;
    return is_hw(a) ? ENOENT : 0;
}

/* the VM: hardware events ENOENT, software ones fine; stalled cycles drop out, the rest say why */
static void test_enoent_hardware(void) {
    fake_perf f;
    fake_init(&f);
    f.decide = no_hardware;
    et_perf_ops ops = ops_for(&f);
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open(fixture_root("vm-no-pmu"), &sr, NULL) == ET_OK);
    et_counters *c = NULL;
    ET_REQUIRE(et_counters_create(NULL, &sr, &ops, true, &c, NULL) == ET_OK);
    pid_t tid = 9;
    et_counters_start(c, &tid, 1);
    for (int i = 0; i < f.n; i++)
        if (f.ev[i].open)
            ET_CHECK(!is_hw(&f.ev[i].attr));
    et_counters_stop(c);
    et_counter *list = NULL;
    int n = et_counters_read(c, 1, &list);
    ET_CHECK_INT(n, 9); /* 5 hardware (stalled cycles dropped) + 4 software */
    ET_CHECK(find_counter(list, n, "stalled-cycles-frontend") == NULL);
    const et_counter *cyc = find_counter(list, n, "cycles");
    ET_REQUIRE(cyc);
    ET_CHECK(cyc->status == ET_AVAIL_UNSUPPORTED);
    ET_CHECK(strstr(cyc->why, "ENOENT") && strstr(cyc->why, "no hardware PMU") && strstr(cyc->why, "virtual"));
    const et_counter *pf = find_counter(list, n, "page-faults");
    ET_REQUIRE(pf);
    ET_CHECK(pf->status == ET_AVAIL_OK && pf->raw == 1000 * 3 + 9);
    /* an unprivileged user: context switches only count in kernel mode, so they are not opened at all */
    const et_counter *cs = find_counter(list, n, "context-switches");
    ET_REQUIRE(cs);
    ET_CHECK(cs->status == ET_AVAIL_NO_PERMISSION);
    for (int i = 0; i < f.n; i++) {
        ET_CHECK(f.ev[i].attr.exclude_kernel);
        ET_CHECK(!(f.ev[i].attr.type == PERF_TYPE_SOFTWARE && f.ev[i].attr.config == PERF_COUNT_SW_CONTEXT_SWITCHES));
    }
    et_probe p;
    char text[512];
    et_counters_summary(c, true, &p, text, sizeof text);
    ET_CHECK(p.status == ET_AVAIL_UNSUPPORTED && strstr(p.hint, "pmu=on"));
    et_counters_summary(c, false, &p, text, sizeof text);
    ET_CHECK(p.status == ET_AVAIL_OK && strstr(text, "2 of 4 work"));
    free(list);
    et_counters_destroy(c);
    et_sysroot_close(&sr);
}

static int deny_all(fake_perf *f, const struct perf_event_attr *a, pid_t pid, int group_fd) {
    (void)f, (void)a, (void)pid, (void)group_fd;
    return EACCES;
}

static void test_eacces_paranoid(void) {
    fake_perf f;
    fake_init(&f);
    f.decide = deny_all;
    et_perf_ops ops = ops_for(&f);
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open(fixture_root("paranoid-3"), &sr, NULL) == ET_OK);
    et_counters *c = NULL;
    ET_REQUIRE(et_counters_create(NULL, &sr, &ops, true, &c, NULL) == ET_OK);
    ET_CHECK_INT(c->env.paranoid, 3);
    ET_CHECK(!c->env.cap_perfmon && !c->env.user_ok);
    for (int e = 0; e < c->n_events; e++) {
        ET_CHECK(c->ev[e].probe.status == ET_AVAIL_NO_PERMISSION);
        ET_CHECK(strstr(c->ev[e].probe.hint, "sysctl kernel.perf_event_paranoid=2") != NULL);
    }
    ET_CHECK_INT(c->n_groups, 0);
    pid_t tid = 3;
    int opens = f.n_opens;
    et_counters_start(c, &tid, 1);
    ET_CHECK_INT(f.n_opens, opens); /* nothing to open */
    et_counters_stop(c);
    et_counter *list = NULL;
    int n = et_counters_read(c, 1, &list);
    ET_CHECK(n > 0 && list[0].status == ET_AVAIL_NO_PERMISSION && strstr(list[0].why, "EACCES"));
    free(list);
    et_counters_destroy(c);
    et_sysroot_close(&sr);
}

static int einval_for_group_members(fake_perf *f, const struct perf_event_attr *a, pid_t pid, int group_fd) {
    (void)f, (void)pid;
    return group_fd >= 0 && (a->read_format & PERF_FORMAT_GROUP) ? EINVAL : 0;
}

/* old kernels: EINVAL for a group -> every event opened and read alone */
static void test_einval_falls_back_to_ungrouped(void) {
    fake_perf f;
    fake_init(&f);
    f.decide = einval_for_group_members;
    f.ena = 3000;
    f.run = 1500;
    et_perf_ops ops = ops_for(&f);
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open(fixture_root("amd-zen"), &sr, NULL) == ET_OK);
    et_counters *c = NULL;
    ET_REQUIRE(et_counters_create("perf::CYCLES,perf::INSTRUCTIONS", &sr, &ops, true, &c, NULL) == ET_OK);
    pid_t tids[3] = {11, 12, 13};
    et_counters_start(c, tids, 3);
    ET_CHECK(!c->grouped);
    ET_CHECK_INT(f.n_open_now, 3 * 6);
    et_counters_stop(c);
    ET_CHECK_INT(f.n_open_now, 0);
    et_counter *list = NULL;
    int n = et_counters_read(c, 2, &list);
    const et_counter *ins = find_counter(list, n, "instructions");
    ET_REQUIRE(ins);
    ET_CHECK(ins->status == ET_AVAIL_OK);
    ET_CHECK_INT(ins->raw, 3 * 2000 + 11 + 12 + 13);
    ET_CHECK_NEAR(ins->value, 2.0 * (3 * 2000 + 11 + 12 + 13), 1e-6);
    free(list);
    et_counters_destroy(c);
    et_sysroot_close(&sr);
}

static void test_emfile_fails_one_group_and_closes_it(void) {
    fake_perf f;
    fake_init(&f);
    et_perf_ops ops = ops_for(&f);
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open(fixture_root("amd-zen"), &sr, NULL) == ET_OK);
    et_counters *c = NULL;
    ET_REQUIRE(et_counters_create("perf::CYCLES,perf::INSTRUCTIONS", &sr, &ops, true, &c, NULL) == ET_OK);
    /* the hardware group opens first: let thread 1 get its two, then fail thread 2's leader */
    f.n_opens = 0;
    f.opens_until_emfile = 3;
    pid_t tids[2] = {21, 22};
    et_counters_start(c, tids, 2);
    f.opens_until_emfile = 0;
    et_counters_stop(c);
    ET_CHECK_INT(f.n_open_now, 0);
    et_counter *list = NULL;
    int n = et_counters_read(c, 1, &list);
    const et_counter *cyc = find_counter(list, n, "cycles");
    ET_REQUIRE(cyc);
    ET_CHECK(cyc->status == ET_AVAIL_ERROR && strstr(cyc->why, "EMFILE"));
    ET_CHECK(strstr(c->ev[0].probe.hint, "ulimit") != NULL);
    /* the software group opened after the failure is still counted on both threads */
    const et_counter *pf = find_counter(list, n, "page-faults");
    ET_REQUIRE(pf);
    ET_CHECK(pf->status == ET_AVAIL_OK);
    ET_CHECK_INT(pf->raw, 2 * 3000 + 21 + 22);
    free(list);
    et_counters_destroy(c);
    et_sysroot_close(&sr);
}

static int gone_thread(fake_perf *f, const struct perf_event_attr *a, pid_t pid, int group_fd) {
    (void)f, (void)a, (void)group_fd;
    return pid == 32 ? ESRCH : 0;
}

static void test_exited_thread_skipped(void) {
    fake_perf f;
    fake_init(&f);
    f.decide = gone_thread;
    et_perf_ops ops = ops_for(&f);
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open(fixture_root("amd-zen"), &sr, NULL) == ET_OK);
    et_counters *c = NULL;
    ET_REQUIRE(et_counters_create("perf::CYCLES", &sr, &ops, true, &c, NULL) == ET_OK);
    pid_t tids[3] = {31, 32, 33};
    et_counters_start(c, tids, 3);
    et_counters_stop(c);
    et_counter *list = NULL;
    int n = et_counters_read(c, 1, &list);
    const et_counter *cyc = find_counter(list, n, "cycles");
    ET_REQUIRE(cyc);
    ET_CHECK(cyc->status == ET_AVAIL_OK);
    ET_CHECK_INT(cyc->raw, 2 * 1000 + 31 + 33);
    ET_CHECK(strstr(cyc->why, "1 of 3 threads") != NULL);
    free(list);
    et_counters_destroy(c);
    et_sysroot_close(&sr);
}

static void test_short_read_is_an_error(void) {
    fake_perf f;
    fake_init(&f);
    et_perf_ops ops = ops_for(&f);
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open(fixture_root("amd-zen"), &sr, NULL) == ET_OK);
    et_counters *c = NULL;
    ET_REQUIRE(et_counters_create("perf::CYCLES", &sr, &ops, true, &c, NULL) == ET_OK);
    pid_t tid = 5;
    et_counters_start(c, &tid, 1);
    f.short_read = 16;
    et_counters_stop(c);
    ET_CHECK_INT(f.n_open_now, 0);
    et_counter *list = NULL;
    int n = et_counters_read(c, 1, &list);
    ET_CHECK(find_counter(list, n, "cycles")->status == ET_AVAIL_ERROR);
    free(list);
    et_counters_destroy(c);
    et_sysroot_close(&sr);
}

static void test_event_names(void) {
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open(fixture_root("amd-zen"), &sr, NULL) == ET_OK);
    fake_perf f;
    fake_init(&f);
    et_perf_ops ops = ops_for(&f);
    et_counters *c = NULL;
    et_err err = {0};
    ET_CHECK(et_counters_create("cycles,bogus_event_xyz", &sr, &ops, true, &c, &err) == ET_E_USAGE);
    ET_CHECK(c == NULL);
    ET_CHECK(strstr(err.msg, "bogus_event_xyz") != NULL && strstr(err.msg, "doctor --events") != NULL);
    /* user names get their PMU; defaults named again and the always-on software events are not doubled */
    ET_REQUIRE(et_counters_create(" instructions , cycles,perf::TASK-CLOCK", &sr, &ops, true, &c, &err) == ET_OK);
    ET_CHECK_INT(c->n_events, 6);
    ET_CHECK_STR(c->ev[0].name, "perf::INSTRUCTIONS");
    ET_CHECK_STR(c->ev[1].name, "perf::CYCLES");
    ET_CHECK_STR(c->ev[2].label, "task-clock (ns)");
    et_counters_destroy(c);
    et_sysroot_close(&sr);
}

static void test_unprivileged_counts_user_mode_only(void) {
    fake_perf f;
    fake_init(&f);
    et_perf_ops ops = ops_for(&f);
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open(fixture_root("intel-laptop"), &sr, NULL) == ET_OK);
    et_counters *c = NULL;
    ET_REQUIRE(et_counters_create(NULL, &sr, &ops, true, &c, NULL) == ET_OK);
    ET_CHECK(!c->env.kernel_ok && c->env.user_ok);
    ET_CHECK_INT(c->env.nmi_watchdog, 1);
    for (int e = 0; e < c->n_events; e++)
        ET_CHECK(c->ev[e].attr.exclude_kernel);
    pid_t tid = 1;
    et_counters_start(c, &tid, 1);
    et_counters_stop(c);
    for (int i = 0; i < f.n; i++)
        ET_CHECK(f.ev[i].attr.exclude_kernel && f.ev[i].attr.exclude_hv);
    et_counters_destroy(c);
    et_sysroot_close(&sr);
}

static void test_parse_group_buffer(void) {
    uint64_t buf[3 + 2 * 3] = {3, 900, 300, 11, 0xa, 22, 0xb, 33, 0xc};
    uint64_t ids[3] = {0xc, 0xa, 0xb}, vals[3], ena, run;
    ET_CHECK_INT(et_perf_parse_group(buf, sizeof buf, ids, 3, vals, &ena, &run), 0);
    ET_CHECK(vals[0] == 33 && vals[1] == 11 && vals[2] == 22 && ena == 900 && run == 300);
    uint64_t missing[2] = {0xa, 0xdead};
    ET_CHECK_INT(et_perf_parse_group(buf, sizeof buf, missing, 2, vals, &ena, &run), -ENOENT);
    ET_CHECK_INT(et_perf_parse_group(buf, sizeof buf - 8, ids, 3, vals, &ena, &run), -EINVAL); /* short */
    ET_CHECK_INT(et_perf_parse_group(buf, 12, ids, 3, vals, &ena, &run), -EINVAL);
    uint64_t huge[3] = {1000, 1, 1};
    ET_CHECK_INT(et_perf_parse_group(huge, sizeof huge, ids, 1, vals, &ena, &run), -EINVAL);
    uint64_t single[4] = {77, 10, 5, 9}, v;
    ET_CHECK_INT(et_perf_parse_single(single, sizeof single, &v, &ena, &run), 0);
    ET_CHECK(v == 77 && ena == 10 && run == 5);
    ET_CHECK_INT(et_perf_parse_single(single, 16, &v, &ena, &run), -EINVAL);
}

static void test_scale(void) {
    ET_CHECK_NEAR((double)et_perf_scale(1000, 400, 100), 4000.0, 1e-9);
    ET_CHECK_NEAR((double)et_perf_scale(1000, 400, 400), 1000.0, 0);
    ET_CHECK_NEAR((double)et_perf_scale(1000, 400, 0), 0.0, 0); /* not counted: the caller says so */
    /* large counts keep their precision (long double) */
    uint64_t big = 0x7fffffffffffffffULL;
    ET_CHECK((double)et_perf_scale(big, 3, 3) == (double)big);
}

int main(void) {
    ET_RUN(test_parse_group_buffer);
    ET_RUN(test_scale);
    ET_RUN(test_groups_and_per_thread_sums);
    ET_RUN(test_multiplexing_scaled_and_not_counted);
    ET_RUN(test_enoent_hardware);
    ET_RUN(test_eacces_paranoid);
    ET_RUN(test_einval_falls_back_to_ungrouped);
    ET_RUN(test_emfile_fails_one_group_and_closes_it);
    ET_RUN(test_exited_thread_skipped);
    ET_RUN(test_short_read_is_an_error);
    ET_RUN(test_event_names);
    ET_RUN(test_unprivileged_counts_user_mode_only);
    return et_test_done();
}
