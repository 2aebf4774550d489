/* unary.c: elementwise unary operators: Sqrt Exp Log Neg Abs Reciprocal Floor Ceil Not Relu Clip LeakyRelu
 * Sigmoid HardSigmoid HardSwish Tanh Erf Elu Softplus.
 *
 * float32 runs through a float loop per operator (activations share activation.h with the fused path);
 * float64/float16/bfloat16 go through double; integer types are accepted by Abs, Neg, Relu and Clip, bool by
 * Not. Clip's bounds come from attributes before opset 11 and from optional inputs after, which may be
 * runtime tensors, so they are read in run. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/activation.h"
#include "engine/nodes/nodes.h"
#include "engine/threadpool.h"

typedef struct params {
    et_op op;
    float alpha, beta; /* LeakyRelu/Elu alpha; HardSigmoid alpha, beta; Clip (opset < 11) min, max */
    bool clip_inputs;  /* Clip bounds come from inputs 1 and 2 */
} params;

static bool int_ok(et_op op) { return op == ET_OP_ABS || op == ET_OP_NEG || op == ET_OP_RELU || op == ET_OP_CLIP; }

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    int max_in = n->op == ET_OP_CLIP ? 3 : 1;
    et_status st = et_op_check_arity(n, 1, max_in, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    bool ok = n->op == ET_OP_NOT ? x->dtype == ET_DT_BOOL
                                 : et_dtype_is_float(x->dtype) ||
                                       (int_ok(n->op) && et_dtype_is_numeric(x->dtype) && x->dtype != ET_DT_BOOL);
    if (!ok)
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "element type %s is not supported", et_dtype_name(x->dtype));
    for (int i = 1; i < n->n_inputs; i++) {
        const et_value *b = et_node_cin(g, n, i);
        if (b && (b->dtype != x->dtype || et_shape_numel(&b->shape) != 1))
            return et_op_fail(err, n, "bound %d must be a scalar of the input's type", i);
    }
    et_op_set_output(g, n, 0, x->dtype, &x->shape);
    return ET_OK;
}

static double apply_d(const params *p, double x) {
    switch (p->op) {
    case ET_OP_SQRT: return sqrt(x);
    case ET_OP_EXP: return exp(x);
    case ET_OP_LOG: return log(x);
    case ET_OP_NEG: return -x;
    case ET_OP_ABS: return fabs(x);
    case ET_OP_RECIPROCAL: return 1.0 / x;
    case ET_OP_FLOOR: return floor(x);
    case ET_OP_CEIL: return ceil(x);
    case ET_OP_RELU: return x > 0 ? x : 0;
    case ET_OP_LEAKY_RELU: return x >= 0 ? x : p->alpha * x;
    case ET_OP_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case ET_OP_HARD_SIGMOID: return fmax(0.0, fmin(1.0, p->alpha * x + p->beta));
    case ET_OP_HARD_SWISH: return x * fmax(0.0, fmin(1.0, x / 6.0 + 0.5));
    case ET_OP_TANH: return tanh(x);
    case ET_OP_ERF: return erf(x);
    case ET_OP_ELU: return x >= 0 ? x : p->alpha * (exp(x) - 1.0);
    case ET_OP_SOFTPLUS: return x > 30 ? x : log1p(exp(x));
    default: return x;
    }
}

static void run_f32(const params *p, const float *x, float *y, size_t n) {
    switch (p->op) {
    case ET_OP_SQRT:
        for (size_t i = 0; i < n; i++)
            y[i] = sqrtf(x[i]);
        return;
    case ET_OP_EXP:
        for (size_t i = 0; i < n; i++)
            y[i] = expf(x[i]);
        return;
    case ET_OP_LOG:
        for (size_t i = 0; i < n; i++)
            y[i] = logf(x[i]);
        return;
    case ET_OP_NEG:
        for (size_t i = 0; i < n; i++)
            y[i] = -x[i];
        return;
    case ET_OP_ABS:
        for (size_t i = 0; i < n; i++)
            y[i] = fabsf(x[i]);
        return;
    case ET_OP_RECIPROCAL:
        for (size_t i = 0; i < n; i++)
            y[i] = 1.0f / x[i];
        return;
    case ET_OP_FLOOR:
        for (size_t i = 0; i < n; i++)
            y[i] = floorf(x[i]);
        return;
    case ET_OP_CEIL:
        for (size_t i = 0; i < n; i++)
            y[i] = ceilf(x[i]);
        return;
    case ET_OP_ERF:
        for (size_t i = 0; i < n; i++)
            y[i] = erff(x[i]);
        return;
    case ET_OP_ELU:
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] >= 0 ? x[i] : p->alpha * expm1f(x[i]);
        return;
    case ET_OP_SOFTPLUS:
        for (size_t i = 0; i < n; i++)
            y[i] = x[i] > 30.0f ? x[i] : log1pf(expf(x[i]));
        return;
    default: {
        et_activation a = {ET_ACT_NONE, p->alpha, p->beta};
        switch (p->op) {
        case ET_OP_RELU: a.kind = ET_ACT_RELU; break;
        case ET_OP_LEAKY_RELU: a.kind = ET_ACT_LEAKY_RELU; break;
        case ET_OP_SIGMOID: a.kind = ET_ACT_SIGMOID; break;
        case ET_OP_HARD_SIGMOID: a.kind = ET_ACT_HARD_SIGMOID; break;
        case ET_OP_HARD_SWISH: a.kind = ET_ACT_HARD_SWISH; break;
        case ET_OP_TANH: a.kind = ET_ACT_TANH; break;
        case ET_OP_CLIP: a.kind = ET_ACT_CLIP; break;
        default: break;
        }
        if (x != y)
            memcpy(y, x, n * sizeof *y);
        et_act_apply_f32(&a, y, n);
        return;
    }
    }
}

typedef struct job {
    const params *p;
    const float *x;
    float *y;
} job;

static void f32_chunk(void *ctx, size_t begin, size_t end) {
    const job *j = ctx;
    run_f32(j->p, j->x + begin, j->y + begin, end - begin);
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    params p = *(const params *)inst->params;
    const et_tensor *x = &inst->in[0];
    et_tensor *y = &inst->out[0];
    size_t n = (size_t)et_shape_numel(&x->shape);
    et_dtype t = x->dtype;
    double lo = -INFINITY, hi = INFINITY;
    if (p.op == ET_OP_CLIP) {
        if (p.clip_inputs) {
            if (inst->n_in > 1 && inst->in[1].data)
                lo = et_dtype_load(t, inst->in[1].data, 0);
            if (inst->n_in > 2 && inst->in[2].data)
                hi = et_dtype_load(t, inst->in[2].data, 0);
        } else {
            lo = p.alpha, hi = p.beta;
        }
        p.alpha = (float)lo, p.beta = (float)hi;
    }
    if (t == ET_DT_F32) {
        job j = {&p, x->data, y->data};
        if (ctx->pool && n >= 65536)
            et_threadpool_parallel_for(ctx->pool, n, f32_chunk, &j);
        else
            f32_chunk(&j, 0, n);
        return ET_OK;
    }
    if (p.op == ET_OP_NOT) {
        const uint8_t *a = x->data;
        uint8_t *b = y->data;
        for (size_t i = 0; i < n; i++)
            b[i] = !a[i];
        return ET_OK;
    }
    if (!et_dtype_is_float(t)) { /* integers: exact 64-bit maths */
        int64_t ilo = p.clip_inputs && inst->n_in > 1 && inst->in[1].data ? et_dtype_load_i64(t, inst->in[1].data, 0)
                                                                          : INT64_MIN;
        int64_t ihi = p.clip_inputs && inst->n_in > 2 && inst->in[2].data ? et_dtype_load_i64(t, inst->in[2].data, 0)
                                                                          : INT64_MAX;
        for (size_t i = 0; i < n; i++) {
            int64_t v = et_dtype_load_i64(t, x->data, i);
            switch (p.op) {
            case ET_OP_ABS: v = v < 0 ? -v : v; break;
            case ET_OP_NEG: v = (int64_t)(0 - (uint64_t)v); break;
            case ET_OP_RELU: v = v > 0 ? v : 0; break;
            case ET_OP_CLIP: v = v < ilo ? ilo : (v > ihi ? ihi : v); break;
            default: break;
            }
            et_dtype_store_i64(t, y->data, i, v);
        }
        return ET_OK;
    }
    for (size_t i = 0; i < n; i++) {
        double v = et_dtype_load(t, x->data, i);
        if (p.op == ET_OP_CLIP)
            v = v < lo ? lo : (v > hi ? hi : v);
        else
            v = apply_d(&p, v);
        et_dtype_store(t, y->data, i, v);
    }
    (void)err;
    return ET_OK;
}

static et_status prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    p->op = n->op;
    switch (n->op) {
    case ET_OP_LEAKY_RELU: p->alpha = et_node_attr_float(n, "alpha", 0.01f); break;
    case ET_OP_ELU: p->alpha = et_node_attr_float(n, "alpha", 1.0f); break;
    case ET_OP_HARD_SIGMOID:
        p->alpha = et_node_attr_float(n, "alpha", 0.2f);
        p->beta = et_node_attr_float(n, "beta", 0.5f);
        break;
    case ET_OP_CLIP:
        if (g->opset < 11) {
            p->alpha = et_node_attr_float(n, "min", -FLT_MAX);
            p->beta = et_node_attr_float(n, "max", FLT_MAX);
        } else {
            p->clip_inputs = true;
        }
        break;
    default: break;
    }
    inst->params = p;
    inst->run = run;
    return ET_OK;
}

const et_op_impl et_impl_unary = {infer, prepare};
