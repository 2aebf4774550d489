/* test_status.c: error records and exit codes. */
#include "et_test.h"
#include "record/result.h"
#include "util/status.h"

static void test_fail_formats_and_returns(void) {
    et_err e = {0};
    et_status s = et_fail(&e, ET_E_INPUT, "%s: truncated at byte %d", "m.onnx", 42);
    ET_CHECK_INT(s, ET_E_INPUT);
    ET_CHECK_INT(e.status, ET_E_INPUT);
    ET_CHECK_STR(e.msg, "m.onnx: truncated at byte 42");
    et_err_prefix(&e, "loading %s: ", "x");
    ET_CHECK_STR(e.msg, "loading x: m.onnx: truncated at byte 42");
    ET_CHECK_INT(et_fail(NULL, ET_E_IO, "ignored"), ET_E_IO);
}

static void test_exit_codes(void) {
    ET_CHECK_INT(et_status_exit_code(ET_OK), 0);
    ET_CHECK_INT(et_status_exit_code(ET_E_USAGE), 2);
    ET_CHECK_INT(et_status_exit_code(ET_E_INPUT), 2);
    ET_CHECK_INT(et_status_exit_code(ET_E_RUNTIME), 1);
}

static void test_latency_stats(void) {
    double s[] = {5, 1, 4, 2, 3};
    et_latency_stats st;
    et_latency_stats_compute(s, 5, &st);
    ET_CHECK_NEAR(st.min_ms, 1, 0);
    ET_CHECK_NEAR(st.max_ms, 5, 0);
    ET_CHECK_NEAR(st.p50_ms, 3, 1e-12);
    ET_CHECK_NEAR(st.p90_ms, 4.6, 1e-12);
    ET_CHECK_NEAR(st.mean_ms, 3, 1e-12);
    ET_CHECK_NEAR(st.std_ms, sqrt(2.5), 1e-12);
    ET_CHECK_NEAR(st.throughput_ips, 1000.0 / 3, 1e-9);
}

static void test_uuid(void) {
    char a[ET_UUID_LEN + 1], b[ET_UUID_LEN + 1];
    et_uuid_v4(a);
    et_uuid_v4(b);
    ET_CHECK_INT(strlen(a), 36);
    ET_CHECK(a[14] == '4');
    ET_CHECK(strcmp(a, b) != 0);
}

int main(void) {
    ET_RUN(test_fail_formats_and_returns);
    ET_RUN(test_exit_codes);
    ET_RUN(test_latency_stats);
    ET_RUN(test_uuid);
    return et_test_done();
}
