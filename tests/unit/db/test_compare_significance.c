/* test_compare_significance.c: compare's significance from stored raw data: a run of the baseline's own
 * distribution is "= same" with a p-value, a run 20 % faster is "faster" with an interval that holds its ratio, a
 * 1 % change on quiet data is significant but below the min effect, --min-effect changes that, the machine
 * formats carry p, interval and verdict as columns, and accuracy is paired only on the same evaluation set (its
 * discordant counts in columns too); energy is tested on the power timelines (energy per inference per interval). */
#include "db/report.h"
#include "db_test_util.h"
#include "et_test.h"
#include "fake_runs.h"

static char dir[512];

/* base_ms * (1 + 2 % noise) * factor, seeded */
static void set_samples(et_result *r, uint64_t seed, double base_ms, double factor) {
    uint64_t s = seed;
    for (int i = 0; i < r->n_samples; i++)
        r->samples_ms[i] = base_ms * (1.0 + 0.02 * (et_fake_unit(&s) - 0.5)) * factor;
    et_latency_stats_compute(r->samples_ms, r->n_samples, &r->latency);
}

static void set_inputs(et_result *r, const char *hash, int n, int wrong_every, int offset) {
    r->fidelity.status = ET_AVAIL_OK;
    r->fidelity.n_per_input = n;
    r->fidelity.top1 = calloc((size_t)n, sizeof *r->fidelity.top1);
    r->fidelity.correct = calloc((size_t)n, 1);
    int right = 0;
    for (int i = 0; i < n; i++)
        right += r->fidelity.correct[i] = (i + offset) % wrong_every != 0;
    r->fidelity.accuracy = (double)right / n;
    snprintf(r->fidelity.eval_hash, sizeof r->fidelity.eval_hash, "%s", hash);
}

/* A power timeline every 50 ms (the last point at the end of the loop) over the run's latency samples at `watts`
 * (+-1 % noise), seeded; energy per inference = watts x mean latency (W x ms = mJ). Negative watts: the energy
 * figure without a timeline. */
static void set_power(et_result *r, uint64_t seed, double watts) {
    free(r->power.samples);
    r->power.samples = NULL;
    r->power.n_samples = 0;
    double total_ms = 0;
    for (int i = 0; i < r->n_samples; i++)
        total_ms += r->samples_ms[i];
    r->power.energy_per_inf_mj = fabs(watts) * total_ms / r->n_samples;
    if (watts < 0)
        return;
    int n = (int)ceil(total_ms / 50.0); /* the last point ends the loop, as the sampler's stop sample does */
    r->power.samples = calloc((size_t)n, sizeof *r->power.samples);
    r->power.n_samples = n;
    uint64_t s = seed;
    for (int k = 0; k < n; k++)
        r->power.samples[k] = (et_power_sample){(int64_t)(fmin((k + 1) * 50.0, total_ms) * 1e6),
                                                watts * 1000.0 * (1.0 + 0.02 * (et_fake_unit(&s) - 0.5))};
}

static const char *cell(const et_table *t, int row, const char *key, char *buf, size_t len) {
    et_table_cell_human(t, row, et_table_col_index(t, key), buf, len);
    return buf;
}

static void test_verdicts(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/sig.db", dir);
    et_db *db = NULL;
    et_err e = {0};
    ET_REQUIRE(et_db_open(path, ET_DB_WRITE, &db, &e) == ET_OK);
    et_result r[5];
    int64_t id[5];
    const double factor[5] = {1.0, 1.0, 0.8, 1.01, 1.0};
    for (int i = 0; i < 5; i++) {
        et_result_init(&r[i]);
        et_fake_result(&r[i], (uint64_t)i + 1, &(et_fake_opts){.n_samples = 1000});
        set_samples(&r[i], 100 + (uint64_t)i, 10.0, factor[i]);
    }
    /* energy: the same power, so energy per inference follows latency; run 4 has no power timeline */
    const double watts[5] = {4.5, 4.5, 4.5, 4.5, -4.5};
    for (int i = 0; i < 5; i++)
        set_power(&r[i], 200 + (uint64_t)i, watts[i]);
    set_inputs(&r[0], "00000000000000aa", 2000, 10, 0); /* 90 % */
    set_inputs(&r[1], "00000000000000aa", 2000, 10, 0); /* the same inputs right */
    set_inputs(&r[2], "00000000000000aa", 2000, 20, 0); /* 95 %: 100 fixed */
    set_inputs(&r[4], "00000000000000bb", 2000, 20, 0); /* another evaluation set */
    for (int i = 0; i < 5; i++)
        ET_REQUIRE(et_db_save_run(db, &r[i], &id[i], &e) == ET_OK);
    et_table *t = NULL;
    const int64_t runs[4] = {id[1], id[2], id[3], id[4]};
    ET_REQUIRE(et_db_compare(db, runs, 4, id[0], &t, &e) == ET_OK);
    char buf[256];
    /* rows: baseline, then 1..4 */
    ET_CHECK_MSG(strncmp(cell(t, 1, "speedup", buf, sizeof buf), "= same, p ", 10) == 0, "%s", buf);
    ET_CHECK_MSG(strcmp(cell(t, 2, "speedup", buf, sizeof buf), "1.25x faster, p <0.001") == 0, "%s", buf);
    ET_CHECK_MSG(strstr(cell(t, 3, "speedup", buf, sizeof buf), "(< 3 % min effect)") != NULL, "%s", buf);
    int p = et_table_col_index(t, "speedup_p"), lo = et_table_col_index(t, "speedup_ci_low"),
        hi = et_table_col_index(t, "speedup_ci_high"), v = et_table_col_index(t, "speedup_verdict");
    ET_REQUIRE(p >= 0 && lo >= 0 && hi >= 0 && v >= 0);
    ET_CHECK(et_table_num_at(t, 1, p) >= 0.05);
    ET_CHECK(et_table_num_at(t, 2, p) < 0.001);
    ET_CHECK(et_table_num_at(t, 2, lo) < 1.25 && et_table_num_at(t, 2, hi) > 1.25);
    ET_CHECK(strcmp(et_table_text_at(t, 1, v), "same") == 0 && strcmp(et_table_text_at(t, 2, v), "better") == 0 &&
             strcmp(et_table_text_at(t, 3, v), "small") == 0);
    ET_CHECK(fabs(et_table_num_at(t, 2, et_table_col_index(t, "speedup")) - 1.25) < 0.01); /* machines: the number */
    /* accuracy: same inputs right: same; 100 fixed of 2000: better; another set: not paired, said in a note */
    ET_CHECK_MSG(strncmp(cell(t, 1, "accuracy_delta_pp", buf, sizeof buf), "= same, p 1.00", 14) == 0, "%s", buf);
    ET_CHECK_MSG(strcmp(cell(t, 2, "accuracy_delta_pp", buf, sizeof buf), "+5.00 pp, p <0.001") == 0, "%s", buf);
    ET_CHECK(strcmp(et_table_text_at(t, 4, et_table_col_index(t, "accuracy_delta_pp_verdict")), "n/a") == 0);
    bool noted = false;
    for (int i = 0; i < et_table_n_notes(t); i++)
        noted |= strstr(et_table_note(t, i), "different evaluation sets") != NULL;
    ET_CHECK(noted);
    /* McNemar's discordant inputs: run 2 fixed 100 of the baseline's 200 wrong answers and broke none */
    ET_CHECK(et_table_num_at(t, 2, et_table_col_index(t, "accuracy_delta_pp_lost")) == 0);
    ET_CHECK(et_table_num_at(t, 2, et_table_col_index(t, "accuracy_delta_pp_won")) == 100);
    /* energy from the power timelines: same power and latency: same; 20 % less time at the same power: 1.25x
     * less energy, significant; no timeline: not tested, and a note says why */
    ET_CHECK_MSG(strncmp(cell(t, 1, "energy_ratio", buf, sizeof buf), "= same, p ", 10) == 0, "%s", buf);
    ET_CHECK_MSG(strcmp(cell(t, 2, "energy_ratio", buf, sizeof buf), "1.25x less, p <0.001") == 0, "%s", buf);
    int ep = et_table_col_index(t, "energy_ratio_p"), elo = et_table_col_index(t, "energy_ratio_ci_low"),
        ehi = et_table_col_index(t, "energy_ratio_ci_high");
    ET_REQUIRE(ep >= 0 && elo >= 0 && ehi >= 0);
    ET_CHECK(et_table_num_at(t, 2, elo) < 1.25 && et_table_num_at(t, 2, ehi) > 1.25);
    ET_CHECK(strcmp(et_table_text_at(t, 4, et_table_col_index(t, "energy_ratio_verdict")), "n/a") == 0);
    noted = false;
    for (int i = 0; i < et_table_n_notes(t); i++)
        noted |= strstr(et_table_note(t, i), "energy ratio") && strstr(et_table_note(t, i), "no stored power timeline");
    ET_CHECK(noted);
    et_table_free(t);
    /* --min-effect 0.5 %: the 1 % change is called slower */
    et_ab_options o = et_ab_defaults();
    o.min_effect = 0.005;
    ET_REQUIRE(et_db_compare_ex(db, runs, 4, id[0], &o, false, &t, &e) == ET_OK);
    ET_CHECK_MSG(strcmp(cell(t, 3, "speedup", buf, sizeof buf), "1.01x slower, p <0.001") == 0, "%s", buf);
    et_table_free(t);
    for (int i = 0; i < 5; i++)
        et_result_free(&r[i]);
    et_db_close(db);
}

int main(void) {
    et_tmpdir(dir, sizeof dir);
    ET_RUN(test_verdicts);
    et_rmtree(dir);
    return et_test_done();
}
