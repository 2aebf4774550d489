/* calib_walk.h: runs a graph over the calibration set in segments, so that recovery (recover.c) sees each weight
 * layer's inputs as the already compressed layers before it make them, in one pass instead of one per layer.
 *
 * Recovery visits the weight layers in node order and changes each one's weights after looking at its inputs.
 * A walk keeps a boundary: a node index b and, for every calibration set, the values live there (made by nodes
 * before b and used at or after b; at first the graph inputs). et_calib_walk_to(upto) runs the nodes [b, upto)
 * with the graph's current weights, from the stored values, on every set, hands the requested values to a
 * callback, and makes upto the new boundary. So a layer compressed before `upto` is seen compressed by every
 * layer after it, and each node runs once per set over the whole recovery.
 *
 * The values live at a boundary are held for every calibration set; where they would exceed the memory cap (the
 * wide early layers of a network at 224x224 with hundreds of sets), the boundary stays where it was and the next
 * segment runs from there again: more time, bounded memory. */
#ifndef ET_TUNE_CALIB_WALK_H
#define ET_TUNE_CALIB_WALK_H

#include "engine/op.h"
#include "tune/tune.h"

typedef struct et_calib_walk et_calib_walk;

/* Called once per calibration set with the requested values (vals[i] for want[i], graph layout); a non-OK
 * status stops the walk and is returned. */
typedef et_status (*et_calib_walk_fn)(void *ctx, int set, const et_tensor *const *vals, et_err *err);

/* A walk over g's node structure (g's weights may change between calls, its nodes and values may not) and the
 * calibration sets (borrowed: they must outlive the walk). threads: for the segment plans. cap_bytes: the most
 * the stored boundary values may take. ET_E_NOMEM on allocation failure. */
et_status et_calib_walk_new(const et_graph *g, const et_calib_set *calib, int threads, int64_t cap_bytes,
                            et_calib_walk **out, et_err *err);
void et_calib_walk_free(et_calib_walk *w);

/* Runs nodes [boundary, upto) of g on every set and calls fn (may be NULL) with the values want[0..n_want),
 * which must be live at upto (used by node upto or later). ET_E_CANCELLED when *cancel becomes non-zero between
 * sets; plan errors as et_plan_create/run report them. */
et_status et_calib_walk_to(et_calib_walk *w, const et_graph *g, int upto, const int *want, int n_want,
                           et_calib_walk_fn fn, void *ctx, const volatile int *cancel, et_err *err);

/* The same for two walks in step over the same sets: w over g, ref over ref_g (graphs of the same nodes and
 * values, e.g. the model being compressed and its pristine original); fn sees both sets of values. */
typedef et_status (*et_calib_walk_pair_fn)(void *ctx, int set, const et_tensor *const *vals,
                                           const et_tensor *const *ref_vals, et_err *err);
et_status et_calib_walk_to_pair(et_calib_walk *w, const et_graph *g, et_calib_walk *ref, const et_graph *ref_g,
                                int upto, const int *want, int n_want, et_calib_walk_pair_fn fn, void *ctx,
                                const volatile int *cancel, et_err *err);

/* The most the stored boundary may take from now on (recovery gives the walks what the current layer's
 * Hessians leave of its memory budget). A boundary held now that is over the new cap is dropped, and the next
 * segment runs from the graph inputs again. A boundary that is stored replaces the old one set by set, so the
 * two never coexist in full. After a failed or cancelled walk_to the walk holds no usable boundary: free it. */
void et_calib_walk_set_cap(et_calib_walk *w, int64_t cap_bytes);

/* Bytes held by the stored boundary now, and the most held so far. */
int64_t et_calib_walk_held_bytes(const et_calib_walk *w);
int64_t et_calib_walk_peak_bytes(const et_calib_walk *w);

#endif
