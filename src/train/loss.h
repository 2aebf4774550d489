/* loss.h: the losses of training, each returning the mean loss over the batch and writing d loss / d output.
 *
 *   distillation   T^2 x KL(softmax(t / T) || softmax(s / T)), t the teacher's logits, s the student's (Hinton et
 *                  al.; the T^2 keeps the gradient's scale independent of T). As PyTorch's
 *                  F.kl_div(F.log_softmax(s / T), F.softmax(t / T), reduction="batchmean") * T * T.
 *   cross-entropy  -log softmax(s)[label], the mean over the batch (F.cross_entropy).
 *   mix            kd_weight x distillation + (1 - kd_weight) x cross-entropy.
 *   mse            the mean squared difference to the teacher over every element (outputs that are not class
 *                  scores: a detector's maps).
 * Sums are in double; a label outside [0, classes) is skipped (counted in the result). */
#ifndef ET_TRAIN_LOSS_H
#define ET_TRAIN_LOSS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct et_loss_config {
    float temperature; /* > 0 */
    float kd_weight;   /* 0..1: the share of distillation; 1 without labels */
} et_loss_config;

typedef struct et_loss_parts {
    double total, kd, ce; /* the mean losses (kd and ce before weighting) */
    int64_t correct;      /* samples whose top-1 class is the label */
    int64_t agree;        /* samples whose top-1 class is the teacher's */
    int64_t bad_labels;   /* labels outside the classes (skipped) */
} et_loss_parts;

/* Class scores s (batch x classes) against teacher logits t (NULL: no distillation) and labels (NULL: none);
 * writes the gradient of the total into grad (same size). Returns parts->total. */
double et_loss_classes(const float *s, const float *t, const int64_t *labels, int batch, int64_t classes,
                       const et_loss_config *cfg, float *grad, et_loss_parts *parts);

/* Mean squared difference of s and t (batch x n elements); gradient into grad. */
double et_loss_mse(const float *s, const float *t, int batch, int64_t n, float *grad);

/* Teacher outputs that are probabilities (a final Softmax) or log-probabilities (LogSoftmax) as logits for
 * et_loss_classes, in place: log(p) (p floored at 1e-30), or unchanged. */
void et_loss_probs_to_logits(float *v, int64_t n, bool log_probs);

#endif
