/* x8-lut-x16-neon.c: NEON table lookup (see x8-lut.h), 16 bytes per step: the index u = x + 128 looks up the
 * first 64 entries with vqtbl4q, and the other three quarters with vqtbx4q on u - 64k (an index out of 0..63,
 * wrapped or not, leaves the byte as it was). Tails go through the same step on a padded copy. */
#include <arm_neon.h>
#include <string.h>

#include "engine/kernels/x8-lut/x8-lut.h"

static inline int8x16_t lookup(int8x16_t vx, const uint8x16x4_t t[4]) {
    const uint8x16_t u = veorq_u8(vreinterpretq_u8_s8(vx), vdupq_n_u8(0x80));
    uint8x16_t r = vqtbl4q_u8(t[0], u);
    r = vqtbx4q_u8(r, t[1], vsubq_u8(u, vdupq_n_u8(64)));
    r = vqtbx4q_u8(r, t[2], vsubq_u8(u, vdupq_n_u8(128)));
    r = vqtbx4q_u8(r, t[3], vsubq_u8(u, vdupq_n_u8(192)));
    return vreinterpretq_s8_u8(r);
}

ET_X8_LUT_UKERNEL(et_x8_lut_ukernel_x16__neon) {
    ET_X8_LUT_REQUIRE();
    if (n == 0)
        return;
    uint8x16x4_t t[4];
    for (int q = 0; q < 4; q++)
        t[q] = vld1q_u8_x4((const uint8_t *)table + 64 * q);
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        vst1q_s8(y + i, lookup(vld1q_s8(x + i), t));
    if (i < n) {
        int8_t buf[16] = {0};
        memcpy(buf, x + i, n - i);
        vst1q_s8(buf, lookup(vld1q_s8(buf), t));
        memcpy(y + i, buf, n - i);
    }
}
