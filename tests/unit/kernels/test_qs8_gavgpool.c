/* test_qs8_gavgpool.c: the int8 global pooling kernels (qs8-gavgpool.h). The scalar kernel against qc8-ref's
 * et_qc8_gavgpool_ref; every other config this CPU runs against the scalar one, bit for bit, over channel counts
 * 1..70 and 576 (32-, 16- and 8-channel steps and single-channel tails), 1..50, 255..257, 513 (NEON's int16
 * partial sums of 256 pixels: one short, exact, one over) and 3136 pixels, rows with padding between them,
 * constant inputs at -128 and 127 (the largest sums); and one hand-computed average, so a kernel and a reference
 * wrong the same way still fail. */
#include <stdlib.h>
#include <string.h>

#include "engine/kernels/qc8-ref/qc8-ref.h"
#include "engine/kernels/qs8-gavgpool/qs8-gavgpool.h"
#include "kernel_test.h"

static const et_qs8_gavgpool_config *scalar_pool(void) {
    size_t n;
    const et_qs8_gavgpool_config *c = et_qs8_gavgpool_configs(&n);
    return &c[n - 1];
}

static void random_params(et_qs8_gavgpool_params *p, size_t pixels, float *sx, int32_t *zx, float *sy, int32_t *zy) {
    *sx = (float)(1 + kt_rand_u32() % 512) / 512.0f;
    *sy = (float)(1 + kt_rand_u32() % 512) / 512.0f;
    *zx = (int32_t)(kt_rand_u32() % 256) - 128;
    *zy = (int32_t)(kt_rand_u32() % 256) - 128;
    et_qs8_gavgpool_params_init(p, pixels, *sx, *zx, *sy, *zy, -128, 127);
}

static void test_hand_computed(void) {
    /* 4 pixels of one channel 1, 2, 3, 6 (zp 0, scales 1): the average 3 -> 3 + zp_y 5 = 8 */
    et_qs8_gavgpool_params p;
    et_qs8_gavgpool_params_init(&p, 4, 1.0f, 0, 1.0f, 5, -128, 127);
    const int8_t x[4] = {1, 2, 3, 6};
    int8_t y = 0;
    scalar_pool()->ukernel(4, 1, x, 1, &y, &p);
    ET_CHECK(y == 8);
}

static void fill(int8_t *x, size_t n, int mode) {
    for (size_t i = 0; i < n; i++)
        x[i] = mode == 0 ? (int8_t)(kt_rand_u32() & 255) : mode == 1 ? -128 : 127;
}

static void test_configs_match_reference(void) {
    size_t n_cfg;
    const et_qs8_gavgpool_config *cfg = et_qs8_gavgpool_configs(&n_cfg);
    const size_t chans[] = {1, 2, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 47, 48, 63, 64, 65, 70, 96, 576};
    const size_t pixs[] = {1, 2, 3, 49, 50, 196, 255, 256, 257, 513, 3136};
    int8_t *x = malloc(3136 * 600), want[600], got[600 + 32];
    ET_CHECK(x != NULL);
    if (!x)
        return;
    for (size_t ic = 0; ic < sizeof chans / sizeof *chans; ic++)
        for (size_t ip = 0; ip < sizeof pixs / sizeof *pixs; ip++)
            for (int mode = 0; mode < 3; mode++) {
                const size_t ch = chans[ic], px = pixs[ip], stride = ch + (ip & 1) * 3;
                fill(x, px * stride, mode);
                et_qs8_gavgpool_params p;
                float sx, sy;
                int32_t zx, zy;
                random_params(&p, px, &sx, &zx, &sy, &zy);
                et_qc8_gavgpool_ref(px, ch, x, stride, zx, p.mult, zy, -128, 127, want);
                for (size_t ci = 0; ci < n_cfg; ci++) {
                    const et_qs8_gavgpool_config *c = &cfg[ci];
                    if (!et_kreq_runnable(c->req))
                        continue;
                    memset(got, 0x55, sizeof got);
                    c->ukernel(px, ch, x, stride, got, &p);
                    ET_CHECK_MSG(memcmp(want, got, ch) == 0 && got[ch] == 0x55,
                                 "%s: %zu channels, %zu pixels, stride %zu, mode %d", c->name, ch, px, stride, mode);
                }
            }
    free(x);
}

int main(void) {
    ET_RUN(test_hand_computed);
    ET_RUN(test_configs_match_reference);
    return et_test_done();
}
