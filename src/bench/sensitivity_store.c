/* sensitivity_store.c: see sensitivity_store.h. */
#include "bench/sensitivity_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void keep_error(et_sens_store *st, const et_err *e) {
    if (!st->error[0])
        snprintf(st->error, sizeof st->error, "%s", e->msg);
}

static void on_base(void *ctx, const et_result *base) {
    et_sens_store *st = ctx;
    if (!st->db)
        return;
    snprintf(st->set.eval_hash, sizeof st->set.eval_hash, "%s", base->fidelity.eval_hash);
    st->set.from_base = st->from_base && base->knobs.recover != ET_RECOVER_NONE; /* as et_sensitivity_run decides */
    et_result row = *base; /* a shallow copy, for the label: saved, never freed */
    snprintf(row.label, sizeof row.label, "%s", st->label);
    et_err e = {0};
    if (et_db_save_run(st->db, &row, &st->base_run, &e) != ET_OK) {
        st->base_run = 0;
        keep_error(st, &e);
        return;
    }
    if (st->reuse && et_db_find_sensitivity(st->db, st->base_run, &st->set, &st->known, &st->n_known, &e) != ET_OK)
        keep_error(st, &e);
    if (st->n_known > 0)
        st->known_run = st->known[0].from_run;
}

static bool known(void *ctx, const char *layer, const char *candidate, et_sens_point *p) {
    et_sens_store *st = ctx;
    for (int i = 0; i < st->n_known; i++) {
        const et_sens_point *k = &st->known[i];
        if (strcmp(k->layer, layer) != 0 || strcmp(k->candidate, candidate) != 0)
            continue;
        double layer_ms = p->layer_ms; /* this analysis's own base profile */
        *p = *k;
        p->layer_ms = layer_ms;
        st->n_reused++;
        return true;
    }
    return false;
}

void et_sens_store_attach(et_sens_store *st, et_db *db, bool reuse, const char *label, et_sens_config *cfg) {
    memset(st, 0, sizeof *st);
    st->db = db;
    st->reuse = reuse;
    snprintf(st->label, sizeof st->label, "%s", label ? label : "sensitivity");
    st->set.eval_half = cfg->eval_half;
    st->set.iters = cfg->iters;
    st->set.saved_rule = ET_SENS_SAVED_RULE;
    st->from_base = cfg->recover_from_base;
    cfg->on_base = on_base;
    cfg->known = known;
    cfg->store_ctx = st;
}

et_status et_sens_store_finish(et_sens_store *st, const et_sens_point *pts, int n, et_err *err) {
    if (!st->db || !st->base_run)
        return ET_OK;
    /* points whose evaluation stopped early hold a bound, not a measurement: not stored */
    et_sens_point *keep = malloc((size_t)(n > 0 ? n : 1) * sizeof *keep);
    if (!keep) { /* nothing stored: a later analysis measures again */
        et_err e = {0};
        et_status s = et_fail(&e, ET_E_NOMEM, "out of memory storing the sensitivity points");
        keep_error(st, &e);
        if (err)
            *err = e;
        return s;
    }
    int n_keep = 0;
    for (int i = 0; i < n; i++)
        if (!pts[i].quality_bound)
            keep[n_keep++] = pts[i];
    et_err e = {0};
    et_status s = et_db_save_sensitivity(st->db, st->base_run, &st->set, keep, n_keep, &e);
    free(keep);
    if (s != ET_OK) {
        keep_error(st, &e);
        if (err)
            *err = e;
    }
    return s;
}

void et_sens_store_free(et_sens_store *st) {
    free(st->known);
    st->known = NULL;
    st->n_known = 0;
}
