/* test_fixtures.c: every fixture tree yields what its README says: doctor's verdict per source, the host
 * identity, and a run's thermal and memory sections (fixtures/sysroot/README.md lists the values). */
#include <math.h>

#include "prof_helpers.h"
#include "profilers/profilers.h"

typedef struct expect {
    const char *scenario;
    /* doctor verdicts: 'o' ok, 'u' unsupported, 'p' no permission */
    char perf, hw, sw, ina, pi5, powercap, rapl_perf, hwmon, zones, clocks, throttle;
    const char *power_source; /* "" none */
    /* host */
    const char *cpu, *arch, *board;
    int cores;
    /* a run */
    int n_zones;
    double zone0_c;
    bool throttled;
    const char *throttle_words; /* in throttle_why */
    const char *mem_method;
    double mem_mib;
} expect;

// clang-format off
static const expect cases[] = {
    {"intel-laptop", 'o', 'o', 'o', 'u', 'u', 'o', 'p', 'u', 'o', 'o', 'o', "rapl:psys",
     "11th Gen Intel(R) Core(TM) i7-1185G7 @ 3.00GHz", "x86_64", "LENOVO 20XW0055GE", 4, 2, 45.0, true,
     "1200 MHz, 40% of its base 3000 MHz (governor powersave)", "clear_refs+VmHWM", 200},
    {"amd-zen", 'o', 'o', 'o', 'u', 'u', 'o', 'o', 'o', 'o', 'o', 'o', "rapl:package-0",
     "AMD Ryzen 7 5800X 8-Core Processor", "x86_64", "Micro-Star International Co., Ltd. MS-7C56", 4, 2, 55.25,
     false, "not throttled", "clear_refs+VmHWM", 50},
    {"rapl-noperm", 'o', 'o', 'o', 'u', 'u', 'p', 'p', 'u', 'o', 'o', 'o', "",
     "Intel(R) Core(TM) i7-9700K CPU @ 3.60GHz", "x86_64", "ASUS ROG STRIX Z390-F GAMING", 2, 1, 41.0, false,
     "not throttled", "clear_refs+VmHWM", 30},
    {"vm-no-pmu", 'o', 'u', 'o', 'u', 'u', 'u', 'u', 'u', 'u', 'o', 'u', "", "AMD EPYC 7B13", "x86_64",
     "QEMU Standard PC (Q35 + ICH9, 2009)", 2, 0, 0, false, "unknown", "VmHWM (process peak)", 10},
    {"jetson-nano-jp4", 'o', 'o', 'o', 'o', 'u', 'u', 'u', 'u', 'o', 'o', 'o', "ina3221:POM_5V_IN", "ARM Cortex-A57",
     "aarch64", "NVIDIA Jetson Nano Developer Kit", 4, 4, 41.5, false, "not throttled", "clear_refs+VmHWM", 80},
    {"xavier-jp5", 'o', 'o', 'o', 'o', 'u', 'u', 'u', 'u', 'o', 'o', 'o', "ina3221 (sum of 6 rails)", "NVIDIA Carmel",
     "aarch64", "Jetson-AGX", 4, 4, 38.5, false, "not throttled", "clear_refs+VmHWM", 120},
    {"orin-jp6", 'o', 'o', 'o', 'o', 'u', 'u', 'u', 'u', 'o', 'o', 'o', "ina3221:VDD_IN", "ARM Cortex-A78AE",
     "aarch64", "NVIDIA Jetson Orin Nano Developer Kit", 6, 4, 48.531, false, "not throttled", "clear_refs+VmHWM",
     160},
    {"rpi5", 'o', 'o', 'o', 'u', 'o', 'u', 'u', 'u', 'o', 'o', 'o', "pi5-pmic (sum of 11 rails)", "ARM Cortex-A76",
     "aarch64", "Raspberry Pi 5 Model B Rev 1.0", 4, 1, 52.3, false, "firmware flags clear", "clear_refs+VmHWM", 70},
    {"rpi4", 'o', 'o', 'o', 'u', 'u', 'u', 'u', 'u', 'o', 'o', 'o', "", "ARM Cortex-A72", "aarch64",
     "Raspberry Pi 4 Model B Rev 1.4", 4, 1, 61.0, true, "under-voltage, throttled", "clear_refs+VmHWM", 60},
    {"paranoid-3", 'p', 'p', 'p', 'u', 'u', 'u', 'u', 'u', 'o', 'o', 'o', "",
     "Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz", "x86_64", "Dell Inc. XPS 13 9370", 2, 1, 57.0, false,
     "not throttled", "clear_refs+VmHWM", 20},
};
// clang-format on

static const et_doctor_item *item(const et_doctor_report *r, const char *source) {
    for (int i = 0; i < r->n_items; i++)
        if (strcmp(r->items[i].source, source) == 0)
            return &r->items[i];
    return NULL;
}

static et_avail want(char c) {
    return c == 'o' ? ET_AVAIL_OK : c == 'p' ? ET_AVAIL_NO_PERMISSION : ET_AVAIL_UNSUPPORTED;
}

static void check_item(const expect *e, const et_doctor_report *r, const char *source, char v) {
    const et_doctor_item *it = item(r, source);
    ET_CHECK_MSG(it != NULL, "%s: no '%s' line", e->scenario, source);
    if (!it)
        return;
    ET_CHECK_MSG(it->status == want(v), "%s: %s is %s: %s", e->scenario, source, et_avail_name(it->status), it->detail);
    ET_CHECK_MSG(it->detail[0] != '\0', "%s: %s says nothing", e->scenario, source);
    if (it->status == ET_AVAIL_NO_PERMISSION) /* every refusal tells what to do */
        ET_CHECK_MSG(it->hint[0] != '\0', "%s: %s has no hint", e->scenario, source);
}

static void test_doctor_and_host(void) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const expect *e = &cases[i];
        et_profiler_env env = {fixture_root(e->scenario), NULL, NULL};
        et_doctor_report r;
        et_err err = {0};
        ET_REQUIRE(et_doctor_collect(&env, &r, &err) == ET_OK);
        ET_CHECK(!r.sysroot_is_real);
        check_item(e, &r, "perf_event_open", e->perf);
        check_item(e, &r, "counters: hardware", e->hw);
        check_item(e, &r, "counters: software", e->sw);
        check_item(e, &r, "Jetson INA3221", e->ina);
        check_item(e, &r, "Raspberry Pi 5 PMIC", e->pi5);
        check_item(e, &r, "RAPL (powercap)", e->powercap);
        check_item(e, &r, "RAPL (perf power PMU)", e->rapl_perf);
        check_item(e, &r, "hwmon power/energy", e->hwmon);
        check_item(e, &r, "temperatures", e->zones);
        check_item(e, &r, "CPU clocks", e->clocks);
        check_item(e, &r, "throttling", e->throttle);
        check_item(e, &r, "memory (peak RSS)", 'o');
        ET_CHECK_STR(r.power_source, e->power_source);
        check_item(e, &r, "power: used by bench", e->power_source[0] ? 'o' : 'u');
        ET_CHECK_STR(r.host.cpu, e->cpu);
        ET_CHECK_STR(r.host.arch, e->arch);
        ET_CHECK_STR(r.host.board, e->board);
        ET_CHECK_MSG(r.host.cores == e->cores, "%s: %d cores", e->scenario, r.host.cores);
        ET_CHECK(r.host.hostname[0] && r.host.kernel[0]);
        /* the text and JSON forms carry every line */
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        et_doctor_print(&r, f);
        et_json j;
        et_json_init(&j, f, false);
        et_doctor_json(&r, &j);
        et_json_finish(&j);
        fclose(f);
        ET_CHECK(strstr(text, "RAPL (perf power PMU)") && strstr(text, "\"source\":\"throttling\""));
        free(text);
    }
}

static void test_specific_reasons(void) {
    et_doctor_report r;
    et_profiler_env env = {fixture_root("vm-no-pmu"), NULL, NULL};
    ET_REQUIRE(et_doctor_collect(&env, &r, NULL) == ET_OK);
    const et_doctor_item *hw = item(&r, "counters: hardware");
    ET_CHECK(strstr(hw->detail, "no hardware PMU") && strstr(hw->detail, "virtual machine") &&
             strstr(hw->hint, "pmu=on"));
    const et_doctor_item *sw = item(&r, "counters: software");
    ET_CHECK(strstr(sw->detail, "2 of 4 work: task-clock (ns), page-faults") &&
             strstr(sw->detail, "not context-switches, cpu-migrations"));
    env.sysroot = fixture_root("paranoid-3");
    ET_REQUIRE(et_doctor_collect(&env, &r, NULL) == ET_OK);
    ET_CHECK(strstr(item(&r, "perf_event_open")->hint, "sudo sysctl kernel.perf_event_paranoid=2") != NULL);
    ET_CHECK(strstr(item(&r, "counters: software")->detail, "perf_event_paranoid=3") != NULL);
    env.sysroot = fixture_root("rapl-noperm");
    ET_REQUIRE(et_doctor_collect(&env, &r, NULL) == ET_OK);
    const et_doctor_item *rp = item(&r, "RAPL (powercap)");
    ET_CHECK(strstr(rp->detail, "CVE-2020-8694") && strstr(rp->hint, "udev") && strstr(rp->hint, "chmod"));
    ET_CHECK(strstr(item(&r, "RAPL (perf power PMU)")->hint, "perf_event_paranoid=0") != NULL);
    env.sysroot = fixture_root("intel-laptop");
    ET_REQUIRE(et_doctor_collect(&env, &r, NULL) == ET_OK);
    rp = item(&r, "RAPL (powercap)");
    ET_CHECK(strstr(rp->detail, "measuring psys") && strstr(rp->detail, "subzones inside their package, not added: "
                                                                        "core, uncore"));
    ET_CHECK(strstr(rp->detail, "mmio") == NULL); /* the duplicate interface is not a zone */
    env.sysroot = fixture_root("orin-jp6");
    ET_REQUIRE(et_doctor_collect(&env, &r, NULL) == ET_OK);
    ET_CHECK(strstr(item(&r, "power: used by bench")->detail, "every 250 ms") != NULL); /* update_interval */
    ET_CHECK(strstr(item(&r, "Jetson INA3221")->detail, "sum of shunt") == NULL);
}

/* thermal and memory of a run under each tree */
static void test_run_sections(void) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const expect *e = &cases[i];
        et_profiler_env env = {fixture_root(e->scenario), NULL, NULL};
        et_profiler_config cfg = {false, false, true, true, NULL, 0};
        et_profilers *p = NULL;
        ET_REQUIRE(et_profilers_open_env(&cfg, &env, &p, NULL) == ET_OK);
        et_result r;
        et_result_init(&r);
        et_profilers_start(p, NULL, 0);
        et_profilers_stop(p);
        et_profilers_read(p, 1, &r);
        et_profilers_close(p);
        const et_thermal_info *t = &r.thermal;
        ET_CHECK_MSG(t->status == ET_AVAIL_OK, "%s: thermal %s", e->scenario, t->why);
        ET_CHECK_MSG(t->n_zones == e->n_zones, "%s: %d zones", e->scenario, t->n_zones);
        if (e->n_zones > 0)
            ET_CHECK_MSG(fabs(t->temp_start_c[0] - e->zone0_c) < 1e-9 && fabs(t->temp_end_c[0] - e->zone0_c) < 1e-9,
                         "%s: zone 0 %.3f C", e->scenario, t->temp_start_c[0]);
        ET_CHECK_MSG(t->throttled == e->throttled, "%s: throttled %d: %s", e->scenario, t->throttled, t->throttle_why);
        ET_CHECK_MSG(strstr(t->throttle_why, e->throttle_words) != NULL, "%s: '%s'", e->scenario, t->throttle_why);
        ET_CHECK(t->cpu_mhz_end > 0);
        ET_CHECK_STR(r.memory.peak_rss_method, e->mem_method);
        ET_CHECK_MSG(fabs((double)r.memory.peak_rss_bytes - e->mem_mib * 1048576.0) < 1, "%s: %lld bytes", e->scenario,
                     (long long)r.memory.peak_rss_bytes);
        if (strcmp(e->mem_method, "clear_refs+VmHWM") != 0)
            ET_CHECK(strstr(r.memory.why, "not of the timed loop") != NULL);
        et_result_free(&r);
    }
    /* the VM: clocks from /proc/cpuinfo, no maximum, and it says so */
    et_profiler_env env = {fixture_root("vm-no-pmu"), NULL, NULL};
    et_profiler_config cfg = {false, false, false, true, NULL, 0};
    et_profilers *p = NULL;
    ET_REQUIRE(et_profilers_open_env(&cfg, &env, &p, NULL) == ET_OK);
    et_result r;
    et_result_init(&r);
    et_profilers_start(p, NULL, 0);
    et_profilers_stop(p);
    et_profilers_read(p, 1, &r);
    et_profilers_close(p);
    ET_CHECK_NEAR(r.thermal.cpu_mhz_end, 2445.422, 1e-6);
    ET_CHECK(r.thermal.cpu_mhz_max == 0 && strstr(r.thermal.why, "no temperatures") &&
             strstr(r.thermal.why, "/proc/cpuinfo"));
}

int main(void) {
    ET_RUN(test_doctor_and_host);
    ET_RUN(test_specific_reasons);
    ET_RUN(test_run_sections);
    return et_test_done();
}
