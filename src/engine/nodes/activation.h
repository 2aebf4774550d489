/* activation.h: scalar definitions of the activations the engine fuses (et_activation in graph.h) and the
 * standalone activation operators. These are the reference; SIMD kernels are tested against them. */
#ifndef ET_ENGINE_NODES_ACTIVATION_H
#define ET_ENGINE_NODES_ACTIVATION_H

#include <math.h>
#include <stddef.h>

#include "model/graph.h"

static inline float et_act_scalar(const et_activation *a, float x) {
    switch (a->kind) {
    case ET_ACT_NONE: return x;
    case ET_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case ET_ACT_CLIP: return x < a->alpha ? a->alpha : (x > a->beta ? a->beta : x);
    case ET_ACT_LEAKY_RELU: return x >= 0.0f ? x : a->alpha * x;
    case ET_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case ET_ACT_HARD_SIGMOID: {
        float y = a->alpha * x + a->beta;
        return y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
    }
    case ET_ACT_HARD_SWISH: {
        float y = x * (1.0f / 6.0f) + 0.5f;
        return x * (y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y));
    }
    case ET_ACT_TANH: return tanhf(x);
    default: return x;
    }
}

/* Applies a to x[0..n) in place. */
void et_act_apply_f32(const et_activation *a, float *x, size_t n);

#endif
