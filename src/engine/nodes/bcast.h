/* bcast.h: iterating over a broadcast of up to 4 operands onto an output shape.
 *
 * Dimensions are collapsed where every operand is contiguous across them, so the common cases (same shapes,
 * a scalar, a per-channel vector) become one long inner run. Callers loop over `outer` rows and process
 * `inner` elements per row with per-operand inner strides 0 or 1. */
#ifndef ET_ENGINE_NODES_BCAST_H
#define ET_ENGINE_NODES_BCAST_H

#include "engine/op.h"

enum { ET_BCAST_MAX_OPERANDS = 4 };

typedef struct et_bcast {
    int n_ops; /* operands, not counting the output */
    int rank;  /* collapsed rank, >= 1 */
    int64_t dim[ET_MAX_RANK];
    int64_t stride[ET_BCAST_MAX_OPERANDS][ET_MAX_RANK]; /* element strides, 0 where broadcast */
    int64_t inner;                                      /* dim[rank-1] */
    int64_t outer;                                      /* product of the other dims */
} et_bcast;

/* Prepares iteration of ins[0..n) broadcast to out (out must be their broadcast shape). */
void et_bcast_init(et_bcast *b, const et_shape *out, const et_shape *const *ins, int n);

/* Element offsets of each operand at the start of outer row `row`. */
void et_bcast_offsets(const et_bcast *b, int64_t row, int64_t *offsets);

#endif
