/* plan.h: a graph made executable on this CPU.
 *
 * et_plan_create takes a graph with static shapes (a pristine or tuned clone), makes its own copy, rewrites it
 * for the engine's layout (layout.c: channels-last around convolutions and pooling), prepares one operator
 * instance per node (kernels chosen, weights packed), and places every intermediate tensor in one arena by
 * lifetime (memplan.c). Running is then: write inputs, et_plan_run, read outputs; nothing is allocated per run.
 *
 * Ownership: the plan borrows constant data from the graph it was created from, so that graph (and the graphs
 * it was cloned from) must outlive the plan. Input and output tensors returned by the accessors belong to the
 * plan. A plan is used by one thread at a time. */
#ifndef ET_ENGINE_PLAN_H
#define ET_ENGINE_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/op.h"

typedef struct et_plan_options {
    int threads;         /* >= 1 */
    bool channels_last;  /* rewrite convolutions and pooling to channels-last (the fast path); default true */
    bool profile_layers; /* time every step (adds two clock reads per step) */
    /* With more than one thread, a plan decides in its first runs which steps split (split_decide.h: the runs
     * alternate whole-run modes, so the layer profile of those runs mixes modes; et_plan_settle runs them first).
     * true: no decision, every step splits as its operator's estimate chooses (the behaviour before the decision,
     * for timings that compare layers across plans). Zero-initialised options decide. */
    bool fixed_splits;
    /* Optional: called after each step with each value it wrote (its name in the plan's graph: the original name,
     * or "<name>.nhwc" for a channels-last twin) and the tensor, valid until the next step. Calibration uses it
     * to see every activation without keeping them all alive. NULL: nothing is called. */
    void (*observe)(void *ctx, const char *value_name, const et_tensor *t);
    void *observe_ctx;
} et_plan_options;

/* Defaults: 1 thread, channels-last, no layer profile. */
et_plan_options et_plan_options_default(void);

typedef struct et_plan et_plan;

/* Builds a plan. ET_E_INPUT/UNSUPPORTED for graphs it cannot run (err names the node), ET_E_NOMEM when the
 * arena or packed weights do not fit. */
et_status et_plan_create(const et_graph *g, const et_plan_options *opt, et_plan **out, et_err *err);
void et_plan_free(et_plan *p);

int et_plan_n_inputs(const et_plan *p);
int et_plan_n_outputs(const et_plan *p);
/* The i-th graph input as ONNX declares it (dtype, shape, name); write its elements to ->data before a run. */
et_tensor *et_plan_input(et_plan *p, int i);
const char *et_plan_input_name(const et_plan *p, int i);
/* The i-th graph output after a run, in ONNX layout. */
const et_tensor *et_plan_output(const et_plan *p, int i);
const char *et_plan_output_name(const et_plan *p, int i);

/* Runs all steps. ET_E_INPUT when data is invalid for an operator (err names the node), ET_E_CANCELLED when
 * *cancel becomes non-zero between steps (cancel may be NULL). With more than one thread the plan's first runs
 * (split_decide.h: ET_SPLIT_WARM_NS of warm runs, then 4 x ET_SPLIT_RUNS) also decide which steps split; the
 * outputs are the same bit for bit in every mode. */
et_status et_plan_run(et_plan *p, const volatile int *cancel, et_err *err);

/* Runs the plan on its current inputs until the split decision is made (no run with 1 thread, fixed_splits, or
 * once decided), so that later runs, a bench's warm-up and timed loop included, all run the decided plan. ET_OK or
 * the first run's error. */
et_status et_plan_settle(et_plan *p, const volatile int *cancel, et_err *err);

/* What the split decision chose, for the user's notes. */
typedef struct et_plan_splits {
    int threads;   /* the plan's pool size (1: no pool) */
    bool decided;  /* false while the first runs are still deciding */
    bool measured; /* the decision was measured (false with 1 thread or fixed_splits) */
    int used;      /* threads the decided plan uses: 1 when every step runs on the caller */
    int splitting; /* steps that split as their operator models them */
    int kept;      /* of them, the steps whose split was kept */
    int n_steps;
} et_plan_splits;
et_plan_splits et_plan_get_splits(const et_plan *p);

/* Decides the splits by hand: step i splits as its operator models it where keep[i] (n_steps entries), else runs
 * on the caller; no decision runs follow. For tests of mixed plans and for experiments. No-op with 1 thread. */
void et_plan_set_splits(et_plan *p, const bool *keep);

/* What the plan holds: arena bytes (activations and inputs, plus the scratch the operators share, e.g.
 * Winograd's transformed tiles: all the working memory a run touches besides weights), packed weight bytes,
 * steps. */
typedef struct et_plan_stats {
    int64_t arena_bytes;
    int64_t weights_bytes;
    int64_t macs;
    int n_steps;
} et_plan_stats;
et_plan_stats et_plan_get_stats(const et_plan *p);

/* Per-step information for the layer profile; time is the mean over runs since the last reset when the plan
 * was created with profile_layers (0 otherwise). Runs that were still deciding the splits (et_plan_get_splits)
 * mix split and serial modes: settle the plan and reset the profile first for a profile of the decided plan. */
typedef struct et_step_info {
    const char *name;
    const char *op;
    const char *kernel;
    const char *precision;
    int64_t macs;
    /* activation elements the step reads and writes (its non-constant inputs and its outputs): with macs, what
       says that a step's work changed between two plans of one model (a pruned producer's readers) */
    int64_t act_elems;
    int64_t packed_bytes; /* weight bytes the step packed into its own storage (bits, sparsity) */
    double time_ms;
} et_step_info;
void et_plan_step_info(const et_plan *p, int step, et_step_info *out);
void et_plan_reset_profile(et_plan *p);

/* The thread pool of the plan's workers (NULL with 1 thread), e.g. to list their thread ids for counters. */
struct et_threadpool *et_plan_threadpool(et_plan *p);

#endif
