/* test_x8_lut.c: the int8 table kernels (x8-lut.h). The scalar kernel against qc8-ref's et_qc8_lut_ref on every
 * index; every other config this CPU runs against the scalar one, bit for bit, over lengths 0..70 and 1000 (all
 * vector widths and tails), on random tables, in place too. */
#include <string.h>

#include "engine/kernels/qc8-ref/qc8-ref.h"
#include "engine/kernels/x8-lut/x8-lut.h"
#include "kernel_test.h"

static const et_x8_lut_config *scalar_lut(void) {
    size_t n;
    const et_x8_lut_config *c = et_x8_lut_configs(&n);
    return &c[n - 1];
}

static void random_table(int8_t table[256]) {
    for (int i = 0; i < 256; i++)
        table[i] = (int8_t)(kt_rand_u32() & 255);
}

static void test_scalar_is_reference(void) {
    int8_t table[256], x[256], want[256], got[256];
    random_table(table);
    for (int i = 0; i < 256; i++)
        x[i] = (int8_t)(i - 128);
    et_qc8_lut_ref(table, x, want, 0, 256);
    scalar_lut()->ukernel(256, x, got, table);
    ET_CHECK(memcmp(want, got, 256) == 0);
    ET_CHECK(memcmp(want, table, 256) == 0); /* x runs through -128..127 in order */
}

static void test_configs_match_scalar(void) {
    size_t n_cfg;
    const et_x8_lut_config *cfg = et_x8_lut_configs(&n_cfg);
    enum { MAX = 1000 };
    int8_t table[256], x[MAX], y1[MAX + 32], y2[MAX + 32], inplace[MAX];
    for (size_t ci = 0; ci + 1 < n_cfg; ci++) {
        const et_x8_lut_config *c = &cfg[ci];
        if (!et_kreq_runnable(c->req)) {
            fprintf(stderr, "skip %s: this CPU lacks %s\n", c->name, et_kreq_name(c->req));
            continue;
        }
        for (size_t len = 0; len <= MAX; len = len < 70 ? len + 1 : MAX + 1) {
            const size_t n = len > MAX ? MAX : len;
            random_table(table);
            for (size_t i = 0; i < n; i++)
                x[i] = (int8_t)(kt_rand_u32() & 255);
            memset(y1, 0x55, sizeof y1);
            memset(y2, 0x55, sizeof y2);
            scalar_lut()->ukernel(n, x, y1, table);
            c->ukernel(n, x, y2, table);
            ET_CHECK_MSG(memcmp(y1, y2, sizeof y1) == 0, "%s length %zu (or wrote past the end)", c->name, n);
            memcpy(inplace, x, n);
            c->ukernel(n, inplace, inplace, table);
            ET_CHECK_MSG(memcmp(y1, inplace, n) == 0, "%s in place, length %zu", c->name, n);
        }
    }
}

int main(void) {
    ET_RUN(test_scalar_is_reference);
    ET_RUN(test_configs_match_scalar);
    return et_test_done();
}
