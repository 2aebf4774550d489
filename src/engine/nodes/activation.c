/* activation.c: applying a fused activation to a run of floats. Kept as simple loops the compiler vectorises
 * for the piecewise-linear kinds (the common ones); transcendental kinds go through libm. */
#include "engine/nodes/activation.h"

void et_act_apply_f32(const et_activation *a, float *x, size_t n) {
    switch (a->kind) {
    case ET_ACT_NONE: return;
    case ET_ACT_RELU:
        for (size_t i = 0; i < n; i++)
            x[i] = x[i] > 0.0f ? x[i] : 0.0f;
        return;
    case ET_ACT_CLIP: {
        const float lo = a->alpha, hi = a->beta;
        for (size_t i = 0; i < n; i++) {
            float v = x[i] < lo ? lo : x[i];
            x[i] = v > hi ? hi : v;
        }
        return;
    }
    case ET_ACT_HARD_SWISH:
        for (size_t i = 0; i < n; i++) {
            float y = x[i] * (1.0f / 6.0f) + 0.5f;
            y = y < 0.0f ? 0.0f : y;
            y = y > 1.0f ? 1.0f : y;
            x[i] *= y;
        }
        return;
    default:
        for (size_t i = 0; i < n; i++)
            x[i] = et_act_scalar(a, x[i]);
        return;
    }
}
