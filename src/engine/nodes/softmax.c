/* softmax.c: Softmax and LogSoftmax.
 *
 * Before opset 13 the input is coerced to 2-D at `axis` (default 1) and each row of prod(dims[axis:]) values
 * is normalised; from opset 13 one axis (default -1) is normalised. Both are the same loop over an
 * [outer, len, inner] view: for opset < 13 inner is 1 and len is the whole tail. Numerically stable: the row
 * maximum is subtracted before exp, and LogSoftmax is x - max - log(sum exp(x - max)).
 * Contiguous float32 rows (inner == 1, the common case: classifier heads, attention) take a float loop with a
 * double sum; strided or non-float32 cases take a generic loop in double. Rows run in parallel. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/nodes/nn_util.h"
#include "engine/nodes/nodes.h"

typedef struct params {
    int64_t outer, len, inner;
    bool log;
    et_dtype dtype;
} params;

static et_status geometry(const et_graph *g, const et_node *n, const et_shape *s, params *p, et_err *err) {
    bool legacy = g->opset < 13;
    int64_t a = et_node_attr_int(n, "axis", legacy ? 1 : -1);
    int axis;
    if (!et_op_axis(a, s->rank, &axis))
        return et_op_fail(err, n, "axis %lld is out of range for rank %d", (long long)a, s->rank);
    p->outer = p->len = p->inner = 1;
    for (int i = 0; i < s->rank; i++) {
        if (i < axis)
            p->outer *= s->dim[i];
        else if (i == axis || legacy)
            p->len *= s->dim[i];
        else
            p->inner *= s->dim[i];
    }
    p->log = n->op == ET_OP_LOG_SOFTMAX;
    return ET_OK;
}

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 1, 1, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    if (!et_dtype_is_float(x->dtype))
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "element type %s is not supported", et_dtype_name(x->dtype));
    params p;
    if (x->shape.rank == 0)
        return et_op_fail(err, n, "input must have rank >= 1");
    if ((st = geometry(g, n, &x->shape, &p, err)) != ET_OK)
        return st;
    et_op_set_output(g, n, 0, x->dtype, &x->shape);
    return ET_OK;
}

typedef struct job {
    const params *p;
    const void *x;
    void *y;
} job;

static void rows_f32(void *ctx, size_t begin, size_t end) {
    const job *j = ctx;
    const int64_t len = j->p->len;
    for (size_t r = begin; r < end; r++) {
        const float *x = (const float *)j->x + (int64_t)r * len;
        float *y = (float *)j->y + (int64_t)r * len;
        float mx = -INFINITY;
        for (int64_t i = 0; i < len; i++)
            mx = x[i] > mx ? x[i] : mx;
        double sum = 0;
        if (j->p->log) {
            for (int64_t i = 0; i < len; i++)
                sum += expf(x[i] - mx);
            const float lse = mx + (float)log(sum);
            for (int64_t i = 0; i < len; i++)
                y[i] = x[i] - lse;
        } else {
            for (int64_t i = 0; i < len; i++) {
                y[i] = expf(x[i] - mx);
                sum += y[i];
            }
            const float inv = (float)(1.0 / sum);
            for (int64_t i = 0; i < len; i++)
                y[i] *= inv;
        }
    }
}

/* Rows [begin, end) over outer x inner, each `len` values apart by `inner`. */
static void rows_generic(void *ctx, size_t begin, size_t end) {
    const job *j = ctx;
    const params *p = j->p;
    const et_dtype t = p->dtype;
    for (size_t r = begin; r < end; r++) {
        int64_t o = (int64_t)r / p->inner, i = (int64_t)r % p->inner;
        size_t base = (size_t)(o * p->len * p->inner + i), step = (size_t)p->inner;
        double mx = -INFINITY, sum = 0;
        for (int64_t l = 0; l < p->len; l++) {
            double v = et_dtype_load(t, j->x, base + (size_t)l * step);
            mx = v > mx ? v : mx;
        }
        for (int64_t l = 0; l < p->len; l++)
            sum += exp(et_dtype_load(t, j->x, base + (size_t)l * step) - mx);
        double lse = mx + log(sum);
        for (int64_t l = 0; l < p->len; l++) {
            double v = et_dtype_load(t, j->x, base + (size_t)l * step);
            et_dtype_store(t, j->y, base + (size_t)l * step, p->log ? v - lse : exp(v - mx) / sum);
        }
    }
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    job j = {p, inst->in[0].data, inst->out[0].data};
    if (p->dtype == ET_DT_F32 && p->inner == 1)
        et_par_for(ctx->pool, (size_t)p->outer, rows_f32, &j);
    else
        et_par_for(ctx->pool, (size_t)(p->outer * p->inner), rows_generic, &j);
    (void)err;
    return ET_OK;
}

static et_status prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    et_status st = geometry(g, n, &inst->in[0].shape, p, err);
    if (st != ET_OK) {
        free(p);
        return st;
    }
    p->dtype = inst->in[0].dtype;
    inst->params = p;
    inst->run = run;
    return ET_OK;
}

const et_op_impl et_impl_softmax = {infer, prepare};
