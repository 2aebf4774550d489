/* search_dp.c: the multiple-choice knapsack of search_dp.h. best[g][w]: the largest gain of groups 0..g-1 at a
 * total cost of at most w units (-inf: unreachable); choice[g][w] the option group g-1 took there. O(groups x
 * units x options) time, groups x units memory. */
#include "search/search_dp.h"

#include <math.h>
#include <stdlib.h>

static int units_of(double cost_pp, double unit_pp) {
    if (!(cost_pp > 0.0))
        return 0;
    return (int)ceil(cost_pp / unit_pp - 1e-9);
}

et_status et_search_dp(const et_search_option *const *opt, const int *n_opt, int n_groups, double budget_pp,
                       double unit_pp, int *pick, double *gain, double *cost_pp, et_err *err) {
    if (!(budget_pp >= 0.0) || !(unit_pp > 0.0) || budget_pp / unit_pp > 100000.0)
        return et_fail(err, ET_E_USAGE, "search: drop budget %g pp in units of %g pp is not a usable knapsack",
                       budget_pp, unit_pp);
    int W = (int)floor(budget_pp / unit_pp + 1e-9);
    size_t cells = (size_t)(n_groups + 1) * (size_t)(W + 1);
    double *best = malloc(cells * sizeof *best);
    int *choice = malloc(cells * sizeof *choice);
    if (!best || !choice) {
        free(best), free(choice);
        return et_fail(err, ET_E_NOMEM, "out of memory in the search's knapsack");
    }
    for (int w = 0; w <= W; w++)
        best[w] = 0.0, choice[w] = 0;
    for (int g = 0; g < n_groups; g++) {
        double *prev = best + (size_t)g * (size_t)(W + 1), *cur = prev + (W + 1);
        int *ch = choice + (size_t)(g + 1) * (size_t)(W + 1);
        for (int w = 0; w <= W; w++) {
            cur[w] = -INFINITY, ch[w] = -1;
            for (int o = 0; o < n_opt[g]; o++) {
                const et_search_option *x = &opt[g][o];
                double gx = o == 0 ? 0.0 : x->gain;
                if (o > 0 && (isnan(x->cost_pp) || isnan(x->gain)))
                    continue;
                int u = o == 0 ? 0 : units_of(x->cost_pp, unit_pp);
                if (u > w || prev[w - u] == -INFINITY)
                    continue;
                if (prev[w - u] + gx > cur[w])
                    cur[w] = prev[w - u] + gx, ch[w] = o;
            }
        }
    }
    /* backtrack from the full budget (best[.][w] is monotone in w: "at most w") */
    int w = W;
    double total_cost = 0.0;
    *gain = best[(size_t)n_groups * (size_t)(W + 1) + (size_t)W];
    for (int g = n_groups; g > 0; g--) {
        int o = choice[(size_t)g * (size_t)(W + 1) + (size_t)w];
        pick[g - 1] = o < 0 ? 0 : o;
        if (o > 0) {
            int u = units_of(opt[g - 1][o].cost_pp, unit_pp);
            w -= u;
            total_cost += opt[g - 1][o].cost_pp > 0.0 ? opt[g - 1][o].cost_pp : 0.0;
        }
    }
    if (cost_pp)
        *cost_pp = total_cost;
    free(best), free(choice);
    return ET_OK;
}
