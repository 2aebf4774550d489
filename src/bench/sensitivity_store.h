/* sensitivity_store.h: a sensitivity analysis (bench/sensitivity.h) kept in the run database and reusing what an
 * earlier one measured. et_sens_store_attach hooks a store into an et_sens_config: when the base is measured it
 * is stored as a run (labelled as given) and, with reuse, the newest earlier analysis of the same model, host,
 * knobs, evaluation set (hash and half) and iterations is found; each point it measured is then taken instead of
 * measured again (et_sens_point.from_run names its run). et_sens_store_finish stores every point under the new
 * base run. Database problems never stop the analysis: the first one is kept in `error` and storing stops. The
 * CLI's `sensitivity` and the search use it. */
#ifndef ET_BENCH_SENSITIVITY_STORE_H
#define ET_BENCH_SENSITIVITY_STORE_H

#include "bench/sensitivity.h"
#include "db/db.h"

typedef struct et_sens_store {
    et_db *db;        /* borrowed; NULL: nothing stored or reused */
    bool reuse;       /* take points of an earlier analysis */
    char label[64];   /* the base run's label */
    int64_t base_run; /* the stored base run (0 until stored, or when storing failed) */
    bool from_base;   /* the config's recover_from_base, as attached */
    et_db_sens_set set;
    et_sens_point *known; /* owned: the earlier analysis's measured points */
    int n_known;
    int64_t known_run;          /* the earlier analysis's base run (0: none found) */
    int n_reused;               /* points taken from it */
    char error[ET_ERR_MSG_MAX]; /* "" or the first database problem */
} et_sens_store;

/* Sets st up (db may be NULL) and points cfg's on_base, known and store_ctx at it; cfg's eval_half, iters and
 * recover_from_base must be final. st must outlive the analysis. */
void et_sens_store_attach(et_sens_store *st, et_db *db, bool reuse, const char *label, et_sens_config *cfg);

/* Stores the n points under the base run (nothing without a db or a stored base). ET_OK, or the database's error
 * (also kept in st->error). */
et_status et_sens_store_finish(et_sens_store *st, const et_sens_point *pts, int n, et_err *err);

void et_sens_store_free(et_sens_store *st);

#endif
