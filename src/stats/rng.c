/* rng.c: splitmix64, the seeded generator of the bootstrap and the simulated-timings test. Chosen because its
 * output for a seed is fixed by the algorithm alone (no libc rand), so a stated seed reproduces an interval on
 * every platform. */
#include <math.h>

#include "stats/stats.h"

void et_rng_seed(et_rng *r, uint64_t seed) { r->state = seed; }

uint64_t et_rng_next(et_rng *r) {
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Lemire's multiply-shift with rejection: exact like modulo with rejection, but without a division in the common
 * case (the bootstrap draws hundreds of thousands of indices per comparison). */
uint64_t et_rng_below(et_rng *r, uint64_t n) {
    if (n <= 1)
        return 0;
    unsigned __int128 m = (unsigned __int128)et_rng_next(r) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = (0 - n) % n; /* 2^64 mod n: the values to reject so every result is equally likely */
        while (low < threshold) {
            m = (unsigned __int128)et_rng_next(r) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double et_rng_uniform(et_rng *r) { return (double)(et_rng_next(r) >> 11) * 0x1.0p-53; }

double et_rng_normal(et_rng *r) {
    double u1 = et_rng_uniform(r), u2 = et_rng_uniform(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
