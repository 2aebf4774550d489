/* feature_kd.h: distillation of inner features (hints, Romero et al. 2015 "FitNets"), beside the distillation
 * of the outputs: a pruned student keeps the teacher's layers, so the output of each of its convolutions can be
 * pulled toward the teacher's output of the same layer on the same inputs. Each such layer adds its relative
 * squared error over the batch, sum |s - t|^2 / sum |t|^2, and the mean over the layers, times a weight, is
 * added to the loss; its gradient enters the student's backward at those activations (et_tnet_add_value_grads).
 * The teacher's features come from a second network built on the fp32 graph and run in evaluation mode on the
 * student's inputs (one forward more per step).
 *
 * Layers are paired by the name of the Conv node's output (after a fused activation) and must hold as many
 * elements in both: a channel-pruned layer (fewer channels) is left out, and so is a loss target (the outputs
 * are distilled already). */
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

/* Layers paired. */
int et_feature_kd_layers(const et_feature_kd *f);

/* After the student's training forward of `count` samples: the teacher network's forward on the student's
 * inputs, the loss (weight x the mean relative error; into *loss) and its gradients, handed to the student's
 * next backward. Errors of the teacher's forward. */
et_status et_feature_kd_step(et_feature_kd *f, int count, double *loss, et_err *err);

#endif
