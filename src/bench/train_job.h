/* train_job.h: a training run from files to a stored run (README.md, Design: Train), shared by `edgetune
 * finetune`, `edgetune distill` and the workbench's training view:
 *
 *   1. open the model (the teacher) as a session (session.h: evaluation and calibration sets as for bench), the
 *      student (distill: its own file, BatchNorm kept for batch statistics) and the training data (dataset.h: a
 *      folder of .npy files or one batched .npy; labels when present), hashed and held in memory when it fits;
 *   2. the graph to train: finetune derives it with the knobs' pruning (tune.h: masks for unstructured, global and
 *      N:M pruning, small shapes for channel pruning; --schedule gradual starts dense and prunes while training);
 *      quantization knobs become fake quantization (quantization-aware training);
 *   3. accuracy before training: the knobs applied one-shot (what bench measures without training);
 *   4. the run is stored as 'running' with its training record, updated after every epoch;
 *   5. training (src/train/trainer.h), a checkpoint after every epoch at OUT.ckpt;
 *   6. OUT.onnx: the trained model tuned by the knobs, as `save` writes it (QDQ for 8-bit activations, int8 codes
 *      for weight-only quantization, zeros and small shapes for pruning), then measured like a bench run
 *      (latency, deployed memory, fidelity against the fp32 original) and the run finished.
 * Stops: a cancel keeps the checkpoint and marks the run aborted (--resume continues it); a NaN or exploding loss
 * writes OUT.onnx from the last good epoch and marks the run failed with the step and reason; a checkpoint that
 * cannot be written (full disk) marks the run aborted, the previous checkpoint intact. A process killed outright
 * leaves a 'running' row that the next database open marks aborted, and the checkpoint of its last epoch. */
#ifndef ET_BENCH_TRAIN_JOB_H
#define ET_BENCH_TRAIN_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "model/model.h"
#include "record/result.h"
#include "record/train_record.h"
#include "train/optim.h"
#include "train/trainer.h"

struct et_train_job_progress;

typedef struct et_train_job_options {
    et_train_kind kind;
    const char *model_path;   /* finetune: the model to tune and train (its fp32 self is the teacher); distill: the
                                 teacher */
    const char *student_path; /* distill: the student's file (same inputs and outputs as the teacher) */
    et_knobs knobs;           /* threads always; finetune: what to tune; distill: quantization of the student */
    const et_input_shape *shapes;
    int n_shapes;
    const char *data_path;   /* training data (required) */
    const char *labels_path; /* NULL: labels.txt / labels.npy in the data folder when present */
    int64_t data_limit;      /* > 0: a seeded subset of this many training samples */
    const char *eval_path;   /* NULL: <model>.eval/ when present (else no per-epoch evaluation) */
    const char *eval_labels;
    int64_t eval_limit;
    const char *calib_path; /* NULL: <model>.calib/ when present, else the first training samples */
    const char *out_path;   /* the trained file (required); its checkpoint is OUT.ckpt */
    int epochs, batch;
    et_optim_kind optimizer;
    float lr;           /* <= 0: the optimizer's default (SGD 0.01, AdamW 0.001) */
    float min_lr;       /* the cosine's floor */
    float weight_decay; /* < 0: the optimizer's default */
    float clip_norm;    /* 0: no gradient clipping */
    float warmup_frac;
    float temperature, kd_weight;
    float feature_kd; /* > 0: distillation of inner features too, at this weight (train/feature_kd.h); 0: off */
    bool gradual;     /* prune while training (Zhu & Gupta) instead of once before */
    float prune_end;  /* gradual: share of the steps after which the sparsity reaches --prune R; 0: the default,
                         (epochs - 1) / epochs (one epoch: 0.5) */
    bool resume;      /* continue from OUT.ckpt */
    uint64_t seed;
    bool save; /* store the run */
    const char *db_path;
    const char *deploy_exe; /* measure deployed memory with this binary (NULL: not measured) */
    const char *label;
    const volatile int *cancel;
    /* called from the training thread; may be NULL */
    void (*progress)(void *ctx, const struct et_train_job_progress *p);
    void (*note)(void *ctx, const char *line); /* what the user must know: defaults taken, data read, ... */
    void *ctx;
} et_train_job_options;

/* Defaults: finetune, 1 epoch, batch 64, AdamW at its default rate with a 5 % warm-up and a cosine to 0,
 * temperature 2, pure distillation (kd_weight 1), seed 1, one-shot pruning, saving to the default database. */
et_train_job_options et_train_job_options_default(void);

#define ET_TRAIN_JOB_PHASE_LIST(X)                                                           \
    X(ET_JOB_PREPARING, "preparing")     /* reading data, deriving the graph */              \
    X(ET_JOB_BEFORE, "measuring before") /* accuracy of the knobs applied one-shot */        \
    X(ET_JOB_TRAINING, "training")                                                           \
    X(ET_JOB_WRITING, "writing")     /* the trained file */                                  \
    X(ET_JOB_MEASURING, "measuring") /* latency, memory and fidelity of the trained model */ \
    X(ET_JOB_DONE, "done")
typedef enum {
#define ET_X(e, s) e,
    ET_TRAIN_JOB_PHASE_LIST(ET_X)
#undef ET_X
        ET_JOB_PHASE_COUNT
} et_train_job_phase;
const char *et_train_job_phase_name(et_train_job_phase p);

typedef struct et_train_job_progress {
    et_train_job_phase phase;
    const et_train_progress *train; /* while training, else NULL */
    const et_train_record *record;  /* what is known so far (epochs completed, accuracies measured) */
} et_train_job_progress;

typedef struct et_train_job_result {
    et_train_record record; /* owned */
    et_result run;          /* the trained model's measurement (owned); status ok, failed or aborted */
    int64_t run_id;         /* in the database, 0 when not saved */
    char checkpoint_path[ET_PATH_MAX];
    et_tnet_memory memory;     /* the training network's memory */
    int64_t params_trained;    /* trainable values */
    int n_masked, n_quantized; /* layers with pruning masks, layers trained with fake quantization */
} et_train_job_result;

void et_train_job_result_init(et_train_job_result *r);
void et_train_job_result_free(et_train_job_result *r);

/* What et_train_job_run refuses before it reads any data, for the training view to refuse in its form: the
 * options and -o (check_options), --resume without OUT.ckpt, and for distill both files loaded and the student's
 * inputs and outputs against the teacher's (the same number of each, the same number of values in each). ET_OK,
 * or the job's own line (ET_E_USAGE, ET_E_INPUT naming the student and both shapes, ET_E_IO, ...). Distill loads
 * both models: up to a second for a large teacher. */
et_status et_train_job_check(const et_train_job_options *o, et_err *err);

/* OUT's checkpoint path (OUT.ckpt) into buf; returns whether that file exists (what resume continues). */
bool et_train_job_checkpoint(const char *out_path, char *buf, size_t len);

/* Runs the job. ET_OK when training completed and the file was written; ET_E_CANCELLED (run aborted, resume with
 * --resume), ET_E_RUNTIME (stopped on a NaN or explosion: the file holds the last good epoch; or a failure while
 * running), ET_E_IO (a checkpoint could not be written); bad options or files give ET_E_USAGE / ET_E_INPUT /
 * ET_E_IO / ET_E_UNSUPPORTED naming the flag or file, before anything is trained or stored. err says why; the
 * result holds what was done (record, run) in every case. */
et_status et_train_job_run(const et_train_job_options *o, et_train_job_result *res, et_err *err);

#endif
