/* loss.c: distillation, cross-entropy, their mix, and mean squared error (loss.h). */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "train/loss.h"

/* log-sum-exp of x / T over n values */
static double lse(const float *x, int64_t n, double inv_t) {
    double mx = x[0] * inv_t;
    for (int64_t j = 1; j < n; j++)
        mx = x[j] * inv_t > mx ? x[j] * inv_t : mx;
    double s = 0.0;
    for (int64_t j = 0; j < n; j++)
        s += exp(x[j] * inv_t - mx);
    return mx + log(s);
}

static int64_t argmax(const float *x, int64_t n) {
    int64_t best = 0;
    for (int64_t j = 1; j < n; j++)
        best = x[j] > x[best] ? j : best;
    return best;
}

double et_loss_classes(const float *s, const float *t, const int64_t *labels, int batch, int64_t classes,
                       const et_loss_config *cfg, float *grad, et_loss_parts *parts) {
    *parts = (et_loss_parts){0};
    const double temp = cfg->temperature > 0 ? cfg->temperature : 1.0, inv_t = 1.0 / temp;
    const double w_kd = t ? (labels ? cfg->kd_weight : 1.0) : 0.0, w_ce = labels ? 1.0 - w_kd : 0.0;
    const double inv_b = 1.0 / batch;
    for (int b = 0; b < batch; b++) {
        const float *sb = s + (int64_t)b * classes, *tb = t ? t + (int64_t)b * classes : NULL;
        float *gb = grad + (int64_t)b * classes;
        for (int64_t j = 0; j < classes; j++)
            gb[j] = 0.0f;
        int64_t top = argmax(sb, classes);
        if (tb) {
            const double ls = lse(sb, classes, inv_t), lt = lse(tb, classes, inv_t);
            double kl = 0.0;
            for (int64_t j = 0; j < classes; j++) {
                double log_pt = tb[j] * inv_t - lt, log_ps = sb[j] * inv_t - ls, pt = exp(log_pt);
                kl += pt * (log_pt - log_ps);
                /* d (T^2 KL) / d s_j = T (p_s - p_t) */
                gb[j] += (float)(w_kd * inv_b * temp * (exp(log_ps) - pt));
            }
            parts->kd += kl * temp * temp * inv_b;
            parts->agree += top == argmax(tb, classes);
        }
        if (labels) {
            int64_t y = labels[b];
            if (y < 0 || y >= classes) {
                parts->bad_labels++;
                continue;
            }
            const double l1 = lse(sb, classes, 1.0);
            parts->ce += (l1 - sb[y]) * inv_b;
            for (int64_t j = 0; j < classes; j++)
                gb[j] += (float)(w_ce * inv_b * (exp(sb[j] - l1) - (j == y ? 1.0 : 0.0)));
            parts->correct += top == y;
        }
    }
    parts->total = w_kd * parts->kd + w_ce * parts->ce;
    return parts->total;
}

double et_loss_mse(const float *s, const float *t, int batch, int64_t n, float *grad) {
    const int64_t total = (int64_t)batch * n;
    double sum = 0.0, inv = 1.0 / (double)total;
    for (int64_t e = 0; e < total; e++) {
        double d = (double)s[e] - (double)t[e];
        sum += d * d;
        grad[e] = (float)(2.0 * d * inv);
    }
    return sum * inv;
}

void et_loss_probs_to_logits(float *v, int64_t n, bool log_probs) {
    if (log_probs)
        return;
    for (int64_t e = 0; e < n; e++)
        v[e] = logf(v[e] > 1e-30f ? v[e] : 1e-30f);
}
