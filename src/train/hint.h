/* hint.h: intermediate-feature distillation (FitNets' hints, Romero et al. 2015) beside the distillation of the
 * outputs: the student's feature maps at the end of each stage learn to match the teacher's, through a loss
 * (loss.h, et_loss_hint) whose gradient enters the student's backward at those values.
 *
 * The teacher here is a second training network (train.h) built from the teacher's graph and run in evaluation
 * mode on the student's batch, since the inference plan that gives the teacher's outputs (teacher.h) keeps no
 * intermediate values. Hint points: at each spatial resolution, the last activation (in step order) of the
 * student that the teacher has under the same name and shape and that a gradient flows through. For
 * unstructured pruning that is every stage's end; for channel pruning those whose width pruning kept (the
 * outputs of residual blocks: a residual add keeps its width). A student with other names than its teacher
 * (distill) has none.
 *
 * Ownership: the hints borrow both networks, which must outlive them; one thread at a time uses them. */
#ifndef ET_TRAIN_HINT_H
#define ET_TRAIN_HINT_H

#include "train/train.h"

typedef struct et_hints et_hints;

/* Pairs student and teacher feature maps (see above); the hint loss is weight x the mean of the points' losses.
 * ET_E_USAGE when the networks' inputs differ or the teacher was built for fewer samples per pass; ET_E_NOMEM.
 * The caller frees *out with et_hints_free. */
et_status et_hints_create(et_tnet *student, et_tnet *teacher, double weight, et_hints **out, et_err *err);
void et_hints_free(et_hints *h);

int et_hints_count(const et_hints *h);
/* The value name of hint point i. */
const char *et_hints_name(const et_hints *h, int i);

/* After the student's training forward over `batch` samples: the teacher's forward on the same inputs, the
 * weighted hint loss (into *loss) and its gradient written into the student's hint values, from which the next
 * et_tnet_backward starts beside the outputs' gradients. Errors of the teacher's forward. */
et_status et_hints_apply(et_hints *h, int batch, double *loss, et_err *err);

#endif
