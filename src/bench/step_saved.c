/* step_saved.c: see step_saved.h. Steps of the two plans are paired by name, the k-th step of a name in one plan
 * with the k-th of that name in the other (names repeat only where a rewrite reuses one; pairing in order keeps
 * that exact). Quadratic in the steps: a model has tens to a few hundred, and this runs once per point. */
#include "bench/step_saved.h"

#include <stdbool.h>
#include <string.h>

/* Index in b of the step paired with a[i] (the same occurrence of a[i]'s name), or -1. */
static int paired_step(const et_step_fact *a, int i, const et_step_fact *b, int nb) {
    int k = 0;
    for (int j = 0; j < i; j++)
        k += strcmp(a[j].name, a[i].name) == 0;
    for (int j = 0; j < nb; j++)
        if (strcmp(b[j].name, a[i].name) == 0 && k-- == 0)
            return j;
    return -1;
}

bool et_step_changed(const et_step_fact *a, int na, int i, const et_step_fact *b, int nb) {
    if (i < 0 || i >= na)
        return false;
    int j = paired_step(a, i, b, nb);
    return j < 0 || a[i].macs != b[j].macs || a[i].act_elems != b[j].act_elems ||
           a[i].packed_bytes != b[j].packed_bytes || strcmp(a[i].kernel, b[j].kernel) != 0;
}

double et_step_speed(const et_step_fact *base, int n_base, const et_step_fact *point, int n_point) {
    double all = 0.0, ref_base = 0.0, ref_point = 0.0;
    for (int i = 0; i < n_base; i++) {
        all += base[i].ms;
        if (!et_step_changed(base, n_base, i, point, n_point)) {
            ref_base += base[i].ms;
            ref_point += point[paired_step(base, i, point, n_point)].ms;
        }
    }
    return ref_base >= 0.2 * all && ref_base > 0.0 && ref_point > 0.0 ? ref_base / ref_point : 1.0;
}

double et_step_time_saved_ms(const et_step_fact *base, int n_base, const et_step_fact *point, int n_point) {
    double saved;
    et_step_saves(base, n_base, point, n_point, NULL, 0, &saved);
    return saved;
}

int et_step_saves(const et_step_fact *base, int n_base, const et_step_fact *point, int n_point, et_sens_step_saved *out,
                  int max, double *time_saved_ms) {
    int n = 0;
    double speed = et_step_speed(base, n_base, point, n_point), saved = 0.0; /* once: it pairs every step */
    for (int i = 0; i < n_base; i++) {
        if (!et_step_changed(base, n_base, i, point, n_point))
            continue;
        saved += base[i].ms;
        int j = paired_step(base, i, point, n_point);
        if (out && n >= 0 && n < max)
            out[n] = (et_sens_step_saved){i, (float)base[i].ms,
                                          (float)(base[i].ms - (j >= 0 ? speed * point[j].ms : 0.0))};
        n = n >= 0 && n < max ? n + 1 : -1; /* -1: more than max moved */
    }
    for (int i = 0; time_saved_ms && i < n_point; i++)
        if (et_step_changed(point, n_point, i, base, n_base))
            saved -= speed * point[i].ms;
    if (time_saved_ms)
        *time_saved_ms = saved;
    return n < 0 ? 0 : n;
}

double et_step_overlap_ms(const et_sens_point *const *pts, int n) {
    double over = 0.0;
    for (int a = 0; a < n; a++) {
        for (int k = 0; pts[a] && k < pts[a]->n_step_saves; k++) {
            const et_sens_step_saved *s = &pts[a]->step_saves[k];
            bool first = true; /* step s is counted once: at the first point that moved it */
            for (int b = 0; b < a && first; b++)
                for (int m = 0; pts[b] && m < pts[b]->n_step_saves && first; m++)
                    first = pts[b]->step_saves[m].step != s->step;
            if (!first || s->base_ms <= 0.0f)
                continue;
            double sum = 0.0, kept = 1.0;
            int parts = 0;
            for (int b = a; b < n; b++)
                for (int m = 0; pts[b] && m < pts[b]->n_step_saves; m++) {
                    if (pts[b]->step_saves[m].step != s->step)
                        continue;
                    double f = pts[b]->step_saves[m].saved_ms / s->base_ms; /* the part of the step it saves */
                    sum += pts[b]->step_saves[m].saved_ms;
                    kept *= 1.0 - (f > 1.0 ? 1.0 : f);
                    parts++;
                }
            if (parts > 1)
                over += sum - s->base_ms * (1.0 - kept);
        }
    }
    return over;
}
