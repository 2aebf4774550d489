/* fidelity.h: how far a tuned model's outputs are from the fp32 baseline's on the same inputs.
 *
 * Per output tensor, accumulated over evaluation inputs:
 *   top-1 agreement  fraction of rows (last dim = classes) whose arg-max equals the baseline's
 *   top-5 agreement  fraction of rows where the baseline's arg-max is among the tuned top 5 (needs >= 6 classes)
 *   cosine           mean over inputs of the cosine similarity of the flattened outputs
 *   SQNR             10 log10(sum baseline^2 / sum (baseline - tuned)^2) in dB, +inf when identical
 *   max abs error    over all elements */
#ifndef ET_TUNE_FIDELITY_H
#define ET_TUNE_FIDELITY_H

#include <stdint.h>

#include "record/result.h"

typedef struct et_fidelity_acc {
    int n_inputs;
    int64_t rows, top1, top5;
    int64_t classes;
    double cos_sum, signal, noise, max_abs;
} et_fidelity_acc;

/* Adds one input's output: baseline and tuned hold n floats; classes = size of the last dim (rows = n/classes). */
void et_fidelity_add(et_fidelity_acc *acc, const float *baseline, const float *tuned, int64_t n, int64_t classes);
void et_fidelity_finish(const et_fidelity_acc *acc, const char *output_name, et_output_fidelity *out);

/* Index of the largest of x[0..n) (first on ties); 0 for n == 0. */
int64_t et_argmax_f32(const float *x, int64_t n);

#endif
