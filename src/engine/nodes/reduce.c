/* reduce.c: ReduceMean, ReduceSum, ReduceMax, ReduceMin and ArgMax.
 *
 * Axes come from the `axes` attribute (ReduceSum before opset 13, the others before 18) or from input 1 (later
 * opsets), which must then be a constant: the output shape depends on it. No axes reduce everything, unless
 * noop_with_empty_axes, which makes the operator an identity. keepdims keeps reduced dimensions as 1.
 *
 * Adjacent dimensions that are all kept or all reduced are merged first. When what remains is one reduced run
 * between kept ones ([outer, reduced, inner], the usual case: a channel mean, a last-axis max), float32 runs a
 * direct loop that accumulates whole inner rows (contiguous, vectorisable); any other pattern or element type
 * walks every output position and its reduced positions with an odometer, accumulating in double (float types)
 * or int64 (integer types; Mean divides with truncation). NaN propagates through Max and Min as in numpy.
 * ArgMax is an [outer, axis, inner] scan; ties pick the first index, or the last with select_last_index. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/nn_util.h"
#include "engine/nodes/nodes.h"

typedef enum { R_SUM, R_MEAN, R_MAX, R_MIN } rkind;

typedef struct params {
    rkind kind;
    bool noop;
    et_dtype dtype;
    int rank;                 /* merged rank */
    int64_t dim[ET_MAX_RANK]; /* merged dims */
    bool red[ET_MAX_RANK];    /* merged dim is reduced */
    bool simple;              /* one reduced run: [outer, len, inner] */
    int64_t outer, len, inner;
    int64_t count; /* elements per reduction */
    int64_t out_numel;
} params;

static rkind kind_of(et_op op) {
    switch (op) {
    case ET_OP_REDUCE_SUM: return R_SUM;
    case ET_OP_REDUCE_MEAN: return R_MEAN;
    case ET_OP_REDUCE_MAX: return R_MAX;
    default: return R_MIN;
    }
}

static bool type_ok(et_dtype t) {
    return et_dtype_is_float(t) || t == ET_DT_I32 || t == ET_DT_I64 || t == ET_DT_U32 || t == ET_DT_U64 ||
           t == ET_DT_I8 || t == ET_DT_U8;
}

/* Which dims of a rank-`rank` input are reduced; *noop when the operator is an identity. */
static et_status reduced_axes(const et_graph *g, const et_node *n, int rank, bool *red, bool *noop, et_err *err) {
    int64_t axes[ET_MAX_RANK];
    int count;
    if (n->n_inputs > 1 && n->inputs[1] >= 0) {
        count = et_op_const_ints(g, n, 1, axes, ET_MAX_RANK);
        if (count == -2)
            return et_op_fail_not_const(err, n, 1);
        if (count < 0)
            return et_op_fail(err, n, "axes must be an int64 vector of at most %d values", ET_MAX_RANK);
    } else {
        const int64_t *a = et_node_attr_ints(n, "axes", &count);
        if (count > ET_MAX_RANK)
            return et_op_fail(err, n, "axes has %d values; the input has rank %d", count, rank);
        for (int i = 0; i < count; i++)
            axes[i] = a[i];
    }
    *noop = false;
    for (int i = 0; i < rank; i++)
        red[i] = count == 0;
    if (count == 0 && et_node_attr_int(n, "noop_with_empty_axes", 0) != 0) {
        *noop = true;
        for (int i = 0; i < rank; i++)
            red[i] = false;
    }
    for (int i = 0; i < count; i++) {
        int ax;
        if (!et_op_axis(axes[i], rank, &ax) || (rank == 0 && axes[i] != 0 && axes[i] != -1))
            return et_op_fail(err, n, "axis %lld is out of range for rank %d", (long long)axes[i], rank);
        if (rank == 0)
            continue;
        if (red[ax])
            return et_op_fail(err, n, "axis %lld is listed twice", (long long)axes[i]);
        red[ax] = true;
    }
    return ET_OK;
}

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 1, 2, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    if (!type_ok(x->dtype))
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "element type %s is not supported", et_dtype_name(x->dtype));
    bool red[ET_MAX_RANK], noop;
    if ((st = reduced_axes(g, n, x->shape.rank, red, &noop, err)) != ET_OK)
        return st;
    bool keep = et_node_attr_int(n, "keepdims", 1) != 0;
    et_shape out = {.rank = 0};
    for (int i = 0; i < x->shape.rank; i++) {
        if (!red[i])
            out.dim[out.rank++] = x->shape.dim[i];
        else if (keep)
            out.dim[out.rank++] = 1;
    }
    et_op_set_output(g, n, 0, x->dtype, &out);
    return ET_OK;
}

/* ---- float32 [outer, len, inner] ---------------------------------------------------------------------------- */

typedef struct job {
    const params *p;
    const void *x;
    void *y;
} job;

static void simple_f32(void *ctx, size_t begin, size_t end) {
    const job *j = ctx;
    const params *p = j->p;
    const int64_t len = p->len, inner = p->inner;
    for (size_t o = begin; o < end; o++) {
        const float *x = (const float *)j->x + (int64_t)o * len * inner;
        float *y = (float *)j->y + (int64_t)o * inner;
        if (inner == 1) {
            if (p->kind == R_SUM || p->kind == R_MEAN) {
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0; /* independent sums: no serial add chain */
                int64_t r = 0;
                for (; r + 4 <= len; r += 4)
                    s0 += x[r], s1 += x[r + 1], s2 += x[r + 2], s3 += x[r + 3];
                for (; r < len; r++)
                    s0 += x[r];
                double s = (s0 + s1) + (s2 + s3);
                y[0] = (float)(p->kind == R_SUM ? s : s / (double)len);
            } else {
                float m = p->kind == R_MAX ? -INFINITY : INFINITY;
                bool is_max = p->kind == R_MAX;
                for (int64_t r = 0; r < len; r++) {
                    const float v = x[r];
                    if (is_max ? (v > m || isnan(v)) : (v < m || isnan(v)))
                        m = v;
                }
                y[0] = m;
            }
            continue;
        }
        if (len == 0) {
            const float v = p->kind == R_SUM ? 0.0f : p->kind == R_MEAN ? NAN : p->kind == R_MAX ? -INFINITY : INFINITY;
            for (int64_t i = 0; i < inner; i++)
                y[i] = v;
            continue;
        }
        memcpy(y, x, (size_t)inner * sizeof *y);
        for (int64_t r = 1; r < len; r++) {
            const float *xr = x + r * inner;
            switch (p->kind) {
            case R_SUM:
            case R_MEAN:
                for (int64_t i = 0; i < inner; i++)
                    y[i] += xr[i];
                break;
            case R_MAX:
                for (int64_t i = 0; i < inner; i++)
                    y[i] = xr[i] > y[i] || isnan(xr[i]) ? xr[i] : y[i];
                break;
            case R_MIN:
                for (int64_t i = 0; i < inner; i++)
                    y[i] = xr[i] < y[i] || isnan(xr[i]) ? xr[i] : y[i];
                break;
            }
        }
        if (p->kind == R_MEAN) {
            const float inv = 1.0f / (float)len;
            for (int64_t i = 0; i < inner; i++)
                y[i] *= inv;
        }
    }
}

/* ---- generic: odometer over kept dims, then over reduced dims ------------------------------------------------ */

static void generic_outputs(void *ctx, size_t begin, size_t end) {
    const job *j = ctx;
    const params *p = j->p;
    const et_dtype t = p->dtype;
    const bool fp = et_dtype_is_float(t);
    int64_t stride[ET_MAX_RANK], s = 1;
    for (int d = p->rank - 1; d >= 0; d--) {
        stride[d] = s;
        s *= p->dim[d];
    }
    for (size_t oi = begin; oi < end; oi++) {
        /* input offset of this output position: decompose oi over the kept dims */
        int64_t base = 0, rest = (int64_t)oi;
        for (int d = p->rank - 1; d >= 0; d--)
            if (!p->red[d]) {
                base += (rest % p->dim[d]) * stride[d];
                rest /= p->dim[d];
            }
        double acc = p->kind == R_MAX ? -INFINITY : p->kind == R_MIN ? INFINITY : 0.0;
        int64_t iacc = 0;
        bool first = true;
        for (int64_t ri = 0; ri < p->count; ri++) {
            int64_t off = base, r = ri;
            for (int d = p->rank - 1; d >= 0; d--)
                if (p->red[d]) {
                    off += (r % p->dim[d]) * stride[d];
                    r /= p->dim[d];
                }
            if (fp) {
                double v = et_dtype_load(t, j->x, (size_t)off);
                if (p->kind == R_SUM || p->kind == R_MEAN)
                    acc += v;
                else if (p->kind == R_MAX ? (v > acc || isnan(v)) : (v < acc || isnan(v)))
                    acc = v;
            } else {
                int64_t v = et_dtype_load_i64(t, j->x, (size_t)off);
                if (p->kind == R_SUM || p->kind == R_MEAN)
                    iacc = (int64_t)((uint64_t)iacc + (uint64_t)v);
                else if (first || (p->kind == R_MAX ? v > iacc : v < iacc))
                    iacc = v;
            }
            first = false;
        }
        if (fp) {
            if (p->kind == R_MEAN)
                acc = acc / (double)p->count;
            et_dtype_store(t, j->y, oi, acc);
        } else {
            if (p->kind == R_MEAN)
                iacc = p->count ? iacc / p->count : 0;
            et_dtype_store_i64(t, j->y, oi, iacc);
        }
    }
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    job j = {p, inst->in[0].data, inst->out[0].data};
    (void)err;
    if (p->noop) {
        memcpy(inst->out[0].data, inst->in[0].data, (size_t)p->out_numel * et_dtype_size(p->dtype));
        return ET_OK;
    }
    if (p->simple && p->dtype == ET_DT_F32)
        et_par_for(ctx->pool, (size_t)p->outer, simple_f32, &j);
    else
        et_par_for(ctx->pool, (size_t)p->out_numel, generic_outputs, &j);
    return ET_OK;
}

static et_status prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    const et_shape *xs = &inst->in[0].shape;
    bool red[ET_MAX_RANK];
    et_status st = reduced_axes(g, n, xs->rank, red, &p->noop, err);
    if (st != ET_OK) {
        free(p);
        return st;
    }
    p->kind = kind_of(n->op);
    p->dtype = inst->in[0].dtype;
    p->out_numel = et_shape_numel(&inst->out[0].shape);
    p->count = 1;
    /* merge neighbours of the same kind; size-1 dims are dropped (they change nothing) */
    for (int i = 0; i < xs->rank; i++) {
        if (red[i])
            p->count *= xs->dim[i];
        if (xs->dim[i] == 1)
            continue;
        if (p->rank > 0 && p->red[p->rank - 1] == red[i]) {
            p->dim[p->rank - 1] *= xs->dim[i];
        } else {
            p->dim[p->rank] = xs->dim[i];
            p->red[p->rank++] = red[i];
        }
    }
    int runs = 0, first_red = -1;
    for (int i = 0; i < p->rank; i++)
        if (p->red[i]) {
            runs++;
            first_red = i;
        }
    p->simple = runs <= 1;
    p->outer = p->len = p->inner = 1;
    for (int i = 0; i < p->rank; i++) {
        if (first_red < 0 || i < first_red)
            p->outer *= p->dim[i];
        else if (i == first_red)
            p->len = p->dim[i];
        else
            p->inner *= p->dim[i];
    }
    if (first_red < 0) { /* nothing of size > 1 is reduced: each output is one element */
        p->inner = p->outer;
        p->outer = 1;
        p->len = p->count; /* 0 when a reduced dim is 0 */
    }
    inst->params = p;
    inst->run = run;
    return ET_OK;
}

const et_op_impl et_impl_reduce = {infer, prepare};

/* ---- ArgMax ------------------------------------------------------------------------------------------------- */

typedef struct am_params {
    int64_t outer, len, inner;
    bool last;
    et_dtype dtype;
} am_params;

static et_status am_geometry(const et_node *n, const et_shape *s, am_params *p, int *axis, et_err *err) {
    int64_t a = et_node_attr_int(n, "axis", 0);
    if (!et_op_axis(a, s->rank, axis) || s->rank == 0)
        return et_op_fail(err, n, "axis %lld is out of range for rank %d", (long long)a, s->rank);
    p->outer = p->len = p->inner = 1;
    for (int i = 0; i < s->rank; i++) {
        if (i < *axis)
            p->outer *= s->dim[i];
        else if (i == *axis)
            p->len = s->dim[i];
        else
            p->inner *= s->dim[i];
    }
    p->last = et_node_attr_int(n, "select_last_index", 0) != 0;
    return ET_OK;
}

static et_status am_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 1, 1, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    if (!type_ok(x->dtype))
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "element type %s is not supported", et_dtype_name(x->dtype));
    am_params p;
    int axis;
    if ((st = am_geometry(n, &x->shape, &p, &axis, err)) != ET_OK)
        return st;
    if (x->shape.dim[axis] == 0)
        return et_op_fail(err, n, "the reduced axis has size 0");
    et_shape out = x->shape;
    if (et_node_attr_int(n, "keepdims", 1) != 0) {
        out.dim[axis] = 1;
    } else {
        for (int i = axis; i < out.rank - 1; i++)
            out.dim[i] = out.dim[i + 1];
        out.rank--;
    }
    et_op_set_output(g, n, 0, ET_DT_I64, &out);
    return ET_OK;
}

typedef struct am_job {
    const am_params *p;
    const void *x;
    int64_t *y;
} am_job;

static void am_rows(void *ctx, size_t begin, size_t end) {
    const am_job *j = ctx;
    const am_params *p = j->p;
    const bool fp = et_dtype_is_float(p->dtype), f32 = p->dtype == ET_DT_F32;
    for (size_t r = begin; r < end; r++) {
        int64_t o = (int64_t)r / p->inner, i = (int64_t)r % p->inner;
        size_t base = (size_t)(o * p->len * p->inner + i);
        int64_t best = 0;
        double bd = 0;
        int64_t bi = 0;
        for (int64_t l = 0; l < p->len; l++) {
            size_t at = base + (size_t)(l * p->inner);
            bool better;
            if (fp) {
                double v = f32 ? (double)((const float *)j->x)[at] : et_dtype_load(p->dtype, j->x, at);
                better = l == 0 || (p->last ? v >= bd : v > bd);
                if (better)
                    bd = v;
            } else {
                int64_t v = et_dtype_load_i64(p->dtype, j->x, at);
                better = l == 0 || (p->last ? v >= bi : v > bi);
                if (better)
                    bi = v;
            }
            if (better)
                best = l;
        }
        j->y[r] = best;
    }
}

static et_status am_run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const am_params *p = inst->params;
    am_job j = {p, inst->in[0].data, inst->out[0].data};
    et_par_for(ctx->pool, (size_t)(p->outer * p->inner), am_rows, &j);
    (void)err;
    return ET_OK;
}

static et_status am_prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    am_params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    int axis;
    et_status st = am_geometry(n, &inst->in[0].shape, p, &axis, err);
    if (st != ET_OK) {
        free(p);
        return st;
    }
    p->dtype = inst->in[0].dtype;
    inst->params = p;
    inst->run = am_run;
    (void)g;
    return ET_OK;
}

const et_op_impl et_impl_argmax = {am_infer, am_prepare};
