/* size_model.c: exact weight bytes of a configuration by a cheap tune (size_model.h). */
#include "search/size_model.h"

#include <stdlib.h>
#include <string.h>

#include "util/fnv.h"

void et_size_model_init(et_size_model *m, const et_graph *pristine, const et_calib_set *calib, et_size_knobs_fn fn,
                        void *ctx) {
    memset(m, 0, sizeof *m);
    m->g = pristine;
    if (calib)
        m->calib = *calib;
    if (m->calib.n_sets > 1)
        m->calib.n_sets = 1;
    m->knobs = fn;
    m->ctx = ctx;
}

/* FNV-1a over the whole knobs' bytes. Padding that differs between two copies of equal knobs only costs a tune
 * (a miss); a hit needs equal bytes (or a 64-bit collision). */
static uint64_t knobs_hash(const et_knobs *k) { return et_fnv64(ET_FNV64_INIT, k, sizeof *k); }

et_status et_size_bytes(et_size_model *m, const et_knobs *k, int64_t *bytes, et_err *err) {
    *bytes = -1;
    uint64_t h = knobs_hash(k);
    int n = m->n_seen < ET_SIZE_SEEN ? m->n_seen : ET_SIZE_SEEN;
    for (int i = 0; i < n; i++)
        if (m->seen_hash[i] == h) {
            *bytes = m->seen_bytes[i];
            m->n_hits++;
            return ET_OK;
        }
    et_knobs *plain = malloc(sizeof *plain);
    et_tune_report *rep = malloc(sizeof *rep);
    if (!plain || !rep) {
        free(plain), free(rep);
        return et_fail(err, ET_E_NOMEM, "out of memory");
    }
    *plain = *k;
    plain->recover = ET_RECOVER_NONE; /* values only: the per-layer overrides hold no recover= (not a candidate) */
    et_tune_options o = et_tune_options_default();
    o.speed_guard = false;
    et_graph *g = NULL;
    et_status rc = et_tune_apply_ex(m->g, plain, &m->calib, &o, &g, rep, err);
    if (rc == ET_OK) {
        *bytes = rep->weights_deploy_bytes;
        m->seen_hash[m->n_seen % ET_SIZE_SEEN] = h;
        m->seen_bytes[m->n_seen % ET_SIZE_SEEN] = *bytes;
        m->n_seen++;
    }
    m->n_probes++;
    et_graph_free(g);
    free(plain), free(rep);
    return rc;
}

et_status et_size_set_bytes(et_size_model *m, const int *set, int64_t *bytes, et_err *err) {
    *bytes = -1;
    if (!m->knobs)
        return et_fail(err, ET_E_USAGE, "size model: no way to write per-layer settings as knobs");
    et_knobs *k = malloc(sizeof *k);
    if (!k)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    et_status rc = m->knobs(m->ctx, set, k, err);
    if (rc == ET_OK)
        rc = et_size_bytes(m, k, bytes, err);
    free(k);
    return rc;
}

et_status et_size_gains(et_size_model *m, const int *set, int L, const int *n_opt, int max_opt, bool against_base,
                        double *gain, et_err *err) {
    int *s = malloc(((size_t)L + 1) * sizeof *s);
    if (!s)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    memcpy(s, set, (size_t)L * sizeof *s);
    et_status rc = ET_OK;
    for (int l = 0; l < L && rc == ET_OK; l++) {
        if (n_opt[l] < 2) { /* nothing to choose: no tune */
            gain[(size_t)l * (size_t)max_opt] = 0.0;
            continue;
        }
        int ref = against_base ? 0 : set[l];
        int64_t b_ref = -1;
        s[l] = ref;
        rc = et_size_set_bytes(m, s, &b_ref, err);
        for (int o = 0; o < n_opt[l] && rc == ET_OK; o++) {
            int64_t b = b_ref;
            s[l] = o;
            if (o != ref)
                rc = et_size_set_bytes(m, s, &b, err);
            gain[(size_t)l * (size_t)max_opt + (size_t)o] = (double)(b_ref - b);
        }
        s[l] = set[l];
    }
    free(s);
    return rc;
}
