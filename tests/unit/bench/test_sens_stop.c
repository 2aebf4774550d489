/* test_sens_stop.c: a sensitivity point's evaluation stopped early (et_session_fidelity_until, et_sens_config
 * stop_drop_pp), on fmnist_resnet with 101 labelled evaluation inputs. The stopped pass is the full pass's start
 * (same per-input records), stops right after the miss that passes max_miss, and has no hash; a pass that never
 * passes it equals the full one. In an analysis, a point stops only when its full quality is more than stop_drop_pp
 * below the base's: its quality is then an upper bound of the full one, and every point that did not stop has
 * exactly the full quality. Stopped points are not stored: a later analysis measures them, and takes the others. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/sensitivity_store.h"
#include "et_test.h"

static et_session *open_session(bool layers) {
    static char model[512];
    snprintf(model, sizeof model, "%s/fixtures/models/fmnist_resnet.onnx", et_test_source_dir());
    et_session_options so = {.model_path = model, .eval_limit = 101, .profile_layers = layers};
    et_session *s = NULL;
    et_err err = {0};
    if (et_session_open(&so, &s, &err) != ET_OK) {
        fprintf(stderr, "open: %s\n", err.msg);
        return NULL;
    }
    return s;
}

static void test_fidelity_until(void) {
    et_session *s = open_session(false);
    ET_REQUIRE(s);
    et_knobs k = et_knobs_default();
    k.weight_bits = 2; /* far enough from fp32 that some inputs miss their label */
    et_err err = {0};
    ET_REQUIRE(et_session_configure(s, &k, &err) == ET_OK);
    et_result full, part;
    et_result_init(&full), et_result_init(&part);
    ET_REQUIRE(et_session_fidelity_part(s, 0, 2, NULL, &full.fidelity, &err) == ET_OK);
    const et_fidelity_info *f = &full.fidelity;
    ET_REQUIRE(f->n_per_input == 51 && f->correct);
    ET_CHECK(!f->stopped);
    int misses = 0, third = -1; /* the position (in the half) of the third miss */
    for (int j = 0; j < f->n_per_input; j++)
        if (!f->correct[j] && ++misses == 3)
            third = j;
    ET_CHECK_MSG(third >= 0 && third < 50, "%d misses, the third at %d", misses, third);
    ET_REQUIRE(third >= 0 && third < 50);
    /* more than 2 misses: stops after the third */
    ET_REQUIRE(et_session_fidelity_until(s, 0, 2, 2, NULL, &part.fidelity, &err) == ET_OK);
    const et_fidelity_info *p = &part.fidelity;
    ET_CHECK(p->stopped);
    ET_CHECK_INT(p->n_inputs, third + 1);
    ET_CHECK_INT(p->n_per_input, third + 1);
    ET_CHECK(p->eval_hash[0] == '\0');
    for (int j = 0; j < p->n_per_input; j++) {
        ET_CHECK_INT(p->top1[j], f->top1[j]);
        ET_CHECK_INT(p->correct[j], f->correct[j]);
    }
    /* a limit it never passes: the full pass */
    ET_REQUIRE(et_session_fidelity_until(s, 0, 2, misses, NULL, &part.fidelity, &err) == ET_OK);
    ET_CHECK(!p->stopped);
    ET_CHECK_INT(p->n_inputs, 51);
    ET_CHECK(strcmp(p->eval_hash, f->eval_hash) == 0);
    ET_CHECK_NEAR(p->accuracy, f->accuracy, 0.0);
    et_result_free(&full), et_result_free(&part);
    et_session_free(s);
}

/* A bench run that screens every 2nd input of the even half (et_bench_config.eval_thin, a search's screening):
 * positions 0, 4, ..., 100 of 101, each the same record as in the half's pass. */
static void test_thinned_bench(void) {
    et_session *s = open_session(false);
    ET_REQUIRE(s);
    et_knobs k = et_knobs_default();
    k.weight_bits = 2;
    et_err err = {0};
    ET_REQUIRE(et_session_configure(s, &k, &err) == ET_OK);
    et_result half, thin;
    et_result_init(&half), et_result_init(&thin);
    ET_REQUIRE(et_session_fidelity_part(s, 0, 2, NULL, &half.fidelity, &err) == ET_OK);
    et_bench_config bc = et_bench_config_default();
    bc.iters = 1, bc.warmup = 0, bc.profilers = false;
    bc.eval_half = 0, bc.eval_thin = 2;
    ET_REQUIRE(et_bench_run(s, &bc, &thin, &err) == ET_OK);
    const et_fidelity_info *h = &half.fidelity, *t = &thin.fidelity;
    ET_CHECK_INT(t->eval_first, 0);
    ET_CHECK_INT(t->eval_step, 4);
    ET_REQUIRE(t->n_per_input == 26 && t->correct);
    for (int j = 0; j < t->n_per_input; j++)
        ET_CHECK_INT(t->top1[j], h->top1[2 * j]);
    bool acc = false;
    ET_CHECK(!isnan(et_sens_quality(&thin, 0, NULL, &acc)) && acc);
    et_result_free(&half), et_result_free(&thin);
    et_session_free(s);
}

/* One analysis of fmnist_resnet at w8 weight-only, candidates bits=2 and bits=3, stopping at stop_pp (0: never);
 * with db (may be NULL) its points stored there, and those an earlier analysis stored taken. */
static et_status analyse(double stop_pp, et_db *db, et_sens_base *b, et_sens_point **pts, int *n) {
    et_session *s = open_session(true);
    if (!s)
        return ET_E_IO;
    et_knobs k = et_knobs_default();
    k.weight_bits = 8;
    char cand[ET_SENS_MAX_CANDIDATES][ET_SENS_CAND_BYTES];
    int n_cand = 0;
    et_err err = {0};
    et_status st = et_sens_parse_candidates("bits=2;bits=3", cand, &n_cand, &err);
    et_sens_config cfg = et_sens_config_default();
    cfg.iters = 2, cfg.warmup = 0;
    cfg.stop_drop_pp = stop_pp;
    et_sens_store store;
    et_sens_store_attach(&store, db, true, "test", &cfg);
    if (st == ET_OK)
        st = et_sensitivity_run(s, &k, cand, n_cand, &cfg, b, pts, n, &err);
    if (st == ET_OK && et_sens_store_finish(&store, *pts, *n, &err) != ET_OK)
        fprintf(stderr, "store: %s\n", err.msg);
    et_sens_store_free(&store);
    if (st != ET_OK)
        fprintf(stderr, "sensitivity: %s\n", err.msg);
    et_session_free(s);
    return st;
}

static void test_stopped_points(void) {
    et_sens_base bf, bs;
    et_sens_point *full = NULL, *stop = NULL;
    int nf = 0, ns = 0;
    const double STOP_PP = 5.0;
    char path[128];
    snprintf(path, sizeof path, "/tmp/et_sens_stop_test_%d.db", (int)getpid());
    et_db *db = NULL;
    et_err err = {0};
    ET_REQUIRE(et_db_open(path, ET_DB_WRITE, &db, &err) == ET_OK);
    et_sens_base bl;
    et_sens_point *later = NULL;
    int nl = 0;
    ET_REQUIRE(analyse(0.0, NULL, &bf, &full, &nf) == ET_OK);
    ET_REQUIRE(analyse(STOP_PP, db, &bs, &stop, &ns) == ET_OK);
    /* the same analysis again without the stop takes the stored points: the stopped ones were not stored */
    ET_REQUIRE(analyse(0.0, db, &bl, &later, &nl) == ET_OK);
    et_db_close(db);
    ET_REQUIRE(nl == nf);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", path, path, path);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", path);
    ET_REQUIRE(nf == ns && nf > 0);
    ET_CHECK_NEAR(bs.quality, bf.quality, 0.0);
    int n_bound = 0, n_exact = 0;
    for (int i = 0; i < nf; i++) {
        ET_REQUIRE(full[i].measured && stop[i].measured);
        ET_CHECK(!full[i].quality_bound);
        ET_CHECK_MSG((later[i].from_run != 0) == !stop[i].quality_bound, "%s %s: from run %lld, bound %d",
                     later[i].layer, later[i].candidate, (long long)later[i].from_run, (int)stop[i].quality_bound);
        ET_CHECK(!later[i].quality_bound);
        if (stop[i].quality_bound) {
            n_bound++;
            /* a bound above the full quality, and beyond the stop */
            ET_CHECK_MSG(stop[i].quality >= full[i].quality, "%s %s: bound %.4f, full %.4f", stop[i].layer,
                         stop[i].candidate, stop[i].quality, full[i].quality);
            ET_CHECK_MSG(stop[i].quality_delta_pp < -STOP_PP, "%s: %.2f pp", stop[i].layer, stop[i].quality_delta_pp);
        } else {
            n_exact++;
            ET_CHECK_NEAR(stop[i].quality, full[i].quality, 0.0);
        }
        /* beyond the stop means stopped (or passed only on the last input, so evaluated in full) */
        if (full[i].quality_delta_pp < -STOP_PP - 1e-9)
            ET_CHECK_MSG(stop[i].quality_bound || stop[i].quality == full[i].quality, "%s %s: %.2f pp, not stopped",
                         full[i].layer, full[i].candidate, full[i].quality_delta_pp);
    }
    ET_CHECK_MSG(n_bound > 0 && n_exact > 0, "%d stopped, %d not", n_bound, n_exact);
    free(full), free(stop), free(later);
}

int main(void) {
    ET_RUN(test_fidelity_until);
    ET_RUN(test_thinned_bench);
    ET_RUN(test_stopped_points);
    return et_test_done();
}
