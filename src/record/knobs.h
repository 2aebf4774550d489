/* knobs.h: the tuning configuration a user turns (README.md, Design: Tune). A plain value type: copy it freely.
 * The names and value lists are X-macros so that the CLI flags, the TUI knob panel, the database columns and
 * the help text all come from one place. It is half of the run record (result.h holds it), so it lives on the
 * record floor, below tune, which reads it, and below profilers, db and ui, which store and show it. */
#ifndef ET_RECORD_KNOBS_H
#define ET_RECORD_KNOBS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/status.h"

#define ET_GRANULARITY_LIST(X) X(ET_GRAN_CHANNEL, "channel") X(ET_GRAN_TENSOR, "tensor")
typedef enum {
#define ET_X(e, s) e,
    ET_GRANULARITY_LIST(ET_X)
#undef ET_X
        ET_GRAN_COUNT
} et_granularity;

#define ET_PRUNE_METHOD_LIST(X)                                                     \
    X(ET_PRUNE_UNSTRUCTURED, "unstructured") /* magnitude, per layer */             \
    X(ET_PRUNE_GLOBAL, "global")             /* magnitude, one threshold for all */ \
    X(ET_PRUNE_NM, "nm")                     /* N:M structured sparsity */          \
    X(ET_PRUNE_CHANNEL, "channel")           /* filter L1 norm, shrinks the graph */
typedef enum {
#define ET_X(e, s) e,
    ET_PRUNE_METHOD_LIST(ET_X)
#undef ET_X
        ET_PRUNE_COUNT
} et_prune_method;

/* How weight ranges are chosen: the extremes, or a percentile of |w| that ignores rare outliers. */
#define ET_CLIP_LIST(X) X(ET_CLIP_MINMAX, "minmax") X(ET_CLIP_PERCENTILE, "percentile")
typedef enum {
#define ET_X(e, s) e,
    ET_CLIP_LIST(ET_X)
#undef ET_X
        ET_CLIP_COUNT
} et_clip;

/* Error compensation from calibration data (recover.c): none (round to nearest, prune by magnitude), bias
 * (per-channel bias correction of the mean error each compressed layer adds to its output), full (GPTQ rounding,
 * SparseGPT masks, least-squares refit after channel pruning, then bias correction; layer by layer, each layer
 * seeing the outputs of the compressed layers before it). */
#define ET_RECOVER_LIST(X) X(ET_RECOVER_NONE, "none") X(ET_RECOVER_BIAS, "bias") X(ET_RECOVER_FULL, "full")
typedef enum {
#define ET_X(e, s) e,
    ET_RECOVER_LIST(ET_X)
#undef ET_X
        ET_RECOVER_COUNT
} et_recover;

/* How 8-bit activation ranges are calibrated (calibrate.c, act_range.c): the extremes seen, a percentile of the
 * values, the range with the least mean squared quantization error, or the least KL divergence (entropy). */
#define ET_CALIB_METHOD_LIST(X)  \
    X(ET_CALIB_MINMAX, "minmax") \
    X(ET_CALIB_PERCENTILE, "percentile") X(ET_CALIB_MSE, "mse") X(ET_CALIB_ENTROPY, "entropy")
typedef enum {
#define ET_X(e, s) e,
    ET_CALIB_METHOD_LIST(ET_X)
#undef ET_X
        ET_CALIB_METHOD_COUNT
} et_calib_method;

/* Weight bit-widths a user may choose, in knob order. 32 = pristine fp32, 16 = fp16 weights. */
#define ET_WEIGHT_BITS_LIST(X) X(32) X(16) X(8) X(7) X(6) X(5) X(4) X(3) X(2)
#define ET_ACT_BITS_LIST(X) X(32) X(8)

/* Room for the canonical per-layer overrides (layer_knobs.h). */
enum { ET_KNOBS_LAYERS_BYTES = 8192 }; /* a search writes one line per weight layer: 53 for MobileNetV2 */

typedef struct et_knobs {
    int weight_bits; /* one of ET_WEIGHT_BITS_LIST */
    int act_bits;    /* 32 or 8 */
    et_granularity granularity;
    bool symmetric;
    float prune_ratio; /* 0 .. 0.95 */
    et_prune_method prune_method;
    int nm_n, nm_m;                     /* for ET_PRUNE_NM, e.g. 2:4 */
    int threads;                        /* >= 1 */
    bool quantize_all;                  /* false: first and last layer stay fp32 (and unpruned) */
    et_clip clip;                       /* weight range: min/max (default) or the 99.99th percentile */
    bool force_int8;                    /* act-bits 8: int8 even where measured slower than fp32 (no speed guard) */
    et_recover recover;                 /* error compensation from calibration data (default none) */
    et_calib_method calib_method;       /* act-bits 8: how activation ranges are chosen */
    char layers[ET_KNOBS_LAYERS_BYTES]; /* per-layer overrides, canonical text (layer_knobs.h); "" none. Bytes
                                           after the terminator are zero, so knobs compare with memcmp */
} et_knobs;

/* The fp32, unpruned, 1-thread configuration. */
et_knobs et_knobs_default(void);

/* True when the knobs describe the pristine model (fp32 weights and activations, no pruning). */
bool et_knobs_is_fp32(const et_knobs *k);

/* Checks ranges and combinations; ET_E_USAGE with a line naming the knob otherwise. */
et_status et_knobs_validate(const et_knobs *k, et_err *err);

const char *et_granularity_name(et_granularity g);
const char *et_prune_method_name(et_prune_method m);
const char *et_clip_name(et_clip c);
const char *et_recover_name(et_recover r);
const char *et_calib_method_name(et_calib_method m);
/* Parse a name; returns -1 when unknown. */
int et_granularity_parse(const char *s);
int et_prune_method_parse(const char *s);
int et_clip_parse(const char *s);
int et_recover_parse(const char *s);
int et_calib_method_parse(const char *s);

/* One-line summary such as "w8 a8 channel sym, prune 30% unstructured, 2 threads". Returns buf. */
char *et_knobs_describe(const et_knobs *k, char *buf, size_t len);

#endif
