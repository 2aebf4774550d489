/* x8-lut-x1-scalar.c: one byte at a time (see x8-lut.h). */
#include "engine/kernels/x8-lut/x8-lut.h"

ET_X8_LUT_UKERNEL(et_x8_lut_ukernel_x1__scalar) {
    ET_X8_LUT_REQUIRE();
    for (size_t i = 0; i < n; i++)
        y[i] = table[x[i] + 128];
}
