/* inplace.h: channel concatenations without a copy.
 *
 * A Concat along the last (channel) axis of NHWC tensors whose every input is written by an fp32 convolution
 * (et.ConvNhwc) that nothing else reads can have each convolution write its channels straight into the
 * Concat's output: the convolution's output pixel stride becomes the total channel count and its output
 * starts at its channel offset. The Concat then has nothing to do (SqueezeNet's fire modules, Inception blocks).
 * Not applied when the plan observes every value (calibration): an observer would read the strided tensors as
 * dense ones. */
#ifndef ET_ENGINE_INPLACE_H
#define ET_ENGINE_INPLACE_H

#include <stdbool.h>
#include <stdint.h>

#include "model/graph.h"

typedef struct et_inplace {
    int into;             /* the value whose storage this one lives in; -1: its own */
    int64_t byte_offset;  /* where it starts in that storage */
    int64_t pixel_stride; /* elements from one pixel to the next (0: dense) */
} et_inplace;

/* Fills places[v] for every value of g (n_values entries) and noop[i] for every node (n_nodes entries: true for
 * a Concat whose inputs were all placed in its output). g's consumer counts must be current. */
void et_inplace_concats(const et_graph *g, et_inplace *places, bool *noop);

#endif
