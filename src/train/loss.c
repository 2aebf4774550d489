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

/* The variance of channel c of t (batch x channels x pixels) over the batch and the pixels. */
static double channel_var(const float *t, int batch, int64_t channels, int64_t pixels, int64_t c) {
    double m = 0.0, m2 = 0.0, n = (double)batch * (double)pixels;
    for (int b = 0; b < batch; b++)
        for (int64_t p = 0; p < pixels; p++) {
            double x = t[(b * channels + c) * pixels + p];
            m += x, m2 += x * x;
        }
    m /= n;
    double var = m2 / n - m * m;
    return var > 0 ? var : 0;
}

double et_loss_hint(const float *s, const float *t, int batch, int64_t channels, int64_t pixels, double weight,
                    float *grad) {
    double mean_var = 0.0, sum = 0.0;
    for (int64_t c = 0; c < channels; c++)
        mean_var += channel_var(t, batch, channels, pixels, c) / (double)channels;
    const double floor = 0.01 * mean_var + 1e-12, inv_n = 1.0 / ((double)batch * (double)pixels * (double)channels);
    for (int64_t c = 0; c < channels; c++) {
        const double var = channel_var(t, batch, channels, pixels, c), inv = 1.0 / (var > floor ? var : floor);
        for (int b = 0; b < batch; b++)
            for (int64_t p = 0; p < pixels; p++) {
                int64_t e = (b * channels + c) * pixels + p;
                double d = (double)s[e] - (double)t[e];
                sum += d * d * inv;
                grad[e] = (float)(weight * 2.0 * d * inv * inv_n);
            }
    }
    return sum * inv_n;
}

void et_loss_probs_to_logits(float *v, int64_t n, bool log_probs) {
    if (log_probs)
        return;
    for (int64_t e = 0; e < n; e++)
        v[e] = logf(v[e] > 1e-30f ? v[e] : 1e-30f);
}
