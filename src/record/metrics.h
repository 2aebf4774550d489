/* metrics.h: the metrics a run is judged by, in one table that both front ends read: `compare` (db/compare.c:
 * one column each, and a column against the baseline for some) and the workbench's comparison with the baseline
 * (ui/delta.c: one row each; ui/view_compare.c picks its columns from it too). What each value is and when it is
 * missing, its unit, which way is better, how a change against the baseline is said, and whether it is a headline
 * metric are written here once, so the two front ends show the same metrics the same way. `sweep` reads its
 * deployed-memory and size columns through et_metric_value as well.
 *
 * Headline metrics are the ones shown by default: in compare's human formats and the workbench's small panel.
 * The others (p90, throughput, edgetune's own peak, arena, power, IPC, cycles, top-5) are in compare's machine
 * formats and the workbench's panel when the screen is tall enough.
 *
 * Values are in the metric's base unit (et_metric_unit) and NaN when the run did not measure the metric: never 0.
 * The size rule: the weights as a deployment stores them at the run's bit-width (memory.weights_deploy_bytes),
 * else the model file for an fp32 run that did not record that (the file is its fp32 weights), else missing. */
#ifndef ET_RECORD_METRICS_H
#define ET_RECORD_METRICS_H

#include <stdbool.h>

#include "record/result.h"

typedef enum {
    ET_METRIC_P50,
    ET_METRIC_P90,
    ET_METRIC_P99,
    ET_METRIC_THROUGHPUT,
    ET_METRIC_DEPLOYED,
    ET_METRIC_PEAK,
    ET_METRIC_SIZE,
    ET_METRIC_ARENA,
    ET_METRIC_ENERGY,
    ET_METRIC_POWER,
    ET_METRIC_IPC,
    ET_METRIC_CYCLES,
    ET_METRIC_TOP1,
    ET_METRIC_TOP5,
    ET_METRIC_ACCURACY,
    ET_METRIC_COUNT
} et_metric_id;

/* The base unit of a value. */
typedef enum {
    ET_UNIT_MS,       /* milliseconds */
    ET_UNIT_BYTES,    /* bytes */
    ET_UNIT_PER_S,    /* inferences per second */
    ET_UNIT_MJ,       /* millijoules */
    ET_UNIT_W,        /* watts */
    ET_UNIT_NONE,     /* a plain number (IPC) */
    ET_UNIT_PER_INF,  /* a count per inference (cycles) */
    ET_UNIT_FRACTION, /* 0..1, shown as % (a difference in percentage points) */
} et_metric_unit;

typedef enum { ET_METRIC_LOWER_IS_BETTER, ET_METRIC_HIGHER_IS_BETTER, ET_METRIC_NEITHER } et_metric_better;

/* How a change against the baseline is said: as a ratio ("2.10x faster") or in percentage points ("-1.6 pp"). */
typedef enum { ET_CHANGE_RATIO, ET_CHANGE_POINTS } et_metric_change;

/* Which raw data say whether a change against the baseline is real (the test itself is src/stats/ab.h; it is run
 * by db/significance.c): none, the per-iteration latency samples, the power timeline (energy per inference per
 * interval, with the latency samples), or the per-input correctness. */
typedef enum {
    ET_TEST_NONE,
    ET_TEST_LATENCY_SAMPLES,
    ET_TEST_ENERGY_TIMELINE,
    ET_TEST_PAIRED_CORRECTNESS
} et_metric_test;

typedef struct et_metric {
    const char *name;     /* the workbench's row (at most 10 characters for a headline metric): "deployed" */
    const char *header;   /* compare's column: "deployed mem" */
    const char *key;      /* compare's machine key, named with the column's unit: "deployed_mib" */
    const char *col_unit; /* the unit of compare's column: "MiB" ("" for none) */
    double col_scale;     /* base value * col_scale = compare's number (bytes -> MiB, fraction -> %) */
    int col_decimals;     /* compare's decimals in human formats */
    et_metric_unit unit;
    et_metric_better better;
    et_metric_change change;
    const char *up_word, *down_word; /* ratio >= 1 (better, or up for a metric that is neither) and < 1 */
    /* compare's column against the baseline, NULL for none: a ratio (et_metric_ratio) or a difference in
     * percentage points (et_metric_points), after this metric's own column */
    const char *vs_key, *vs_header;
    bool headline;
    et_metric_test test; /* how the comparison against the baseline is tested (ET_TEST_NONE: it is not) */
} et_metric;

/* The table, in display order (compare's columns and the workbench's rows follow it). */
extern const et_metric et_metrics[ET_METRIC_COUNT];

/* The value of metric m in r, in its base unit; NaN when r (may be NULL) did not measure it. */
double et_metric_value(const et_result *r, et_metric_id m);

/* The change of cur against base for metric m as a ratio where above 1 is better (above 1 is "up" for a metric
 * that is neither): base / cur for lower-is-better and neither, cur / base for higher-is-better. NaN when either
 * is missing or not above 0. */
double et_metric_ratio(et_metric_id m, double base, double cur);

/* The change in percentage points (cur - base) * 100 of a fraction; NaN when either is missing. */
double et_metric_points(double base, double cur);

#endif
