/* ui.h: the workbench's state, the backend it drives and the views that draw it.
 *
 * The state (et_ui) is plain data: what the worker last published, the knobs the user set, which view and
 * dialog are up, the history rows, marks, the comparison table, scroll positions and the message line. Views are
 * const tables of functions {draw, key, resize}: draw reads the state and writes a canvas; key turns an action
 * (ui/keys.h) into state changes and backend calls and returns what to redraw. Nothing here touches the terminal
 * (ui/term.c) or the thread (src/bench/worker.c): the backend is a table of functions, so tests drive the views
 * with a fake one and compare the canvas with golden screens. ui/app.c is the one loop that owns the terminal,
 * input, signals and the worker's wake-up pipe. */
#ifndef ET_UI_UI_H
#define ET_UI_UI_H

#include <stdbool.h>
#include <stdint.h>

#include "bench/train_worker.h"
#include "bench/worker.h"
#include "db/db.h"
#include "db/table.h"
#include "search/search_worker.h"
#include "record/layer_knobs.h"
#include "record/sensitivity.h"
#include "ui/canvas.h"
#include "ui/field.h"
#include "ui/keys.h"

enum { ET_UI_MIN_W = 80, ET_UI_MIN_H = 24 };

/* What the views ask of the world: the real one (ui/backend.c) runs the worker and reads the database. */
typedef struct et_ui_backend {
    void *ctx;
    void (*set_knobs)(void *ctx, const et_knobs *k);
    void (*remeasure)(void *ctx);
    void (*mark_baseline)(void *ctx);
    /* the stored runs, newest first (*out freed by the caller with free()) */
    et_status (*list_runs)(void *ctx, et_run_summary **out, int *n, et_err *err);
    /* the comparison of runs ids against their default baselines (et_db_compare) */
    et_status (*compare)(void *ctx, const int64_t *ids, int n, et_table **out, et_err *err);
    /* replaces the model: a new session and worker; on failure the old ones keep running */
    et_status (*open_model)(void *ctx, const char *path, et_err *err);
    /* as open_model, for a trained file: measured on the evaluation and calibration sets of the model it was
     * trained from (NULL: open_model) */
    et_status (*open_trained)(void *ctx, const char *path, et_err *err);
    /* training (dialog_train.c): starts the job o on a thread of its own, the backend filling in what the
     * workbench was started with (database, evaluation and calibration sets, input shapes); one job at a time
     * (ET_E_USAGE while one runs). Its snapshots reach et_ui.train through the wake-up pipe (ui/app.c). */
    et_status (*train_start)(void *ctx, et_train_job_options *o, et_err *err);
    /* resumes the last job (cancelled, or aborted by a full disk) from its checkpoint: the same options with
       resume set (train_job.h: the checkpoint must match them; the run records the one it continues). What the
       job refuses before training comes back in err, as for train_start. May be NULL. */
    et_status (*train_resume)(void *ctx, et_err *err);
    /* whether OUT's checkpoint OUT.ckpt exists (et_train_job_checkpoint): resume is offered only then; may be NULL */
    bool (*train_checkpoint)(void *ctx, const char *out_path);
    void (*train_cancel)(void *ctx); /* stop between two steps: checkpoint kept, run stored aborted */
    void (*train_close)(void *ctx);  /* forget a finished job (cancels and waits for one still running) */
    /* the stored sensitivity points of the newest analysis with the knobs, model and host of run `run_id` on the
       evaluation set `eval_hash` (et_db_find_sensitivity; *out freed by the caller; none: NULL, 0); may be NULL */
    et_status (*sensitivity)(void *ctx, int64_t run_id, const char *eval_hash, et_sens_point **out, int *n,
                             et_err *err);
    /* the search view (dialog_search.c): starts `edgetune search` of the open model on a thread of its own (o's
       model, data sets, shapes and database filled in by the backend); one at a time (ET_E_USAGE while one runs).
       Its snapshots reach et_ui.search through the wake-up pipe (ui/app.c). */
    et_status (*search_start)(void *ctx, et_search_worker_options *o, et_err *err);
    void (*search_cancel)(void *ctx); /* stop at the next point: the points so far are stored */
    void (*search_close)(void *ctx);  /* forget a finished search (cancels and waits for one still running) */
    /* writes the finished search's winner as a --layers-config file (as `search -o FILE`) */
    et_status (*search_write)(void *ctx, const char *path, et_err *err);
} et_ui_backend;

/* X(enum, name in the tab bar) in Tab order */
#define ET_VIEW_LIST(X)               \
    X(ET_VIEW_WORKBENCH, "Workbench") \
    X(ET_VIEW_HISTORY, "History")     \
    X(ET_VIEW_LAYERS, "Layers")       \
    X(ET_VIEW_COMPARE, "Compare")
typedef enum {
#define ET_X(e, s) e,
    ET_VIEW_LIST(ET_X)
#undef ET_X
        ET_VIEW_COUNT
} et_view_id;

#define ET_DIALOG_LIST(X)           \
    X(ET_DIALOG_NONE, "")           \
    X(ET_DIALOG_HELP, "Help")       \
    X(ET_DIALOG_OPEN, "Open model") \
    X(ET_DIALOG_EXPORT, "Export")   \
    X(ET_DIALOG_LAYER, "Layer")     \
    X(ET_DIALOG_TRAIN, "Train")     \
    X(ET_DIALOG_SEARCH, "Search")
typedef enum {
#define ET_X(e, s) e,
    ET_DIALOG_LIST(ET_X)
#undef ET_X
        ET_DIALOG_COUNT
} et_dialog_id;

/* What a key handler asks of the loop. */
enum { ET_UI_REDRAW = 1, ET_UI_REPAINT = 2 /* clear and draw everything (Ctrl-L) */, ET_UI_QUIT = 4 };

/* The knob rows of the workbench (values come from the X-macro lists in record/knobs.h). */
#define ET_KNOB_LIST(X)                   \
    X(ET_KNOB_WEIGHT_BITS, "weight bits") \
    X(ET_KNOB_ACT_BITS, "act bits")       \
    X(ET_KNOB_GRANULARITY, "granularity") \
    X(ET_KNOB_SYMMETRIC, "symmetric")     \
    X(ET_KNOB_PRUNE_RATIO, "prune ratio") \
    X(ET_KNOB_PRUNE_METHOD, " method")    \
    X(ET_KNOB_NM, " N:M")                 \
    X(ET_KNOB_THREADS, "threads")         \
    X(ET_KNOB_QUANTIZE_ALL, "first/last") \
    X(ET_KNOB_RECOVER, "recover")         \
    X(ET_KNOB_CALIB_METHOD, "act ranges")
typedef enum {
#define ET_X(e, s) e,
    ET_KNOB_LIST(ET_X)
#undef ET_X
        ET_KNOB_COUNT
} et_knob_id;

typedef struct et_ui {
    const et_ui_backend *be;
    /* environment, fixed at start */
    bool ascii;
    int max_threads;           /* threads knob range 1..max_threads (the CPU's cores) */
    char isa[64];              /* kernel path in use (et_cpu_isa_name) */
    char db_path[ET_PATH_MAX]; /* "" when runs are not stored */
    int w, h;                  /* screen size */

    et_worker_snapshot snap; /* the worker's latest */
    et_knobs knobs;          /* what the user set */
    int knob;                /* selected knob row */
    et_view_id view;
    et_dialog_id dialog;

    /* history */
    et_run_summary *runs;
    int n_runs;
    bool runs_stale;     /* reload before drawing (a run was stored, or the view was entered) */
    int runs_saved_seen; /* snap.runs_saved when the history was last marked stale */
    int64_t baseline_seen;
    char runs_error[ET_ERR_MSG_MAX];
    int *rows; /* indices into runs: filtered and sorted */
    int n_rows;
    int hist_sel, hist_top, hist_left, hist_sort;
    bool hist_desc;
    et_field filter;
    bool filtering; /* the filter field has the keys */
    int64_t *marked;
    int n_marked, cap_marked;

    /* compare */
    et_table *cmp;
    int64_t *cmp_ids; /* the runs in cmp (for export) */
    int n_cmp_ids;
    char cmp_error[ET_ERR_MSG_MAX];
    int cmp_top, cmp_left;

    /* layers */
    int layers_sel, layers_top, layers_left, layers_sort; /* sort 0: plan order, 1: time */
    et_sens_point *sens; /* the stored sensitivity of the current run's setting (owned), for the layers view */
    int n_sens;
    int64_t sens_run;                        /* the run it was looked up for (0: not yet) */
    char layer_name[ET_LAYER_PATTERN_BYTES]; /* the layer dialog's layer (its exact name) */
    int layer_row;                           /* the layer dialog's selected key */

    /* dialogs */
    et_field open_path;
    et_completion completion;
    char dialog_error[ET_ERR_MSG_MAX];
    et_field export_path;
    int export_format; /* et_table_format */
    et_view_id export_from;
    int help_top;

    /* the training dialog: the form, then the job's progress (train_active from start until closed) */
    et_field train_data, train_out, train_student;
    int train_row, train_epochs, train_lr; /* train_lr: index into the dialog's rates (0: the default) */
    int train_fkd;                         /* index into the dialog's feature distillation weights (0: off) */
    bool train_gradual;
    bool train_distill; /* distill the open model (the teacher) into train_student, else fine-tune it */
    bool train_resume;  /* start from the output's checkpoint (offered only when it exists) */
    bool train_active;
    et_train_snapshot train;              /* the job's latest (ui/app.c copies it in) */
    char train_default_data[ET_PATH_MAX]; /* `edgetune tui --data`, "" when not given */
    int64_t train_run_seen;               /* the stored run of the last finished job the history knows about */

    /* the search view: the form, then the search's progress and points (search_active from start until closed) */
    et_field search_cands, search_out;
    int search_row, search_drop, search_objective, search_recover, search_seconds; /* indices into the form's lists */
    bool search_quick; /* the smaller grid and fewer measurements (the form's "grid" row) */
    bool search_active;
    et_search_snapshot search;  /* the search's latest (ui/app.c copies it in) */
    char search_group_seen[48]; /* the stored search the history knows about */

    /* the message line (replaces the footer until the next key) */
    char message[ET_ERR_MSG_MAX];
    bool message_is_error;
    uint64_t worker_message_seq;
} et_ui;

/* Sets up the state for knobs; be is borrowed. (state.c, as are et_ui_free, et_ui_snapshot_changed and
 * et_ui_message; et_ui_key and et_ui_draw are ui.c.) */
void et_ui_init(et_ui *ui, const et_ui_backend *be, const et_knobs *knobs, bool ascii, int max_threads, const char *isa,
                const char *db_path);
void et_ui_free(et_ui *ui);

/* Takes a new worker snapshot (the caller got it with et_worker_snapshot_get): history goes stale when a run
 * was stored, worker messages go to the message line. */
void et_ui_snapshot_changed(et_ui *ui);

/* Takes a new training snapshot (ui->train, copied in by the caller): a finished job's stored run makes the
 * history stale. */
void et_ui_train_changed(et_ui *ui);

/* One key (ui/keys.h codes): the dialog or the field in front gets it first, then the view. Returns ET_UI_*. */
unsigned et_ui_key(et_ui *ui, int key);

/* The whole screen into c (which has the terminal's size): the "terminal too small" notice below 80x24. */
void et_ui_draw(et_ui *ui, et_canvas *c);

/* Shows text on the message line until the next key. */
void et_ui_message(et_ui *ui, bool is_error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- views and dialogs (one file each) ---- */
typedef struct et_footer_item {
    et_action action;
    const char *name; /* NULL: the action's short name (ui/keys.h) */
} et_footer_item;

typedef struct et_view {
    const char *name;
    void (*draw)(const et_ui *ui, et_canvas *c, et_rect area);
    unsigned (*key)(et_ui *ui, et_action a, int key);
    void (*resize)(et_ui *ui, et_rect area); /* keeps scroll positions valid; may be NULL */
    const et_footer_item *footer;            /* the keys the footer shows for this view */
    int n_footer;
} et_view;

extern const et_view et_view_workbench, et_view_history, et_view_layers, et_view_compare;
extern const et_view et_dialog_help, et_dialog_open, et_dialog_export, et_dialog_layer, et_dialog_train,
    et_dialog_search;

/* The layer dialog (dialog_layer.c): whether a layers-view row of operator op takes per-layer knobs (a weight
 * layer), and opening the dialog on the layer `name`. */
bool et_ui_layer_is_editable(const char *op);
void et_ui_layer_edit_open(et_ui *ui, const char *name);

/* Opens the training dialog (dialog_train.c): the form with its defaults the first time (data: `tui --data`,
 * else <model>.train/ when it exists; output: <model name>-trained.onnx in the current folder), or the job in
 * progress. */
void et_ui_train_begin(et_ui *ui);

/* Opens the search view (dialog_search.c): the form with the CLI's defaults the first time (max drop 1 pp,
 * latency, the default candidates, the knobs' recovery), or the search in progress. */
void et_ui_search_begin(et_ui *ui);

/* Takes a new search snapshot (ui->search, copied in by the caller): a finished search's stored runs make the
 * history stale. */
void et_ui_search_changed(et_ui *ui);

/* The knob rows: name, value text, whether it applies to the current knobs, and stepping. */
const char *et_knob_name(et_knob_id k);
void et_knob_value(const et_knobs *k, et_knob_id id, char *buf, size_t len);
bool et_knob_applies(const et_knobs *k, et_knob_id id);
/* Moves knob id one step (dir -1 / +1) within its list; returns false at the end of the list. */
bool et_knob_step(et_knobs *k, et_knob_id id, int dir, int max_threads);

/* History helpers shared by the history, compare and export code. */
void et_ui_history_refresh(et_ui *ui); /* reload runs when stale; re-filter and re-sort */
bool et_ui_is_marked(const et_ui *ui, int64_t id);
void et_ui_compare_marked(et_ui *ui); /* builds ui->cmp from the marks (or the row under the cursor) */
/* The runs table of the history rows: the marked ones when any are marked. NULL with why set when empty. */
et_table *et_ui_history_table(et_ui *ui, char *why, size_t why_len);
/* The table the export dialog writes for a view: the history rows (marked ones when any are marked), the
 * comparison, or the layers of the current run. NULL with *why set when there is nothing to export. */
et_table *et_ui_export_table(et_ui *ui, et_view_id from, char *why, size_t why_len);
et_table *et_ui_layers_table(const et_ui *ui);
/* Looks up the stored sensitivity of the current run's setting when the current run changed (view_layers.c). */
void et_ui_layers_refresh(et_ui *ui);

/* Layout pieces shared by the views (ui/chrome.c). */
void et_ui_draw_header(const et_ui *ui, et_canvas *c, int y);
void et_ui_draw_tabs(const et_ui *ui, et_canvas *c, int y);
void et_ui_draw_footer(const et_ui *ui, et_canvas *c, int y, const et_view *v);
/* A centred dialog box of w x h (clipped to the screen), cleared; returns its inside. */
et_rect et_ui_dialog_frame(et_canvas *c, int w, int h, const char *title);

#endif
