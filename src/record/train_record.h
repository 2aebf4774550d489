/* train_record.h: what a training run did, beside the measurement of its result (result.h): the data set, the
 * settings, the loss and accuracy of every epoch, the time, and the lineage (parent model, student, output
 * file). The training loop (src/train/trainer.c) fills the epochs, the job (src/bench/train_job.c) the rest, the
 * database (db/train_store.c) stores it with the run, and `show`, `runs` and the workbench read it.
 *
 * Plain data: fixed-size fields and one heap array of epochs, owned and freed by et_train_record_free. Fractions
 * are 0..1 and < 0 when not measured. */
#ifndef ET_RECORD_TRAIN_RECORD_H
#define ET_RECORD_TRAIN_RECORD_H

#include <stdint.h>

#include "record/result.h"

/* X(enum, name stored and shown) */
#define ET_TRAIN_KIND_LIST(X) X(ET_TRAIN_FINETUNE, "finetune") X(ET_TRAIN_DISTILL, "distill")
typedef enum {
#define ET_X(e, s) e,
    ET_TRAIN_KIND_LIST(ET_X)
#undef ET_X
        ET_TRAIN_KIND_COUNT
} et_train_kind;
const char *et_train_kind_name(et_train_kind k);
int et_train_kind_parse(const char *s);

/* One epoch. */
typedef struct et_train_epoch {
    int epoch; /* 1-based */
    int64_t steps, samples;
    double loss, kd, ce;         /* means over the epoch's samples; kd is the distillation term, ce the labels' */
    double train_agree;          /* top-1 agreement with the teacher on the training batches (training mode) */
    double train_acc;            /* top-1 accuracy on the training labels */
    double eval_agree, eval_acc; /* on the evaluation set after the epoch (evaluation mode, fake quantization on) */
    double lr;                   /* at the epoch's last step */
    double sparsity;             /* of the prunable weights at the epoch's end */
    double seconds;              /* training steps only */
    double samples_per_s;
} et_train_epoch;

typedef struct et_train_record {
    et_train_kind kind;
    char parent_path[ET_PATH_MAX]; /* finetune: the model tuned; distill: the teacher */
    char parent_sha256[65];
    char student_path[ET_PATH_MAX]; /* distill: the student's initial file ("" for finetune) */
    char student_sha256[65];
    char output_path[ET_PATH_MAX]; /* the trained file ("" while training, or when none was written) */
    char output_sha256[65];
    char data_path[ET_PATH_MAX];
    char data_sha256[65]; /* of the samples' bytes in the order trained on (file-name order) */
    int64_t data_samples;
    bool data_labels; /* labels were used (cross-entropy) */
    char eval_source[ET_PATH_MAX];
    char resumed_from[ET_UUID_LEN + 1]; /* the run whose checkpoint this one continued, "" when none */
    char settings[ET_WHY_MAX];          /* "adamw lr 0.001 wd 0.01, batch 64, T 2, kd 1, warm-up 5%, seed 1" */
    char schedule[32];                  /* "oneshot" or "gradual" (pruning) */
    int epochs;                         /* asked for */
    int batch;
    double seconds;                         /* wall time of the whole job */
    double acc_fp32, acc_before, acc_after; /* evaluation accuracy: fp32 original, tuned untrained, tuned trained */
    double agree_before, agree_after;       /* top-1 agreement with the fp32 original, same models */
    char stop_why[ET_WHY_MAX];              /* why training stopped early, "" when it completed */
    int n_epochs;                           /* completed */
    et_train_epoch *epoch;                  /* owned */
} et_train_record;

void et_train_record_init(et_train_record *t);
void et_train_record_free(et_train_record *t);
/* Appends an epoch (copying it); false on out-of-memory. */
bool et_train_record_add_epoch(et_train_record *t, const et_train_epoch *e);

#endif
