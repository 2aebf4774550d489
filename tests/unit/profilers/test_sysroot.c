/* test_sysroot.c: the one root for /sys, /proc and /dev: opening, reading, listing, denied patterns, parsers. */
#include "prof_helpers.h"
#include "profilers/sysroot.h"

static void test_open_real_and_fixture(void) {
    et_sysroot sr;
    et_err err = {0};
    ET_REQUIRE(et_sysroot_open("/", &sr, &err) == ET_OK);
    ET_CHECK(sr.is_real);
    ET_CHECK_INT(sr.n_denied, 0);
    et_sysroot_close(&sr);
    ET_REQUIRE(et_sysroot_open(fixture_root("rapl-noperm"), &sr, &err) == ET_OK);
    ET_CHECK(!sr.is_real);
    ET_CHECK_INT(sr.n_denied, 1); /* the comment line is skipped */
    et_sysroot_close(&sr);
}

static void test_bad_root_names_the_variable(void) {
    et_sysroot sr;
    et_err err = {0};
    setenv("EDGETUNE_SYSROOT", "/nonexistent/edgetune-root", 1);
    ET_CHECK(et_sysroot_open(NULL, &sr, &err) == ET_E_IO);
    ET_CHECK(strstr(err.msg, "EDGETUNE_SYSROOT=/nonexistent/edgetune-root") != NULL);
    unsetenv("EDGETUNE_SYSROOT");
    ET_REQUIRE(et_sysroot_open(NULL, &sr, &err) == ET_OK); /* unset: the real root */
    ET_CHECK(sr.is_real);
    et_sysroot_close(&sr);
}

static void test_read_and_symlinks(void) {
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open(fixture_root("intel-laptop"), &sr, NULL) == ET_OK);
    char buf[64];
    /* sys/class/powercap/intel-rapl:1 is a relative link into sys/devices/virtual/powercap */
    ET_CHECK_INT(et_sys_read(&sr, "/sys/class/powercap/intel-rapl:1/name", buf, sizeof buf), 4);
    ET_CHECK_STR(buf, "psys");
    int64_t v = 0;
    ET_CHECK_INT(et_sys_read_i64(&sr, "sys/class/powercap/intel-rapl:1/max_energy_range_uj", &v), 0);
    ET_CHECK_INT(v, 262143328850LL);
    ET_CHECK_INT(et_sys_read_i64(&sr, "sys/class/powercap/intel-rapl:1/name", &v), -EINVAL);
    ET_CHECK_INT(et_sys_read(&sr, "sys/class/powercap/nothing", buf, sizeof buf), -ENOENT);
    et_sysroot_close(&sr);
    /* device-tree strings end with NUL */
    ET_REQUIRE(et_sysroot_open(fixture_root("rpi5"), &sr, NULL) == ET_OK);
    char model[128];
    ET_CHECK(et_sys_read(&sr, "proc/device-tree/model", model, sizeof model) > 0);
    ET_CHECK_STR(model, "Raspberry Pi 5 Model B Rev 1.0");
    et_sysroot_close(&sr);
}

static void test_denied_patterns(void) {
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open(fixture_root("rapl-noperm"), &sr, NULL) == ET_OK);
    int64_t v;
    char name[32];
    ET_CHECK_INT(et_sys_read_i64(&sr, "sys/class/powercap/intel-rapl:0/energy_uj", &v), -EACCES);
    ET_CHECK_INT(et_sys_read_i64(&sr, "sys/class/powercap/intel-rapl:0:2/energy_uj", &v), -EACCES);
    ET_CHECK(et_sys_read(&sr, "sys/class/powercap/intel-rapl:0/name", name, sizeof name) > 0); /* others readable */
    ET_CHECK_INT(et_sys_access(&sr, "sys/class/powercap/intel-rapl:0/energy_uj"), -EACCES);
    et_sysroot_close(&sr);
}

static void test_list_sorted_numerically(void) {
    char dir[256];
    scratch_make(dir, sizeof dir);
    ET_REQUIRE(dir[0]);
    put_file(dir, "sys/class/hwmon/hwmon10/name", "b\n");
    put_file(dir, "sys/class/hwmon/hwmon2/name", "a\n");
    put_file(dir, "sys/class/hwmon/other/name", "c\n");
    et_sysroot sr;
    ET_REQUIRE(et_sysroot_open(dir, &sr, NULL) == ET_OK);
    char names[4][ET_SYS_NAME_MAX];
    ET_CHECK_INT(et_sys_list(&sr, "sys/class/hwmon", "hwmon", names, 4), 2);
    ET_CHECK_STR(names[0], "hwmon2");
    ET_CHECK_STR(names[1], "hwmon10");
    ET_CHECK_INT(et_sys_list(&sr, "sys/class/hwmon", NULL, names, 1), 3); /* total, even past max */
    ET_CHECK_INT(et_sys_list(&sr, "sys/class/nothing", NULL, names, 4), -ENOENT);
    /* write goes to an existing file only */
    put_file(dir, "proc/self/clear_refs", "");
    ET_CHECK_INT(et_sys_write(&sr, "proc/self/clear_refs", "5"), 0);
    ET_CHECK_INT(et_sys_write(&sr, "proc/self/missing", "5"), -ENOENT);
    char back[8];
    ET_CHECK_INT(et_sys_read(&sr, "proc/self/clear_refs", back, sizeof back), 1);
    et_sysroot_close(&sr);
    scratch_remove(dir);
}

static void test_text_parsers(void) {
    const char *status = "Name:\tx\nVmHWM:\t  1234 kB\nCapEff:\t000001ffffffffff\n";
    int64_t v = 0;
    ET_CHECK(et_text_field_i64(status, "VmHWM", &v));
    ET_CHECK_INT(v, 1234);
    ET_CHECK(!et_text_field_i64(status, "VmRSS", &v));
    char s[32];
    ET_CHECK(et_text_field_str("model name\t: AMD EPYC\nmodel\t\t: 1\n", "model", s, sizeof s));
    ET_CHECK_STR(s, "1"); /* "model name" is another key */
    ET_CHECK(et_text_field_str("model name\t: AMD EPYC\n", "model name", s, sizeof s));
    ET_CHECK_STR(s, "AMD EPYC");
    bool mask[16];
    ET_CHECK_INT(et_cpu_list_parse("0-3,5,7-8\n", mask, 16), 7);
    ET_CHECK(mask[0] && mask[3] && !mask[4] && mask[5] && !mask[6] && mask[8]);
    ET_CHECK_INT(et_cpu_list_parse("0", NULL, 0), 1);
    ET_CHECK_INT(et_cpu_list_parse("3-1", NULL, 0), -1);
    ET_CHECK_INT(et_cpu_list_parse("x", NULL, 0), -1);
    ET_CHECK_STR(et_errno_name(EMFILE), "EMFILE");
}

int main(void) {
    ET_RUN(test_open_real_and_fixture);
    ET_RUN(test_bad_root_names_the_variable);
    ET_RUN(test_read_and_symlinks);
    ET_RUN(test_denied_patterns);
    ET_RUN(test_list_sorted_numerically);
    ET_RUN(test_text_parsers);
    return et_test_done();
}
