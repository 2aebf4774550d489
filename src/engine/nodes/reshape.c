/* reshape.c: operators that only reinterpret a tensor's shape: Reshape, Flatten, Squeeze, Unsqueeze,
 * Identity, Dropout (inference), and Shape, which outputs the shape itself.
 *
 * Their run is a copy when input and output buffers differ; the planner normally gives them the same buffer
 * (plan.c: alias operators), so at run time they cost nothing. Shape-defining inputs (Reshape's shape,
 * Squeeze/Unsqueeze axes from opset 13) must be constants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/nodes.h"

static et_status copy_run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const et_tensor *x = &inst->in[0];
    et_tensor *y = &inst->out[0];
    size_t bytes = (size_t)et_shape_numel(&x->shape) * et_dtype_size(x->dtype);
    if (y->data != x->data && bytes)
        memmove(y->data, x->data, bytes);
    /* Dropout's optional mask output: all true in inference */
    if (inst->n_out > 1 && inst->out[1].data)
        memset(inst->out[1].data, 1, (size_t)et_shape_numel(&inst->out[1].shape));
    (void)ctx, (void)err;
    return ET_OK;
}

static et_status copy_prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    inst->run = copy_run;
    snprintf(inst->kernel, sizeof inst->kernel, "alias");
    (void)g, (void)n, (void)err;
    return ET_OK;
}

/* ---- Reshape ---- */
static et_status reshape_infer(et_graph *g, et_node *n, et_err *err) {
    const et_value *x = et_node_cin(g, n, 0);
    int64_t shape[ET_MAX_RANK];
    int rank;
    if (g->opset < 5) {
        et_status st = et_op_check_arity(n, 1, 1, 1, 1, err);
        if (st != ET_OK)
            return st;
        const int64_t *s = et_node_attr_ints(n, "shape", &rank);
        if (rank > ET_MAX_RANK)
            return et_op_fail(err, n, "more than %d dims", ET_MAX_RANK);
        if (rank)
            memcpy(shape, s, (size_t)rank * sizeof *shape);
    } else {
        et_status st = et_op_check_arity(n, 2, 2, 1, 1, err);
        if (st != ET_OK)
            return st;
        rank = et_op_const_ints(g, n, 1, shape, ET_MAX_RANK);
        if (rank == -2)
            return et_op_fail_not_const(err, n, 1);
        if (rank < 0)
            return et_op_fail(err, n, "shape must be an int64 tensor of at most %d values", ET_MAX_RANK);
    }
    bool allowzero = et_node_attr_int(n, "allowzero", 0) != 0;
    int64_t in_numel = et_shape_numel(&x->shape), known = 1;
    int infer_at = -1;
    et_shape out = {.rank = rank};
    for (int i = 0; i < rank; i++) {
        int64_t d = shape[i];
        if (d == 0 && !allowzero) {
            if (i >= x->shape.rank)
                return et_op_fail(err, n, "shape copies dim %d, which the input does not have", i);
            d = x->shape.dim[i];
        } else if (d == -1) {
            if (infer_at >= 0)
                return et_op_fail(err, n, "shape has more than one -1");
            infer_at = i;
            continue;
        } else if (d < 0) {
            return et_op_fail(err, n, "shape has a negative dim %lld", (long long)d);
        }
        out.dim[i] = d;
        if (__builtin_mul_overflow(known, d, &known))
            return et_op_fail(err, n, "shape overflows");
    }
    if (infer_at >= 0) {
        if (known == 0 || in_numel % known)
            return et_op_fail(err, n, "cannot infer the -1 dim: %lld elements into blocks of %lld", (long long)in_numel,
                              (long long)known);
        out.dim[infer_at] = in_numel / known;
    } else if (known != in_numel) {
        return et_op_fail(err, n, "reshape of %lld elements into %lld", (long long)in_numel, (long long)known);
    }
    et_op_set_output(g, n, 0, x->dtype, &out);
    return ET_OK;
}

/* ---- Flatten ---- */
static et_status flatten_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 1, 1, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    int64_t axis = et_node_attr_int(n, "axis", 1);
    if (axis < 0)
        axis += x->shape.rank;
    if (axis < 0 || axis > x->shape.rank)
        return et_op_fail(err, n, "axis %lld out of range", (long long)et_node_attr_int(n, "axis", 1));
    et_shape out = {.rank = 2, .dim = {1, 1}};
    for (int i = 0; i < x->shape.rank; i++)
        out.dim[i < axis ? 0 : 1] *= x->shape.dim[i];
    et_op_set_output(g, n, 0, x->dtype, &out);
    return ET_OK;
}

/* ---- Squeeze / Unsqueeze ---- */
static et_status read_axes(et_graph *g, et_node *n, int64_t *axes, int *count, et_err *err) {
    if (g->opset < 13) {
        const int64_t *a = et_node_attr_ints(n, "axes", count);
        if (*count > ET_MAX_RANK)
            return et_op_fail(err, n, "too many axes");
        if (*count)
            memcpy(axes, a, (size_t)*count * sizeof *axes);
        return ET_OK;
    }
    int r = et_op_const_ints(g, n, 1, axes, ET_MAX_RANK);
    if (r == -2)
        return et_op_fail_not_const(err, n, 1);
    if (r == -3)
        return et_op_fail(err, n, "axes must be an int64 tensor of at most %d values", ET_MAX_RANK);
    *count = r < 0 ? 0 : r;
    return ET_OK;
}

static et_status squeeze_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 1, 2, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    int64_t axes[ET_MAX_RANK];
    int count;
    if ((st = read_axes(g, n, axes, &count, err)) != ET_OK)
        return st;
    bool drop[ET_MAX_RANK] = {false};
    for (int i = 0; i < count; i++) {
        int a;
        if (!et_op_axis(axes[i], x->shape.rank, &a))
            return et_op_fail(err, n, "axis %lld out of range", (long long)axes[i]);
        if (x->shape.dim[a] != 1)
            return et_op_fail(err, n, "cannot squeeze dim %d of size %lld", a, (long long)x->shape.dim[a]);
        drop[a] = true;
    }
    et_shape out = {0};
    for (int i = 0; i < x->shape.rank; i++)
        if (!(count ? drop[i] : x->shape.dim[i] == 1))
            out.dim[out.rank++] = x->shape.dim[i];
    et_op_set_output(g, n, 0, x->dtype, &out);
    return ET_OK;
}

static et_status unsqueeze_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 1, 2, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    int64_t axes[ET_MAX_RANK];
    int count;
    if ((st = read_axes(g, n, axes, &count, err)) != ET_OK)
        return st;
    int rank = x->shape.rank + count;
    if (count == 0 || rank > ET_MAX_RANK)
        return et_op_fail(err, n, "needs 1 to %d axes", ET_MAX_RANK - x->shape.rank);
    bool add[ET_MAX_RANK] = {false};
    for (int i = 0; i < count; i++) {
        int a;
        if (!et_op_axis(axes[i], rank, &a) || add[a])
            return et_op_fail(err, n, "axis %lld out of range or repeated", (long long)axes[i]);
        add[a] = true;
    }
    et_shape out = {.rank = rank};
    for (int i = 0, k = 0; i < rank; i++)
        out.dim[i] = add[i] ? 1 : x->shape.dim[k++];
    et_op_set_output(g, n, 0, x->dtype, &out);
    return ET_OK;
}

/* ---- Identity / Dropout ---- */
static et_status identity_infer(et_graph *g, et_node *n, et_err *err) {
    bool dropout = n->op == ET_OP_DROPOUT;
    et_status st = et_op_check_arity(n, 1, dropout ? 3 : 1, 1, dropout ? 2 : 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    if (dropout) {
        int64_t training = 0;
        if (et_op_const_ints(g, n, 2, &training, 1) == -2)
            return et_op_failx(err, ET_E_UNSUPPORTED, n, "training_mode must be a constant");
        const et_value *tm = et_node_cin(g, n, 2);
        if (tm && tm->kind == ET_VAL_CONST && tm->dtype == ET_DT_BOOL && et_shape_numel(&tm->shape) == 1)
            training = *(const uint8_t *)tm->data;
        float ratio = 0.5f;
        int rr = et_op_const_floats(g, n, 1, &ratio, 1);
        if (training && !(rr == 1 && ratio == 0.0f))
            return et_op_failx(err, ET_E_UNSUPPORTED, n,
                               "training-mode dropout is random; edgetune runs inference (set training_mode false)");
        if (n->n_outputs > 1)
            et_op_set_output(g, n, 1, ET_DT_BOOL, &x->shape);
    }
    et_op_set_output(g, n, 0, x->dtype, &x->shape);
    return ET_OK;
}

/* ---- Shape ---- */
static et_status shape_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 1, 1, 1, 1, err);
    if (st != ET_OK)
        return st;
    int rank = et_node_cin(g, n, 0)->shape.rank;
    int64_t start = et_node_attr_int(n, "start", 0), end = et_node_attr_int(n, "end", rank);
    if (start < 0)
        start += rank;
    if (end < 0)
        end += rank;
    start = start < 0 ? 0 : start > rank ? rank : start;
    end = end < 0 ? 0 : end > rank ? rank : end;
    et_shape out = {.rank = 1, .dim = {end > start ? end - start : 0}};
    et_op_set_output(g, n, 0, ET_DT_I64, &out);
    return ET_OK;
}

static et_status shape_run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const et_shape *s = &inst->in[0].shape;
    int rank = s->rank;
    int64_t start = et_node_attr_int(inst->node, "start", 0);
    if (start < 0)
        start += rank;
    start = start < 0 ? 0 : start > rank ? rank : start;
    int64_t n = inst->out[0].shape.dim[0];
    memcpy(inst->out[0].data, s->dim + start, (size_t)n * sizeof(int64_t));
    (void)ctx, (void)err;
    return ET_OK;
}

static et_status shape_prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    inst->run = shape_run;
    (void)g, (void)n, (void)err;
    return ET_OK;
}

const et_op_impl et_impl_reshape = {reshape_infer, copy_prepare};
const et_op_impl et_impl_flatten = {flatten_infer, copy_prepare};
const et_op_impl et_impl_squeeze = {squeeze_infer, copy_prepare};
const et_op_impl et_impl_unsqueeze = {unsqueeze_infer, copy_prepare};
const et_op_impl et_impl_identity = {identity_infer, copy_prepare};
const et_op_impl et_impl_shape = {shape_infer, shape_prepare};
