/* test_erk.c: Erdős-Rényi-kernel allocation (util/erk.h): exactly `ratio` of the weights go overall, thin layers
 * keep more than wide ones, a layer the rule would keep whole is capped at density 1 and the others make up for
 * it, skipped layers take no part. */
#include <math.h>

#include "et_test.h"
#include "util/erk.h"

static void test_shares(void) {
    /* a depthwise 3x3 (32x1x3x3), a 1x1 (64x32x1x1), a 3x3 (64x64x3x3) and an fc (10x64), the first one skipped */
    const double numel[] = {288, 2048, 36864, 640, 288};
    const double dims[] = {32 + 1 + 3 + 3, 64 + 32 + 1 + 1, 64 + 64 + 3 + 3, 10 + 64, 32 + 1 + 3 + 3};
    const bool skip[] = {false, false, false, false, true};
    double d[5];
    ET_REQUIRE(et_erk_density(5, numel, dims, skip, 0.97, d));
    double kept = 0, total = 0;
    for (int i = 0; i < 4; i++)
        kept += d[i] * numel[i], total += numel[i];
    ET_CHECK_NEAR(kept / total, 0.03, 1e-9);             /* exactly 97 % pruned overall */
    ET_CHECK(d[4] == 1.0);                               /* skipped */
    ET_CHECK(d[0] > d[3] && d[3] > d[1] && d[1] > d[2]); /* by sum(dims) / prod(dims): thin layers keep more */
    for (int i = 0; i < 4; i++)
        ET_CHECK(d[i] >= 0 && d[i] <= 1);
    /* 80 %: the depthwise, 1x1 and fc layers would keep more than all of theirs: capped at 1, the 3x3 takes the
       rest, still exactly 80 % overall */
    ET_REQUIRE(et_erk_density(4, numel, dims, NULL, 0.8, d));
    ET_CHECK(d[0] == 1.0 && d[1] == 1.0 && d[3] == 1.0 && d[2] < 0.2);
    kept = 0;
    for (int i = 0; i < 4; i++)
        kept += d[i] * numel[i];
    ET_CHECK_NEAR(kept / total, 0.2, 1e-9);
}

int main(void) {
    ET_RUN(test_shares);
    return et_test_done();
}
