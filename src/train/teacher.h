/* teacher.h: the teacher's outputs for distillation: the fp32 model run by the engine's inference plan (plan.h),
 * one sample at a time (a batch-1 plan serves any model; with several threads, a batch's samples run side by side
 * on one single-thread plan per thread where their copies fit 64 MiB, else each on one plan of all threads), its
 * outputs kept per sample so that every later epoch reads them instead of running the teacher again.
 *
 * Outputs are logits for the loss: a final Softmax's probabilities become log-probabilities (loss.h), a
 * LogSoftmax's are kept; other outputs are as the model computes them. The cache holds two sets (training and
 * evaluation data) up to a memory budget; past it, outputs are computed every time.
 *
 * The teacher borrows its graph (which must outlive it); one thread at a time uses it. */
#ifndef ET_TRAIN_TEACHER_H
#define ET_TRAIN_TEACHER_H

#include <stdbool.h>
#include <stdint.h>

#include "model/graph.h"
#include "util/status.h"

typedef struct et_teacher et_teacher;

/* A teacher for graph g on `threads` threads, caching up to cache_bytes of outputs for sets of n_samples[0]
 * (training) and n_samples[1] (evaluation) samples. Errors of et_plan_create; ET_E_UNSUPPORTED for outputs that
 * are not float32. */
et_status et_teacher_create(const et_graph *g, int threads, const int64_t n_samples[2], size_t cache_bytes,
                            et_teacher **out, et_err *err);
void et_teacher_free(et_teacher *t);

int et_teacher_n_inputs(const et_teacher *t);
int64_t et_teacher_input_numel(const et_teacher *t, int i);
int et_teacher_n_outputs(const et_teacher *t);
int64_t et_teacher_output_numel(const et_teacher *t, int i);

/* The logits of sample `index` of `set` (0 training, 1 evaluation) into out[i] (output_numel floats each), from
 * the cache or by running the plan on inputs[i] (input_numel floats each). */
et_status et_teacher_outputs(et_teacher *t, int set, int64_t index, const float *const *inputs, float *const *out,
                             et_err *err);

/* The same for `count` samples at once: sample b reads inputs[i] + b input_numel and writes out[i] + b
 * output_numel; index[b] is its index in `set` (index NULL: none, nothing cached). The samples not in the cache
 * run side by side on the teacher's threads. Errors of et_plan_run (the first failing sample's), ET_E_NOMEM. */
et_status et_teacher_outputs_batch(et_teacher *t, int set, const int64_t *index, int count, const float *const *inputs,
                                   float *const *out, et_err *err);

/* Samples whose outputs came from the cache and from the plan, since creation. */
void et_teacher_counts(const et_teacher *t, int64_t *cached, int64_t *computed);

#endif
