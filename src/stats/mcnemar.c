/* mcnemar.c: McNemar's test for paired binary outcomes (per-input correctness of two runs on the same
 * evaluation set). Only the discordant pairs carry information: b inputs right in the first run only, c right in
 * the second only. Under no difference each discordant pair is a fair coin. */
#include <math.h>

#include "stats/stats.h"

/* P[X <= k] for X ~ Bin(n, 1/2), summed in log space so large n does not overflow. */
static double binom_half_cdf(int n, int k) {
    double sum = 0, log_half_n = n * log(0.5);
    for (int i = 0; i <= k; i++)
        sum += exp(lgamma(n + 1.0) - lgamma(i + 1.0) - lgamma(n - i + 1.0) + log_half_n);
    return sum;
}

et_mcnemar_result et_mcnemar(int b, int c) {
    et_mcnemar_result r = {.b = b, .c = c, .p = 1.0};
    int n = b + c;
    if (n <= 0)
        return r;
    if (n < ET_MCNEMAR_EXACT_BELOW) {
        r.exact = true;
        r.p = fmin(1.0, 2.0 * binom_half_cdf(n, b < c ? b : c));
        return r;
    }
    double d = fabs((double)(b - c)) - 1.0;
    r.stat = d > 0 ? d * d / n : 0;
    r.p = erfc(sqrt(r.stat / 2.0)); /* chi-square, 1 degree of freedom: P[chi2 > s] = P[|Z| > sqrt(s)] */
    return r;
}
