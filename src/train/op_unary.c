/* op_unary.c: activations in training, as graph nodes (Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish,
 * Tanh) and as the activation fused into a Conv or Gemm (its own step after the layer: tnet.c).
 *
 * Derivatives follow PyTorch where a choice exists: at a kink the gradient is that of the side PyTorch takes
 * (Relu 0 at 0; Clip passes inside the open interval, as hardtanh; HardSwish x/3 + 1/2 on [-3, 3]). Sigmoid
 * and Tanh differentiate from their output, the others from their input. Work is split in blocks of elements;
 * Relu and Clip run on the SIMD clamp and mask of kernels/tk.h (a NaN input stays NaN through them, so that the
 * trainer's NaN stop sees it). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/op.h"
#include "train/kernels/tk.h"
#include "train/tnet.h"

enum { BLOCK = 8192 };

static float act_forward(const et_activation *a, float x) {
    switch (a->kind) {
    case ET_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case ET_ACT_CLIP: return x < a->alpha ? a->alpha : (x > a->beta ? a->beta : x);
    case ET_ACT_LEAKY_RELU: return x >= 0.0f ? x : a->alpha * x;
    case ET_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case ET_ACT_HARD_SIGMOID: {
        float v = a->alpha * x + a->beta;
        return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
    }
    case ET_ACT_HARD_SWISH: {
        float r = x + 3.0f;
        r = r < 0.0f ? 0.0f : (r > 6.0f ? 6.0f : r);
        return x * r / 6.0f;
    }
    case ET_ACT_TANH: return tanhf(x);
    default: return x;
    }
}

/* d act / d x at input x, output y */
static float act_slope(const et_activation *a, float x, float y) {
    switch (a->kind) {
    case ET_ACT_RELU: return x > 0.0f ? 1.0f : 0.0f;
    case ET_ACT_CLIP: return x > a->alpha && x < a->beta ? 1.0f : 0.0f;
    case ET_ACT_LEAKY_RELU: return x > 0.0f ? 1.0f : a->alpha;
    case ET_ACT_SIGMOID: return y * (1.0f - y);
    case ET_ACT_HARD_SIGMOID: {
        float v = a->alpha * x + a->beta;
        return v > 0.0f && v < 1.0f ? a->alpha : 0.0f;
    }
    case ET_ACT_HARD_SWISH: return x < -3.0f ? 0.0f : (x <= 3.0f ? x / 3.0f + 0.5f : 1.0f);
    case ET_ACT_TANH: return 1.0f - y * y;
    default: return 1.0f;
    }
}

typedef struct unary_run {
    const et_activation *a;
    const et_tk_config *tk;
    const float *x, *y, *dy;
    float *out, *dx;
    bool acc;
    size_t total;
} unary_run;

static void forward_task(void *arg, size_t begin, size_t end) {
    const unary_run *r = arg;
    size_t e0 = begin * BLOCK, e1 = end * BLOCK < r->total ? end * BLOCK : r->total;
    const et_activation a = *r->a;
    if (a.kind == ET_ACT_RELU || a.kind == ET_ACT_CLIP) { /* the SIMD clamp of kernels/tk.h */
        const float lo = a.kind == ET_ACT_RELU ? 0.0f : a.alpha, hi = a.kind == ET_ACT_RELU ? INFINITY : a.beta;
        r->tk->clamp(r->out + e0, r->x + e0, lo, hi, e1 - e0);
    } else {
        for (size_t e = e0; e < e1; e++)
            r->out[e] = act_forward(&a, r->x[e]);
    }
}

static void backward_task(void *arg, size_t begin, size_t end) {
    const unary_run *r = arg;
    size_t e0 = begin * BLOCK, e1 = end * BLOCK < r->total ? end * BLOCK : r->total;
    const et_activation a = *r->a;
    if (a.kind == ET_ACT_RELU || a.kind == ET_ACT_CLIP) { /* dy inside (lo, hi), else 0: the SIMD mask */
        const float lo = a.kind == ET_ACT_RELU ? 0.0f : a.alpha, hi = a.kind == ET_ACT_RELU ? INFINITY : a.beta;
        r->tk->mask(r->dx + e0, r->dy + e0, r->x + e0, lo, hi, e1 - e0, r->acc);
    } else {
        for (size_t e = e0; e < e1; e++) {
            float g = r->dy[e] * act_slope(&a, r->x[e], r->y[e]);
            r->dx[e] = r->acc ? r->dx[e] + g : g;
        }
    }
}

static et_status forward(et_tnet *n, et_tstep *s, et_err *err) {
    (void)err;
    unary_run r = {.a = s->state,
                   .tk = et_tk_config_get(),
                   .x = et_tv_data(n, s->in[0]),
                   .out = et_tv_data(n, s->out),
                   .total = (size_t)n->batch_now * (size_t)n->values[s->out].numel};
    et_tnet_par_chunked(n, (r.total + BLOCK - 1) / BLOCK, 1, forward_task, &r);
    return ET_OK;
}

static void backward(et_tnet *n, et_tstep *s) {
    unary_run r = {.a = s->state,
                   .tk = et_tk_config_get(),
                   .x = et_tv_data(n, s->in[0]),
                   .y = et_tv_data(n, s->out),
                   .dy = et_tnet_grad_of(n, s->out),
                   .total = (size_t)n->batch_now * (size_t)n->values[s->out].numel};
    if (!(r.dx = et_tnet_grad_begin(n, s->in[0], &r.acc)))
        return;
    et_tnet_par_chunked(n, (r.total + BLOCK - 1) / BLOCK, 1, backward_task, &r);
}

static void release(et_tstep *s) { free(s->state); }

static const et_top unary_op = {"activation", forward, backward, release};

et_status et_top_build_act(et_tnet *n, const et_activation *act, et_tstep *s, et_err *err) {
    (void)n;
    et_activation *a = malloc(sizeof *a);
    if (!a)
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    *a = *act;
    s->op = &unary_op;
    s->state = a;
    return ET_OK;
}

et_status et_top_build_unary(et_tnet *n, const et_node *node, et_tstep *s, et_err *err) {
    et_activation a = {0};
    switch (node->op) {
    case ET_OP_RELU: a.kind = ET_ACT_RELU; break;
    case ET_OP_SIGMOID: a.kind = ET_ACT_SIGMOID; break;
    case ET_OP_TANH: a.kind = ET_ACT_TANH; break;
    case ET_OP_HARD_SWISH: a.kind = ET_ACT_HARD_SWISH; break;
    case ET_OP_LEAKY_RELU:
        a.kind = ET_ACT_LEAKY_RELU;
        a.alpha = et_node_attr_float(node, "alpha", 0.01f);
        break;
    case ET_OP_HARD_SIGMOID:
        a.kind = ET_ACT_HARD_SIGMOID;
        a.alpha = et_node_attr_float(node, "alpha", 0.2f);
        a.beta = et_node_attr_float(node, "beta", 0.5f);
        break;
    case ET_OP_CLIP: {
        a.kind = ET_ACT_CLIP;
        a.alpha = -INFINITY;
        a.beta = INFINITY;
        if (n->g->opset < 11) {
            a.alpha = et_node_attr_float(node, "min", -INFINITY);
            a.beta = et_node_attr_float(node, "max", INFINITY);
            break;
        }
        for (int i = 1; i <= 2; i++) {
            float v;
            int r = et_op_const_floats(n->g, node, i, &v, 1);
            if (r == 1)
                *(i == 1 ? &a.alpha : &a.beta) = v;
            else if (r != -1)
                return et_fail(err, ET_E_UNSUPPORTED, "node '%s' (Clip): its bounds must be constants", node->name);
        }
        /* the bounds are operands of the node but not of the step */
        s->n_in = 1;
        break;
    }
    default:
        return et_fail(err, ET_E_UNSUPPORTED, "node '%s' (%s): not an activation", node->name, et_op_name(node->op));
    }
    return et_top_build_act(n, &a, s, err);
}
