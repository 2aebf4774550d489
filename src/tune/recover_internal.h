/* recover_internal.h: what the files of recovery share (recover.c drives, recover_layer.c compensates one layer,
 * recover_graph.c writes results into the graph). Not part of the API. */
#ifndef ET_TUNE_RECOVER_INTERNAL_H
#define ET_TUNE_RECOVER_INTERNAL_H

#include "engine/threadpool.h"
#include "tune/calib_walk.h"
#include "tune/hessian.h"
#include "tune/tune_internal.h"

/* One recovery run over the layers of ctx->g. */
typedef struct et_recover_run {
    et_tune_ctx *c;
    const et_graph *pristine;
    const et_calib_set *calib;
    et_threadpool *pool;            /* NULL: one thread */
    et_calib_walk *walk, *walk_ref; /* walk_ref: the pristine model in step (recover_reference), or NULL */
    const bool *quantize;           /* per layer: round its weights */
    et_hess hs;                     /* the current layer's statistics */
    double t0_ms, work_total, work_done, hess_ms;
    int64_t budget; /* bytes for held activations and the current layer's statistics */
    int done, total;
    bool matmul_noted;
    unsigned char *result; /* per layer: ET_RECOVER_DONE, | ET_RECOVER_QUANT when its weights were rounded */
    /* a sensitivity analysis (recover_base.h): the base's record, written by the base's run (base_write) or read
     * by a point's; NULL otherwise */
    const char *base_key;
    bool base_write;
    int n_resolved; /* a point: layers solved again on the base's statistics */
} et_recover_run;

enum { ET_RECOVER_DONE = 1, ET_RECOVER_QUANT = 2 };

/* Threads recovery runs on: et_tune_options.recover_threads, else every online CPU (at most 64). */
int et_recover_threads(const et_tune_options *o);

/* ET_E_INPUT (one line naming the calibration file) when a float calibration input holds NaN or infinity. */
et_status et_recover_check_inputs(const et_calib_set *calib, et_err *err);

/* Compensates layer l (recover_layer.c): statistics from the walk, the solve (full) or the plain weights (bias),
 * bias correction, the result written into the graph and the report. ET_E_NOMEM, ET_E_CANCELLED, ET_E_INPUT
 * (NaN in the model's activations) with c->err filled. */
et_status et_recover_layer(et_recover_run *R, int l);

/* Layer l's statistics only, into the base's record (a layer the base leaves as it is, which a point may change).
 * ET_E_NOMEM, ET_E_CANCELLED, ET_E_INPUT as et_recover_layer. */
et_status et_recover_layer_stats(et_recover_run *R, int l);

/* Layer l's bias as it acts now, per output channel (times Gemm's beta; 0 without one), into out (n_ch floats). */
void et_recover_current_bias(const et_tune_ctx *c, int l, float *out);

/* Walk callbacks: the layer's inputs into R->hs (and the pristine model's, for et_calib_walk_to_pair). */
et_status et_recover_add_input(void *ctx, int set, const et_tensor *const *vals, et_err *err);

/* The float32 data of a constant as an aligned copy (model files may leave it unaligned). NULL on OOM. */
float *et_recover_copy_floats(const et_value *v);
/* Row-major [channels x per] from a weight view, and back. */
void et_recover_gather(const float *w, const et_wview *v, float *out);
void et_recover_scatter(float *w, const et_wview *v, const float *in);

/* Adds delta (per output channel) to layer l's bias, making one when the layer has none (Conv input 2, Gemm C);
 * the bias after it into bias_out (n_ch floats). MatMul has no bias input: nothing is added (noted once).
 * ET_E_NOMEM on allocation failure. */
et_status et_recover_add_bias(et_recover_run *R, int l, const double *delta, float *bias_out);

/* The quant info of compensated weights: their scales along the output-channel axis (fp16 when bits is 16).
 * ET_E_NOMEM on allocation failure. */
et_status et_recover_attach_quant(et_tune_ctx *c, const et_wlayer *L, int bits, bool symmetric, bool per_channel,
                                  const float *scale, const int32_t *zp);

/* Every layer recovery changed (R->result), as the graph holds it now, into the cache under key: built at the end
 * of the run from the graph, so that the weights are not held twice while it runs. Nothing cached when memory
 * runs out. */
void et_recover_cache_result(et_recover_run *R, const char *key);

/* The cached result of the same configuration written into the graph as et_recover_layer would: *found false when
 * there is none (or it does not fit this graph: then nothing is written). ET_E_NOMEM half way. */
et_status et_recover_apply_cached(et_recover_run *R, const char *key, bool *found);

#endif
