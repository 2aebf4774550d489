/* trainer.h: the training loop: epochs of shuffled mini-batches through a network (train.h) against a teacher
 * (teacher.h), with the optimizer and schedule of optim.h, gradual pruning (train_prune.h), calibration of
 * fake-quantized activations, evaluation after each epoch, a checkpoint after each epoch (checkpoint.h), and
 * the stops that keep a run safe:
 *   - cancel (Ctrl-C): a checkpoint of the current step is written, status ET_E_CANCELLED;
 *   - a loss or gradient that is NaN or infinite, or a loss that explodes (above max_loss_factor x the mean of
 *     the first 10 steps, and above 10): training stops, the weights of the last completed epoch (or the
 *     initial ones) are put back, status ET_E_RUNTIME and why says at which step and why;
 *   - a checkpoint that cannot be written (full disk, permissions): status ET_E_IO naming the path; the
 *     previous checkpoint file is intact (written to a temporary file and renamed).
 * Data comes through sources (callbacks), so the loop knows nothing of files: src/bench/train_job.c reads the
 * data sets.
 *
 * Determinism: the order of samples is a seeded permutation per epoch, so a run resumed from a checkpoint (at an
 * epoch's end or in its middle) sees the same batches as one that was never stopped. */
#ifndef ET_TRAIN_TRAINER_H
#define ET_TRAIN_TRAINER_H

#include <stdbool.h>
#include <stdint.h>

#include "record/train_record.h"
#include "train/feature_kd.h"
#include "train/loss.h"
#include "train/optim.h"
#include "train/teacher.h"
#include "train/train.h"
#include "train/train_prune.h"

enum { ET_TRAIN_MAX_EPOCHS = 1000 };

typedef struct et_train_source {
    int64_t n; /* samples */
    /* Reads sample `index` into dst[i] (one array per network input, et_tnet_input_numel floats each). */
    et_status (*read)(void *ctx, int64_t index, float *const *dst, et_err *err);
    /* The label of sample `index`, or -1. NULL: no labels. */
    int64_t (*label)(void *ctx, int64_t index);
    void *ctx;
} et_train_source;

/* What one epoch did: record/train_record.h's et_train_epoch (the database stores it as it is). */
typedef et_train_epoch et_epoch_record;

/* Where a run stands: filled by et_train_run, written to and read from checkpoints. */
typedef struct et_train_state {
    int epochs_done;
    int64_t step_in_epoch; /* batches done of epoch epochs_done + 1 (a checkpoint in the middle of one) */
    int64_t global_step;
    double first_loss; /* mean of the first 10 steps' losses (the explosion rule), 0 before */
    /* the current epoch's running sums (so that an epoch resumed in its middle reports its whole mean) */
    double sum_loss, sum_kd, sum_ce, sum_seconds;
    int64_t sum_samples, sum_agree, sum_correct, sum_labelled;
    int n_history;
    et_epoch_record history[ET_TRAIN_MAX_EPOCHS];
    /* the stored run that trained to this state (its uuid; "" when none): a checkpoint carries it, so that a run
     * resumed from it records where it came from. Set by the caller; the trainer leaves it alone. */
    char run_uuid[ET_UUID_LEN + 1];
} et_train_state;

typedef enum { ET_TRAIN_CALIBRATING, ET_TRAIN_TRAINING, ET_TRAIN_EVALUATING, ET_TRAIN_CHECKPOINT } et_train_phase;

typedef struct et_train_progress {
    et_train_phase phase;
    int epoch, epochs; /* epoch in progress, 1-based */
    int64_t step_in_epoch, steps_per_epoch, global_step, total_steps;
    double loss; /* running mean over the epoch so far */
    double lr, samples_per_s, eta_s, sparsity;
    const et_train_state *state; /* history of the completed epochs */
} et_train_progress;

typedef struct et_train_config {
    int epochs, batch;
    et_optim_config optim;
    float lr, min_lr;
    float warmup_frac; /* share of all steps spent warming up (0.05) */
    et_loss_config loss;
    uint64_t seed; /* the order of samples */
    /* gradual pruning (Zhu & Gupta): prunable[i] per parameter; the window ends after prune_end_frac of the
     * steps; NULL prunable: no gradual pruning */
    const bool *prunable;
    float prune_target;
    bool prune_global;
    const float *prune_shares; /* per parameter: its final sparsity (et_prune_erk); NULL: prune_target in each */
    bool prune_compensate;     /* with prune_shares: each step's kept weights make up for what it removes
                                  (et_prune_compensate, on the last batch's activations) */
    et_prune_comp_stats *prune_comp_stats; /* NULL, or where compensation adds up its errors (caller's) */
    float prune_end_frac;
    /* NULL, or distillation of inner features too (feature_kd.h; the caller's): its loss is added to each step's */
    et_feature_kd *feature_kd;
    /* quantization-aware training with 8-bit activations: ranges calibrated before each epoch on up to this
     * many samples of `calib` (or of the training data when calib is NULL) */
    int64_t calib_samples;
    double max_loss_factor;      /* explosion rule (default 100) */
    const char *checkpoint_path; /* NULL: none */
    const char *checkpoint_tag;  /* what the checkpoint must match on resume (model, knobs, data, settings) */
    const volatile int *cancel;
    void (*progress)(void *ctx, const et_train_progress *p);
    void *progress_ctx;
    double progress_every_s; /* at most this often during an epoch (0: after every step) */
} et_train_config;

et_train_config et_train_config_default(void);

typedef struct et_train_outcome {
    char why[320];     /* a stop's reason, "" when training completed */
    int64_t stop_step; /* the step it stopped at (global, 1-based), 0 when it completed */
} et_train_outcome;

/* Trains net (whose inputs the sources fill) from `state` (zeroed: from the start; else as read from a
 * checkpoint, with opt's state) for cfg->epochs epochs. eval and calib may be NULL. ET_OK when every epoch ran;
 * ET_E_CANCELLED, ET_E_RUNTIME (NaN or explosion) and ET_E_IO (checkpoint) as above, with out->why; other
 * errors (a source failing to read, ET_E_NOMEM) with err naming the cause. */
et_status et_train_run(et_tnet *net, et_optim *opt, et_teacher *teacher, const et_train_source *train,
                       const et_train_source *eval, const et_train_source *calib, const et_train_config *cfg,
                       et_train_state *state, et_train_outcome *out, et_err *err);

/* Evaluation of net (evaluation mode) on a source: top-1 accuracy on its labels and agreement with the teacher
 * (teacher set 1). Either may be < 0 when not measurable. */
et_status et_train_evaluate(et_tnet *net, et_teacher *teacher, const et_train_source *src, const volatile int *cancel,
                            double *acc, double *agree, et_err *err);

#endif
