/* energy.c: energy per inference in each interval of a power timeline (the rule is in stats.h), so that energy
 * gets a significance test from the data every run already stores: its latency samples and its power timeline. */
#include "stats/stats.h"

int et_stats_energy_per_interval(const double *lat_ms, int n_lat, const int64_t *t_ns, const double *p_mw, int n_p,
                                 double *out_mj) {
    if (n_lat < 1 || n_p < 1 || !lat_ms || !t_ns || !p_mw || !out_mj)
        return 0;
    double total_ms = 0;
    for (int i = 0; i < n_lat; i++)
        total_ms += lat_ms[i] > 0 ? lat_ms[i] : 0;
    double window_ms = (double)t_ns[n_p - 1] / 1e6;
    if (!(total_ms > 0) || !(window_ms > 0))
        return 0;
    /* the iterations fill the window back to back: the loop's own overhead between them is spread evenly */
    double scale = window_ms / total_ms;
    int it = 0, n = 0;
    double it_start = 0, it_end = (lat_ms[0] > 0 ? lat_ms[0] : 0) * scale;
    for (int k = 0; k < n_p; k++) {
        double a = k == 0 ? 0 : (double)t_ns[k - 1] / 1e6, b = (double)t_ns[k] / 1e6;
        if (!(b > a) || !(p_mw[k] >= 0))
            continue;
        /* inferences in (a, b]: each iteration counts by the share of its span inside the interval */
        double count = 0;
        while (it < n_lat && it_start < b) {
            double lo = it_start > a ? it_start : a, hi = it_end < b ? it_end : b, span = it_end - it_start;
            if (hi > lo && span > 0)
                count += (hi - lo) / span;
            if (it_end > b)
                break; /* the iteration goes on into the next interval */
            if (++it < n_lat) {
                it_start = it_end;
                it_end = it_start + (lat_ms[it] > 0 ? lat_ms[it] : 0) * scale;
            }
        }
        if (count > 1e-9)
            out_mj[n++] = p_mw[k] * (b - a) * 1e-3 / count; /* mW x ms = uJ; / 1000 = mJ */
    }
    return n;
}
