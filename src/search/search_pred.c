/* search_pred.c: see search_pred.h. */
#include "search/search_pred.h"

#include <math.h>
#include <stdio.h>

void et_search_pred_paired(et_search_result *res) {
    for (int i = 0; i < res->n_pts; i++) {
        et_search_point *p = &res->pts[i];
        if (p->kind != ET_SP_FINALIST)
            continue;
        int f = p->pred_from;
        const et_search_point *fp = f >= 0 && f < res->n_pts && f != i ? &res->pts[f] : NULL;
        p->pred_paired_ms = fp && !isnan(p->paired_p50_ms) ? fp->paired_p50_ms - p->pred_saved_ms : NAN;
    }
}

bool et_search_pred_latency(const et_search_result *res, int i, et_search_pred_check *out) {
    *out = (et_search_pred_check){NAN, NAN, NAN, false};
    if (i < 0 || i >= res->n_pts)
        return false;
    const et_search_point *p = &res->pts[i];
    if (p->kind != ET_SP_FINALIST || !p->measured)
        return false;
    if (!isnan(p->pred_paired_ms) && !isnan(p->paired_p50_ms) && p->paired_p50_ms > 0.0) {
        out->pred_ms = p->pred_paired_ms, out->meas_ms = p->paired_p50_ms, out->paired = true;
    } else if (!isnan(p->pred_p50_ms) && p->r.latency.p50_ms > 0.0) {
        out->pred_ms = p->pred_p50_ms, out->meas_ms = p->r.latency.p50_ms;
    } else {
        return false;
    }
    out->err_pct = 100.0 * (out->pred_ms - out->meas_ms) / out->meas_ms;
    return true;
}

et_search_pred_summary et_search_pred_summarize(const et_search_result *res, double tol_pct) {
    et_search_pred_summary s = {.tol_pct = tol_pct, .max_abs = NAN, .mean_abs = NAN};
    double sum = 0.0;
    for (int i = 0; i < res->n_pts; i++) {
        et_search_pred_check c;
        if (!et_search_pred_latency(res, i, &c))
            continue;
        double a = fabs(c.err_pct);
        s.n_known++;
        s.n_within += a <= tol_pct;
        s.n_paired += c.paired;
        sum += a;
        s.max_abs = isnan(s.max_abs) || a > s.max_abs ? a : s.max_abs;
    }
    if (s.n_known > 0)
        s.mean_abs = sum / s.n_known;
    return s;
}

const char *et_search_pred_say(const et_search_pred_summary *s, char *buf, size_t len) {
    if (s->n_known == 0) {
        snprintf(buf, len, "no latency prediction to check (no finalist measured with its start point)");
        return buf;
    }
    char basis[96];
    if (s->n_paired == s->n_known)
        snprintf(basis, sizeof basis, "the paired p50");
    else if (s->n_paired == 0)
        snprintf(basis, sizeof basis, "the fastest of the rounds, not paired");
    else
        snprintf(basis, sizeof basis, "the paired p50 for %d, the fastest of the rounds for %d", s->n_paired,
                 s->n_known - s->n_paired);
    snprintf(
        buf, len,
        "predicted p50 within %.0f %% of measured: %d of %d finalists (mean |error| %.1f %%, largest %.1f %%; measured: %s)",
        s->tol_pct, s->n_within, s->n_known, s->mean_abs, s->max_abs, basis);
    return buf;
}
