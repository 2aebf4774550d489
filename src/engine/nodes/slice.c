/* slice.c: Slice (opset 1 attributes; opset 10+ inputs starts, ends, axes, steps, with negative steps).
 * starts/ends/axes/steps define the output shape, so they must be constants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/nodes.h"

typedef struct params {
    int rank;
    int64_t start[ET_MAX_RANK], step[ET_MAX_RANK];
} params;

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Resolves per-dim start/step and the output shape. */
static et_status resolve(const et_graph *g, const et_node *n, const et_shape *in, params *p, et_shape *out,
                         et_err *err) {
    int64_t starts[ET_MAX_RANK], ends[ET_MAX_RANK], axes[ET_MAX_RANK], steps[ET_MAX_RANK];
    int ns, ne, na, nst;
    if (g->opset < 10) {
        const int64_t *a;
        if (!(a = et_node_attr_ints(n, "starts", &ns)) || ns > ET_MAX_RANK)
            return et_op_fail(err, n, "needs starts");
        memcpy(starts, a, (size_t)ns * sizeof *a);
        if (!(a = et_node_attr_ints(n, "ends", &ne)) || ne > ET_MAX_RANK)
            return et_op_fail(err, n, "needs ends");
        memcpy(ends, a, (size_t)ne * sizeof *a);
        a = et_node_attr_ints(n, "axes", &na);
        if (na > ET_MAX_RANK)
            return et_op_fail(err, n, "too many axes");
        if (a)
            memcpy(axes, a, (size_t)na * sizeof *a);
        else
            na = -1;
        nst = -1;
    } else {
        ns = et_op_const_ints(g, n, 1, starts, ET_MAX_RANK);
        ne = et_op_const_ints(g, n, 2, ends, ET_MAX_RANK);
        na = et_op_const_ints(g, n, 3, axes, ET_MAX_RANK);
        nst = et_op_const_ints(g, n, 4, steps, ET_MAX_RANK);
        if (ns == -2 || ne == -2 || na == -2 || nst == -2)
            return et_op_failx(err, ET_E_UNSUPPORTED, n,
                               "data-dependent shape: starts, ends, axes and steps must be constants");
        if (ns < 0 || ne < 0 || na == -3 || nst == -3)
            return et_op_fail(err, n, "starts, ends, axes, steps must be int tensors of at most %d values",
                              ET_MAX_RANK);
    }
    if (ns != ne || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
        return et_op_fail(err, n, "starts, ends, axes and steps differ in length");
    *out = *in;
    p->rank = in->rank;
    for (int d = 0; d < in->rank; d++)
        p->start[d] = 0, p->step[d] = 1;
    bool seen[ET_MAX_RANK] = {false};
    for (int i = 0; i < ns; i++) {
        int axis;
        if (!et_op_axis(na >= 0 ? axes[i] : i, in->rank, &axis) || seen[axis])
            return et_op_fail(err, n, "axis out of range or repeated");
        seen[axis] = true;
        int64_t dim = in->dim[axis], step = nst >= 0 ? steps[i] : 1, s = starts[i], e = ends[i];
        if (step == 0)
            return et_op_fail(err, n, "step 0");
        if (s < 0) /* negative: from the end; no overflow since dim >= 0 */
            s += dim;
        if (e < 0)
            e += dim;
        int64_t count;
        if (step > 0) {
            s = clamp64(s, 0, dim);
            e = clamp64(e, 0, dim);
            count = e > s ? (e - s + step - 1) / step : 0;
        } else {
            s = clamp64(s, 0, dim - 1);
            e = clamp64(e, -1, dim - 1);
            count = s > e ? (s - e + (-step) - 1) / (-step) : 0;
        }
        p->start[axis] = s;
        p->step[axis] = step;
        out->dim[axis] = count;
    }
    return ET_OK;
}

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, g->opset < 10 ? 1 : 3, g->opset < 10 ? 1 : 5, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    params p;
    et_shape out;
    if ((st = resolve(g, n, &x->shape, &p, &out, err)) != ET_OK)
        return st;
    et_op_set_output(g, n, 0, x->dtype, &out);
    return ET_OK;
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    const et_tensor *x = &inst->in[0];
    const et_tensor *y = &inst->out[0];
    int r = p->rank;
    size_t es = et_dtype_size(x->dtype);
    int64_t numel = et_shape_numel(&y->shape);
    if (numel == 0)
        return ET_OK;
    int64_t in_stride[ET_MAX_RANK];
    et_shape_strides(&x->shape, in_stride);
    if (r == 0) {
        memcpy(y->data, x->data, es);
        return ET_OK;
    }
    int64_t inner = y->shape.dim[r - 1], rows = numel / inner;
    int64_t istep = p->step[r - 1] * in_stride[r - 1];
    for (int64_t row = 0; row < rows; row++) {
        int64_t off = p->start[r - 1] * in_stride[r - 1], rem = row;
        for (int d = r - 2; d >= 0; d--) {
            off += (p->start[d] + (rem % y->shape.dim[d]) * p->step[d]) * in_stride[d];
            rem /= y->shape.dim[d];
        }
        char *dst = (char *)y->data + (size_t)(row * inner) * es;
        const char *src = (const char *)x->data + (size_t)off * es;
        if (istep == 1)
            memcpy(dst, src, (size_t)inner * es);
        else
            for (int64_t k = 0; k < inner; k++)
                memcpy(dst + (size_t)k * es, src + (ptrdiff_t)(k * istep) * (ptrdiff_t)es, es);
    }
    (void)ctx, (void)err;
    return ET_OK;
}

static et_status prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    params *p = malloc(sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    et_shape out;
    et_status st = resolve(g, n, &inst->in[0].shape, p, &out, err);
    if (st != ET_OK) {
        free(p);
        return st;
    }
    inst->params = p;
    inst->run = run;
    return ET_OK;
}

const et_op_impl et_impl_slice = {infer, prepare};
