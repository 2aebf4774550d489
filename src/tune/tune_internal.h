/* tune_internal.h: what the tune passes share (prune.c, prune_channel.c, wquant.c, quantize_int8.c, qgraph.c,
 * calibrate.c, speed_guard.c, layers.c, tune.c). Not part of the API.
 *
 * A weight layer is a Conv, Gemm or MatMul whose weights are a float32 constant. Its weights are seen as output
 * channels (et_wview): Conv OIHW rows; Gemm B^T rows (transB = 1) or B columns; MatMul B columns. Passes
 * replace a layer's weights by writing a graph-owned copy (et_tune_writable), never the pristine data. */
#ifndef ET_TUNE_TUNE_INTERNAL_H
#define ET_TUNE_TUNE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "record/layer_knobs.h"
#include "tune/qmath.h"
#include "tune/tune.h"

typedef enum { ET_WL_CONV, ET_WL_GEMM, ET_WL_MATMUL } et_wlayer_kind;

typedef struct et_wlayer {
    int node;   /* node index */
    int weight; /* value index of the float32 weights */
    et_wlayer_kind kind;
    et_wview view;  /* channels = output channels */
    int64_t group;  /* Conv group (1 otherwise) */
    int64_t ksize;  /* Conv: elements of one input channel's kernel (kh*kw); 1 otherwise */
    bool depthwise; /* group == input channels == output channels */
    bool edge;      /* first or last weight layer in execution order */
} et_wlayer;

typedef struct et_tune_ctx {
    et_graph *g;
    const et_knobs *k;
    const et_tune_options *opt;
    et_wlayer *layers;
    int n_layers;
    bool *keep;   /* per layer: left untouched (first/last layer without --quantize-all) */
    bool *pruned; /* per layer: a pruning pass changed it */
    et_tune_report *rep;
    char *owned;                /* per value: data already a graph-owned copy */
    float *calib_lo, *calib_hi; /* while calibrating: the ranges being filled */
    int owned_cap;
    et_err *err;
    /* recovery */
    uint8_t **chan_keep;   /* per layer: kept input channels after channel pruning in zero_only form (NULL when it
                             lost none); length: the layer's input channels (features for Gemm/MatMul) */
    double **chan_energy;  /* per layer: each input channel's score on the calibration set, lowest pruned first (the
                             refit greedy's error, chan_greedy.h), NULL when not measured */
    const bool *int8_cand; /* per node of g: the int8 layers, decided before recovery (no speed guard then) */
    bool quiet;            /* notes are not recorded (they were copied from the run that decided int8_cand) */
    /* per-layer overrides (tune_layers.c); n_ov 0 without */
    const et_layer_override *ov;
    int n_ov;
    et_knobs *lk;   /* per layer: the knobs it runs with (NULL without overrides) */
    char **lk_name; /* per layer: its node name, owned (the int8 rewrite rebuilds g->nodes) */
    int n_lk;
    const et_calib_set *calib_for_layers; /* the calibration set, for the int8 pass of a mixed configuration */
} et_tune_ctx;

typedef struct et_chan_plan et_chan_plan; /* channel pruning planned for recovery (prune_channel.c) */

/* Finds the weight layers of g (in node order) into ctx->layers, marking the first and last as edge, and with
 * per-layer overrides each layer's knobs (ctx->lk). ET_E_NOMEM on allocation failure. */
et_status et_tune_find_layers(et_tune_ctx *c);

/* Per-layer overrides (tune_layers.c). _resolve fills ctx->lk and ctx->keep from ctx->ov (an edge layer named
 * exactly by an override is not kept); _check checks them (every pattern names a layer; each layer's knobs are
 * valid; ET_E_UNSUPPORTED, saying "not yet", for a per-layer recover= other than the model-wide --recover);
 * _prune runs pruning per group of layers with the same knobs (with plan non-NULL, channel pruning in its
 * zero_only form for recovery: *plan receives it, NULL when no layer asks for channels); _quantize runs
 * quantization per group. _compresses: some layer not kept is pruned or quantized; _int8: some is act-bits 8. */
et_status et_tune_layers_resolve(et_tune_ctx *c);
void et_tune_layers_free(et_tune_ctx *c);
et_status et_tune_layers_check(et_tune_ctx *c);
et_status et_tune_layers_prune(et_tune_ctx *c, const et_calib_set *calib, et_chan_plan **plan);
et_status et_tune_layers_quantize(et_tune_ctx *c, const et_calib_set *calib);
bool et_tune_layers_compresses(const et_tune_ctx *c);
/* Whether any weight layer's recovery method (its recover= or the model-wide --recover) is not none. */
bool et_tune_layers_recover(const et_tune_ctx *c);
bool et_tune_layers_int8(const et_tune_ctx *c);

/* The knobs layer l runs with: its per-layer knobs (ctx->lk) under overrides, else ctx->k. Recovery reads the
 * bits, act-bits, granularity, clip, prune method and recovery method (recover=) of each layer here. */
static inline const et_knobs *et_tune_knobs_at(const et_tune_ctx *c, int l) {
    return c->lk && l >= 0 && l < c->n_lk ? &c->lk[l] : c->k;
}

/* The weight bits of layer node `o` (matched by name): its per-layer bits, else the knobs' bits. */
int et_tune_layer_bits(const et_tune_ctx *c, const et_node *o);

/* A 64-bit hash of the per-layer overrides, for the caches' keys (0 without). */
unsigned long long et_tune_layers_hash(const et_knobs *k);
/* The same over the overrides' pruning keys only (prune=, method=; 0 when none sets one): what the float graph
 * before quantization depends on (calibration ranges without recovery). */
unsigned long long et_tune_layers_prune_hash(const et_knobs *k);

/* The writable float copy of constant v owned by the graph (made on first call); NULL on out-of-memory. */
float *et_tune_writable(et_tune_ctx *c, int v);

/* Constant v's floats at an aligned address: the data itself when aligned (model files may leave it unaligned),
 * else a graph-owned copy (et_tune_writable). NULL on out-of-memory. */
const float *et_tune_readable(et_tune_ctx *c, int v);

/* Appends to the report's detail text ("; "-separated), and to notes when `note` (both truncate safely). */
void et_tune_note(et_tune_ctx *c, bool note, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Unstructured pruning before full recovery (prune_alloc.c): how many weights each layer loses so that
 * floor(ratio x eligible weights) go in all, shared out by Erdos-Renyi-kernel allocation. n_layers counts
 * (0 for kept layers), owned by the caller; NULL on out-of-memory. */
int64_t *et_tune_prune_alloc(const et_tune_ctx *c, double ratio);

/* Magnitude (per layer or global) or N:M pruning of the eligible layers' weights, in place. */
et_status et_tune_prune_weights(et_tune_ctx *c);

/* Channel pruning (filter L1 norm): removes output channels and the consumers' matching inputs; the graph's
 * shapes are re-inferred. Rebuilds ctx->layers. */
et_status et_tune_prune_channels(et_tune_ctx *c);

/* Channel pruning in two steps, for recovery: _plan chooses the channels (by ctx->chan_energy where measured,
 * else filter L1 norm) and zeroes the consumers' dropped inputs without changing shapes, recording each
 * consumer's kept channels in ctx->chan_keep; recovery then refits the consumers; _shrink removes the channels
 * (the refit weights are sliced as they are) and frees the plan. */
et_status et_tune_prune_channels_plan(et_tune_ctx *c, et_chan_plan **out);
et_status et_tune_prune_channels_shrink(et_tune_ctx *c, et_chan_plan *p);
void et_chan_plan_free(et_chan_plan *p);

/* For each layer l of ctx (ctx->n_layers), the channel group (a root space of the analysis) whose channels its
 * first input carries one to one (directly, or through Flatten of a 1x1 map) into group[l]; -1 when it reads no
 * group, several (Concat), a flattened map, or a group that cannot be pruned. Readers of one group must drop the
 * same channels. ET_E_NOMEM with ctx->err filled. */
et_status et_tune_channel_readers(et_tune_ctx *c, int *group);

/* Channel selection by reconstruction error (chan_select.c): walks the calibration set through the
 * pristine-shaped graph and fills ctx->chan_energy for every layer that consumes channels: scores in the order of
 * a greedy with cross terms (chan_greedy.h) from the layer's full Hessian when it fits the recovery budget (with
 * EDGETUNE_CHANSEL=joint one greedy for all readers of a channel group, each given the same scores), else each
 * channel's own energy. */
et_status et_tune_channel_energies(et_tune_ctx *c, const et_calib_set *calib);

/* Recovery (knobs.recover bias or full; recover.c): layer by layer in node order, each seeing its inputs from the
 * compressed layers before it, replaces the weights of the layers to compress (quantize[l]: rounded to the knob's
 * grid, with a quant info; pruned layers per ctx->pruned keep their zero count; consumers in ctx->chan_keep are
 * refit) and corrects their biases. Works on the graph as the pruning passes left it (magnitude masks and zero
 * counts, zero_only channel masks), which are the "before" of the report's errors. */
et_status et_tune_recover(et_tune_ctx *c, const et_calib_set *calib, const bool *quantize);

/* Weight-only quantization (act-bits 32): weights rounded to knob bits (fp16 at 16) and stored dequantized. */
et_status et_tune_quantize_weights_only(et_tune_ctx *c);

/* Activation ranges of every float activation of c->g (indexed by value; NaN where none was seen), from the
 * calibration inputs or the cache. lo and hi hold c->g->n_values floats. */
et_status et_tune_calibrate(et_tune_ctx *c, const et_calib_set *calib, float *lo, float *hi);

/* Rewrites g (a float graph: c->g or a clone of it) into its int8 form for the nodes marked in cand (indexed
 * by node; Conv/Gemm/MatMul weight layers), with activation ranges lo/hi (indexed by g's values). Nodes that
 * cannot be quantized are left float (noted when note is true). *n_q receives the quantized layer count. */
et_status et_tune_build_int8(et_tune_ctx *c, et_graph *g, const bool *cand, const float *lo, const float *hi, bool note,
                             int *n_q);

/* The speed guard: times candidate layers in int8 and in float32 on this CPU, alternating, and clears cand[i] for
 * those whose int8 version is significantly slower (et_tune_guard_keeps_fp32); *all_fp32 when the int8 model as a
 * whole is. Cached per configuration. */
et_status et_tune_speed_guard(et_tune_ctx *c, bool *cand, const float *lo, const float *hi, bool *all_fp32);

/* The guard's decision for one layer (or the whole model) from per-round times of the float32 and the int8 version
 * measured alternately in the same rounds: true (keep float32) only when the paired rule (src/stats/ab.h,
 * et_ab_paired, float32 the baseline) calls int8 slower: p < 0.05 and at least 3 % (speed_guard.c says why this
 * default). *p gets the test's p-value (NaN with fewer than 2 usable rounds: then int8 is kept). */
bool et_tune_guard_keeps_fp32(const double *fp32_ms, const double *int8_ms, int rounds, double *p);

/* The same for a float run of a mixed graph (layers kept float32 between int8 ones): its float32 steps fp32_ms plus
 * the conversions conv_ms it needs (et.Quantize, et.Dequantize, layout) against the int8 steps of the same nodes
 * int8_ms, per round. true (keep float32) only when int8 is significantly slower than float32 WITH its
 * conversions; false (int8) with p NaN when out of memory. */
bool et_tune_guard_keeps_fp32_run(const double *fp32_ms, const double *conv_ms, const double *int8_ms, int rounds,
                                  double *p);

/* Full int8 (act-bits 8, quantize_int8.c): calibration, the speed guard, then et_tune_build_int8. */
et_status et_tune_quantize_int8(et_tune_ctx *c, const et_calib_set *calib);

/* Bytes a deployment stores for the constants the tuned graph uses: quantized values (int8 constants and
 * weight-only float weights, which carry a quant info) at their storage bits plus scales, others as they are. */
int64_t et_tune_deploy_bytes(const et_tune_ctx *c);

#endif
