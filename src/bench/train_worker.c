/* train_worker.c: the training job on its own thread (train_worker.h, util/job_thread.h). The thread runs
 * et_train_job_run once; its progress and note callbacks copy what they are given into the published snapshot
 * under the mutex, and the UI copies that snapshot out. The options' strings live in the worker, so the caller's may go away. */
#include "bench/train_worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/job_thread.h"

enum { MAX_SHAPES = 16 };

struct et_train_worker {
    et_train_job_options o;
    /* copies of the options' strings */
    char model[ET_PATH_MAX], student[ET_PATH_MAX], data[ET_PATH_MAX], labels[ET_PATH_MAX], eval[ET_PATH_MAX],
        eval_labels[ET_PATH_MAX], calib[ET_PATH_MAX], out[ET_PATH_MAX], db[ET_PATH_MAX], deploy[ET_PATH_MAX],
        label[ET_NAME_MAX];
    et_input_shape shapes[MAX_SHAPES];
    char shape_names[MAX_SHAPES][ET_NAME_MAX];
    et_job_thread jt;
    et_train_snapshot pub; /* under jt's mutex */
};

void et_train_snapshot_init(et_train_snapshot *s) {
    memset(s, 0, sizeof *s);
    et_train_record_init(&s->record);
}

void et_train_snapshot_free(et_train_snapshot *s) {
    et_train_record_free(&s->record);
    et_train_snapshot_init(s);
}

/* The record without its epochs, then the epochs appended one by one (et_train_record owns its array). */
static bool copy_record(et_train_record *dst, const et_train_record *src) {
    et_train_record_free(dst);
    *dst = *src;
    dst->epoch = NULL;
    dst->n_epochs = 0;
    for (int e = 0; e < src->n_epochs; e++)
        if (!et_train_record_add_epoch(dst, &src->epoch[e]))
            return false;
    return true;
}

bool et_train_snapshot_copy(et_train_snapshot *dst, const et_train_snapshot *src) {
    et_train_record keep = dst->record;
    *dst = *src;
    dst->record = keep;
    return copy_record(&dst->record, &src->record);
}

static void copy_snapshot(void *dst, const void *src) { et_train_snapshot_copy(dst, src); }

/* Called on the training thread by the job. */
static void on_progress(void *ctx, const et_train_job_progress *p) {
    et_train_worker *w = ctx;
    et_job_thread_lock(&w->jt);
    et_train_snapshot *s = &w->pub;
    s->phase = p->phase;
    s->training = p->train != NULL;
    if (p->train) {
        const et_train_progress *t = p->train;
        s->epoch = t->epoch, s->epochs = t->epochs;
        s->step_in_epoch = t->step_in_epoch, s->steps_per_epoch = t->steps_per_epoch;
        s->global_step = t->global_step, s->total_steps = t->total_steps;
        s->loss = t->loss, s->samples_per_s = t->samples_per_s, s->eta_s = t->eta_s;
    }
    if (p->record)
        copy_record(&s->record, p->record); /* out of memory: fewer epochs shown, training goes on */
    s->elapsed_s = et_job_thread_elapsed_s(&w->jt);
    et_job_thread_publish(&w->jt, &s->seq);
}

static void on_note(void *ctx, const char *line) {
    et_train_worker *w = ctx;
    et_job_thread_lock(&w->jt);
    snprintf(w->pub.note, sizeof w->pub.note, "%s", line);
    et_job_thread_publish(&w->jt, &w->pub.seq);
}

static void *thread_main(void *arg) {
    et_train_worker *w = arg;
    et_train_job_result res;
    et_train_job_result_init(&res);
    et_err err = {0};
    et_status st = et_train_job_run(&w->o, &res, &err);
    et_job_thread_lock(&w->jt);
    et_train_snapshot *s = &w->pub;
    copy_record(&s->record, &res.record);
    s->finished = true;
    s->training = false;
    s->phase = ET_JOB_DONE;
    s->status = st;
    snprintf(s->error, sizeof s->error, "%s", st == ET_OK ? "" : err.msg);
    s->run_id = res.run_id;
    s->elapsed_s = et_job_thread_elapsed_s(&w->jt);
    if (res.checkpoint_path[0])
        snprintf(s->checkpoint_path, sizeof s->checkpoint_path, "%s", res.checkpoint_path);
    et_job_thread_publish(&w->jt, &s->seq);
    et_train_job_result_free(&res);
    return NULL;
}

/* *dst = a copy of src in buf (NULL stays NULL). */
static void keep(const char **dst, const char *src, char *buf, size_t len) {
    if (!src) {
        *dst = NULL;
        return;
    }
    snprintf(buf, len, "%s", src);
    *dst = buf;
}

static void copy_options(et_train_worker *w, const et_train_job_options *o) {
    w->o = *o;
    keep(&w->o.model_path, o->model_path, w->model, sizeof w->model);
    keep(&w->o.student_path, o->student_path, w->student, sizeof w->student);
    keep(&w->o.data_path, o->data_path, w->data, sizeof w->data);
    keep(&w->o.labels_path, o->labels_path, w->labels, sizeof w->labels);
    keep(&w->o.eval_path, o->eval_path, w->eval, sizeof w->eval);
    keep(&w->o.eval_labels, o->eval_labels, w->eval_labels, sizeof w->eval_labels);
    keep(&w->o.calib_path, o->calib_path, w->calib, sizeof w->calib);
    keep(&w->o.out_path, o->out_path, w->out, sizeof w->out);
    keep(&w->o.db_path, o->db_path, w->db, sizeof w->db);
    keep(&w->o.deploy_exe, o->deploy_exe, w->deploy, sizeof w->deploy);
    keep(&w->o.label, o->label, w->label, sizeof w->label);
    w->o.n_shapes = o->n_shapes < MAX_SHAPES ? o->n_shapes : MAX_SHAPES;
    for (int i = 0; i < w->o.n_shapes; i++) {
        w->shapes[i] = o->shapes[i];
        keep(&w->shapes[i].name, o->shapes[i].name, w->shape_names[i], sizeof w->shape_names[i]);
    }
    w->o.shapes = w->o.n_shapes ? w->shapes : NULL;
    w->o.cancel = &w->jt.cancel;
    w->o.progress = on_progress;
    w->o.note = on_note;
    w->o.ctx = w;
}

et_status et_train_worker_start(const et_train_job_options *o, int wake_fd, et_train_worker **out, et_err *err) {
    *out = NULL;
    et_train_worker *w = calloc(1, sizeof *w);
    if (!w)
        return et_fail(err, ET_E_NOMEM, "out of memory starting the training");
    copy_options(w, o);
    et_train_snapshot_init(&w->pub);
    w->pub.epochs = o->epochs;
    w->pub.kind = o->kind;
    w->pub.gradual = o->gradual;
    w->pub.resume = o->resume;
    snprintf(w->pub.out_path, sizeof w->pub.out_path, "%s", o->out_path ? o->out_path : "");
    snprintf(w->pub.model_path, sizeof w->pub.model_path, "%s", o->model_path ? o->model_path : "");
    snprintf(w->pub.student_path, sizeof w->pub.student_path, "%s", o->student_path ? o->student_path : "");
    et_train_job_checkpoint(w->pub.out_path, w->pub.checkpoint_path, sizeof w->pub.checkpoint_path);
    w->pub.seq = 1;
    int rc = et_job_thread_start(&w->jt, wake_fd, 't', thread_main, w);
    if (rc != 0) {
        et_train_snapshot_free(&w->pub);
        free(w);
        return et_fail(err, ET_E_RUNTIME, "cannot start the training thread: %s", strerror(rc));
    }
    *out = w;
    return ET_OK;
}

const et_train_job_options *et_train_worker_options(const et_train_worker *w) { return w ? &w->o : NULL; }

bool et_train_worker_snapshot(et_train_worker *w, et_train_snapshot *s) {
    return w && et_job_thread_take(&w->jt, s->seq, &w->pub.seq, copy_snapshot, s, &w->pub);
}

void et_train_worker_cancel(et_train_worker *w) {
    if (w)
        et_job_thread_cancel(&w->jt, &w->pub.cancel_asked, &w->pub.seq);
}

void et_train_worker_free(et_train_worker *w) {
    if (!w)
        return;
    et_job_thread_join(&w->jt);
    et_train_snapshot_free(&w->pub);
    free(w);
}
