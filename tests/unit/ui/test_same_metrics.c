/* test_same_metrics.c: `compare` (db/compare.c) and the workbench's comparison panel (ui/delta.c) show the same
 * metrics, the same way, from the one table of src/record/metrics.h: the same metrics in the same order (the
 * headline ones by default), the same value or the same absence, and the same comparison with the baseline. Runs
 * are stored in a temporary database and compared from there, as the front ends do. The case that made them
 * disagree: a run that did not record its deployed weight size (the workbench showed the packed weights, compare
 * the model file or nothing). */
#include <math.h>

#include "db/db_test_util.h"
#include "db/report.h"
#include "et_test.h"
#include "record/metrics.h"
#include "ui/delta.h"
#include "ui/fake_ui.h"

static char dir[512];

static et_db *open_db(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/same.db", dir);
    et_db *db = NULL;
    et_err e = {0};
    if (et_db_open(path, ET_DB_WRITE, &db, &e) != ET_OK) {
        fprintf(stderr, "%s\n", e.msg);
        exit(2);
    }
    return db;
}

static double num(const et_table *t, int row, const char *key) {
    int c = et_table_col_index(t, key);
    ET_CHECK_MSG(c >= 0, "compare has no column %s", key);
    return c >= 0 ? et_table_num_at(t, row, c) : NAN;
}

static bool machine_only(const et_table *t, const char *key) {
    int c = et_table_col_index(t, key);
    return c >= 0 && et_table_col_at(t, c)->machine_only;
}

/* Compares cur against base both ways and checks that they agree metric by metric. */
static void check_agree(const et_result *base, const et_result *cur) {
    et_db *db = open_db();
    et_err e = {0};
    int64_t bid = 0, cid = 0;
    ET_REQUIRE(et_db_save_run(db, base, &bid, &e) == ET_OK);
    ET_REQUIRE(et_db_save_run(db, cur, &cid, &e) == ET_OK);
    et_result b, c;
    et_result_init(&b);
    et_result_init(&c);
    ET_REQUIRE(et_db_load_run(db, bid, ET_DB_LOAD_ALL, &b, &e) == ET_OK);
    ET_REQUIRE(et_db_load_run(db, cid, ET_DB_LOAD_ALL, &c, &e) == ET_OK);
    et_table *t = NULL;
    ET_REQUIRE(et_db_compare(db, &cid, 1, bid, &t, &e) == ET_OK);
    ET_REQUIRE(et_table_n_rows(t) == 2); /* the baseline, then the run */

    et_delta_row full[ET_DELTA_MAX_ROWS], brief[ET_DELTA_MAX_ROWS];
    int n_full = et_delta_rows(&c, &b, true, full, ET_DELTA_MAX_ROWS);
    int n_brief = et_delta_rows(&c, &b, false, brief, ET_DELTA_MAX_ROWS);
    ET_CHECK_INT(n_full, ET_METRIC_COUNT); /* every metric has its row when the screen is tall */
    int k = 0;
    for (int m = 0; m < ET_METRIC_COUNT; m++) {
        const et_metric *d = &et_metrics[m];
        /* the same metric, in the same order; headline ones on the small panel and in compare's text */
        ET_CHECK_STR(full[m].metric, d->name);
        ET_CHECK_MSG(machine_only(t, d->key) == !d->headline, "%s", d->key);
        if (d->headline) {
            ET_CHECK_MSG(k < n_brief && strcmp(brief[k].metric, d->name) == 0, "%s not on the small panel", d->name);
            k++;
        }
        /* the same value, or missing in both */
        double v = num(t, 1, d->key), want = et_metric_value(&c, (et_metric_id)m);
        ET_CHECK_MSG(isnan(v) == isnan(want) && (isnan(v) || fabs(v - want * d->col_scale) <= 1e-9 * fabs(v)),
                     "%s: compare %g, metric %g", d->key, v, want * d->col_scale);
        ET_CHECK_MSG(isnan(v) == (strcmp(full[m].cur, "n/a") == 0), "%s: compare %g, panel '%s'", d->key, v,
                     full[m].cur);
        if (!d->vs_key)
            continue;
        /* the same comparison: the panel's words come from the number compare stores */
        double vs = num(t, 1, d->vs_key);
        if (d->change == ET_CHANGE_POINTS) {
            char pp[32];
            snprintf(pp, sizeof pp, "%+.1f pp", vs);
            ET_CHECK_MSG(isnan(vs) ? strcmp(full[m].change, "n/a") == 0 : strcmp(full[m].change, pp) == 0,
                         "%s: compare %g, panel '%s'", d->vs_key, vs, full[m].change);
        } else if (isnan(vs)) {
            ET_CHECK_STR(full[m].change, "n/a");
        } else {
            char x[32];
            bool up = vs >= 1;
            double shown = up ? vs : 1 / vs;
            snprintf(x, sizeof x, shown < 10 ? "%.2fx %s" : "%.1fx %s", shown, up ? d->up_word : d->down_word);
            ET_CHECK_MSG(strcmp(full[m].change, x) == 0 || strcmp(full[m].change, "same") == 0 ||
                             strcmp(full[m].change, "= same") == 0,
                         "%s: compare %g, panel '%s'", d->vs_key, vs, full[m].change);
        }
    }
    ET_CHECK_INT(n_brief, k);
    et_table_free(t);
    et_result_free(&b);
    et_result_free(&c);
    et_db_close(db);
}

/* Every metric of the table is filled in (designated initializers would leave a forgotten one zero), with names
 * that fit where they are shown and a comparison column only where there are words or points for it. */
static void test_table_complete(void) {
    for (int m = 0; m < ET_METRIC_COUNT; m++) {
        const et_metric *d = &et_metrics[m];
        ET_REQUIRE(d->name && d->header && d->key && d->col_unit); /* metric m is filled in */
        ET_CHECK_MSG(d->col_scale > 0, "%s", d->key);
        ET_CHECK_MSG(!d->headline || strlen(d->name) <= 10, "%s: too long for the small panel", d->name);
        ET_CHECK_MSG(d->change == ET_CHANGE_POINTS || (d->up_word && d->down_word), "%s: no ratio words", d->key);
        ET_CHECK_MSG(!d->vs_key == !d->vs_header, "%s", d->key);
        for (int o = 0; o < m; o++)
            ET_CHECK_MSG(strcmp(d->key, et_metrics[o].key) != 0 && strcmp(d->name, et_metrics[o].name) != 0, "%s twice",
                         d->key);
    }
}

static void test_measured_runs(void) {
    et_result base, cur;
    et_result_init(&base);
    et_result_init(&cur);
    fake_ui_result(&base, 0);
    fake_ui_result(&cur, 1);
    check_agree(&base, &cur);
    et_result_free(&base);
    et_result_free(&cur);
}

/* Runs without a deployed weight size: fp32 falls back to its model file, a quantized run has no size; no deployed
 * memory and no power: missing in both, never 0. */
static void test_missing_sizes(void) {
    et_result base, cur;
    et_result_init(&base);
    et_result_init(&cur);
    fake_ui_result(&base, 0);
    fake_ui_result(&cur, 1);
    snprintf(base.uuid, sizeof base.uuid, "33333333-3333-4333-8333-333333333333");
    snprintf(cur.uuid, sizeof cur.uuid, "44444444-4444-4444-8444-444444444444");
    base.memory.weights_deploy_bytes = cur.memory.weights_deploy_bytes = 0;
    cur.deployed.status = ET_AVAIL_NOT_RUN;
    cur.power.status = ET_AVAIL_UNSUPPORTED;
    ET_CHECK_NEAR(et_metric_value(&base, ET_METRIC_SIZE), (double)base.model.file_bytes, 0);
    ET_CHECK(isnan(et_metric_value(&cur, ET_METRIC_SIZE))); /* not the packed weights */
    check_agree(&base, &cur);
    et_delta_row rows[ET_DELTA_MAX_ROWS];
    int n = et_delta_rows(&cur, &base, false, rows, ET_DELTA_MAX_ROWS);
    const et_delta_row *size = NULL;
    for (int i = 0; i < n; i++)
        size = strcmp(rows[i].metric, "size") == 0 ? &rows[i] : size;
    ET_REQUIRE(size != NULL);
    char want[32];
    ET_CHECK_STR(size->base, et_ui_fmt_bytes(want, sizeof want, (double)base.model.file_bytes));
    ET_CHECK_STR(size->cur, "n/a");
    ET_CHECK_STR(size->change, "n/a");
    et_result_free(&base);
    et_result_free(&cur);
}

int main(void) {
    ET_RUN(test_table_complete);
    et_tmpdir(dir, sizeof dir);
    ET_RUN(test_measured_runs);
    et_rmtree(dir);
    et_tmpdir(dir, sizeof dir);
    ET_RUN(test_missing_sizes);
    et_rmtree(dir);
    return et_test_done();
}
