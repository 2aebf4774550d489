/* test_stats.c: the statistics of src/stats against known values: the Mann-Whitney U example of SciPy's
 * documentation (exact and normal), tie-corrected and exact cases and McNemar cases whose references
 * tests/unit/stats/reference_values.py computes independently (exact enumeration, numpy, math.comb); medians by
 * selection against a sort; the bootstrap's reproducibility and coverage; the A/B rule on constructed data;
 * energy per inference per power interval; the Pareto rule. */
#include <stdint.h>

#include "et_test.h"
#include "stats/ab.h"
#include "stats/pareto.h"
#include "stats/stats.h"

static double scratch[4096];

static void test_mann_whitney_exact_textbook(void) {
    const double males[] = {19, 22, 16, 29, 24}, females[] = {20, 11, 17, 12};
    et_mw_result r;
    ET_REQUIRE(et_mann_whitney(males, 5, females, 4, scratch, &r));
    ET_CHECK(r.exact && !r.ties);
    ET_CHECK_NEAR(r.u_a, 17.0, 1e-12);
    ET_CHECK_NEAR(r.p, 0.1111111111111111, 1e-12);
    /* the same test the other way round: U = 20 - 17, same p */
    ET_REQUIRE(et_mann_whitney(females, 4, males, 5, scratch, &r));
    ET_CHECK_NEAR(r.u_a, 3.0, 1e-12);
    ET_CHECK_NEAR(r.p, 0.1111111111111111, 1e-12);
    const double a[] = {1.1, 2.3, 3.5, 4.2, 6.0, 7.7}, b[] = {2.9, 5.1, 6.6, 8.4, 9.0, 9.9, 10.5};
    ET_REQUIRE(et_mann_whitney(a, 6, b, 7, scratch, &r));
    ET_CHECK(r.exact);
    ET_CHECK_NEAR(r.u_a, 7.0, 1e-12);
    ET_CHECK_NEAR(r.p, 0.05128205128205128, 1e-12);
}

static void test_mann_whitney_ties_and_normal(void) {
    const double a[] = {1, 2, 2, 3, 3, 3, 4, 5, 5, 6, 7, 7}, b[] = {3, 4, 4, 5, 6, 6, 6, 7, 8, 8, 9, 9, 10};
    et_mw_result r;
    ET_REQUIRE(et_mann_whitney(a, 12, b, 13, scratch, &r));
    ET_CHECK(r.ties && !r.exact);
    ET_CHECK_NEAR(r.u_a, 31.0, 1e-12);
    ET_CHECK_NEAR(r.p, 0.010882034165831542, 1e-12);
    double big_a[25], big_b[30];
    for (int i = 0; i < 25; i++)
        big_a[i] = (i * 37) % 101;
    for (int i = 0; i < 30; i++)
        big_b[i] = (i * 53) % 97 + 10;
    ET_REQUIRE(et_mann_whitney(big_a, 25, big_b, 30, scratch, &r));
    ET_CHECK(!r.exact);
    ET_CHECK_NEAR(r.u_a, 334.0, 1e-12);
    ET_CHECK_NEAR(r.p, 0.49356540930310805, 1e-12);
    /* no spread at all: no evidence */
    const double same[] = {2, 2, 2}, same2[] = {2, 2};
    ET_REQUIRE(et_mann_whitney(same, 3, same2, 2, scratch, &r));
    ET_CHECK_NEAR(r.p, 1.0, 0);
    ET_CHECK(!et_mann_whitney(same, 0, same2, 2, scratch, &r));
}

static void test_mcnemar(void) {
    struct {
        int b, c;
        double p;
        bool exact;
    } cases[] = {{5, 15, 0.04138946533203125, true},
                 {0, 1, 1, true},
                 {10, 10, 1, true},
                 {25, 50, 0.0055836168063787663, false},
                 {3, 30, 6.0105162849232266e-06, false},
                 {40, 41, 1, false}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        et_mcnemar_result r = et_mcnemar(cases[i].b, cases[i].c);
        ET_CHECK_MSG(fabs(r.p - cases[i].p) <= 1e-12 * fmax(1, cases[i].p), "b %d c %d: p %.17g want %.17g", cases[i].b,
                     cases[i].c, r.p, cases[i].p);
        ET_CHECK(r.exact == cases[i].exact);
    }
    ET_CHECK_NEAR(et_mcnemar(0, 0).p, 1.0, 0);
}

static int cmp(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static void test_median_by_selection(void) {
    et_rng rng;
    et_rng_seed(&rng, 7);
    double v[101], w[101];
    for (int n = 1; n <= 101; n += 7) {
        for (int i = 0; i < n; i++)
            v[i] = w[i] = (double)(et_rng_below(&rng, 10)); /* many ties */
        qsort(w, (size_t)n, sizeof *w, cmp);
        double want = n % 2 ? w[n / 2] : 0.5 * (w[n / 2 - 1] + w[n / 2]);
        ET_CHECK_NEAR(et_stats_median_inplace(v, n), want, 0);
    }
    const double x[] = {5, 1, 4, 2, 3, 10, 9, 8, 7, 6};
    double out[4];
    ET_CHECK(et_stats_block_medians(x, 10, 4, out, scratch) == 4);
    /* blocks [0,2) [2,5) [5,7) [7,10) */
    ET_CHECK_NEAR(out[0], 3, 0);
    ET_CHECK_NEAR(out[1], 3, 0);
    ET_CHECK_NEAR(out[2], 9.5, 0);
    ET_CHECK_NEAR(out[3], 7, 0);
}

static void test_rng_is_fixed(void) {
    /* splitmix64 from seed 0: the published first output */
    et_rng r;
    et_rng_seed(&r, 0);
    ET_CHECK(et_rng_next(&r) == 0xE220A8397B1DCDAFull);
    double sum = 0;
    for (int i = 0; i < 10000; i++)
        sum += et_rng_uniform(&r);
    ET_CHECK_NEAR(sum / 10000, 0.5, 0.01);
}

static void test_bootstrap(void) {
    double a[200], b[200];
    et_rng data;
    et_rng_seed(&data, 3);
    for (int i = 0; i < 200; i++) {
        a[i] = 10.0 + et_rng_normal(&data);
        b[i] = 8.0 + 0.8 * et_rng_normal(&data);
    }
    double lo, hi, lo2, hi2;
    et_rng r;
    et_rng_seed(&r, 42);
    ET_REQUIRE(et_bootstrap_ratio_of_medians(a, 200, b, 200, 1000, 0.95, &r, scratch, &lo, &hi));
    et_rng_seed(&r, 42);
    ET_REQUIRE(et_bootstrap_ratio_of_medians(a, 200, b, 200, 1000, 0.95, &r, scratch, &lo2, &hi2));
    ET_CHECK(lo == lo2 && hi == hi2); /* the seed fixes the interval */
    ET_CHECK_MSG(lo < 1.25 && hi > 1.25 && hi - lo < 0.1, "[%g, %g] should hold 1.25", lo, hi);
    /* constant data: the interval is the point */
    double c2[5] = {2, 2, 2, 2, 2}, c1[3] = {1, 1, 1};
    ET_REQUIRE(et_bootstrap_ratio_of_medians(c2, 5, c1, 3, 100, 0.95, &r, scratch, &lo, &hi));
    ET_CHECK_NEAR(lo, 2, 0);
    ET_CHECK_NEAR(hi, 2, 0);
    /* coverage: over 200 data sets with a true ratio 1, the 95 % interval should miss about 5 % */
    int miss = 0;
    for (int t = 0; t < 200; t++) {
        for (int i = 0; i < 41; i++)
            a[i] = 5 + et_rng_normal(&data), b[i] = 5 + et_rng_normal(&data);
        ET_REQUIRE(et_bootstrap_ratio_of_medians(a, 41, b, 41, 400, 0.95, &r, scratch, &lo, &hi));
        miss += lo > 1 || hi < 1;
    }
    ET_CHECK_MSG(miss <= 25, "the interval missed the true ratio %d times in 200", miss);
}

static void test_ab_rule(void) {
    et_ab_options o = et_ab_defaults();
    double base[400], fast[400], same[400];
    et_rng data;
    et_rng_seed(&data, 11);
    for (int i = 0; i < 400; i++) {
        base[i] = 10 * (1 + 0.02 * et_rng_normal(&data));
        same[i] = 10 * (1 + 0.02 * et_rng_normal(&data));
        fast[i] = 8 * (1 + 0.02 * et_rng_normal(&data));
    }
    et_ab ab;
    char text[160];
    ET_REQUIRE(et_ab_latency(base, 400, fast, 400, &o, &ab));
    ET_CHECK(ab.verdict == ET_AB_BETTER && ab.n_base == 20 && ab.n_run == 20 && ab.exact);
    ET_CHECK_NEAR(ab.estimate, 1.25, 0.02);
    ET_CHECK(ab.ci_lo < 1.25 && ab.ci_hi > 1.24 && ab.p < 1e-6);
    et_ab_say(&ab, &o, false, "faster", "slower", text, sizeof text);
    ET_CHECK_MSG(strcmp(text, "1.25x faster, p <0.001") == 0, "%s", text);
    ET_REQUIRE(et_ab_latency(fast, 400, base, 400, &o, &ab));
    ET_CHECK(ab.verdict == ET_AB_WORSE);
    ET_REQUIRE(et_ab_latency(base, 400, same, 400, &o, &ab));
    ET_CHECK_MSG(ab.verdict == ET_AB_SAME, "p %g", ab.p);
    et_ab_say(&ab, &o, false, "faster", "slower", text, sizeof text);
    ET_CHECK_MSG(strncmp(text, "= same, p ", 10) == 0, "%s", text);
    /* a real 1 % change on quiet data is significant but below the 3 % floor */
    for (int i = 0; i < 400; i++)
        same[i] = base[i] * 1.01;
    ET_REQUIRE(et_ab_latency(base, 400, same, 400, &o, &ab));
    ET_CHECK_MSG(ab.verdict == ET_AB_SMALL, "verdict %s p %g", et_ab_verdict_name(ab.verdict), ab.p);
    o.min_effect = 0.005;
    ET_REQUIRE(et_ab_latency(base, 400, same, 400, &o, &ab));
    ET_CHECK(ab.verdict == ET_AB_WORSE);
    ET_CHECK(!et_ab_latency(base, 0, same, 400, &o, &ab) && ab.verdict == ET_AB_NA);
    /* accuracy: 2000 inputs, 30 fixed and 10 broken by the run: McNemar chi-square (b 10, c 30) */
    static uint8_t ok_base[2000], ok_run[2000];
    for (int i = 0; i < 2000; i++)
        ok_base[i] = ok_run[i] = i % 10 != 0;
    for (int i = 0; i < 300; i += 10)
        ok_run[i] = 1;
    for (int i = 1; i < 100; i += 10)
        ok_run[i] = 0;
    o = et_ab_defaults();
    ET_REQUIRE(et_ab_accuracy(ok_base, ok_run, 2000, &o, &ab));
    ET_CHECK(ab.verdict == ET_AB_BETTER && !ab.exact);
    ET_CHECK_NEAR(ab.estimate, 1.0, 1e-12); /* +20 of 2000 */
    ET_CHECK_NEAR(ab.p, et_mcnemar(10, 30).p, 0);
}

/* Energy per inference per interval: 1 ms inferences under 10 ms intervals at 2 W are 2 mJ each; with 10 % loop
 * overhead between them each costs 2.2 mJ (the run's energy / inferences); 50 ms inferences over 10 ms intervals
 * are 100 mJ each; a power sensor's first point at t = 0 is no interval. */
static void test_energy_per_interval(void) {
    static double lat[1000], mj[200], mw[200];
    static int64_t t[200];
    for (int i = 0; i < 1000; i++)
        lat[i] = 1.0;
    for (int k = 0; k < 100; k++)
        t[k] = (int64_t)(k + 1) * 10000000, mw[k] = 2000.0;
    ET_REQUIRE(et_stats_energy_per_interval(lat, 1000, t, mw, 100, mj) == 100);
    for (int k = 0; k < 100; k++)
        ET_CHECK_NEAR(mj[k], 2.0, 1e-9);
    for (int k = 0; k < 100; k++)
        t[k] = (int64_t)(k + 1) * 11000000;
    ET_REQUIRE(et_stats_energy_per_interval(lat, 1000, t, mw, 100, mj) == 100);
    for (int k = 0; k < 100; k++)
        ET_CHECK_NEAR(mj[k], 2.2, 1e-9);
    for (int i = 0; i < 20; i++)
        lat[i] = 50.0;
    for (int k = 0; k < 101; k++)
        t[k] = (int64_t)k * 10000000, mw[k] = 2000.0; /* a sensor: its first reading is at the start */
    ET_REQUIRE(et_stats_energy_per_interval(lat, 20, t, mw, 101, mj) == 100);
    for (int k = 0; k < 100; k++)
        ET_CHECK_NEAR(mj[k], 100.0, 1e-6);
    ET_CHECK(et_stats_energy_per_interval(lat, 20, t, mw, 1, mj) == 0); /* spans no time */
    ET_CHECK(et_stats_energy_per_interval(lat, 0, t, mw, 101, mj) == 0);
    /* the A/B rule on them: 2 % noise, the same power: same; 10 % more power: more energy, significant */
    et_rng g;
    et_rng_seed(&g, 7);
    double a[100], b[100], c[100];
    for (int k = 0; k < 100; k++) {
        a[k] = 2.0 * (1 + 0.02 * (et_rng_uniform(&g) - 0.5));
        b[k] = 2.0 * (1 + 0.02 * (et_rng_uniform(&g) - 0.5));
        c[k] = 2.2 * (1 + 0.02 * (et_rng_uniform(&g) - 0.5));
    }
    et_ab_options o = et_ab_defaults();
    et_ab ab;
    ET_REQUIRE(et_ab_energy(a, 100, b, 100, &o, &ab));
    ET_CHECK_MSG(ab.verdict == ET_AB_SAME, "p %g", ab.p);
    ET_CHECK(ab.n_base == 100 && ab.n_run == 100); /* each interval is a block (up to max_blocks) */
    ET_REQUIRE(et_ab_energy(a, 100, c, 100, &o, &ab));
    ET_CHECK(ab.verdict == ET_AB_WORSE && ab.p < 0.001);
    ET_CHECK(ab.ci_lo < 1 / 1.1 && ab.ci_hi > 1 / 1.1);
    ET_CHECK(!et_ab_energy(a, 100, c, 0, &o, &ab) && ab.verdict == ET_AB_NA && strstr(ab.why, "energy timeline"));
}

/* The Pareto rule: cost lower and quality higher are better; a tie in both keeps both; NaN never counts. */
static void test_pareto(void) {
    const double cost[] = {1, 2, 2, 3, 1, NAN, 0.5, 4}, qual[] = {0.80, 0.90, 0.85, 0.90, 0.80, 1.0, NAN, 0.95};
    const bool want[] = {true, true, false, false, true, false, false, true};
    bool got[8];
    et_pareto(cost, qual, 8, got);
    for (int i = 0; i < 8; i++)
        ET_CHECK_MSG(got[i] == want[i], "row %d", i);
}

int main(void) {
    ET_RUN(test_mann_whitney_exact_textbook);
    ET_RUN(test_mann_whitney_ties_and_normal);
    ET_RUN(test_mcnemar);
    ET_RUN(test_median_by_selection);
    ET_RUN(test_rng_is_fixed);
    ET_RUN(test_bootstrap);
    ET_RUN(test_ab_rule);
    ET_RUN(test_energy_per_interval);
    ET_RUN(test_pareto);
    return et_test_done();
}
