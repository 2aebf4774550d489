/* qs8-vmul-x1-scalar.c: the portable int8 multiply, one element at a time (see qs8-vmul.h); the rows form is the
 * same rule row by row, the oracle of the others. */
#include "engine/kernels/qs8-vmul/qs8-vmul.h"

ET_QS8_VMUL_UKERNEL(et_qs8_vmul_ukernel_x1__scalar) {
    ET_QS8_VMUL_REQUIRE();
    for (size_t i = 0; i < n; i++) {
        const int32_t prod = ((int32_t)a[i] - p->a_zp) * ((int32_t)b[b_scalar ? 0 : i] - p->b_zp);
        y[i] = et_qs8_round_clamp((float)prod * p->mult, &p->out);
    }
}

ET_QS8_VMUL_ROWS(et_qs8_vmul_rows_x1__scalar) {
    ET_QS8_VMUL_ROWS_REQUIRE();
    for (size_t r = 0; r < rows; r++)
        et_qs8_vmul_ukernel_x1__scalar(n, a + r * n, b, 0, y + r * n, p);
}
