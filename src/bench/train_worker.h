/* train_worker.h: a training job (train_job.h) on a thread of its own, for the workbench's training view. The
 * job is the one `edgetune finetune` runs (same options, same stored run, same files); this only moves it off
 * the UI thread and turns its progress callbacks into snapshots the UI copies, as worker.h does for
 * measurements:
 *
 *   et_train_worker_start     copies the options (every string), starts the thread, returns at once
 *   et_train_worker_snapshot  the latest progress: phase, epoch and step, loss, samples/s, time left, the
 *                             epochs completed (loss, accuracy), and at the end the outcome and the accuracies
 *   et_train_worker_cancel    asks the job to stop between two steps (checkpoint kept, run stored aborted)
 *   et_train_worker_options   the job's options, for resuming it (the same options with resume set)
 *   et_train_worker_free      cancels when still running, joins, frees
 *
 * After each published change the thread writes one byte to wake_fd (non-blocking), so the UI sleeps in poll().
 * The thread starts with every signal blocked: SIGINT and the rest reach the UI thread only. The thread, mutex,
 * wake-up and cancel flag are util/job_thread.h's, as for the search view's worker. */
#ifndef ET_BENCH_TRAIN_WORKER_H
#define ET_BENCH_TRAIN_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "bench/train_job.h"

/* What the view shows. Plain data but for record.epoch (owned: free with et_train_snapshot_free). */
typedef struct et_train_snapshot {
    uint64_t seq; /* changes with every publish; 0: nothing published yet */
    et_train_job_phase phase;
    bool training;      /* the fields below hold a step of training */
    bool finished;      /* the job returned: status, error and run_id hold its outcome */
    bool cancel_asked;  /* et_train_worker_cancel was called */
    et_train_kind kind; /* finetune or distill, as started */
    bool gradual;       /* pruning while training */
    bool resume;        /* started from the checkpoint (the record's resumed_from names the run that wrote it) */
    int epoch, epochs;  /* epoch in progress (1-based) of epochs */
    int64_t step_in_epoch, steps_per_epoch, global_step, total_steps;
    double loss;                /* running mean over the epoch so far */
    double samples_per_s;       /* training throughput */
    double eta_s;               /* training time left (s) */
    double elapsed_s;           /* since the job started */
    et_train_record record;     /* epochs completed, data set, accuracies measured so far (fp32, before, after) */
    et_status status;           /* when finished: ET_OK, ET_E_CANCELLED, ET_E_RUNTIME, ... (train_job.h) */
    char error[ET_ERR_MSG_MAX]; /* when finished with an error: why */
    char note[ET_ERR_MSG_MAX];  /* the job's last note ("wrote OUT.onnx: ..."), "" when none */
    int64_t run_id;             /* the stored run, 0 when not stored */
    char out_path[ET_PATH_MAX];
    char checkpoint_path[ET_PATH_MAX];
    char model_path[ET_PATH_MAX];   /* finetune: the model; distill: the teacher */
    char student_path[ET_PATH_MAX]; /* distill: the student's file, else "" */
} et_train_snapshot;

void et_train_snapshot_init(et_train_snapshot *s);
void et_train_snapshot_free(et_train_snapshot *s);
/* Deep copy of src into *dst (which holds a previous copy or was initialised); false when out of memory (dst
 * then holds src without its epochs). */
bool et_train_snapshot_copy(et_train_snapshot *dst, const et_train_snapshot *src);

typedef struct et_train_worker et_train_worker;

/* Starts the job o (its strings are copied; o->cancel, progress, note and ctx are the worker's own and ignored).
 * ET_E_NOMEM / ET_E_RUNTIME when the thread cannot start; problems with the options and files come back in the
 * snapshot (finished, status, error), as `finetune` reports them. */
et_status et_train_worker_start(const et_train_job_options *o, int wake_fd, et_train_worker **out, et_err *err);

/* The options the job runs with (the worker's copies; valid until et_train_worker_free). NULL w: NULL. The
 * workbench resumes a cancelled job from these with resume set. */
const et_train_job_options *et_train_worker_options(const et_train_worker *w);

/* Copies the latest snapshot into *s when it changed since s->seq; returns whether it did. */
bool et_train_worker_snapshot(et_train_worker *w, et_train_snapshot *s);

/* Asks the job to stop between two steps. */
void et_train_worker_cancel(et_train_worker *w);

/* Cancels a job still running, waits for it (its run is stored as aborted), frees. NULL is fine. */
void et_train_worker_free(et_train_worker *w);

#endif
