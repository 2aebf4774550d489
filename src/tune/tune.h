/* tune.h: from the pristine graph and the knobs to the graph the engine runs (README.md, Design: Tune).
 *
 * A pure function of (pristine graph, knobs, calibration data): it never modifies the pristine graph, so
 * toggling 8 -> 4 -> 8 bits gives bit-identical weights. The result borrows from the pristine graph, which must
 * outlive it.
 *
 * The steps, each on the copy:
 *   1. pruning: channel pruning shrinks the graph (prune_channel.c); magnitude (per layer or global) and N:M
 *      pruning zero weights in place (prune.c)
 *   2. quantization:
 *      act-bits 32, bits 16       weights rounded to fp16, computed in fp32 (exec "simulated")
 *      act-bits 32, bits 2..8     weights rounded to the grid, stored dequantized: fp32 kernels (exec "simulated")
 *      act-bits 8, bits 2..8      full int8 (quantize_int8.c, qgraph.c): calibrated activation ranges, et.QConv / et.QGemm /
 *                                 et.QAdd on int8 tensors with int32 accumulation, et.Quantize / et.Dequantize
 *                                 at the edges of quantized regions; widths other than 8 (and 4 while no int4
 *                                 kernel exists) run on the int8 kernels with a clamped range (exec "simulated")
 *   3. the speed guard (speed_guard.c, act-bits 8): every quantized layer is timed against its fp32 version on
 *      this CPU; a layer whose int8 version is slower stays fp32, and if the whole int8 model is not faster the
 *      whole model stays fp32. The report lists what was kept and why.
 * The first and last weight layers stay fp32 and unpruned unless knobs.quantize_all. */
#ifndef ET_TUNE_TUNE_H
#define ET_TUNE_TUNE_H

#include "model/graph.h"
#include "model/npy.h"
#include "record/knobs.h"

/* Calibration inputs for activation ranges: sets of graph inputs (set k, input i at sets[k * n_inputs + i]). */
typedef struct et_calib_set {
    int n_sets, n_inputs;
    const et_npy *sets;
    char source[256]; /* "--calib DIR" or "seeded random inputs" */
} et_calib_set;

/* One weight layer's reconstruction error on the calibration inputs (recovery only): the squared error of its
 * output against the pristine layer on the same inputs, relative to the output's energy, with round to
 * nearest / magnitude pruning (before) and with recovery (after, bias correction included). */
enum { ET_TUNE_MAX_LAYER_ERRS = 256 };
typedef struct et_tune_layer_err {
    char name[96];       /* the layer's node name */
    float before, after; /* fractions (0.01 = 1 %); NaN when not measured */
    char fallback[64];   /* "" or why recovery fell back to rounding for this layer */
} et_tune_layer_err;

typedef struct et_tune_report {
    char exec[32];                /* "native", or "simulated" when a bit-width runs on wider kernels */
    char notes[1024];             /* what the user must know: kept-fp32 layers, skipped layers, calibration,
                                     recovery (room for all of them: ET_NOTES_MAX of record/result.h) */
    int64_t weights_deploy_bytes; /* bytes of weights a deployment stores at this bit-width */
    int n_quantized_layers, n_pruned_layers, n_skipped_layers;
    double sparsity; /* fraction of zero (or removed) weights in pruned layers */
    /* beyond the summary */
    int n_fp32_layers;                   /* weight layers running fp32 (edge layers, unsupported, kept by the guard) */
    int n_guard_kept;                    /* of which kept fp32 because int8 measured slower */
    int64_t params_before, params_after; /* weight elements of the weight layers (channel pruning shrinks) */
    double calib_ms, guard_ms, total_ms; /* time spent calibrating, timing layers, in all */
    char calib_source[256];              /* where activation ranges came from ("" without act-bits 8) */
    int calib_runs;    /* plan runs calibration made: a set per run, once each (plus one look at the first set when the
                       plan fuses values away); 0 when the ranges came from the cache */
    char detail[4096]; /* the full list: every kept, skipped and simulated layer, with reasons */
    /* recovery (knobs.recover != none) */
    double recover_ms;           /* time spent compensating (0 when taken from the cache) */
    bool recover_cached;         /* the compensated weights came from the cache */
    int n_recovered, n_fallback; /* layers compensated; of which fell back to rounding */
    int64_t recover_peak_bytes;  /* most memory recovery held at once (Hessians and held activations) */
    bool recover_from_base;      /* a sensitivity point recovered from its base's record (recover_base) */
    int n_resolved;              /* of its layers, solved again on the base's statistics (the rest: the base's) */
    int n_layer_errs;
    et_tune_layer_err layer_err[ET_TUNE_MAX_LAYER_ERRS];
} et_tune_report;

/* Reuse across knob changes of one model (owned by the caller, e.g. the session): calibration ranges per
 * pruning configuration and the speed guard's timings per configuration. Not thread-safe. */
typedef struct et_tune_cache et_tune_cache;
et_tune_cache *et_tune_cache_new(void);
void et_tune_cache_free(et_tune_cache *c);

/* Progress of long work (recovery): called after each layer with the layers done and in all, the time spent
 * and an estimate of the time left (ms, from the work done so far; < 0 when unknown), and the layer's name. */
typedef void (*et_tune_progress_fn)(void *ctx, int done, int total, double elapsed_ms, double left_ms,
                                    const char *layer);

typedef struct et_tune_options {
    bool speed_guard;     /* keep layers fp32 where int8 is measured slower (default true) */
    int guard_runs;       /* alternating rounds for the guard: at least this and 15 (speed_guard.c) */
    et_tune_cache *cache; /* NULL: nothing reused */
    bool prune_zero_only; /* tests: channel pruning zeroes the consumers' dropped input channels instead of
                             removing them, which must give the same outputs as the shrunk graph */
    /* recovery */
    int recover_threads;        /* threads for recovery (0: every online CPU) */
    int64_t recover_hold_bytes; /* memory for a layer's statistics and the activations held between segments of
                                   the calibration walks (0: 256 MiB) */
    bool recover_act_order;     /* GPTQ visits columns by decreasing Hessian diagonal (default true) */
    bool recover_reference;     /* each layer fits the pristine model's output for that layer (on the pristine
                               model's inputs), not its own output on the compressed inputs (default true) */
    bool recover_exact_masks;   /* unstructured and N:M masks by exact OBS where the layer is small enough
                                 (obs_exact.h), SparseGPT elsewhere; false: SparseGPT everywhere (default true) */
    bool recover_prune_alloc;   /* unstructured pruning before full recovery shares the ratio out over the layers
                                     (prune_alloc.c); false: the same ratio in every layer (default true) */
    /* a sensitivity analysis's base knobs (NULL: none): the base's full recovery records per layer its statistics
       and result in the cache, and a point's recovery solves again only the layers whose solve would differ, on
       those statistics, keeping the base's weights elsewhere (recover_base.h: an approximation past the changed
       layer). Other knobs recover in full. Needs the cache. */
    const et_knobs *recover_base;
    /* a sensitivity point's calibration: where its own ranges are not cached, the ranges of these knobs (its base's)
       when they are and the graph has as many values (tune.c sets it for a point recovered from its base: the
       activations after the changed layer keep the base's ranges, the same approximation; NULL: none) */
    const et_knobs *calib_base;
    et_tune_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    const volatile int *cancel; /* non-zero: stop at the next layer (or calibration set) with ET_E_CANCELLED */
} et_tune_options;

et_tune_options et_tune_options_default(void);

/* The names of g's weight layers (what tune compresses and per-layer overrides name: Conv, Gemm and MatMul with
 * float32 constant weights), in node order, borrowed from g; at most max. Returns the count. */
int et_tune_weight_layer_names(const et_graph *g, const char **names, int max);

/* Per weight layer of g (et_tune_weight_layer_names' order), its channel group into group[]: layers whose output
 * channels must be pruned together (the producers of one residual group: channel pruning of one prunes all of
 * them, by the largest ratio asked) share a number >= 0; -1 for a layer that starts no group that can shrink
 * (depthwise, the first layer without --quantize-all, a group that reaches an output...). k: the model-wide knobs
 * (per-layer overrides are ignored). Returns the count (at most max), -1 on out-of-memory (err says so). */
int et_tune_channel_groups(const et_graph *g, const et_knobs *k, int *group, int max, et_err *err);

/* Derives the tuned graph with default options and no cache. ET_E_UNSUPPORTED for knob combinations not
 * implemented, naming the knob; ET_E_USAGE for invalid knobs. *out is NULL on failure; the caller frees it. */
et_status et_tune_apply(const et_graph *pristine, const et_knobs *k, const et_calib_set *calib, et_graph **out,
                        et_tune_report *rep, et_err *err);

/* Same with options (opt may be NULL for the defaults). */
et_status et_tune_apply_ex(const et_graph *pristine, const et_knobs *k, const et_calib_set *calib,
                           const et_tune_options *opt, et_graph **out, et_tune_report *rep, et_err *err);

#endif
