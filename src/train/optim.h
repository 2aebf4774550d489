/* optim.h: optimizers, the learning-rate schedule and gradient clipping for a training network.
 *
 *   SGD     with momentum (and Nesterov's variant) and L2 weight decay added to the gradient, as
 *           torch.optim.SGD (dampening 0): buf = mu buf + g (buf = g at the first step), w -= lr (g + mu buf)
 *           with Nesterov, else lr buf.
 *   AdamW   decoupled weight decay, as torch.optim.AdamW: w -= lr wd w, then the Adam step with bias
 *           corrections.
 * Weight decay applies to weights (Conv, Gemm, MatMul) only, not to biases or BatchNorm's scale and shift.
 * Clipping scales every gradient by max_norm / (norm + 1e-6) when the global L2 norm exceeds max_norm, as
 * torch.nn.utils.clip_grad_norm_.
 * The schedule: linear warm-up from lr / warmup to lr over `warmup` steps, then a cosine from lr down to
 * min_lr at the last step.
 *
 * The optimizer's state (momentum, Adam moments, step count) is exposed for checkpoints. */
#ifndef ET_TRAIN_OPTIM_H
#define ET_TRAIN_OPTIM_H

#include <stdbool.h>
#include <stdint.h>

#include "train/train.h"

#define ET_OPTIM_LIST(X) X(ET_OPTIM_SGD, "sgd") X(ET_OPTIM_ADAMW, "adamw")
typedef enum {
#define ET_X(e, s) e,
    ET_OPTIM_LIST(ET_X)
#undef ET_X
        ET_OPTIM_COUNT
} et_optim_kind;

typedef struct et_optim_config {
    et_optim_kind kind;
    float momentum;          /* SGD */
    bool nesterov;           /* SGD */
    float beta1, beta2, eps; /* AdamW */
    float weight_decay;
    float clip_norm; /* 0: no clipping */
} et_optim_config;

/* SGD: momentum 0.9, Nesterov, weight decay 5e-4; AdamW: betas 0.9/0.999, eps 1e-8, weight decay 0.01. */
et_optim_config et_optim_config_default(et_optim_kind kind);
const char *et_optim_name(et_optim_kind k);
int et_optim_parse(const char *s); /* -1 when unknown */

typedef struct et_optim et_optim;

/* State for every parameter of net (zeros). ET_E_NOMEM. The caller frees it with et_optim_free. */
et_status et_optim_create(const et_optim_config *cfg, et_tnet *net, et_optim **out, et_err *err);
void et_optim_free(et_optim *o);

/* The global L2 norm of the gradients (before clipping); NaN or inf when a gradient is not finite. */
double et_optim_grad_norm(const et_optim *o);
/* Clips (when configured) and applies one step at learning rate lr; marks the network's weights changed.
 * Returns the norm before clipping. */
double et_optim_step(et_optim *o, float lr);

/* State for checkpoints: the step count, and per parameter `slots` arrays of its numel floats (SGD 1: the
 * momentum buffer; AdamW 2: first and second moments). */
int64_t *et_optim_steps(et_optim *o);
int et_optim_slots(const et_optim *o);
float *et_optim_state(et_optim *o, int param, int slot);

typedef struct et_schedule {
    float lr, min_lr;
    int64_t warmup, total; /* steps */
} et_schedule;

/* The learning rate at step (0-based). */
float et_schedule_lr(const et_schedule *s, int64_t step);

#endif
