/* app.h: the workbench as a program: `edgetune [tui] [MODEL]` calls et_app_run (src/cli/cmd_tui.c). */
#ifndef ET_UI_APP_H
#define ET_UI_APP_H

#include <stdbool.h>

#include "bench/session.h"
#include "bench/worker.h"
#include "record/knobs.h"

typedef struct et_app_options {
    et_session_options session; /* the model and its inputs (profile_layers is switched on) */
    et_knobs knobs;             /* where the knobs start */
    et_worker_options worker;   /* measurement settings; save and db_path say where runs go */
    bool no_color;              /* --no-color */
    bool ascii;                 /* --ascii */
    const char *train_data;     /* --data: the training view's data (NULL: <model>.train/ when it exists) */
} et_app_options;

/* Opens the model and the database (errors before the screen is taken over: one line on stderr, exit 2), then
 * runs the workbench until q, SIGINT, SIGTERM or SIGHUP. Returns the exit code: 0 after q or Ctrl-C (SIGINT),
 * 1 after SIGTERM or SIGHUP or a failure while running, 2 for bad input (model, database, terminal). Every way
 * out restores the terminal and stops the worker, which stores the measurement in flight as aborted. */
int et_app_run(const et_app_options *o);

#endif
