/* f32-vbinary-x1-scalar.c: the portable elementwise binary kernel, one element at a time (see f32-vbinary.h). */
#include "engine/kernels/f32-vbinary/f32-vbinary.h"

static inline float apply(et_binary_op op, float a, float b) {
    switch (op) {
    case ET_BINARY_ADD: return a + b;
    case ET_BINARY_SUB: return a - b;
    case ET_BINARY_MUL: return a * b;
    case ET_BINARY_DIV: return a / b;
    case ET_BINARY_MAX: return a > b ? a : b;
    case ET_BINARY_MIN: return a < b ? a : b;
    case ET_BINARY_RSUB: return b - a;
    case ET_BINARY_RDIV: return b / a;
    default: return 0.0f;
    }
}

ET_F32_VBINARY_UKERNEL(et_f32_vbinary_ukernel_x1__scalar) {
    ET_F32_VBINARY_REQUIRE();
    const float lo = params->min, hi = params->max;
    for (size_t i = 0; i < n; i++) {
        float v = apply(op, a[i], b_scalar ? b[0] : b[i]);
        v = v < lo ? lo : v;
        y[i] = v > hi ? hi : v;
    }
}
