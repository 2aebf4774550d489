/* search_dp.c: the multiple-choice knapsack of search_dp.h. best[g][w]: the largest gain of groups 0..g-1 at a
 * total cost of at most w units (-inf: unreachable); choice[g][w] the option group g-1 took there. O(groups x
 * units x options) time, groups x units memory. The moves from a start (et_search_dp_moves) reduce to it. */
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

et_status et_search_dp_moves(const et_search_option *const *opt, const int *n_opt, const int *start, int n_groups,
                             double budget_pp, double unit_pp, int *pick, double *gain, double *cost_pp, et_err *err) {
    int total = 0;
    for (int g = 0; g < n_groups; g++)
        total += n_opt[g];
    et_search_option *sh = calloc((size_t)total + 1, sizeof *sh);
    const et_search_option **so = calloc((size_t)n_groups + 1, sizeof *so);
    int *map = calloc((size_t)total + 1, sizeof *map), *cnt = calloc((size_t)n_groups + 1, sizeof *cnt);
    int *sp = calloc((size_t)n_groups + 1, sizeof *sp);
    if (!sh || !so || !map || !cnt || !sp) {
        free(sh), free(so), free(map), free(cnt), free(sp);
        return et_fail(err, ET_E_NOMEM, "out of memory in the search's knapsack");
    }
    /* each group: option 0 its cheapest (the start when nothing costs less), the others relative to it */
    double freed = 0.0, base_gain = 0.0;
    int at = 0;
    for (int g = 0; g < n_groups; g++) {
        const et_search_option *o = opt[g];
        double c0 = o[start[g]].cost_pp, g0 = o[start[g]].gain;
        c0 = isnan(c0) ? 0.0 : c0, g0 = isnan(g0) ? 0.0 : g0;
        int cheap = start[g];
        double cc = 0.0, gc = 0.0;
        for (int i = 0; i < n_opt[g]; i++)
            if (i != start[g] && !isnan(o[i].cost_pp) && !isnan(o[i].gain) && o[i].cost_pp - c0 < cc)
                cheap = i, cc = o[i].cost_pp - c0, gc = o[i].gain - g0;
        freed -= cc, base_gain += gc;
        so[g] = sh + at;
        int *m = map + at;
        sh[at] = (et_search_option){0.0, 0.0};
        m[0] = cheap;
        cnt[g] = 1;
        for (int i = 0; i < n_opt[g]; i++) {
            if (i == cheap || (i != start[g] && (isnan(o[i].cost_pp) || isnan(o[i].gain))))
                continue;
            double ci = i == start[g] ? 0.0 : o[i].cost_pp - c0, gi = i == start[g] ? 0.0 : o[i].gain - g0;
            sh[at + cnt[g]] = (et_search_option){ci - cc, gi - gc};
            m[cnt[g]++] = i;
        }
        at += cnt[g];
    }
    et_status st = ET_OK;
    double b = budget_pp + freed, gsum = 0.0, csum = 0.0;
    if (b < -1e-12) { /* nothing fits: as far back as it goes */
        for (int g = 0; g < n_groups; g++)
            pick[g] = map[so[g] - sh];
        gsum = -INFINITY;
    } else {
        st = et_search_dp(so, cnt, n_groups, b > 0.0 ? b : 0.0, unit_pp, sp, &gsum, &csum, err);
        for (int g = 0; st == ET_OK && g < n_groups; g++)
            pick[g] = map[(so[g] - sh) + sp[g]];
        gsum += base_gain;
    }
    if (st == ET_OK) {
        double c = 0.0;
        for (int g = 0; g < n_groups; g++)
            c += pick[g] == start[g]
                     ? 0.0
                     : opt[g][pick[g]].cost_pp - (isnan(opt[g][start[g]].cost_pp) ? 0.0 : opt[g][start[g]].cost_pp);
        if (gain)
            *gain = gsum;
        if (cost_pp)
            *cost_pp = c;
    }
    free(sh), free(so), free(map), free(cnt), free(sp);
    return st;
}
