/* search_job.c: the sessions, the stored runs and the -o file of a search (search_job.h), for both front ends. */
#include "search/search_job.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "search/search_pred.h"

static et_status open_one(const et_session_options *base, bool layers, int n_random_eval, const char *eval,
                          et_session **s, et_err *err) {
    et_session_options so = *base;
    so.profile_layers = layers;
    so.n_random_eval = n_random_eval;
    so.eval_dir = eval;
    return et_session_open(&so, s, err);
}

void et_search_sessions_close(et_search_sessions *ss) {
    et_session_free(ss->prof);
    et_session_free(ss->s);
    ss->prof = ss->s = NULL;
}

et_status et_search_sessions_open(const et_session_options *so, bool recover, et_search_sessions *out, et_err *err) {
    memset(out, 0, sizeof *out);
    const char *eval = so->eval_dir;
    int n_random = 0;
    et_status st = open_one(so, false, 0, eval, &out->s, err);
    if (st == ET_OK && !so->eval_dir && strcmp(et_session_eval_source(out->s), "seeded random inputs") == 0) {
        /* fidelity mode: no evaluation set */
        const char *calib = et_session_calib_source(out->s);
        bool have_calib = strcmp(calib, "seeded random inputs") != 0;
        const char *model = so->model_path ? so->model_path : "";
        if (have_calib && !so->calib_dir) { /* MODEL.calib/: the session found it next to the model */
            size_t n = strlen(model);
            if (n > 5 && strcmp(model + n - 5, ".onnx") == 0)
                n -= 5;
            snprintf(out->calib_path, sizeof out->calib_path, "%.*s.calib", (int)n, model);
            have_calib = access(out->calib_path, R_OK) == 0;
        } else if (have_calib) {
            snprintf(out->calib_path, sizeof out->calib_path, "%s", so->calib_dir);
        }
        if (have_calib) {
            eval = out->calib_path;
            snprintf(out->fidelity, sizeof out->fidelity,
                     "no evaluation set (--eval or MODEL.eval/): fidelity mode, top-1 agreement with fp32 over the "
                     "calibration inputs %s, split even/odd%s",
                     out->calib_path, recover ? " (recovery calibrates on the same inputs)" : "");
        } else {
            n_random = ET_SEARCH_FIDELITY_INPUTS;
            snprintf(
                out->fidelity, sizeof out->fidelity,
                "no evaluation set (--eval or MODEL.eval/) nor calibration inputs: fidelity mode, top-1 "
                "agreement with fp32 over %d seeded random inputs, split even/odd (noise, not images: agreement on "
                "them says little about an image model's accuracy; give --calib a folder of preprocessed "
                "inputs)",
                ET_SEARCH_FIDELITY_INPUTS);
        }
        et_session_free(out->s);
        out->s = NULL;
        st = open_one(so, false, n_random, eval, &out->s, err);
    }
    if (st == ET_OK)
        st = open_one(so, true, n_random, eval, &out->prof, err);
    if (st != ET_OK)
        et_search_sessions_close(out);
    return st;
}

et_status et_search_store(et_db *db, et_search_result *res, char *group, size_t group_len, int64_t *ids, et_err *err) {
    time_t now = time(NULL);
    struct tm tmv;
    strftime(group, group_len, "search %Y%m%dT%H%M%S", gmtime_r(&now, &tmv));
    for (int i = 0; i < res->n_pts; i++) {
        et_search_point *p = &res->pts[i];
        ids[i] = 0;
        if (!p->measured)
            continue;
        snprintf(p->r.label, sizeof p->r.label, "%s: %s%s", group,
                 p->kind == ET_SP_UNIFORM ? "uniform "
                 : p->kind == ET_SP_BASE  ? "base "
                                          : "",
                 p->name);
        if (i == res->winner)
            snprintf(p->r.label, sizeof p->r.label, "%s: winner (%s)", group, p->name);
        et_search_pred_check chk; /* the latency prediction as checked: paired when both sides were */
        if (p->kind == ET_SP_FINALIST && p->pred_from >= 0 && et_search_pred_latency(res, i, &chk)) {
            size_t len = strlen(p->r.engine.notes); /* stored with the run */
            if (len + 1 < sizeof p->r.engine.notes)
                snprintf(p->r.engine.notes + len, sizeof p->r.engine.notes - len,
                         "%ssearch predicted p50 %.4f ms (%+.1f %% of its %s p50 %.4f ms), size %.1f KiB, drop %.2f pp "
                         "(from '%s' as measured)",
                         len ? "; " : "", chk.pred_ms, chk.err_pct, chk.paired ? "paired" : "measured", chk.meas_ms,
                         (double)p->pred_bytes / 1024.0, 100.0 * (res->pts[0].q_search - p->pred_q_search),
                         res->pts[p->pred_from].name);
        }
        et_status st = et_db_save_run(db, &p->r, &ids[i], err);
        if (st != ET_OK)
            return st;
    }
    return ET_OK;
}

et_status et_search_write_config(const char *path, const char *model, const et_search_point *w,
                                 const et_search_point *ref, et_err *err) {
    char tmp[4096 + 8], desc[512];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return et_fail(err, ET_E_IO, "cannot write %s; give a path in a writable folder", path);
    fprintf(f, "# edgetune search of %s: the winner (%s)\n", model, w->name);
    fprintf(f, "# model-wide knobs: %s\n", et_knobs_describe(&w->k, desc, sizeof desc));
    fprintf(f, "# measured: p50 %.4f ms, weights %.1f KiB, drop %.2f pp (search half), %.2f pp (held-out half)\n",
            w->r.latency.p50_ms, (double)w->bytes / 1024.0, 100.0 * (ref->q_search - w->q_search),
            100.0 * (ref->q_heldout - w->q_heldout));
    fprintf(f, "%s\n", w->k.layers);
    bool ok = !ferror(f);
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return et_fail(err, ET_E_IO, "cannot write %s; give a path in a writable folder", path);
    }
    return ET_OK;
}
