/* clock.h: the monotonic clock in the units callers time with: seconds for progress and time left, milliseconds for
 * measured steps. Inline, because the timed loop (src/bench/bench.c) reads it around every iteration. */
#ifndef ET_UTIL_CLOCK_H
#define ET_UTIL_CLOCK_H

#include <time.h>

static inline double et_clock_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double et_clock_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

#endif
