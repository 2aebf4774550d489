/* act_map.c: fused activation -> kernel clamp/post-op. */
#include "engine/nodes/act_map.h"

#include <math.h>
#include <string.h>

#include "engine/op.h"

et_status et_act_to_kernel(const et_node *n, const et_activation *a, et_kernel_act *o, et_err *err) {
    memset(o, 0, sizeof *o);
    switch (a->kind) {
    case ET_ACT_NONE: return ET_OK;
    case ET_ACT_RELU: o->clamp = true, o->out_min = 0.0f, o->out_max = INFINITY; return ET_OK;
    case ET_ACT_CLIP: o->clamp = true, o->out_min = a->alpha, o->out_max = a->beta; return ET_OK;
    case ET_ACT_HARD_SWISH: o->post = true, o->post_op = ET_UNARY_HSWISH; return ET_OK;
    case ET_ACT_SIGMOID: o->post = true, o->post_op = ET_UNARY_SIGMOID; return ET_OK;
    case ET_ACT_TANH: o->post = true, o->post_op = ET_UNARY_TANH; return ET_OK;
    case ET_ACT_HARD_SIGMOID:
        o->post = true, o->post_op = ET_UNARY_HSIGMOID;
        o->post_params.alpha = a->alpha, o->post_params.beta = a->beta;
        return ET_OK;
    case ET_ACT_LEAKY_RELU:
        o->post = true, o->post_op = ET_UNARY_LRELU;
        o->post_params.alpha = a->alpha;
        return ET_OK;
    default: return et_op_failx(err, ET_E_UNSUPPORTED, n, "fused activation %s is not supported", et_act_name(a->kind));
    }
}
