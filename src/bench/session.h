/* session.h: one model open for measurement: the pristine graph, the inputs, the evaluation set, and the plan
 * for the current knobs. Both front ends (CLI and workbench) work through a session, so they measure the same
 * way.
 *
 * Inputs: --input files, or seeded random data (the same every time). Given inputs that planning needs as
 * values (a Reshape's shape given as a graph input, ...) are bound as constants (et_model_load_given); the notes
 * say which. Evaluation set (fidelity): --eval PATH (a folder of .npy files or one batched .npy, dataset.h), else
 * the folder <model>.eval/ next to the model when present, else 8 seeded random inputs; it streams from disk, any
 * size. Labels (labels.txt or labels.npy in the folder, or --labels FILE) enable accuracy. Calibration: --calib
 * PATH, else <model>.calib/, else seeded random inputs; held in memory (at most 1024 samples and 256 MiB: a larger
 * set is used through a seeded subset, which its source names). A data set feeds the model's only input (or the
 * only one not given with --input); its samples' shape fixes that input's dynamic dims unless --shape does, and
 * must agree with --shape when both are given.
 *
 * A session is used by one thread at a time. */
#ifndef ET_BENCH_SESSION_H
#define ET_BENCH_SESSION_H

#include "engine/plan.h"
#include "model/model.h"
#include "record/result.h"
#include "tune/tune.h"

typedef struct et_session_input_file {
    const char *name; /* NULL: the model's only input */
    const char *path;
} et_session_input_file;

typedef struct et_session_options {
    const char *model_path;
    const et_input_shape *shapes;
    int n_shapes;
    const et_session_input_file *inputs;
    int n_inputs;
    const char *eval_dir;    /* a folder or .npy file; NULL: <model>.eval/ when present, else seeded random inputs */
    const char *calib_dir;   /* a folder or .npy file; NULL: <model>.calib/ when present, else seeded random inputs */
    const char *labels_path; /* NULL: labels.txt or labels.npy in the evaluation folder */
    int64_t eval_limit;      /* > 0: a seeded subset of this many evaluation samples */
    int n_random_eval;       /* > 0: this many seeded random evaluation inputs when there is no set (default 8) */
    bool profile_layers;     /* time each plan step (per-layer profile) */
} et_session_options;

typedef struct et_session et_session;

/* Loads the model and the input files. Errors name the file or flag (exit 2 for bad input). */
et_status et_session_open(const et_session_options *opt, et_session **out, et_err *err);
void et_session_free(et_session *s);

const et_model *et_session_model(const et_session *s);

/* Derives the tuned graph and its plan for knobs (reused when the knobs equal the current ones). The time this
 * took is in et_session_prepare_ms. ET_E_CANCELLED when the cancel flag of et_session_set_progress became
 * non-zero during long work (recovery); the session is then unconfigured. */
et_status et_session_configure(et_session *s, const et_knobs *k, et_err *err);

/* Progress of configure's long work (recovery: layer i of n, time left), called on the configuring thread, and a
 * flag that cancels it between layers (any may be NULL). Borrowed: they must outlive the configures. */
void et_session_set_progress(et_session *s, et_tune_progress_fn fn, void *ctx, const volatile int *cancel);
double et_session_prepare_ms(const et_session *s);
/* A sensitivity analysis's base knobs (et_tune_options.recover_base; NULL: none, the default): points then recover
 * from the base's record. Either change leaves the session unconfigured, so that the base records and no point's
 * graph outlives the analysis. */
void et_session_set_recover_base(et_session *s, const et_knobs *base);
/* The same from another graph than the model's (a trained copy of it, with the model's inputs and outputs): the
 * knobs' quantization is applied to it, not their pruning (its weights come pruned; channel-pruned shapes are
 * in its graph), nothing is cached, and the session's fp32 baseline stays the model's own, so fidelity compares
 * the trained model with the original. `start` must outlive the configuration (tuned graphs borrow from it).
 * The next et_session_configure derives from the model again. */
et_status et_session_configure_from(et_session *s, const et_graph *start, const et_knobs *k, et_err *err);
const et_tune_report *et_session_tune_report(const et_session *s);
et_plan *et_session_plan(et_session *s);
/* The tuned graph of the current configuration (NULL before et_session_configure); owned by the session. */
const et_graph *et_session_tuned(const et_session *s);
const et_knobs *et_session_knobs(const et_session *s);
/* What the user must know about how the given inputs were taken (inputs bound as constants), or "". */
const char *et_session_notes(const et_session *s);
/* Evaluation samples used per fidelity pass, and where they come from ("DIR: 3000 samples, labels from
 * labels.txt", "seeded random inputs"); the calibration set's source likewise. */
int64_t et_session_eval_count(const et_session *s);
const char *et_session_eval_source(const et_session *s);
const char *et_session_calib_source(const et_session *s);
/* The calibration set tune reads (borrowed from the session: valid until it is freed), e.g. for recovery. */
et_calib_set et_session_calib(const et_session *s);

/* Hands the current configuration's plan (loaded with the session's inputs) and its tuned graph to the caller, who
 * runs the plan with et_plan_run and frees both (et_plan_free, then et_graph_free) before the session: the graph
 * borrows the model's weights. The session is then unconfigured. Both NULL when it was not configured. Sensitivity
 * keeps the base's plan this way, to time it beside each point's without preparing it again. */
void et_session_detach(et_session *s, et_plan **plan, et_graph **tuned);

/* Writes the session's inputs into the plan (done by configure; needed again after the plan ran on other data). */
void et_session_load_inputs(et_session *s);

/* Runs the plan once on the session's inputs; outputs through et_plan_output(et_session_plan(s), i). */
et_status et_session_infer(et_session *s, const volatile int *cancel, et_err *err);

/* Fidelity of the current plan against the fp32 baseline on the evaluation set. The baseline outputs are computed
 * once per session. Leaves the plan loaded with the session inputs again. out's arrays (outputs, per-input top1
 * and correct) are the caller's: et_fidelity_info_free, or et_result_free of the result holding it. */
et_status et_session_fidelity(et_session *s, const volatile int *cancel, et_fidelity_info *out, et_err *err);

/* As et_session_fidelity on the evaluation inputs at positions first, first + step, ... only (step 1, first 0: every
 * input, as et_session_fidelity; step 2, first 0 or 1: one half of the set, as a search reads it, at about half the
 * cost): the counts, accuracy, agreement, per-input arrays (one per input evaluated, in order) and hash are those of
 * the inputs evaluated, out->eval_first and eval_step say which, and eval_source names the half. ET_E_USAGE for a
 * step below 1 or a first outside 0..step-1. */
et_status et_session_fidelity_part(et_session *s, int first, int step, const volatile int *cancel,
                                   et_fidelity_info *out, et_err *err);

/* As et_session_fidelity_part, stopping once more than max_miss of the inputs evaluated missed (with labels: top-1
 * not the label; without: top-1 not the fp32 model's); max_miss < 0 never stops. A stopped pass sets out->stopped:
 * its counts, agreement, accuracy and per-input arrays are of the inputs evaluated until then, and it has no
 * eval_hash. Why: a search's sensitivity point that has already lost more than it could ever spend needs no more
 * of the set (at 224x224 the evaluation was most of a point's time). */
et_status et_session_fidelity_until(et_session *s, int first, int step, int64_t max_miss, const volatile int *cancel,
                                    et_fidelity_info *out, et_err *err);

/* Measures the memory the current configuration needs when deployed (deploy_memory.h), starting the edgetune
 * binary exe (NULL: not measured). ET_OK with out->status saying whether it was measured, or ET_E_CANCELLED. */
et_status et_session_deployed_memory(et_session *s, const char *exe, const volatile int *cancel,
                                     et_deployed_memory *out, et_err *err);

/* Fills the identity of a result: uuid, start time, model, host, knobs, engine (ISA, exec), weights and arena
 * bytes, prepare time. */
void et_session_describe(et_session *s, et_result *r);

#endif
