/* significance.h: the A/B verdict of one metric of a run against its baseline, from their stored raw data
 * (db/significance.c; the rule is src/stats/ab.h). */
#ifndef ET_DB_SIGNIFICANCE_H
#define ET_DB_SIGNIFICANCE_H

#include <stdbool.h>

#include "record/metrics.h"
#include "record/result.h"
#include "stats/ab.h"

/* Tests metric m of run against base by et_metrics[m].test: the latency samples (both must be loaded), the power
 * timelines with the latency samples (energy), or the per-input correctness (both stored, on the same evaluation
 * set: same size and content hash). false with out->verdict ET_AB_NA and out->why saying what is missing, for a
 * metric without a test too. */
bool et_db_significance(const et_result *base, const et_result *run, et_metric_id m, const et_ab_options *o,
                        et_ab *out);

#endif
