/* test_power_fixtures.c: power and energy per inference from the fixture trees, through et_profilers_open_env
 * the way bench uses it. Rails that hold still give their exact value; RAPL is tested with a copy of the
 * intel-laptop tree whose psys counter a writer thread advances at a known rate across its wrap (the reported
 * average must be within 5 %); the perf power PMU with an injected perf layer whose counter advances the same way. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "prof_helpers.h"
#include "profilers/perf_ops.h"
#include "profilers/power.h"
#include "profilers/profilers.h"

static et_profiler_config power_only(void) {
    et_profiler_config c = {false, true, false, false, NULL, 0};
    return c;
}

/* One bench-like run: start, `ms` of "timed loop", stop, read for `iters` inferences. Sets run_elapsed_s to the
 * seconds that really passed between start and stop: on a loaded machine the sleep overruns, and the bounds below follow the
 * real window instead of the requested one (a test that fails only under load tests the machine, not the code). */
static double run_elapsed_s;
static void run(const char *root, int ms, int iters, et_result *r, const et_profiler_env *penv) {
    et_profiler_env env = {root, NULL, NULL};
    if (penv)
        env = *penv;
    et_profiler_config cfg = power_only();
    et_profilers *p = NULL;
    et_err err = {0};
    et_result_init(r);
    ET_REQUIRE(et_profilers_open_env(&cfg, &env, &p, &err) == ET_OK);
    double t0 = now_s();
    et_profilers_start(p, NULL, 0);
    sleep_ms(ms);
    et_profilers_stop(p);
    run_elapsed_s = now_s() - t0;
    et_profilers_read(p, iters, r);
    et_profilers_close(p);
}

typedef struct rails_case {
    const char *scenario, *source;
    double mw;
    bool partial;
} rails_case;

static void test_static_rails(void) {
    static const rails_case cases[] = {
        {"jetson-nano-jp4", "ina3221:POM_5V_IN", 3124.0, false},
        {"xavier-jp5", "ina3221 (sum of 6 rails)",
         19.064 * 152 + 19.064 * 398 + 19.064 * 456 + 0 + 19.072 * 96 + 4.984 * 824, true},
        {"orin-jp6", "ina3221:VDD_IN", 5.072 * 1208, false},
        {"rpi5", "pi5-pmic (sum of 11 rails)", 1590.836718, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const rails_case *k = &cases[i];
        et_result r;
        run(fixture_root(k->scenario), 180, 9, &r, NULL);
        double elapsed_s = run_elapsed_s;
        ET_CHECK_MSG(r.power.status == ET_AVAIL_OK, "%s: %s", k->scenario, r.power.why);
        ET_CHECK_STR(r.power.source, k->source);
        ET_CHECK_MSG(r.power.partial == k->partial, "%s partial", k->scenario);
        ET_CHECK_MSG(fabs(r.power.avg_power_w * 1000.0 - k->mw) < 1e-6 * k->mw, "%s: %.6f W, expected %.6f W",
                     k->scenario, r.power.avg_power_w, k->mw / 1000.0);
        /* energy per inference = average power x window / iterations */
        ET_CHECK_NEAR(r.power.energy_per_inf_mj, r.power.energy_j * 1000.0 / 9, 1e-9);
        double window_s = r.power.energy_j / r.power.avg_power_w;
        ET_CHECK_MSG(window_s > 0.175 && window_s <= elapsed_s + 0.05, "%s: window %.3f s in %.3f s", k->scenario,
                     window_s, elapsed_s);
        ET_CHECK(r.power.n_samples >= 2);
        et_result_free(&r);
    }
}

static void test_update_interval_respected(void) {
    et_profiler_config cfg = power_only();
    cfg.power_interval_ms = 10; /* asks for faster than orin-jp6's INA3221 updates (250 ms) */
    et_profiler_env env = {fixture_root("orin-jp6"), NULL, NULL};
    et_profilers *p = NULL;
    ET_REQUIRE(et_profilers_open_env(&cfg, &env, &p, NULL) == ET_OK);
    double t0 = now_s();
    et_profilers_start(p, NULL, 0);
    sleep_ms(600);
    et_profilers_stop(p);
    double elapsed_s = now_s() - t0;
    et_result r;
    et_result_init(&r);
    et_profilers_read(p, 1, &r);
    et_profilers_close(p);
    /* one sample per 250 ms update plus the ones at start and stop; at 10 ms it would be about 60 */
    int most = (int)(elapsed_s / 0.250) + 2;
    ET_CHECK_MSG(r.power.n_samples >= 3 && r.power.n_samples <= most, "%d samples in %.0f ms (at most %d)",
                 r.power.n_samples, elapsed_s * 1000.0, most);
    et_result_free(&r);
}

static void test_unavailable_power_says_why(void) {
    et_result r;
    run(fixture_root("rapl-noperm"), 20, 1, &r, NULL);
    ET_CHECK(r.power.status == ET_AVAIL_NO_PERMISSION);
    ET_CHECK(strstr(r.power.why, "RAPL (powercap)") && strstr(r.power.why, "CVE-2020-8694"));
    et_result_free(&r);
    run(fixture_root("rpi4"), 20, 1, &r, NULL);
    ET_CHECK(r.power.status == ET_AVAIL_UNSUPPORTED);
    ET_CHECK(strstr(r.power.why, "Raspberry Pi 4 Model B Rev 1.4 has no power sensor") != NULL);
    et_result_free(&r);
    run(fixture_root("vm-no-pmu"), 20, 1, &r, NULL);
    ET_CHECK(r.power.status == ET_AVAIL_UNSUPPORTED && strstr(r.power.why, "no power sensor here"));
    ET_CHECK(r.power.samples == NULL && r.power.energy_per_inf_mj == 0);
    et_result_free(&r);
    /* switched off */
    et_profiler_config cfg = {false, false, false, false, NULL, 0};
    et_profiler_env env = {fixture_root("orin-jp6"), NULL, NULL};
    et_profilers *p = NULL;
    ET_REQUIRE(et_profilers_open_env(&cfg, &env, &p, NULL) == ET_OK);
    et_profilers_start(p, NULL, 0);
    et_profilers_stop(p);
    et_result_init(&r);
    et_profilers_read(p, 1, &r);
    ET_CHECK(r.power.status == ET_AVAIL_NOT_RUN && r.memory.status == ET_AVAIL_NOT_RUN &&
             r.thermal.status == ET_AVAIL_NOT_RUN && r.n_counters == 0);
    et_profilers_close(p);
    et_result_free(&r);
}

/* --- RAPL over time: a writer advances psys energy_uj at a known rate ------------------------------------- */
typedef struct writer {
    char path[1100], tmp[1100];
    double rate_w;
    double start_uj, range_uj;
    atomic_int stop;
    double t0;
} writer;

static void write_counter(writer *w, double t) {
    double e = fmod(w->start_uj + w->rate_w * 1e6 * t, w->range_uj);
    FILE *f = fopen(w->tmp, "w");
    if (!f)
        return;
    fprintf(f, "%.0f\n", e);
    fclose(f);
    rename(w->tmp, w->path); /* atomic: a reader sees the old or the new value, never half */
}

static void *writer_main(void *arg) {
    writer *w = arg;
    while (!atomic_load(&w->stop)) {
        write_counter(w, now_s() - w->t0);
        sleep_ms(2);
    }
    return NULL;
}

static void test_rapl_known_rate_across_wrap(void) {
    char dir[256], cmd[1400];
    scratch_make(dir, sizeof dir);
    ET_REQUIRE(dir[0]);
    snprintf(cmd, sizeof cmd, "cp -a '%s/.' '%s/'", fixture_root("intel-laptop"), dir);
    ET_REQUIRE(system(cmd) == 0);
    writer w;
    memset(&w, 0, sizeof w);
    snprintf(w.path, sizeof w.path, "%s/sys/devices/virtual/powercap/intel-rapl/intel-rapl:1/energy_uj", dir);
    snprintf(w.tmp, sizeof w.tmp, "%s.tmp", w.path);
    w.rate_w = 8.0;
    w.start_uj = 262142000000.0; /* the fixture's value: 1.33 J, 166 ms at 8 W, before the wrap */
    w.range_uj = 262143328850.0;
    w.t0 = now_s();
    write_counter(&w, 0);
    pthread_t th;
    ET_REQUIRE(pthread_create(&th, NULL, writer_main, &w) == 0);
    et_result r;
    run(dir, 600, 6, &r, NULL);
    double elapsed_s = run_elapsed_s;
    atomic_store(&w.stop, 1);
    pthread_join(th, NULL);
    ET_CHECK_MSG(r.power.status == ET_AVAIL_OK, "%s", r.power.why);
    ET_CHECK_STR(r.power.source, "rapl:psys");
    ET_CHECK(!r.power.partial);
    ET_CHECK_MSG(fabs(r.power.avg_power_w - 8.0) < 0.05 * 8.0, "average %.3f W, written at 8 W", r.power.avg_power_w);
    fprintf(stderr, "  rapl:psys over 0.6 s at 8 W: %.4f W, %.1f mJ per inference, %d samples\n", r.power.avg_power_w,
            r.power.energy_per_inf_mj, r.power.n_samples);
    double want_mj = 8.0 * elapsed_s / 6 * 1000; /* 8 W over the window that really passed, shared by 6 */
    ET_CHECK_MSG(fabs(r.power.energy_per_inf_mj - want_mj) < 0.05 * want_mj, "%.1f mJ per inference, expected %.1f",
                 r.power.energy_per_inf_mj, want_mj);
    /* the counter did wrap during the run */
    FILE *f = fopen(w.path, "r");
    double last = 0;
    ET_CHECK(f && fscanf(f, "%lf", &last) == 1 && last < w.start_uj);
    if (f)
        fclose(f);
    for (int i = 0; i < r.power.n_samples; i++) /* no sample shows the wrap as a giant spike or a negative */
        ET_CHECK_MSG(r.power.samples[i].power_mw > 0 && r.power.samples[i].power_mw < 20000, "sample %d %.0f mW", i,
                     r.power.samples[i].power_mw);
    et_result_free(&r);
    scratch_remove(dir);
}

/* --- the perf power PMU through an injected perf layer ----------------------------------------------------- */
typedef struct fake_rapl {
    double t0, rate_w, scale_j;
    int opens, open_now;
    struct perf_event_attr last;
    int last_cpu, last_pid;
} fake_rapl;

static int fr_open(void *ctx, struct perf_event_attr *a, pid_t pid, int cpu, int group_fd, unsigned long flags) {
    (void)group_fd, (void)flags;
    fake_rapl *f = ctx;
    f->last = *a;
    f->last_cpu = cpu;
    f->last_pid = pid;
    f->opens++;
    f->open_now++;
    return 500 + f->opens;
}
static long fr_read(void *ctx, int fd, void *buf, unsigned long len) {
    (void)fd;
    fake_rapl *f = ctx;
    if (len < 8)
        return -EINVAL;
    uint64_t count = (uint64_t)((now_s() - f->t0) * f->rate_w / f->scale_j);
    memcpy(buf, &count, 8);
    return 8;
}
static int fr_ioctl(void *ctx, int fd, unsigned long r, unsigned long a) {
    (void)ctx, (void)fd, (void)r, (void)a;
    return 0;
}
static int fr_close(void *ctx, int fd) {
    (void)fd;
    ((fake_rapl *)ctx)->open_now--;
    return 0;
}
static int64_t fr_clock(void *ctx) {
    (void)ctx;
    return 0;
}

static void test_perf_power_pmu(void) {
    fake_rapl f;
    memset(&f, 0, sizeof f);
    f.t0 = now_s();
    f.rate_w = 35.0;
    f.scale_j = 2.3283064365386962890625e-10;
    et_perf_ops ops = {fr_open, fr_read, fr_ioctl, fr_close, fr_clock, &f};
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open(fixture_root("amd-zen"), &sr, NULL) == ET_OK); /* root: system-wide allowed */
    et_perf_env penv;
    et_perf_env_read(&sr, &penv);
    ET_CHECK(penv.cpu_wide_ok);
    et_power_source s;
    et_power_source_init(&s, &et_power_rapl_perf_ops, &sr, &ops, NULL, &penv, true);
    ET_REQUIRE(s.probe.status == ET_AVAIL_OK);
    ET_CHECK_STR(s.label, "rapl-perf:energy-pkg");
    ET_CHECK_INT(f.open_now, 0); /* the trial open was closed */
    ET_CHECK(f.last.type == 11 && f.last.config == 2 && f.last_cpu == 0 && f.last_pid == -1);
    et_power_sampler *smp = NULL;
    ET_REQUIRE(et_sampler_create(&s, 50, &smp, NULL) == ET_OK);
    ET_REQUIRE(et_sampler_start(smp) == 0);
    sleep_ms(400);
    et_sampler_stop(smp);
    ET_CHECK_INT(f.open_now, 0);
    et_power_info info;
    memset(&info, 0, sizeof info);
    et_sampler_read(smp, 4, &info);
    ET_CHECK_MSG(info.status == ET_AVAIL_OK && fabs(info.avg_power_w - 35.0) < 0.05 * 35.0, "%.3f W", info.avg_power_w);
    free(info.samples);
    et_sampler_destroy(smp);

    /* the same PMU for an unprivileged user (intel-laptop, paranoid 2): no permission, never opened */
    et_sysroot sr2;
    ET_REQUIRE(et_sysroot_open(fixture_root("intel-laptop"), &sr2, NULL) == ET_OK);
    et_perf_env_read(&sr2, &penv);
    int opens = f.opens;
    et_power_source_init(&s, &et_power_rapl_perf_ops, &sr2, &ops, NULL, &penv, true);
    ET_CHECK(s.probe.status == ET_AVAIL_NO_PERMISSION && strstr(s.probe.hint, "perf_event_paranoid=0"));
    ET_CHECK_STR(s.label, "rapl-perf:energy-psys");
    ET_CHECK_INT(f.opens, opens);
    et_sysroot_close(&sr2);

    /* seen on a cloud VM: a power PMU whose energy-psys opens and reads 0 forever. Not "0 W": unsupported. */
    f.rate_w = 0;
    et_perf_env_read(&sr, &penv);
    et_power_source_init(&s, &et_power_rapl_perf_ops, &sr, &ops, NULL, &penv, true);
    ET_CHECK(s.probe.status == ET_AVAIL_UNSUPPORTED && strstr(s.probe.why, "did not advance"));
    ET_CHECK_INT(f.open_now, 0);
    et_sysroot_close(&sr);
}

static void test_frozen_counter_is_not_zero_watts(void) {
    et_result r;
    run(fixture_root("amd-zen"), 120, 3, &r, NULL); /* the tree's package-0 counter never moves */
    ET_CHECK_STR(r.power.source, "rapl:package-0");
    ET_CHECK_MSG(r.power.status == ET_AVAIL_UNSUPPORTED && strstr(r.power.why, "did not advance"), "%s: %s",
                 et_avail_name(r.power.status), r.power.why);
    ET_CHECK(r.power.samples == NULL);
    et_result_free(&r);
}

/* --- trees built here: hwmon power, an unwired INA3221 channel, a Pi 5 with old firmware ------------------- */
static void test_generated_trees(void) {
    char dir[256];
    scratch_make(dir, sizeof dir);
    ET_REQUIRE(dir[0]);
    put_file(dir, "proc/sys/kernel/perf_event_paranoid", "2\n");
    put_file(dir, "sys/class/hwmon/hwmon0/name", "ina226\n");
    put_file(dir, "sys/class/hwmon/hwmon0/power1_input", "4250000\n"); /* µW */
    put_file(dir, "sys/class/hwmon/hwmon0/update_interval", "200\n");
    put_file(dir, "sys/class/hwmon/hwmon1/name", "nvme\n");
    put_file(dir, "sys/class/hwmon/hwmon1/power1_input", ""); /* disabled channel: empty read, skipped */
    put_file(dir, "sys/bus/i2c/devices/1-0040/name", "ina3221\n");
    put_file(dir, "sys/bus/i2c/devices/1-0040/hwmon/hwmon5/in1_label", "NC\n");
    put_file(dir, "sys/bus/i2c/devices/1-0040/hwmon/hwmon5/in1_input", "5000\n");
    put_file(dir, "sys/bus/i2c/devices/1-0040/hwmon/hwmon5/curr1_input", "999\n");
    put_file(dir, "sys/bus/i2c/devices/1-0040/hwmon/hwmon5/in2_label", "VDD_GPU_SOC\n");
    put_file(dir, "sys/bus/i2c/devices/1-0040/hwmon/hwmon5/in2_input", "5000\n");
    put_file(dir, "sys/bus/i2c/devices/1-0040/hwmon/hwmon5/curr2_input", "300\n");
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open(dir, &sr, NULL) == ET_OK);
    et_perf_env penv;
    et_perf_env_read(&sr, &penv);
    et_power_source s;
    et_power_source_init(&s, &et_power_hwmon_ops, &sr, NULL, NULL, &penv, false);
    ET_REQUIRE(s.probe.status == ET_AVAIL_OK);
    ET_CHECK_STR(s.label, "hwmon:ina226/power1");
    ET_CHECK(s.kind == ET_POWER_POWER && !s.partial && s.interval_ms == 200);
    et_power_raw raw;
    ET_CHECK(s.ops->sample(&s, &raw) == 0 && fabs(raw.value[0] - 4250.0) < 1e-9);
    et_power_source_init(&s, &et_power_ina3221_ops, &sr, NULL, NULL, &penv, false);
    ET_REQUIRE(s.probe.status == ET_AVAIL_OK);
    ET_CHECK_STR(s.label, "ina3221 (sum of 1 rail)"); /* NC skipped; no VDD_IN: partial */
    ET_CHECK(s.partial);
    ET_CHECK(s.ops->sample(&s, &raw) == 0 && fabs(raw.value[0] - 1500.0) < 1e-9);
    et_sysroot_close(&sr);

    /* a Pi 5 whose firmware predates pmic_read_adc */
    put_file(dir, "sys/firmware/devicetree/base/model", "Raspberry Pi 5 Model B Rev 1.0");
    put_file(dir, ".edgetune/vcgencmd/pmic_read_adc", "error=2 error_msg=\"Command not registered\"\n");
    ET_REQUIRE(et_sysroot_open(dir, &sr, NULL) == ET_OK);
    et_power_source_init(&s, &et_power_pi5_pmic_ops, &sr, NULL, NULL, &penv, false);
    ET_CHECK(s.probe.status == ET_AVAIL_UNSUPPORTED && strstr(s.probe.hint, "rpi-eeprom-update"));
    et_sysroot_close(&sr);
    scratch_remove(dir);
}

int main(void) {
    ET_RUN(test_static_rails);
    ET_RUN(test_update_interval_respected);
    ET_RUN(test_unavailable_power_says_why);
    ET_RUN(test_rapl_known_rate_across_wrap);
    ET_RUN(test_perf_power_pmu);
    ET_RUN(test_frozen_counter_is_not_zero_watts);
    ET_RUN(test_generated_trees);
    return et_test_done();
}
