/* norm.c: BatchNormalization (inference, and training mode with running statistics), LayerNormalization
 * (opset 17: axis, epsilon, optional bias, optional Mean / InvStdDev outputs) and InstanceNormalization.
 *
 * Statistics are accumulated in double with two passes (mean, then squared deviations), so large offsets do
 * not cancel; outputs are computed as (x - mean) * scale' + bias, which keeps small results accurate. Scale,
 * bias, mean and variance may be runtime inputs and of another float type than X; they are read per channel
 * (or per row) as the loops reach them, so nothing needs scratch. float32 has direct loads and stores; float64,
 * float16 and bfloat16 go through double. Work is split over planes (batch x channel) or rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/nn_util.h"
#include "engine/nodes/nodes.h"

static inline double ld(et_dtype t, const void *p, int64_t i) {
    return t == ET_DT_F32 ? (double)((const float *)p)[i] : et_dtype_load(t, p, (size_t)i);
}
static inline void st(et_dtype t, void *p, int64_t i, double v) {
    if (t == ET_DT_F32)
        ((float *)p)[i] = (float)v;
    else
        et_dtype_store(t, p, (size_t)i, v);
}

/* Mean and population variance of n elements of x (stride 1 from offset `at`), in double. */
static void moments(const et_tensor *x, int64_t at, int64_t n, double *mean, double *var) {
    double s = 0, q = 0;
    if (x->dtype == ET_DT_F32) {
        const float *p = (const float *)x->data + at;
        for (int64_t i = 0; i < n; i++)
            s += p[i];
        s = n ? s / (double)n : 0;
        for (int64_t i = 0; i < n; i++)
            q += (p[i] - s) * (p[i] - s);
    } else {
        for (int64_t i = 0; i < n; i++)
            s += ld(x->dtype, x->data, at + i);
        s = n ? s / (double)n : 0;
        for (int64_t i = 0; i < n; i++) {
            double d = ld(x->dtype, x->data, at + i) - s;
            q += d * d;
        }
    }
    *mean = s;
    *var = n ? q / (double)n : 0;
}

/* y[at .. at+n) = (x - mean) * a + b */
static void affine(const et_tensor *x, et_tensor *y, int64_t at, int64_t n, double mean, double a, double b) {
    if (x->dtype == ET_DT_F32) {
        const float *xp = (const float *)x->data + at;
        float *yp = (float *)y->data + at;
        const float m = (float)mean, af = (float)a, bf = (float)b;
        for (int64_t i = 0; i < n; i++)
            yp[i] = (xp[i] - m) * af + bf;
    } else {
        for (int64_t i = 0; i < n; i++)
            st(y->dtype, y->data, at + i, (ld(x->dtype, x->data, at + i) - mean) * a + b);
    }
}

static bool float_inputs(const et_graph *g, const et_node *n) {
    for (int i = 0; i < n->n_inputs; i++) {
        const et_value *v = et_node_cin(g, n, i);
        if (v && !et_dtype_is_float(v->dtype))
            return false;
    }
    return true;
}

/* ---- BatchNormalization ------------------------------------------------------------------------------------- */

typedef struct bn_params {
    int64_t n, c, plane;
    double eps, momentum;
    bool training;
} bn_params;

static bool bn_training(const et_graph *g, const et_node *n) {
    return g->opset >= 14 && et_node_attr_int(n, "training_mode", 0) != 0;
}

static et_status bn_infer(et_graph *g, et_node *n, et_err *err) {
    et_status s = et_op_check_arity(n, 5, 5, 1, 5, err);
    if (s != ET_OK)
        return s;
    const et_value *x = et_node_cin(g, n, 0);
    if (!float_inputs(g, n))
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "element types must be floating point");
    if (x->shape.rank < 2)
        return et_op_fail(err, n, "input has rank %d; expected N x C x ...", x->shape.rank);
    if (et_node_attr_int(n, "spatial", 1) == 0)
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "spatial = 0 (per-activation statistics) is not supported");
    int64_t c = x->shape.dim[1];
    for (int i = 1; i < 5; i++) {
        const et_value *v = et_node_cin(g, n, i);
        if (et_shape_numel(&v->shape) != c || v->shape.rank != 1)
            return et_op_fail(err, n, "input %d must be a vector of %lld values", i, (long long)c);
    }
    bool training = bn_training(g, n);
    if (training && n->n_outputs > 3)
        return et_op_fail(err, n, "training mode has at most 3 outputs");
    if (!training)
        for (int i = 1; i < n->n_outputs; i++) {
            const et_value *o = et_node_out(g, n, i);
            if (o && (o->n_consumers > 0 || o->is_output))
                return et_op_failx(err, ET_E_UNSUPPORTED, n,
                                   "output %d (training statistics) is used, but the node is in inference mode", i);
        }
    et_op_set_output(g, n, 0, x->dtype, &x->shape);
    et_shape cs = {.rank = 1, .dim = {c}};
    for (int i = 1; i < n->n_outputs; i++) {
        const et_value *src = et_node_cin(g, n, i % 2 ? 3 : 4); /* mean for 1 and 3, var for 2 and 4 */
        et_op_set_output(g, n, i, src->dtype, &cs);
    }
    return ET_OK;
}

typedef struct bn_job {
    const bn_params *p;
    const et_op_inst *inst;
} bn_job;

/* Inference: planes [begin, end) over batch x channel. */
static void bn_planes(void *ctx, size_t begin, size_t end) {
    const bn_job *j = ctx;
    const bn_params *p = j->p;
    const et_tensor *in = j->inst->in;
    for (size_t pl = begin; pl < end; pl++) {
        int64_t c = (int64_t)pl % p->c;
        double a = ld(in[1].dtype, in[1].data, c) / sqrt(ld(in[4].dtype, in[4].data, c) + p->eps);
        affine(&in[0], &j->inst->out[0], (int64_t)pl * p->plane, p->plane, ld(in[3].dtype, in[3].data, c), a,
               ld(in[2].dtype, in[2].data, c));
    }
}

/* Training: channels [begin, end); statistics over batch and spatial positions. */
static void bn_channels(void *ctx, size_t begin, size_t end) {
    const bn_job *j = ctx;
    const bn_params *p = j->p;
    const et_tensor *in = j->inst->in, *x = &in[0];
    for (size_t cu = begin; cu < end; cu++) {
        int64_t c = (int64_t)cu;
        double s = 0, q = 0, cnt = (double)(p->n * p->plane);
        for (int64_t b = 0; b < p->n; b++)
            for (int64_t i = 0; i < p->plane; i++)
                s += ld(x->dtype, x->data, (b * p->c + c) * p->plane + i);
        double mean = cnt > 0 ? s / cnt : 0;
        for (int64_t b = 0; b < p->n; b++)
            for (int64_t i = 0; i < p->plane; i++) {
                double d = ld(x->dtype, x->data, (b * p->c + c) * p->plane + i) - mean;
                q += d * d;
            }
        double var = cnt > 0 ? q / cnt : 0;
        double a = ld(in[1].dtype, in[1].data, c) / sqrt(var + p->eps);
        for (int64_t b = 0; b < p->n; b++)
            affine(x, &j->inst->out[0], (b * p->c + c) * p->plane, p->plane, mean, a, ld(in[2].dtype, in[2].data, c));
        if (j->inst->n_out > 1 && j->inst->out[1].data)
            st(j->inst->out[1].dtype, j->inst->out[1].data, c,
               ld(in[3].dtype, in[3].data, c) * p->momentum + mean * (1 - p->momentum));
        if (j->inst->n_out > 2 && j->inst->out[2].data)
            st(j->inst->out[2].dtype, j->inst->out[2].data, c,
               ld(in[4].dtype, in[4].data, c) * p->momentum + var * (1 - p->momentum));
    }
}

static et_status bn_run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const bn_params *p = inst->params;
    bn_job j = {p, inst};
    (void)err;
    if (p->training) {
        et_par_for(ctx->pool, (size_t)p->c, bn_channels, &j);
        return ET_OK;
    }
    et_par_for(ctx->pool, (size_t)(p->n * p->c), bn_planes, &j);
    /* unused statistics outputs of older opsets: the running values are the inputs */
    for (int i = 1; i < inst->n_out; i++)
        if (inst->out[i].data)
            for (int64_t c = 0; c < p->c; c++) {
                const et_tensor *src = &inst->in[i % 2 ? 3 : 4];
                st(inst->out[i].dtype, inst->out[i].data, c, ld(src->dtype, src->data, c));
            }
    return ET_OK;
}

static et_status bn_prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    bn_params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    const et_shape *xs = &inst->in[0].shape;
    p->n = xs->dim[0];
    p->c = xs->dim[1];
    p->plane = 1;
    for (int i = 2; i < xs->rank; i++)
        p->plane *= xs->dim[i];
    p->eps = et_node_attr_float(n, "epsilon", 1e-5f);
    p->momentum = et_node_attr_float(n, "momentum", 0.9f);
    p->training = bn_training(g, n);
    inst->params = p;
    inst->run = bn_run;
    return ET_OK;
}

const et_op_impl et_impl_batch_norm = {bn_infer, bn_prepare};

/* ---- LayerNormalization ------------------------------------------------------------------------------------ */

typedef struct ln_params {
    int axis;
    int64_t outer, inner;
    double eps;
    et_shape norm;                                        /* X.shape[axis:] */
    int64_t s_stride[ET_MAX_RANK], b_stride[ET_MAX_RANK]; /* Scale / B broadcast to norm */
    bool s_direct, b_direct;                              /* same shape as norm: index = position */
} ln_params;

static et_status ln_axis(const et_node *n, int rank, int *axis, et_err *err) {
    int64_t a = et_node_attr_int(n, "axis", -1);
    if (!et_op_axis(a, rank, axis))
        return et_op_fail(err, n, "axis %lld is out of range for rank %d", (long long)a, rank);
    return ET_OK;
}

static et_status ln_infer(et_graph *g, et_node *n, et_err *err) {
    et_status s = et_op_check_arity(n, 2, 3, 1, 3, err);
    if (s != ET_OK)
        return s;
    const et_value *x = et_node_cin(g, n, 0);
    if (!float_inputs(g, n))
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "element types must be floating point");
    if (et_node_attr_int(n, "stash_type", 1) != 1)
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "stash_type other than 1 (float32) is not supported");
    int axis;
    if ((s = ln_axis(n, x->shape.rank, &axis, err)) != ET_OK)
        return s;
    et_shape norm = {.rank = x->shape.rank - axis};
    for (int i = axis; i < x->shape.rank; i++)
        norm.dim[i - axis] = x->shape.dim[i];
    for (int i = 1; i < 3; i++) {
        const et_value *v = et_node_cin(g, n, i);
        et_shape r;
        if (v && (!et_shape_broadcast(&norm, &v->shape, &r) || !et_shape_equal(&r, &norm)))
            return et_op_fail(err, n, "%s does not broadcast to the normalized shape", i == 1 ? "Scale" : "B");
    }
    et_op_set_output(g, n, 0, x->dtype, &x->shape);
    et_shape stat = x->shape;
    for (int i = axis; i < stat.rank; i++)
        stat.dim[i] = 1;
    et_op_set_output(g, n, 1, ET_DT_F32, &stat);
    et_op_set_output(g, n, 2, ET_DT_F32, &stat);
    return ET_OK;
}

typedef struct ln_job {
    const ln_params *p;
    const et_op_inst *inst;
} ln_job;

/* Offset of normalized position i into a tensor broadcast to p->norm with `stride`. */
static int64_t ln_offset(const ln_params *p, const int64_t *stride, int64_t i) {
    int64_t off = 0;
    for (int d = p->norm.rank - 1; d >= 0; d--) {
        off += (i % p->norm.dim[d]) * stride[d];
        i /= p->norm.dim[d];
    }
    return off;
}

static void ln_rows(void *ctx, size_t begin, size_t end) {
    const ln_job *j = ctx;
    const ln_params *p = j->p;
    const et_tensor *x = &j->inst->in[0], *sc = &j->inst->in[1];
    const et_tensor *b = j->inst->n_in > 2 && j->inst->in[2].data ? &j->inst->in[2] : NULL;
    et_tensor *y = &j->inst->out[0];
    float *mean_out = j->inst->n_out > 1 ? j->inst->out[1].data : NULL;
    float *inv_out = j->inst->n_out > 2 ? j->inst->out[2].data : NULL;
    const bool fast = x->dtype == ET_DT_F32 && sc->dtype == ET_DT_F32 && (!b || b->dtype == ET_DT_F32) && p->s_direct &&
                      (!b || p->b_direct);
    for (size_t r = begin; r < end; r++) {
        int64_t at = (int64_t)r * p->inner;
        double mean, var;
        moments(x, at, p->inner, &mean, &var);
        double inv = 1.0 / sqrt(var + p->eps);
        if (mean_out)
            mean_out[r] = (float)mean;
        if (inv_out)
            inv_out[r] = (float)inv;
        if (fast) {
            const float *xp = (const float *)x->data + at, *sp = sc->data, *bp = b ? b->data : NULL;
            float *yp = (float *)y->data + at;
            const float m = (float)mean, iv = (float)inv;
            for (int64_t i = 0; i < p->inner; i++)
                yp[i] = (xp[i] - m) * iv * sp[i] + (bp ? bp[i] : 0.0f);
            continue;
        }
        for (int64_t i = 0; i < p->inner; i++) {
            double s = ld(sc->dtype, sc->data, p->s_direct ? i : ln_offset(p, p->s_stride, i));
            double bv = b ? ld(b->dtype, b->data, p->b_direct ? i : ln_offset(p, p->b_stride, i)) : 0.0;
            st(y->dtype, y->data, at + i, (ld(x->dtype, x->data, at + i) - mean) * inv * s + bv);
        }
    }
}

static et_status ln_run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    ln_job j = {inst->params, inst};
    et_par_for(ctx->pool, (size_t)j.p->outer, ln_rows, &j);
    (void)err;
    return ET_OK;
}

static et_status ln_prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    ln_params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    const et_shape *xs = &inst->in[0].shape;
    et_status s = ln_axis(n, xs->rank, &p->axis, err);
    if (s != ET_OK) {
        free(p);
        return s;
    }
    p->eps = et_node_attr_float(n, "epsilon", 1e-5f);
    p->outer = p->inner = 1;
    p->norm.rank = xs->rank - p->axis;
    for (int i = 0; i < xs->rank; i++) {
        if (i < p->axis)
            p->outer *= xs->dim[i];
        else
            p->inner *= (p->norm.dim[i - p->axis] = xs->dim[i]);
    }
    et_broadcast_strides(&inst->in[1].shape, &p->norm, p->s_stride);
    p->s_direct = et_shape_numel(&inst->in[1].shape) == p->inner;
    if (inst->n_in > 2 && n->inputs[2] >= 0) {
        et_broadcast_strides(&inst->in[2].shape, &p->norm, p->b_stride);
        p->b_direct = et_shape_numel(&inst->in[2].shape) == p->inner;
    }
    inst->params = p;
    inst->run = ln_run;
    (void)g;
    return ET_OK;
}

const et_op_impl et_impl_layer_norm = {ln_infer, ln_prepare};

/* ---- InstanceNormalization ---------------------------------------------------------------------------------- */

typedef struct in_params {
    int64_t c, plane, planes;
    double eps;
} in_params;

static et_status in_infer(et_graph *g, et_node *n, et_err *err) {
    et_status s = et_op_check_arity(n, 3, 3, 1, 1, err);
    if (s != ET_OK)
        return s;
    const et_value *x = et_node_cin(g, n, 0);
    if (!float_inputs(g, n))
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "element types must be floating point");
    if (x->shape.rank < 3)
        return et_op_fail(err, n, "input has rank %d; expected N x C x spatial dims", x->shape.rank);
    for (int i = 1; i < 3; i++) {
        const et_value *v = et_node_cin(g, n, i);
        if (v->shape.rank != 1 || v->shape.dim[0] != x->shape.dim[1])
            return et_op_fail(err, n, "input %d must be a vector of %lld values", i, (long long)x->shape.dim[1]);
    }
    et_op_set_output(g, n, 0, x->dtype, &x->shape);
    return ET_OK;
}

typedef struct in_job {
    const in_params *p;
    const et_op_inst *inst;
} in_job;

static void in_planes(void *ctx, size_t begin, size_t end) {
    const in_job *j = ctx;
    const in_params *p = j->p;
    const et_tensor *in = j->inst->in;
    for (size_t pl = begin; pl < end; pl++) {
        int64_t c = (int64_t)pl % p->c, at = (int64_t)pl * p->plane;
        double mean, var;
        moments(&in[0], at, p->plane, &mean, &var);
        double a = ld(in[1].dtype, in[1].data, c) / sqrt(var + p->eps);
        affine(&in[0], &j->inst->out[0], at, p->plane, mean, a, ld(in[2].dtype, in[2].data, c));
    }
}

static et_status in_run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    in_job j = {inst->params, inst};
    et_par_for(ctx->pool, (size_t)j.p->planes, in_planes, &j);
    (void)err;
    return ET_OK;
}

static et_status in_prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    in_params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    const et_shape *xs = &inst->in[0].shape;
    p->c = xs->dim[1];
    p->planes = xs->dim[0] * xs->dim[1];
    p->plane = 1;
    for (int i = 2; i < xs->rank; i++)
        p->plane *= xs->dim[i];
    p->eps = et_node_attr_float(n, "epsilon", 1e-5f);
    inst->params = p;
    inst->run = in_run;
    (void)g;
    return ET_OK;
}

const et_op_impl et_impl_instance_norm = {in_infer, in_prepare};
