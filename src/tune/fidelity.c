/* fidelity.c: agreement metrics between baseline and tuned outputs. */
#include "tune/fidelity.h"

#include <math.h>
#include <stdio.h>

int64_t et_argmax_f32(const float *x, int64_t n) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (x[i] > x[best])
            best = i;
    return best;
}

/* True when class c is among the 5 largest of x (ties count in its favour). */
static int in_top5(const float *x, int64_t n, int64_t c) {
    int64_t larger = 0;
    for (int64_t i = 0; i < n; i++)
        if (x[i] > x[c])
            larger++;
    return larger < 5;
}

void et_fidelity_add(et_fidelity_acc *acc, const float *b, const float *t, int64_t n, int64_t classes) {
    double dot = 0, nb = 0, nt = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)b[i] - (double)t[i];
        dot += (double)b[i] * t[i];
        nb += (double)b[i] * b[i];
        nt += (double)t[i] * t[i];
        acc->noise += d * d;
        if (fabs(d) > acc->max_abs || isnan(d))
            acc->max_abs = isnan(d) ? INFINITY : fabs(d);
    }
    acc->signal += nb;
    acc->cos_sum += nb > 0 && nt > 0 ? dot / sqrt(nb * nt) : (nb == nt ? 1.0 : 0.0);
    acc->n_inputs++;
    acc->classes = classes;
    if (classes >= 2 && n % classes == 0) {
        for (int64_t r = 0; r < n / classes; r++) {
            int64_t cb = et_argmax_f32(b + r * classes, classes);
            acc->top1 += cb == et_argmax_f32(t + r * classes, classes);
            acc->top5 += in_top5(t + r * classes, classes, cb);
            acc->rows++;
        }
    }
}

void et_fidelity_finish(const et_fidelity_acc *acc, const char *output_name, et_output_fidelity *out) {
    snprintf(out->output, sizeof out->output, "%s", output_name);
    out->top1_agreement = acc->rows ? (double)acc->top1 / acc->rows : -1.0;
    out->top5_agreement = acc->rows && acc->classes >= 6 ? (double)acc->top5 / acc->rows : -1.0;
    out->cosine = acc->n_inputs ? acc->cos_sum / acc->n_inputs : 0.0;
    out->sqnr_db = acc->noise > 0 ? 10.0 * log10(acc->signal / acc->noise) : INFINITY;
    out->max_abs_err = acc->max_abs;
}
