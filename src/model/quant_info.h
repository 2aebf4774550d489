/* quant_info.h: how an integer tensor of the tuned graph maps to real values (et_value.quant).
 *
 *   real = scale[c] * (q - zero_point[c])      c = index along `axis` (0 for a per-tensor info)
 *
 * The scheme the engine runs ("qc8", as XNNPACK and TFLite):
 *   activations  int8, asymmetric, per tensor: axis -1, n 1, zero point in [-128, 127], calibrated ranges
 *   weights      int8, symmetric, per output channel: axis 0, zero point 0, values within [-qmax, qmax] with
 *                qmax = 2^(value_bits-1) - 1; widths below 8 without a native kernel are int8 with the range
 *                clamped ("simulated"); storage_bits says what a deployment stores (4: two per byte)
 *   bias         int32, scale x_scale * w_scale[c], zero point 0
 *
 * An info lives in the arena of the graph that owns the value (the tuned graph); clones, such as the planner's,
 * copy the pointer, so the tuned graph must outlive them (it does: it outlives its plan). */
#ifndef ET_MODEL_QUANT_INFO_H
#define ET_MODEL_QUANT_INFO_H

#include <stdint.h>

#include "model/graph.h"

typedef struct et_quant_info {
    int axis;                  /* -1: one scale for the tensor; else the axis the scales run along */
    int n;                     /* number of scales and zero points */
    const float *scale;        /* n values, > 0 */
    const int32_t *zero_point; /* n values */
    int value_bits;            /* range of the values: 2..8 (weights), 8 (activations), 32 (bias) */
    int storage_bits;          /* bits per element a deployment stores: 4 (packed two per byte), 8, 32 */
    int32_t qmin, qmax;        /* the values lie in [qmin, qmax] */
} et_quant_info;

/* A new info with n scales and zero points (zeroed) in g's arena; NULL on out-of-memory. The arrays are
 * writable through the returned pointers until the info is attached to a value. */
et_quant_info *et_quant_info_new(et_graph *g, int n, float **scale, int32_t **zero_point);

/* A per-tensor activation info (int8, value_bits 8) with this scale and zero point; NULL on out-of-memory. */
const et_quant_info *et_quant_info_act(et_graph *g, float scale, int32_t zero_point);

#endif
