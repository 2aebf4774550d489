/* constant.c: operators that create tensors: Constant, ConstantOfShape, Range, and Cast.
 * All of them fold at load time when their inputs are constant (they usually are). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/nodes.h"

/* ---- Constant: the value attribute (or value_float(s)/value_int(s)) ---- */
static et_status constant_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 0, 0, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_attr *a;
    if ((a = et_node_attr(n, "value")) && a->type == ET_ATTR_TENSOR) {
        et_op_set_output(g, n, 0, a->t.dtype, &a->t.shape);
    } else if ((a = et_node_attr(n, "value_float")) || (a = et_node_attr(n, "value_int"))) {
        et_shape s = {0};
        et_op_set_output(g, n, 0, a->type == ET_ATTR_FLOAT ? ET_DT_F32 : ET_DT_I64, &s);
    } else if ((a = et_node_attr(n, "value_floats")) || (a = et_node_attr(n, "value_ints"))) {
        et_shape s = {.rank = 1, .dim = {a->n}};
        et_op_set_output(g, n, 0, a->type == ET_ATTR_FLOATS ? ET_DT_F32 : ET_DT_I64, &s);
    } else {
        return et_op_failx(err, ET_E_UNSUPPORTED, n,
                           "needs a numeric value (sparse and string values are not supported)");
    }
    return ET_OK;
}

static et_status constant_run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const et_node *n = inst->node;
    const et_attr *a;
    void *out = inst->out[0].data;
    if ((a = et_node_attr(n, "value")) && a->type == ET_ATTR_TENSOR) {
        if (a->t.nbytes)
            memcpy(out, a->t.data, a->t.nbytes);
    } else if ((a = et_node_attr(n, "value_float"))) {
        memcpy(out, &a->f, sizeof(float));
    } else if ((a = et_node_attr(n, "value_int"))) {
        memcpy(out, &a->i, sizeof(int64_t));
    } else if ((a = et_node_attr(n, "value_floats"))) {
        memcpy(out, a->floats, (size_t)a->n * sizeof(float));
    } else if ((a = et_node_attr(n, "value_ints"))) {
        memcpy(out, a->ints, (size_t)a->n * sizeof(int64_t));
    }
    (void)ctx, (void)err;
    return ET_OK;
}

/* ---- ConstantOfShape ---- */
static et_status cos_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 1, 1, 1, 1, err);
    if (st != ET_OK)
        return st;
    int64_t dims[ET_MAX_RANK];
    int r = et_op_const_ints(g, n, 0, dims, ET_MAX_RANK);
    if (r == -2)
        return et_op_fail_not_const(err, n, 0);
    if (r < 0)
        return et_op_fail(err, n, "shape must be an int64 tensor of at most %d values", ET_MAX_RANK);
    et_shape s = {.rank = r};
    for (int i = 0; i < r; i++) {
        if (dims[i] < 0)
            return et_op_fail(err, n, "negative dim %lld", (long long)dims[i]);
        s.dim[i] = dims[i];
    }
    const et_attr *a = et_node_attr(n, "value");
    et_dtype t = a && a->type == ET_ATTR_TENSOR ? a->t.dtype : ET_DT_F32;
    if (a && a->type == ET_ATTR_TENSOR && et_shape_numel(&a->t.shape) != 1)
        return et_op_fail(err, n, "value must hold one element");
    et_op_set_output(g, n, 0, t, &s);
    return ET_OK;
}

static et_status cos_run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const et_attr *a = et_node_attr(inst->node, "value");
    et_tensor *y = &inst->out[0];
    size_t es = et_dtype_size(y->dtype), n = (size_t)et_shape_numel(&y->shape);
    if (!a || a->type != ET_ATTR_TENSOR) {
        memset(y->data, 0, n * es);
    } else {
        for (size_t i = 0; i < n; i++)
            memcpy((char *)y->data + i * es, a->t.data, es);
    }
    (void)ctx, (void)err;
    return ET_OK;
}

/* ---- Range ---- */
static et_status range_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 3, 3, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *v[3];
    for (int i = 0; i < 3; i++) {
        v[i] = et_node_cin(g, n, i);
        if (v[i]->kind != ET_VAL_CONST)
            return et_op_fail_not_const(err, n, i);
        if (et_shape_numel(&v[i]->shape) != 1 || v[i]->dtype != v[0]->dtype)
            return et_op_fail(err, n, "start, limit and delta must be scalars of one type");
    }
    double start = et_dtype_load(v[0]->dtype, v[0]->data, 0), limit = et_dtype_load(v[1]->dtype, v[1]->data, 0),
           delta = et_dtype_load(v[2]->dtype, v[2]->data, 0);
    if (delta == 0 || !isfinite(start) || !isfinite(limit) || !isfinite(delta))
        return et_op_fail(err, n, "delta must be non-zero and all values finite");
    double count = ceil((limit - start) / delta);
    if (count > 1e9)
        return et_op_fail(err, n, "would produce %.0f elements", count);
    et_shape s = {.rank = 1, .dim = {count > 0 ? (int64_t)count : 0}};
    et_op_set_output(g, n, 0, v[0]->dtype, &s);
    return ET_OK;
}

static et_status range_run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    et_dtype t = inst->in[0].dtype;
    et_tensor *y = &inst->out[0];
    int64_t n = y->shape.dim[0];
    if (et_dtype_is_float(t)) {
        double start = et_dtype_load(t, inst->in[0].data, 0), delta = et_dtype_load(t, inst->in[2].data, 0);
        for (int64_t i = 0; i < n; i++) /* accumulate in the output type, as the ONNX reference does */
            et_dtype_store(t, y->data, (size_t)i, i == 0 ? start : et_dtype_load(t, y->data, (size_t)i - 1) + delta);
    } else {
        int64_t start = et_dtype_load_i64(t, inst->in[0].data, 0), delta = et_dtype_load_i64(t, inst->in[2].data, 0);
        for (int64_t i = 0; i < n; i++)
            et_dtype_store_i64(t, y->data, (size_t)i, start + i * delta);
    }
    (void)ctx, (void)err;
    return ET_OK;
}

/* ---- Cast ---- */
static et_status cast_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 1, 1, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    int64_t to = et_node_attr_int(n, "to", 0);
    if (!et_dtype_is_numeric((et_dtype)to) || !et_dtype_is_numeric(x->dtype))
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "cast from %s to type %lld is not supported",
                           et_dtype_name(x->dtype), (long long)to);
    et_op_set_output(g, n, 0, (et_dtype)to, &x->shape);
    return ET_OK;
}

static et_status cast_run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    et_dtype from = inst->in[0].dtype, to = inst->out[0].dtype;
    size_t n = (size_t)et_shape_numel(&inst->in[0].shape);
    const void *x = inst->in[0].data;
    void *y = inst->out[0].data;
    if (from == to) {
        memcpy(y, x, n * et_dtype_size(from));
    } else if (from == ET_DT_F32 && to == ET_DT_BF16) {
        /* ONNX's reference (and its test data) truncates float to bfloat16 */
        for (size_t i = 0; i < n; i++) {
            uint32_t bits;
            memcpy(&bits, (const float *)x + i, 4);
            ((uint16_t *)y)[i] = (uint16_t)(bits >> 16);
        }
    } else if (from == ET_DT_F32 && to == ET_DT_F16) {
        for (size_t i = 0; i < n; i++) /* float -> half directly: going through double would round twice */
            ((uint16_t *)y)[i] = et_f32_to_f16(((const float *)x)[i]);
    } else if (from == ET_DT_F64 && (to == ET_DT_F16 || to == ET_DT_BF16)) {
        for (size_t i = 0; i < n; i++) { /* double -> float -> half, as the reference does */
            float f = (float)((const double *)x)[i];
            ((uint16_t *)y)[i] = to == ET_DT_F16 ? et_f32_to_f16(f) : et_f32_to_bf16(f);
        }
    } else if (et_dtype_is_float(from) || et_dtype_is_float(to) || to == ET_DT_BOOL) {
        for (size_t i = 0; i < n; i++)
            et_dtype_store(to, y, i, et_dtype_load(from, x, i));
    } else {
        for (size_t i = 0; i < n; i++)
            et_dtype_store_i64(to, y, i, et_dtype_load_i64(from, x, i));
    }
    (void)ctx, (void)err;
    return ET_OK;
}

ET_SIMPLE_PREPARE(constant_prepare, constant_run)
ET_SIMPLE_PREPARE(cos_prepare, cos_run)
ET_SIMPLE_PREPARE(range_prepare, range_run)
ET_SIMPLE_PREPARE(cast_prepare, cast_run)

const et_op_impl et_impl_constant = {constant_infer, constant_prepare};
const et_op_impl et_impl_constant_of_shape = {cos_infer, cos_prepare};
const et_op_impl et_impl_range = {range_infer, range_prepare};
const et_op_impl et_impl_cast = {cast_infer, cast_prepare};
