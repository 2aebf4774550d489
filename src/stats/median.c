/* median.c: medians by selection (Hoare's quickselect with a median-of-three pivot), so a bootstrap over runs
 * of 10,000 samples costs O(n) per resample rather than a sort. */
#include <math.h>

#include "stats/stats.h"

static void swap(double *v, int i, int j) {
    double t = v[i];
    v[i] = v[j];
    v[j] = t;
}

/* Reorders v[0..n) so that v[k] is the k-th smallest and nothing before it is larger; returns v[k]. */
static double select_kth(double *v, int n, int k) {
    int lo = 0, hi = n - 1;
    while (hi > lo) {
        int mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo])
            swap(v, mid, lo);
        if (v[hi] < v[lo])
            swap(v, hi, lo);
        if (v[hi] < v[mid])
            swap(v, hi, mid);
        double pivot = v[mid];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j)
                swap(v, i++, j--);
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break; /* v[j+1..i-1] all equal the pivot, k among them */
    }
    return v[k];
}

double et_stats_median_inplace(double *v, int n) {
    if (n < 1)
        return NAN;
    int k = n / 2;
    double upper = select_kth(v, n, k);
    if (n % 2)
        return upper;
    double lower = v[0]; /* the largest of v[0..k): all are <= upper after the selection */
    for (int i = 1; i < k; i++)
        if (v[i] > lower)
            lower = v[i];
    return 0.5 * (lower + upper);
}

int et_stats_block_medians(const double *x, int n, int max_blocks, double *out, double *scratch) {
    if (n < 1 || max_blocks < 1)
        return 0;
    int k = n < max_blocks ? n : max_blocks;
    for (int b = 0; b < k; b++) {
        int from = (int)((int64_t)b * n / k), to = (int)((int64_t)(b + 1) * n / k);
        for (int i = from; i < to; i++)
            scratch[i - from] = x[i];
        out[b] = et_stats_median_inplace(scratch, to - from);
    }
    return k;
}
