/* test_sens_store.c: stored sensitivity points (db/sens_store.c): saved under a base run and read back field by
 * field by a later analysis of the same model, host and knobs on the same evaluation set, half and iterations
 * (only the measured points; the newest analysis wins; a point taken from an earlier run keeps naming it); never
 * found for other threads, knobs, iterations, halves or evaluation sets; gone with their run. */
#include <math.h>

#include "db/db_internal.h"
#include "db_test_util.h"
#include "et_test.h"
#include "fake_runs.h"

static char dir[512];

static et_sens_point point(const char *layer, const char *cand, double delta, bool measured) {
    et_sens_point p = {.measured = measured,
                       .quality = 0.9 + delta / 100.0,
                       .quality_delta_pp = delta,
                       .time_saved_ms = 0.0125,
                       .layer_ms = 0.05,
                       .p50_ms = 1.25,
                       .bytes_saved = 4096};
    snprintf(p.layer, sizeof p.layer, "%s", layer);
    snprintf(p.candidate, sizeof p.candidate, "%s", cand);
    snprintf(p.exec, sizeof p.exec, "native");
    if (!measured) {
        snprintf(p.error, sizeof p.error, "layer '%s': not yet", layer);
        p.quality = p.quality_delta_pp = p.time_saved_ms = p.p50_ms = NAN;
    }
    return p;
}

/* Saves r again as a new run (the uuid of seed); returns its id (0 after a failed check). */
static int64_t save_like(et_db *db, et_result *r, uint64_t seed) {
    et_fake_uuid(seed, r->uuid);
    int64_t id = 0;
    et_err e = {0};
    ET_CHECK_MSG(et_db_save_run(db, r, &id, &e) == ET_OK, "%s", e.msg);
    return id;
}

static void find(et_db *db, int64_t base, const et_db_sens_set *set, et_sens_point **pts, int *n) {
    et_err e = {0};
    free(*pts);
    ET_REQUIRE(et_db_find_sensitivity(db, base, set, pts, n, &e) == ET_OK);
}

static void test_save_find(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/s.db", dir);
    et_db *db = NULL;
    et_err e = {0};
    ET_REQUIRE(et_db_open(path, ET_DB_WRITE, &db, &e) == ET_OK);
    et_result r;
    et_result_init(&r);
    et_fake_result(&r, 3, NULL);
    int64_t first = save_like(db, &r, 101);
    et_sens_point pts[3] = {point("/a/Conv", "bits=4", -0.25, true), point("/a/Conv", "prune=0.5", -3.5, true),
                            point("/b/Conv", "bits=4", NAN, false)};
    et_db_sens_set set = {.eval_hash = "00112233aabbccdd", .eval_half = 0, .iters = 20};
    ET_CHECK(et_db_save_sensitivity(db, first, &set, pts, 3, &e) == ET_OK);

    /* a later analysis of the same setting finds the measured points, as saved, naming the first run */
    int64_t second = save_like(db, &r, 102);
    et_sens_point *got = NULL;
    int n = 0;
    find(db, second, &set, &got, &n);
    ET_REQUIRE(n == 2);
    ET_CHECK_STR(got[0].layer, "/a/Conv");
    ET_CHECK_STR(got[1].candidate, "prune=0.5");
    ET_CHECK(got[0].measured && got[0].quality_delta_pp == -0.25 && got[1].quality_delta_pp == -3.5);
    ET_CHECK(got[0].time_saved_ms == 0.0125 && got[0].bytes_saved == 4096 && got[0].p50_ms == 1.25);
    ET_CHECK_STR(got[0].exec, "native");
    ET_CHECK(got[0].from_run == first && got[1].from_run == first);

    /* another half, iteration count or evaluation set: nothing */
    et_db_sens_set other = set;
    other.eval_half = 1;
    find(db, second, &other, &got, &n);
    ET_CHECK_INT(n, 0);
    other = set, other.iters = 10;
    find(db, second, &other, &got, &n);
    ET_CHECK_INT(n, 0);
    other = set, snprintf(other.eval_hash, sizeof other.eval_hash, "ffffffffffffffff");
    find(db, second, &other, &got, &n);
    ET_CHECK_INT(n, 0);
    ET_CHECK(got == NULL);
    /* points whose time saved was counted by another rule (record/sensitivity.h ET_SENS_SAVED_RULE): nothing,
       both ways; the same rule again finds them */
    other = set, other.saved_rule = 1;
    find(db, second, &other, &got, &n);
    ET_CHECK_INT(n, 0);
    int64_t ruled = save_like(db, &r, 107);
    ET_CHECK(et_db_save_sensitivity(db, ruled, &other, pts, 1, &e) == ET_OK);
    int64_t ruled2 = save_like(db, &r, 108);
    find(db, ruled2, &other, &got, &n);
    ET_CHECK_INT(n, 1);
    other.saved_rule = 2;
    find(db, ruled2, &other, &got, &n);
    ET_CHECK_INT(n, 0);
    /* points recovered from the base's recovery (an approximation) and fully recovered ones: never each other's */
    other = set, other.from_base = true;
    find(db, second, &other, &got, &n);
    ET_CHECK_INT(n, 0);
    int64_t rb = save_like(db, &r, 109);
    ET_CHECK(et_db_save_sensitivity(db, rb, &other, pts, 1, &e) == ET_OK);
    int64_t rb2 = save_like(db, &r, 110);
    find(db, rb2, &other, &got, &n);
    ET_CHECK_INT(n, 1);
    find(db, rb2, &set, &got, &n);
    ET_CHECK(n == 2 && got[0].from_run == first); /* the full points, not the base-recovered one */

    /* other threads or other knobs: nothing */
    r.knobs.threads += 1;
    int64_t threads = save_like(db, &r, 103);
    find(db, threads, &set, &got, &n);
    ET_CHECK_INT(n, 0);
    r.knobs.threads -= 1;
    snprintf(r.knobs.layers, sizeof r.knobs.layers, "/a/Conv bits=4");
    int64_t layers = save_like(db, &r, 104);
    find(db, layers, &set, &got, &n);
    ET_CHECK_INT(n, 0);
    r.knobs.layers[0] = '\0';

    /* the second analysis stores its points, one taken from the first: the newest wins, and a taken point keeps
       naming the run that measured it */
    et_sens_point again[2] = {pts[0], point("/a/Conv", "prune=0.5", -3.0, true)};
    again[0].from_run = first;
    ET_CHECK(et_db_save_sensitivity(db, second, &set, again, 2, &e) == ET_OK);
    int64_t third = save_like(db, &r, 105);
    find(db, third, &set, &got, &n);
    ET_REQUIRE(n == 2);
    ET_CHECK(got[0].from_run == first);
    ET_CHECK(got[1].from_run == second && got[1].quality_delta_pp == -3.0);

    /* import into another database (whose ids differ): the points follow their runs, from_run mapped */
    char path2[600];
    snprintf(path2, sizeof path2, "%s/t.db", dir);
    et_db *db2 = NULL;
    ET_REQUIRE(et_db_open(path2, ET_DB_WRITE, &db2, &e) == ET_OK);
    et_result o;
    et_result_init(&o);
    et_fake_result(&o, 9, NULL);
    int64_t unrelated = save_like(db2, &o, 201);
    (void)unrelated;
    et_import_stats is;
    ET_REQUIRE(et_db_import(db2, path, &is, &e) == ET_OK);
    char uuid[ET_UUID_LEN + 1];
    int64_t first2 = 0, second2 = 0;
    et_fake_uuid(101, uuid);
    ET_REQUIRE(et_db_find_run(db2, uuid, &first2, &e) == ET_OK);
    et_fake_uuid(102, uuid);
    ET_REQUIRE(et_db_find_run(db2, uuid, &second2, &e) == ET_OK);
    ET_CHECK(first2 != first || second2 != second);
    int64_t fourth = save_like(db2, &r, 106);
    find(db2, fourth, &set, &got, &n);
    ET_REQUIRE(n == 2);
    ET_CHECK(got[0].from_run == first2 && got[1].from_run == second2);
    et_result_free(&o);
    et_db_close(db2);

    /* gone with their run */
    ET_CHECK(et_db_delete_run(db, second, &e) == ET_OK);
    find(db, third, &set, &got, &n);
    ET_REQUIRE(n == 2);
    ET_CHECK(got[1].from_run == first && got[1].quality_delta_pp == -3.5);
    free(got);
    et_result_free(&r);
    et_db_close(db);
}

int main(void) {
    et_tmpdir(dir, sizeof dir);
    ET_RUN(test_save_find);
    et_rmtree(dir);
    return et_test_done();
}
