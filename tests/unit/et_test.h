/* et_test.h: the unit-test harness. Each test file defines test functions and a main that runs them:
 *
 *   static void test_something(void) { ET_CHECK(x == 1); ET_CHECK_NEAR(y, 0.5, 1e-6); }
 *   int main(void) { ET_RUN(test_something); return et_test_done(); }
 *
 * A failed check prints file:line and the expression and marks the test failed; the test goes on so that one
 * run shows every failure. ET_REQUIRE stops the current test function on failure. */
#ifndef ET_TEST_H
#define ET_TEST_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int et_test_failures_, et_test_checks_, et_test_current_failed_;
static const char *et_test_name_;

#define ET_CHECK(cond)                                                                                  \
    do {                                                                                                \
        et_test_checks_++;                                                                              \
        if (!(cond)) {                                                                                  \
            fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, et_test_name_, #cond); \
            et_test_current_failed_ = 1;                                                                \
        }                                                                                               \
    } while (0)

#define ET_CHECK_MSG(cond, ...)                                                                         \
    do {                                                                                                \
        et_test_checks_++;                                                                              \
        if (!(cond)) {                                                                                  \
            fprintf(stderr, "%s:%d: %s: check failed: %s: ", __FILE__, __LINE__, et_test_name_, #cond); \
            fprintf(stderr, __VA_ARGS__);                                                               \
            fputc('\n', stderr);                                                                        \
            et_test_current_failed_ = 1;                                                                \
        }                                                                                               \
    } while (0)

/* cond is evaluated once: it may have side effects (open a file, allocate). */
#define ET_REQUIRE(cond)                             \
    do {                                             \
        int et_ok_ = (cond) ? 1 : 0;                 \
        ET_CHECK_MSG(et_ok_, "required: %s", #cond); \
        if (!et_ok_)                                 \
            return;                                  \
    } while (0)

#define ET_CHECK_INT(a, b)                                          \
    do {                                                            \
        long long et_a_ = (long long)(a), et_b_ = (long long)(b);   \
        ET_CHECK_MSG(et_a_ == et_b_, "%lld != %lld", et_a_, et_b_); \
    } while (0)

#define ET_CHECK_NEAR(a, b, tol)                                                                          \
    do {                                                                                                  \
        double et_a_ = (double)(a), et_b_ = (double)(b);                                                  \
        ET_CHECK_MSG(fabs(et_a_ - et_b_) <= (tol), "%.9g vs %.9g (tol %g)", et_a_, et_b_, (double)(tol)); \
    } while (0)

#define ET_CHECK_STR(a, b)                                                                                    \
    do {                                                                                                      \
        const char *et_a_ = (a), *et_b_ = (b);                                                                \
        ET_CHECK_MSG(et_a_ &&et_b_ &&strcmp(et_a_, et_b_) == 0, "\"%s\" != \"%s\"", et_a_ ? et_a_ : "(null)", \
                     et_b_ ? et_b_ : "(null)");                                                               \
    } while (0)

/* ET_TEST_ONLY=name in the environment runs only the test function of that name (to time or debug one). */
#define ET_RUN(fn)                                     \
    do {                                               \
        const char *et_only_ = getenv("ET_TEST_ONLY"); \
        if (et_only_ && strcmp(et_only_, #fn) != 0)    \
            break;                                     \
        et_test_name_ = #fn;                           \
        et_test_current_failed_ = 0;                   \
        fn();                                          \
        if (et_test_current_failed_) {                 \
            et_test_failures_++;                       \
            fprintf(stderr, "FAIL %s\n", #fn);         \
        } else {                                       \
            fprintf(stderr, "ok   %s\n", #fn);         \
        }                                              \
    } while (0)

static inline int et_test_done(void) {
    fprintf(stderr, "%d checks, %d failed tests\n", et_test_checks_, et_test_failures_);
    return et_test_failures_ ? 1 : 0;
}

/* True when the test runs under an emulator (tests/cross/qemu-run.sh sets ET_EMULATED): about a hundred times
 * slower, so a test whose point there is the aarch64 kernels may run a stated subset of its native cases. */
static inline int et_test_emulated(void) { return getenv("ET_EMULATED") != NULL; }

/* The repository root, for fixtures: ET_SOURCE_DIR from the environment (set by CTest) or the compile-time one. */
static inline const char *et_test_source_dir(void) {
    const char *d = getenv("ET_SOURCE_DIR");
#ifdef ET_SOURCE_DIR
    if (!d)
        d = ET_SOURCE_DIR;
#endif
    return d ? d : ".";
}

#endif
