/* search_dp.h: the combinatorial pass of the search: a multiple-choice knapsack solved by dynamic programming.
 * Each group (a weight layer) takes exactly one of its options (option 0 is "leave the layer as the base has
 * it": cost 0, gain 0); each option costs a predicted accuracy drop (pp, the additive model: the drops of the
 * layers changed alone, summed) and gains time or bytes saved. The pass maximises the summed gain with the
 * summed cost within a budget. Costs are counted in whole units of unit_pp (rounded up, so a chosen set never
 * exceeds the budget by its own numbers); a negative cost (a change that measured better than the base) counts
 * as 0, so noise on a small data set cannot pay for another layer's drop. Pure: no I/O, no session. */
#ifndef ET_SEARCH_SEARCH_DP_H
#define ET_SEARCH_SEARCH_DP_H

#include "util/status.h"

typedef struct et_search_option {
    double cost_pp; /* predicted accuracy drop in percentage points (>= 0 counts; NaN: never chosen) */
    double gain;    /* what the objective saves (ms or bytes); NaN: never chosen */
} et_search_option;

/* Chooses one option per group: opt[g] points at n_opt[g] options of group g (n_opt[g] >= 1; option 0 is taken
 * as is, whatever it holds). pick[g] gets the chosen index, *gain the summed gain, *cost_pp the summed (clamped)
 * cost. ET_E_USAGE for a budget < 0, unit_pp <= 0 or more than 100000 units; ET_E_NOMEM. */
et_status et_search_dp(const et_search_option *const *opt, const int *n_opt, int n_groups, double budget_pp,
                       double unit_pp, int *pick, double *gain, double *cost_pp, et_err *err);

/* Moves from a start: group g is at option start[g]; every option's cost (pp, signed: negative for a move back that
 * frees budget) and gain are against the start's (the start's own option should hold 0, 0). Chooses one option per
 * group maximising the summed gain with the summed signed cost within budget_pp (the room the start leaves; may be
 * negative: then only moves back can make it fit). Solved by et_search_dp after shifting each group's costs by its
 * cheapest option (which becomes its "unchanged" option) and the budget by what those free; NaN options are never
 * chosen, the start always may be. When nothing fits, pick[g] is each group's cheapest option and *gain is -inf.
 * pick[g] gets an index into opt[g]; *cost_pp the summed signed cost. Errors as et_search_dp. */
et_status et_search_dp_moves(const et_search_option *const *opt, const int *n_opt, const int *start, int n_groups,
                             double budget_pp, double unit_pp, int *pick, double *gain, double *cost_pp, et_err *err);

#endif
