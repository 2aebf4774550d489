/* search_job.h: what `edgetune search` and the workbench's search view share around et_search_run (search.h):
 *
 *   et_search_sessions_open   the two sessions a search measures on (a plain one, one that times layers), with
 *                             fidelity mode for a model without an evaluation set (top-1 agreement with fp32 over
 *                             the calibration inputs, else over ET_SEARCH_FIDELITY_INPUTS seeded random inputs)
 *   et_search_store           every measured point as a run labelled 'search <UTC time>: <point>'
 *   et_search_write_config    the winner as a --layers-config file
 *
 * The defaults of the uniform grid are here too, so both front ends start from the same search. */
#ifndef ET_SEARCH_SEARCH_JOB_H
#define ET_SEARCH_SEARCH_JOB_H

#include "bench/session.h"
#include "db/db.h"
#include "search/search.h"

#define ET_SEARCH_UNIFORM_BITS "32,8,4"
#define ET_SEARCH_UNIFORM_ACT "32,8"
#define ET_SEARCH_UNIFORM_PRUNE "0,0.25,0.5"
#define ET_SEARCH_UNIFORM_METHODS "unstructured,channel"

/* seeded random inputs of fidelity mode without calibration inputs (8 would make one input 25 pp of a half) */
enum { ET_SEARCH_FIDELITY_INPUTS = 64 };

typedef struct et_search_sessions {
    et_session *s;         /* every measured point (owned) */
    et_session *prof;      /* the sensitivity, with the per-layer profile (owned) */
    char fidelity[512];    /* fidelity mode: what the quality is measured on ("" with an evaluation set) */
    char calib_path[4096]; /* fidelity mode on the calibration inputs: their path */
} et_search_sessions;

/* Opens both sessions on so (its model, inputs and data sets; profile_layers and n_random_eval are set here).
 * With no evaluation set (so->eval_dir NULL and none beside the model), the quality is top-1 agreement with fp32
 * over the calibration inputs (so->calib_dir, or MODEL.calib/), else over ET_SEARCH_FIDELITY_INPUTS seeded random
 * inputs; out->fidelity says which (recover: recovery calibrates on the same inputs). Errors of
 * et_session_open; out is then closed. */
et_status et_search_sessions_open(const et_session_options *so, bool recover, et_search_sessions *out, et_err *err);
void et_search_sessions_close(et_search_sessions *ss);

/* Stores every measured point of res as a run labelled '<group>: <point>' ('<group>: winner (<name>)' for the
 * winner; group "search <UTC time>", written into group); ids[i] the run of point i (0: not measured), ids has
 * res->n_pts entries. The first failure stops and is returned (the points stored before stay). */
et_status et_search_store(et_db *db, et_search_result *res, char *group, size_t group_len, int64_t *ids, et_err *err);

/* Writes the point w as a --layers-config file at path (through path.tmp and a rename): its per-layer overrides,
 * with the model-wide knobs and what was measured (against the reference ref) in comments. ET_E_IO naming the
 * file when it cannot be written. */
et_status et_search_write_config(const char *path, const char *model, const et_search_point *w,
                                 const et_search_point *ref, et_err *err);

#endif
