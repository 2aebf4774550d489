/* search_paired.h: the search's last timing: the points that decide the comparison (the finalists, the fastest
 * uniform points within the drop, and the points the finalists' predictions start from) timed again in ALTERNATING
 * rounds, each round timing every one of them once, so that the winner against the best uniform setting is judged
 * within one timing run by the paired rule of src/stats/ab.h (et_ab_paired), as sweep judges its rows, and each
 * latency prediction is checked against a measurement taken in the same state of the machine as its start. This VM runs the same work at two speeds for seconds at
 * a time: the fastest of separate rounds per point (the search's first timing) let a slow spell over one point's
 * rounds read as a 10 % difference between identical models (session 7); a spell over a round here slows every
 * point of that round alike. The order within a round is rotated by one every round, so no point is always timed
 * first after a reconfiguration. Pure: the timing itself is the caller's callback. */
#ifndef ET_SEARCH_SEARCH_PAIRED_H
#define ET_SEARCH_SEARCH_PAIRED_H

#include "util/status.h"

enum {
    ET_SEARCH_PAIRED_MAX_ROUNDS = 50 /* et_ab_paired's exact test */,
    ET_SEARCH_PAIRED_MAX_POINTS = 40 /* every finalist, its start point, uniform */
};

/* Times point `point` (0..n-1) once in round `round`: its figure for the round (ms, e.g. its p50 over the round's
 * iterations) in *ms. ET_OK, ET_E_CANCELLED to stop, any other error to stop with it. */
typedef et_status (*et_search_paired_fn)(void *ctx, int point, int round, double *ms, et_err *err);

/* n_rounds rounds over n points (1..ET_SEARCH_PAIRED_MAX_POINTS, rounds 1..ET_SEARCH_PAIRED_MAX_ROUNDS): round r
 * times points r % n, r % n + 1, ... (wrapping), each once. ms[p * n_rounds + r] gets point p's figure of round r
 * (NaN for rounds not completed). *rounds_done: the rounds completed (a stopped round is left out: NaN for every
 * point of it, so the pairs stay paired). Returns the callback's error (the rounds so far kept), or ET_E_USAGE. */
et_status et_search_paired_rounds(int n, int n_rounds, et_search_paired_fn fn, void *ctx, double *ms, int *rounds_done,
                                  et_err *err);

/* The median of a point's figures over its completed rounds (NaN values left out); NaN when there are none. */
double et_search_paired_median(const double *ms, int n_rounds);

#endif
