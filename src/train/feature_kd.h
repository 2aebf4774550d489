/* feature_kd.h: distillation of inner features (hints, Romero et al. 2015 "FitNets"), beside the distillation
 * of the outputs: a pruned student keeps the teacher's layers, so the output of each of its convolutions can be
 * pulled toward the teacher's output of the same layer on the same inputs. Each such layer adds its relative
 * squared error over the batch, sum |s - t|^2 / sum |t|^2, and the mean over the layers, times a weight, is
 * added to the loss; its gradient enters the student's backward at those activations (et_tnet_add_value_grads).
 * The teacher's features come from a second network built on the fp32 graph and run in evaluation mode on the
 * student's inputs (one forward more per step).
 *
 * Layers are paired by the name of the Conv node's output (after a fused activation). A channel-pruned layer
 * (fewer channels of the same planes) is compared on the teacher's channels it kept: the map is recovered from
 * both layers' outputs on the first step's batch (channel_match.h says why not from the tune), then kept. A loss
 * target is left out (the outputs are distilled already). */
#ifndef ET_TRAIN_FEATURE_KD_H
#define ET_TRAIN_FEATURE_KD_H

#include "train/train.h"

typedef struct et_feature_kd et_feature_kd;

/* Pairs the student's convolutions with teacher_graph's (borrowed: it must outlive the result) and builds the
 * teacher network at the student's batch, on its pool. ET_E_INPUT when no layer pairs (the message says why);
 * errors of et_tnet_create. */
et_status et_feature_kd_create(et_tnet *student, et_graph *teacher_graph, float weight, et_feature_kd **out,
                               et_err *err);
void et_feature_kd_free(et_feature_kd *f);

/* Layers paired; of them, channel-pruned ones compared through a channel map. */
int et_feature_kd_layers(const et_feature_kd *f);
int et_feature_kd_mapped(const et_feature_kd *f);

/* The largest mean match distance of a channel map found so far (channel_match.h; 0 before the first step, or
 * without maps). */
double et_feature_kd_match_worst(const et_feature_kd *f);

/* Pair p's student value (*name, borrowed) and channels (*cs), and its map (cs teacher channels; borrowed) or
 * NULL when it has none (same channels, or not matched yet). NULL too when p is out of range. */
const int *et_feature_kd_map(const et_feature_kd *f, int p, const char **name, int *cs);

/* After the student's training forward of `count` samples: the teacher network's forward on the student's
 * inputs, the loss (weight x the mean relative error; into *loss) and its gradients, handed to the student's
 * next backward. Errors of the teacher's forward. */
et_status et_feature_kd_step(et_feature_kd *f, int count, double *loss, et_err *err);

#endif
