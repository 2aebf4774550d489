/* state.c: the workbench state (et_ui): its lifetime, the message line, and what a new worker snapshot changes.
 * Views, dialogs and ui.c's dispatch all call it; it calls none of them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui.h"

void et_ui_init(et_ui *ui, const et_ui_backend *be, const et_knobs *knobs, bool ascii, int max_threads, const char *isa,
                const char *db_path) {
    memset(ui, 0, sizeof *ui);
    ui->be = be;
    ui->knobs = *knobs;
    ui->ascii = ascii;
    ui->max_threads = max_threads > 0 ? max_threads : 1;
    if (ui->knobs.threads > ui->max_threads)
        ui->max_threads = ui->knobs.threads;
    snprintf(ui->isa, sizeof ui->isa, "%s", isa ? isa : "?");
    snprintf(ui->db_path, sizeof ui->db_path, "%s", db_path ? db_path : "");
    et_worker_snapshot_init(&ui->snap);
    ui->snap.knobs = *knobs;
    ui->runs_stale = true;
    ui->hist_desc = true;
    ui->export_format = ET_TABLE_CSV;
    ui->layers_sort = 1;
    ui->train_epochs = 1;
    et_train_snapshot_init(&ui->train);
    ui->search_drop = 2;    /* 1 pp, the CLI's example */
    ui->search_seconds = 2; /* 0.25 s, the CLI's default */
    ui->search.winner = ui->search.best_uniform = -1;
}

void et_ui_free(et_ui *ui) {
    et_worker_snapshot_free(&ui->snap);
    free(ui->runs);
    free(ui->rows);
    free(ui->marked);
    free(ui->cmp_ids);
    et_table_free(ui->cmp);
    et_train_snapshot_free(&ui->train);
    free(ui->sens);
    memset(ui, 0, sizeof *ui);
}

void et_ui_message(et_ui *ui, bool is_error, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ui->message, sizeof ui->message, fmt, ap);
    va_end(ap);
    ui->message_is_error = is_error;
}

void et_ui_snapshot_changed(et_ui *ui) {
    if (ui->snap.message_seq != ui->worker_message_seq) {
        ui->worker_message_seq = ui->snap.message_seq;
        if (ui->snap.message[0])
            et_ui_message(ui, false, "%s", ui->snap.message);
    }
    if (ui->snap.runs_saved != ui->runs_saved_seen || ui->snap.baseline_run_id != ui->baseline_seen) {
        ui->runs_saved_seen = ui->snap.runs_saved;
        ui->baseline_seen = ui->snap.baseline_run_id;
        ui->runs_stale = true; /* a run was stored or marked: the history reloads when shown */
    }
}

void et_ui_train_changed(et_ui *ui) {
    if (ui->train.finished && ui->train.run_id > 0 && ui->train.run_id != ui->train_run_seen) {
        ui->train_run_seen = ui->train.run_id;
        ui->runs_stale = true; /* the training run was stored: the history reloads when shown */
    }
}

void et_ui_search_changed(et_ui *ui) {
    if (ui->search.finished && ui->search.group[0] && strcmp(ui->search.group, ui->search_group_seen) != 0) {
        snprintf(ui->search_group_seen, sizeof ui->search_group_seen, "%s", ui->search.group);
        ui->runs_stale = true; /* the search's points were stored: the history reloads when shown */
    }
}
