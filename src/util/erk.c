/* erk.c: see erk.h. */
#include "util/erk.h"

#include <stdlib.h>

bool et_erk_density(int n, const double *numel, const double *dims_sum, const bool *skip, double ratio,
                    double *density) {
    bool *dense = calloc((size_t)n + 1, sizeof *dense);
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        density[i] = skip && skip[i] ? 1.0 : dense ? 0.0 : 1.0 - ratio;
        total += skip && skip[i] ? 0.0 : numel[i];
    }
    if (!dense)
        return false;
    /* kept_i = eps x sum(dims)_i (= eps x score_i x numel_i); layers that would keep more than all of theirs are
       fixed dense, and eps is found again without them */
    double eps = 0.0;
    for (bool again = true; again;) {
        again = false;
        double kept_dense = 0.0, weighted = 0.0;
        for (int i = 0; i < n; i++) {
            if (skip && skip[i])
                continue;
            if (dense[i])
                kept_dense += numel[i];
            else
                weighted += dims_sum[i];
        }
        eps = weighted > 0 ? ((1.0 - ratio) * total - kept_dense) / weighted : 0.0;
        for (int i = 0; i < n; i++)
            if (!(skip && skip[i]) && !dense[i] && numel[i] > 0 && eps * dims_sum[i] / numel[i] >= 1.0)
                dense[i] = again = true;
    }
    for (int i = 0; i < n; i++) {
        if (skip && skip[i])
            continue;
        double keep = dense[i] ? 1.0 : numel[i] > 0 ? eps * dims_sum[i] / numel[i] : 1.0;
        density[i] = keep < 0 ? 0 : keep > 1 ? 1 : keep;
    }
    free(dense);
    return true;
}
