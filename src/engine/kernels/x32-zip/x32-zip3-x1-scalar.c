/* x32-zip3-x1-scalar.c: the portable zip kernel, one value at a time (see x32-zip.h); the oracle of the others. */
#include "engine/kernels/x32-zip/x32-zip.h"

ET_X32_ZIP3_UKERNEL(et_x32_zip3_ukernel_x1__scalar) {
    ET_X32_ZIP3_REQUIRE();
    for (size_t i = 0; i < n; i++) {
        y[3 * i] = x0[i];
        y[3 * i + 1] = x1[i];
        y[3 * i + 2] = x2[i];
    }
}
