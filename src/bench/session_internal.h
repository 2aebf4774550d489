/* session_internal.h: what the files of the session share (session.c, session_open.c, session_inputs.c) and
 * nothing else may use: the session's fields and the seeded inputs. */
#ifndef ET_BENCH_SESSION_INTERNAL_H
#define ET_BENCH_SESSION_INTERNAL_H

#include "bench/dataset.h"
#include "bench/session.h"

enum { ET_N_RANDOM_EVAL = 8 };

struct et_session {
    et_model *model;
    bool profile_layers;
    int n_in;        /* graph inputs (bound inputs are constants, not inputs) */
    et_npy *inputs;  /* n_in tensors fed to every run */
    char notes[512]; /* what the user must know about how the inputs were taken ("" when nothing) */
    /* evaluation set: a dataset feeding input eval_input, or seeded random inputs for every input */
    et_dataset *eval;
    int eval_input;
    int64_t n_eval;
    char eval_source[ET_PATH_MAX];
    /* fp32 baseline on the evaluation set (computed on the first fidelity pass) */
    bool have_baseline;
    int n_out;
    int64_t *out_numel, *out_classes;
    int32_t *base_top1; /* n_eval: arg-max of output 0 */
    int64_t *kept_slot; /* n_eval: index into base_out, or -1 when this sample's outputs were not kept */
    int64_t n_kept;
    float *base_out;    /* n_kept x (sum of out_numel) */
    int64_t out_stride; /* sum of out_numel */
    /* calibration set (in memory) */
    int n_calib;
    et_npy *calib;
    char calib_source[ET_PATH_MAX];
    /* current configuration */
    bool configured;
    bool from_other; /* the tuned graph was derived from another graph (et_session_configure_from) */
    et_knobs knobs;
    et_graph *tuned;
    et_plan *plan;
    et_tune_report report;
    double prepare_ms;
    et_tune_cache *tune_cache; /* calibration ranges and speed-guard timings reused across knob changes */
    et_knobs recover_base;     /* a sensitivity analysis's base (et_session_set_recover_base) */
    bool has_recover_base;
    et_tune_progress_fn progress; /* recovery's progress and cancel (et_session_set_progress) */
    void *progress_ctx;
    const volatile int *cancel;
};

/* Seeded data for n elements of dtype at dst: floats roughly N(0,1) (sum of uniforms), integers 0, bools false. */
void et_session_random_fill(et_dtype dtype, int64_t n, uint64_t seed, void *dst);
/* A zeroed tensor of v's type and shape (ET_E_NOMEM naming the input). */
et_status et_session_empty_tensor(const et_value *v, et_npy *out, et_err *err);
/* A tensor of v's type and shape filled by et_session_random_fill. */
et_status et_session_random_tensor(const et_value *v, uint64_t seed, et_npy *out, et_err *err);
/* The seed of seeded random set k, input i (evaluation or calibration). */
uint64_t et_session_random_set_seed(int k, int i, bool calib);

#endif
