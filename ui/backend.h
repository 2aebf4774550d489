/* backend.h: the et_ui_backend the program uses (worker + database); tests use fakes instead. */
#ifndef ET_UI_BACKEND_H
#define ET_UI_BACKEND_H

#include "bench/train_worker.h"
#include "search/search_worker.h"
#include "ui/ui.h"

typedef struct et_backend {
    et_ui_backend ops; /* what the views call; ctx points back here */
    et_worker *worker;
    et_db *db; /* the UI thread's connection (NULL when runs are not stored); owned by the caller */
    et_worker_options wopt;
    char db_path[ET_PATH_MAX];
    et_knobs knobs; /* the latest knobs posted (a newly opened model starts with them) */
    /* the data sets of the model being trained: the workbench's --eval, --labels, --eval-limit and --calib, else
     * MODEL.eval/ and MODEL.calib/ beside it (resolved when set, so that the trained file, opened from the
     * training view, is measured on the same sets), and the --shape list (borrowed). Another model opened with
     * `o` clears them: it gets the sets beside it. */
    bool have_sets;
    char eval_dir[ET_PATH_MAX], labels_path[ET_PATH_MAX], calib_dir[ET_PATH_MAX];
    int64_t eval_limit;
    const et_input_shape *shapes;
    int n_shapes;
    et_train_worker *train;   /* the training job, NULL when none */
    et_search_worker *search; /* the search, NULL when none */
} et_backend;

/* Keeps the data sets of session options so (the model the workbench was started on) for training. */
void et_backend_keep_sets(et_backend *b, const et_session_options *so);

/* Starts the worker on session s (owned from here on) with knobs k. b->db must be set before (or NULL). */
et_status et_backend_start(et_backend *b, et_session *s, const et_knobs *k, const et_worker_options *wopt, et_err *err);
/* Stops the worker (the measurement in flight is stored as aborted), a training job (cancelled: its checkpoint
 * stays, its run is stored aborted) and a search (cancelled: the points measured so far are stored). */
void et_backend_stop(et_backend *b);

#endif
