/* test_power_sampler.c: the sampler thread and its maths with fabricated sources: a counter that advances at a
 * known rate (and wraps), a constant and a linearly rising power, timeline thinning, failing samples, sleeping
 * between samples. Plus the text parsers (PMIC, throttling flags) and the wrap-safe delta. */
#include <math.h>

#include "prof_helpers.h"
#include "profilers/power.h"
#include "profilers/rpi.h"

typedef struct fake_source_state {
    double t0;
    double rate_mw;        /* ENERGY: µJ advance rate as mW; POWER: base */
    double slope_mw_per_s; /* POWER: added per second */
    double wrap_uj;
    int fail_every; /* >0: every Nth sample fails with ENODATA */
    int n_calls;
} fake_source_state;

static fake_source_state state;

static void fake_probe(et_power_source *s) { (void)s; }
static int fake_start(et_power_source *s) {
    (void)s;
    state.t0 = now_s();
    return 0;
}
static int fake_sample(et_power_source *s, et_power_raw *out) {
    state.n_calls++;
    if (state.fail_every && state.n_calls % state.fail_every == 0)
        return -ENODATA;
    double t = now_s() - state.t0;
    out->n = 1;
    if (s->kind == ET_POWER_ENERGY) {
        double e = 1e9 + state.rate_mw * 1e3 * t; /* mW * 1e3 = µJ per second */
        out->value[0] = state.wrap_uj > 0 ? fmod(e, state.wrap_uj) : e;
        out->wrap_uj[0] = state.wrap_uj;
    } else {
        out->value[0] = state.rate_mw + state.slope_mw_per_s * t;
    }
    return 0;
}
static void fake_stop(et_power_source *s) { (void)s; }

static const et_power_ops fake_ops = {"fake",      "fake source", fake_probe,         fake_start,
                                      fake_sample, fake_stop,     et_power_read_label};

static void make_source(et_power_source *s, et_power_kind kind) {
    memset(s, 0, sizeof *s);
    s->ops = &fake_ops;
    s->kind = kind;
    s->interval_ms = 20;
    snprintf(s->label, sizeof s->label, "fake");
    s->probe.status = ET_AVAIL_OK;
}

static void run_window(et_power_source *src, int interval_ms, int cap, int ms, int iterations, et_power_info *out) {
    et_power_sampler *smp = NULL;
    ET_REQUIRE(et_sampler_create_with(src, interval_ms, cap, &smp, NULL) == ET_OK);
    ET_REQUIRE(et_sampler_start(smp) == 0);
    sleep_ms(ms);
    et_sampler_stop(smp);
    memset(out, 0, sizeof *out);
    et_sampler_read(smp, iterations, out);
    et_sampler_destroy(smp);
}

static void test_energy_counter_known_rate_with_wraps(void) {
    et_power_source src;
    make_source(&src, ET_POWER_ENERGY);
    memset(&state, 0, sizeof state);
    state.rate_mw = 6000;             /* 6 W */
    state.wrap_uj = 1.0e9 + 300000.0; /* the counter starts at 1 kJ, 0.3 J before its wrap: it wraps after 50 ms */
    et_power_info info;
    run_window(&src, 10, 4096, 300, 30, &info);
    ET_REQUIRE(info.status == ET_AVAIL_OK);
    ET_CHECK_MSG(fabs(info.avg_power_w - 6.0) < 0.05 * 6.0, "avg %.3f W", info.avg_power_w);
    ET_CHECK_NEAR(info.energy_per_inf_mj, info.energy_j * 1000.0 / 30, 1e-9);
    ET_CHECK(info.n_samples >= 10);
    /* every interval's power, wraps included, is near 6 W. The fake reads its own clock, the sampler stamps the
     * sample just before or after: a preemption between the two (a loaded CI machine: one 10 ms interval read
     * 8.4 W) moves single intervals by tens of percent, while a mishandled wrap is off by orders of magnitude
     * (a delta of about -1e9 uJ). So: no interval negative or above 4x, and 80 % of them within 25 %. */
    int near = 0;
    for (int i = 0; i < info.n_samples; i++) {
        double p = info.samples[i].power_mw;
        ET_CHECK_MSG(p > 0.0 && p < 4 * 6000, "sample %d: %.0f mW", i, p);
        near += fabs(p - 6000) < 1500;
    }
    ET_CHECK_MSG(near >= info.n_samples * 8 / 10, "%d of %d samples within 25 %% of 6 W", near, info.n_samples);
    for (int i = 1; i < info.n_samples; i++)
        ET_CHECK(info.samples[i].t_ns > info.samples[i - 1].t_ns);
    ET_CHECK_STR(info.source, "fake");
    free(info.samples);
}

static void test_constant_and_ramp_power(void) {
    et_power_source src;
    make_source(&src, ET_POWER_POWER);
    memset(&state, 0, sizeof state);
    state.rate_mw = 2500;
    et_power_info info;
    run_window(&src, 15, 4096, 200, 4, &info);
    ET_REQUIRE(info.status == ET_AVAIL_OK);
    ET_CHECK_NEAR(info.avg_power_w, 2.5, 1e-9); /* trapezoids of a constant are exact */
    ET_CHECK_NEAR(info.energy_per_inf_mj, info.energy_j * 1000.0 / 4, 1e-9);
    double window_s = info.energy_j / 2.5;
    ET_CHECK_MSG(window_s > 0.19 && window_s < 0.40, "window %.3f s", window_s);
    ET_CHECK_NEAR(info.samples[0].power_mw, 2500, 1e-9);
    ET_CHECK(info.samples[0].t_ns == 0);
    free(info.samples);

    /* P(t) = 1000 + 4000 t mW: the trapezoid rule is exact for a line, avg = 1000 + 2000 T */
    memset(&state, 0, sizeof state);
    state.rate_mw = 1000;
    state.slope_mw_per_s = 4000;
    run_window(&src, 10, 4096, 250, 1, &info);
    ET_REQUIRE(info.status == ET_AVAIL_OK);
    double t_end = (double)info.samples[info.n_samples - 1].t_ns / 1e9;
    double expect = 1.0 + 2.0 * t_end; /* W, given the first sample at t ~ 0 */
    ET_CHECK_MSG(fabs(info.avg_power_w - expect) < 0.02 * expect, "avg %.4f W, expected %.4f", info.avg_power_w,
                 expect);
    free(info.samples);
}

static void test_timeline_thinning_keeps_energy(void) {
    et_power_source src;
    make_source(&src, ET_POWER_ENERGY);
    memset(&state, 0, sizeof state);
    state.rate_mw = 3000;
    et_power_info info;
    run_window(&src, 5, 8, 300, 10, &info); /* ~60 samples into 8 slots */
    ET_REQUIRE(info.status == ET_AVAIL_OK);
    ET_CHECK(info.n_samples <= 8 && info.n_samples >= 3);
    for (int i = 1; i < info.n_samples; i++)
        ET_CHECK(info.samples[i].t_ns > info.samples[i - 1].t_ns);
    ET_CHECK_MSG(fabs(info.avg_power_w - 3.0) < 0.05 * 3.0, "avg %.3f W", info.avg_power_w);
    free(info.samples);
}

static void test_sampler_sleeps_between_samples(void) {
    et_power_source src;
    make_source(&src, ET_POWER_POWER);
    memset(&state, 0, sizeof state);
    state.rate_mw = 100;
    et_power_info info;
    run_window(&src, 100, 4096, 350, 1, &info);
    /* start + ~3 thread samples + stop: a busy loop would make thousands */
    ET_CHECK_MSG(state.n_calls >= 4 && state.n_calls <= 6, "%d samples in 350 ms at 100 ms", state.n_calls);
    free(info.samples);
}

static void test_failed_samples_reported(void) {
    et_power_source src;
    make_source(&src, ET_POWER_POWER);
    memset(&state, 0, sizeof state);
    state.rate_mw = 1500;
    state.fail_every = 3;
    et_power_info info;
    run_window(&src, 10, 4096, 200, 1, &info);
    ET_REQUIRE(info.status == ET_AVAIL_OK);
    ET_CHECK_NEAR(info.avg_power_w, 1.5, 1e-9);
    ET_CHECK(strstr(info.why, "failed (ENODATA)") != NULL);
    free(info.samples);

    memset(&state, 0, sizeof state);
    state.fail_every = 1; /* nothing works */
    run_window(&src, 10, 4096, 50, 1, &info);
    ET_CHECK(info.status == ET_AVAIL_ERROR && strstr(info.why, "ENODATA"));
    ET_CHECK(info.samples == NULL);
}

static void test_energy_delta(void) {
    ET_CHECK_NEAR(et_energy_delta_uj(100, 250, 1000), 150, 0);
    ET_CHECK_NEAR(et_energy_delta_uj(900, 50, 1000), 150, 0); /* wrapped */
    ET_CHECK_NEAR(et_energy_delta_uj(900, 50, 0), 0, 0);      /* went back, no range: count nothing */
    ET_CHECK_NEAR(et_energy_delta_uj(262143000000.0, 1000000.0, 262143328850.0), 1328850.0, 1e-3);
}

static void test_pmic_parser(void) {
    const char *text = "  VDD_CORE_A current(7)=2.00000000A\n"
                       "  VDD_CORE_V volt(15)=0.75000000V\n"
                       "   3V3_SYS_V volt(9)=3.30000000V\n" /* voltage before its current, other channel no. */
                       "   3V3_SYS_A current(1)=0.10000000A\n"
                       "  DDR_VDDQ_A current(4)=1.00000000A\n"
                       "  DDR_VDDQ_V volt(12)=nanV\n"       /* no value: dropped */
                       "    EXT5V_V volt(24)=5.12600000V\n" /* no current: dropped */
                       "garbage line\n";
    double mw = 0;
    char names[4][32];
    ET_CHECK_INT(et_pmic_parse(text, &mw, names, 4), 2);
    ET_CHECK_NEAR(mw, 2.0 * 0.75 * 1000 + 0.1 * 3.3 * 1000, 1e-6);
    ET_CHECK_STR(names[0], "VDD_CORE");
    ET_CHECK_STR(names[1], "3V3_SYS");
    ET_CHECK_INT(et_pmic_parse("error=2 error_msg=\"Command not registered\"", &mw, NULL, 0), 0);
    ET_CHECK_NEAR(mw, 0, 0);
}

static void test_throttled_parser(void) {
    uint32_t bits = 0;
    ET_CHECK(et_throttled_parse("throttled=0x50005\n", &bits));
    ET_CHECK_INT(bits, 0x50005);
    ET_CHECK(et_throttled_parse("50005", &bits)); /* sysfs prints hex without 0x */
    ET_CHECK_INT(bits, 0x50005);
    ET_CHECK(et_throttled_parse("0", &bits) && bits == 0);
    ET_CHECK(!et_throttled_parse("throttled=", &bits));
    char what[128];
    et_throttled_describe(0x50005, what, sizeof what);
    ET_CHECK_STR(what, "under-voltage, throttled");
    et_throttled_describe(0x80000, what, sizeof what); /* only "has occurred" bits: nothing now */
    ET_CHECK_STR(what, "");
}

int main(void) {
    ET_RUN(test_energy_delta);
    ET_RUN(test_pmic_parser);
    ET_RUN(test_throttled_parser);
    ET_RUN(test_energy_counter_known_rate_with_wraps);
    ET_RUN(test_constant_and_ramp_power);
    ET_RUN(test_timeline_thinning_keeps_energy);
    ET_RUN(test_sampler_sleeps_between_samples);
    ET_RUN(test_failed_samples_reported);
    return et_test_done();
}
