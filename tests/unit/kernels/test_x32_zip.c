/* test_x32_zip.c: the zip kernels (x32-zip.h). The scalar kernel against the definition y[3i + j] = xj[i]; every
 * other config this CPU runs against the scalar one, bit for bit, over lengths 0..70 and 1000 (all vector widths
 * and tails), from unaligned planes, with a guard after the output (a kernel that writes past 3n fails). */
#include <string.h>

#include "engine/kernels/x32-zip/x32-zip.h"
#include "kernel_test.h"

enum { MAX = 1000, GUARD = 48 };

static const et_x32_zip3_config *scalar_zip(void) {
    size_t n;
    const et_x32_zip3_config *c = et_x32_zip3_configs(&n);
    return &c[n - 1];
}

static void random_planes(float *x, size_t count) {
    for (size_t i = 0; i < count; i++)
        x[i] = (float)(int32_t)kt_rand_u32() * 0x1p-20f;
}

static void test_scalar_is_the_definition(void) {
    float x[3 * 37], y[3 * 37];
    random_planes(x, 3 * 37);
    scalar_zip()->ukernel(37, x, x + 37, x + 74, y);
    for (size_t i = 0; i < 37; i++)
        for (size_t j = 0; j < 3; j++)
            ET_CHECK_MSG(y[3 * i + j] == x[j * 37 + i], "value %zu of plane %zu", i, j);
}

static void test_configs_match_scalar(void) {
    size_t n_cfg;
    const et_x32_zip3_config *cfg = et_x32_zip3_configs(&n_cfg);
    static float x[3 * MAX + 1], y1[3 * MAX + GUARD], y2[3 * MAX + GUARD];
    for (size_t ci = 0; ci + 1 < n_cfg; ci++) {
        const et_x32_zip3_config *c = &cfg[ci];
        if (!et_kreq_runnable(c->req)) {
            fprintf(stderr, "skip %s: this CPU lacks %s\n", c->name, et_kreq_name(c->req));
            continue;
        }
        for (size_t len = 0; len <= MAX; len = len < 70 ? len + 1 : MAX + 1) {
            const size_t n = len > MAX ? MAX : len;
            random_planes(x, 3 * n + 1);
            const float *x0 = x + 1, *x1 = x0 + n, *x2 = x1 + n; /* one float off the array's alignment */
            memset(y1, 0x55, sizeof y1);
            memset(y2, 0x55, sizeof y2);
            scalar_zip()->ukernel(n, x0, x1, x2, y1);
            c->ukernel(n, x0, x1, x2, y2);
            ET_CHECK_MSG(memcmp(y1, y2, sizeof y1) == 0, "%s length %zu (or wrote past the end)", c->name, n);
        }
    }
}

int main(void) {
    ET_RUN(test_scalar_is_the_definition);
    ET_RUN(test_configs_match_scalar);
    return et_test_done();
}
