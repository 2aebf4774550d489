/* pareto.c: the Pareto rule (pareto.h). O(n^2): the points are a sweep's grid or a comparison's runs. */
#include "stats/pareto.h"

#include <math.h>

void et_pareto(const double *cost, const double *quality, int n, bool *optimal) {
    for (int i = 0; i < n; i++) {
        optimal[i] = !isnan(cost[i]) && !isnan(quality[i]);
        for (int j = 0; j < n && optimal[i]; j++) {
            if (j == i || isnan(cost[j]) || isnan(quality[j]))
                continue;
            bool no_worse = cost[j] <= cost[i] && quality[j] >= quality[i];
            bool better = cost[j] < cost[i] || quality[j] > quality[i];
            if (no_worse && better)
                optimal[i] = false;
        }
    }
}
