/* test_act_range.c: activation range choice (--calib-method) from histograms: entropy against the numpy
 * reference tests/unit/tune/entropy_ref.py (TensorRT's calibrator on the asymmetric int8 grid), and what every
 * method's range does to the quantization error of the values it was chosen for. */
#include <math.h>
#include <stdint.h>

#include "et_test.h"
#include "tune/act_range.h"
#include "tune/qmath.h"

static double centre(float lo, float hi, int b) { return lo + (b + 0.5) * ((double)hi - lo) / ET_ACT_HIST_BINS; }

/* The histograms of entropy_ref.py's hists(), in its order. */
static void make_hist(int which, uint64_t *h, float *lo, float *hi) {
    static const float los[3] = {0.0f, -8.0f, -1.0f}, his[3] = {10.0f, 8.0f, 3.0f};
    *lo = los[which], *hi = his[which];
    for (int b = 0; b < ET_ACT_HIST_BINS; b++) {
        double x = centre(*lo, *hi, b);
        if (which == 0)
            h[b] = (uint64_t)floor(100000 * exp(-x / 0.5)) + (b % 97 == 0);
        else if (which == 1)
            h[b] = (uint64_t)floor(100000 * exp(-x * x / 2)) + (b % 61 == 0);
        else
            h[b] = 1000;
    }
    if (which == 0)
        h[0] = 500000; /* ReLU's exact zeros */
}

/* Signal to quantization noise (dB) of the histogram's bin centres quantized on the grid of [l, h]. */
static double sqnr_db(const uint64_t *hist, float lo, float hi, float l, float h) {
    float s;
    int32_t z;
    et_act_qparams(l, h, &s, &z);
    double sig = 0, noise = 0;
    for (int b = 0; b < ET_ACT_HIST_BINS; b++) {
        double x = centre(lo, hi, b), d = x - s * (et_quantize_f32((float)x, s, z) - z);
        sig += (double)hist[b] * x * x, noise += (double)hist[b] * d * d;
    }
    return 10 * log10(sig / noise);
}

static void test_entropy_matches_reference(void) {
    /* /usr/bin/python3 tests/unit/tune/entropy_ref.py prints "57 58 100" (f in percent of the min/max range) */
    static const int want_pct[3] = {57, 58, 100};
    static uint64_t h[ET_ACT_HIST_BINS];
    for (int i = 0; i < 3; i++) {
        float lo, hi, l, u;
        make_hist(i, h, &lo, &hi);
        et_act_range_choose(ET_CALIB_ENTROPY, h, lo, hi, &l, &u);
        double f = (fabsf(hi) >= fabsf(lo) ? u / fmaxf(hi, 0.0f) : l / fminf(lo, 0.0f));
        ET_CHECK_MSG(fabs(100 * f - want_pct[i]) < 0.5,
                     "histogram %d: entropy kept %.1f %% of the range, the "
                     "reference %d %%",
                     i, 100 * f, want_pct[i]);
    }
}

/* Every method's range quantizes the values it saw about as well as min/max or better in SQNR: the defect that
 * entropy had (the clipped tail not charged, the zero spike rewarding narrow ranges) cost 10-30 dB here. */
static void test_methods_keep_sqnr(void) {
    static uint64_t h[ET_ACT_HIST_BINS];
    for (int i = 0; i < 3; i++) {
        float lo, hi;
        make_hist(i, h, &lo, &hi);
        double base = sqnr_db(h, lo, hi, lo, hi);
        for (int m = ET_CALIB_PERCENTILE; m <= ET_CALIB_ENTROPY; m++) {
            float l, u;
            et_act_range_choose((et_calib_method)m, h, lo, hi, &l, &u);
            double q = sqnr_db(h, lo, hi, l, u);
            ET_CHECK_MSG(q > base - 3.0, "histogram %d, method %d: SQNR %.1f dB against min/max's %.1f dB", i, m, q,
                         base);
        }
    }
}

int main(void) {
    ET_RUN(test_entropy_matches_reference);
    ET_RUN(test_methods_keep_sqnr);
    return et_test_done();
}
