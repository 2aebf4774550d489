/* kernel_test.h: shared helpers for the kernel tests: a seeded random generator, which config table entries can
 * run here (the others are skipped with a printed line), and an aborting allocator. */
#ifndef ET_KERNEL_TEST_H
#define ET_KERNEL_TEST_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/cpu.h"
#include "engine/kernels/dispatch.h"
#include "util/status.h"
#include "et_test.h"
#include "util/mem.h"

static uint64_t kt_rng_state = 0x9e3779b97f4a7c15ull;

static inline uint32_t kt_rand_u32(void) {
    uint64_t x = kt_rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    kt_rng_state = x;
    return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

/* Uniform in [lo, hi). */
static inline float kt_rand_f32(float lo, float hi) {
    return lo + (hi - lo) * (float)(kt_rand_u32() >> 8) * (1.0f / 16777216.0f);
}

static inline void kt_fill(float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++)
        x[i] = kt_rand_f32(lo, hi);
}

/* An aligned buffer of n floats (plus a guard) that aborts the test binary on failure: tests only. */
static inline float *kt_alloc(size_t n) {
    float *p = et_aligned_alloc((n + 16) * sizeof(float));
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

/* Runs a call that returns et_status once (ET_REQUIRE would evaluate it twice) and stops the test function on
 * failure, printing the error an `et_err err` in scope holds. */
#define KT_REQUIRE_OK(expr)                           \
    do {                                              \
        const et_status kt_st_ = (expr);              \
        ET_CHECK_MSG(kt_st_ == ET_OK, "%s", err.msg); \
        if (kt_st_ != ET_OK)                          \
            return;                                   \
    } while (0)

/* True when a config's kernels can be checked here (its requirement is runnable); prints why not otherwise. */
static inline int kt_config_runnable(et_kreq req, const char *name) {
    if (et_kreq_runnable(req))
        return 1;
    fprintf(stderr, "skip %s: this CPU lacks %s; run this test on a machine that has it\n", name, et_kreq_name(req));
    return 0;
}

/* Runs sweep(&entry) for every entry of a family's config table (configs_fn, dispatch.h) that this CPU runs,
 * printing why the others are skipped; with skip_scalar, not the last (scalar) entry, for families whose scalar
 * kernel has a test of its own. Checks that the table ends at scalar. */
#define KT_SWEEP_CONFIGS(type, configs_fn, name_field, sweep, skip_scalar)           \
    do {                                                                             \
        size_t kt_n_;                                                                \
        const type *kt_cfgs_ = configs_fn(&kt_n_);                                   \
        ET_CHECK(kt_n_ >= 1 && kt_cfgs_[kt_n_ - 1].req == ET_KREQ_SCALAR);           \
        for (size_t kt_i_ = 0; kt_i_ + ((skip_scalar) ? 1 : 0) < kt_n_; kt_i_++)     \
            if (kt_config_runnable(kt_cfgs_[kt_i_].req, kt_cfgs_[kt_i_].name_field)) \
                sweep(&kt_cfgs_[kt_i_]);                                             \
    } while (0)

#endif
