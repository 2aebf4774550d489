/* qs8-vadd-x1-scalar.c: the portable int8 add, one element at a time (see qs8-vadd.h). */
#include "engine/kernels/qs8-vadd/qs8-vadd.h"

ET_QS8_VADD_UKERNEL(et_qs8_vadd_ukernel_x1__scalar) {
    ET_QS8_VADD_REQUIRE();
    for (size_t i = 0; i < n; i++) {
        const float fa = (float)((int32_t)a[i] - p->a_zp) * p->a_scale;
        const float fb = (float)((int32_t)b[b_scalar ? 0 : i] - p->b_zp) * p->b_scale;
        y[i] = et_qs8_round_clamp(fa + fb, &p->out);
    }
}
