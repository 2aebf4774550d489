/* act_range.h: how an 8-bit activation range is chosen from the values calibration saw (--calib-method).
 *
 *   minmax      the extremes: nothing seen in calibration clips, one outlier stretches the step for all
 *   percentile  the 0.01 % and 99.99 % quantiles: rare outliers clip
 *   mse         the range [f lo, f hi] (f from 1 down to 0.3) with the least mean squared error of
 *               quantize-dequantize over the values seen
 *   entropy     the same candidates, the least KL divergence between the values' distribution (what lies outside
 *               the range folded onto its ends) and the 256-level quantized version of what lies inside
 *               (TensorRT's calibrator on the asymmetric int8 grid, its bin of zeros levelled to its neighbour;
 *               tests/unit/tune/entropy_ref.py is the numpy reference)
 * All but minmax read a histogram of each activation over its min/max range (ET_ACT_HIST_BINS bins, filled on a
 * second pass over the calibration inputs). */
#ifndef ET_TUNE_ACT_RANGE_H
#define ET_TUNE_ACT_RANGE_H

#include <stdint.h>

#include "record/knobs.h"

enum { ET_ACT_HIST_BINS = 2048 };

/* Adds x[0..n) to hist (ET_ACT_HIST_BINS counts over [lo, hi]; values outside go to the end bins; NaN are
 * skipped). */
void et_act_hist_add(uint64_t *hist, float lo, float hi, const float *x, int64_t n);

/* The range method m picks for values with histogram hist over [lo, hi] (lo <= 0 <= hi is not required: the
 * int8 grid widens the result to contain 0 anyway). minmax returns [lo, hi]. */
void et_act_range_choose(et_calib_method m, const uint64_t *hist, float lo, float hi, float *out_lo, float *out_hi);

#endif
