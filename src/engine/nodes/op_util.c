/* op_util.c: helpers shared by the operator implementations. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/op.h"

static et_status vfail(et_err *err, et_status st, const et_node *n, const char *fmt, va_list ap) {
    char msg[ET_ERR_MSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return et_fail(err, st, "node '%s' (%s): %s", n->name, n->op_type, msg);
}

et_status et_op_fail(et_err *err, const et_node *n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    et_status st = vfail(err, ET_E_INPUT, n, fmt, ap);
    va_end(ap);
    return st;
}

et_status et_op_failx(et_err *err, et_status st, const et_node *n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(err, st, n, fmt, ap);
    va_end(ap);
    return st;
}

et_status et_op_fail_not_const(et_err *err, const et_node *n, int input) {
    return et_op_failx(err, ET_E_UNSUPPORTED, n, "data-dependent shape: input %d must be a constant", input);
}

void et_shape_strides(const et_shape *s, int64_t *strides) {
    int64_t st = 1;
    for (int d = s->rank - 1; d >= 0; d--) {
        strides[d] = st;
        st *= s->dim[d];
    }
}

et_status et_op_check_arity(const et_node *n, int min_in, int max_in, int min_out, int max_out, et_err *err) {
    /* trailing omitted optional inputs do not count */
    int n_in = n->n_inputs;
    while (n_in > 0 && n->inputs[n_in - 1] < 0)
        n_in--;
    if (n_in < min_in || n_in > max_in)
        return et_op_fail(err, n, "has %d inputs; expected %d to %d", n_in, min_in, max_in);
    if (n->n_outputs < min_out || n->n_outputs > max_out)
        return et_op_fail(err, n, "has %d outputs; expected %d to %d", n->n_outputs, min_out, max_out);
    for (int i = 0; i < min_in; i++)
        if (n->inputs[i] < 0)
            return et_op_fail(err, n, "required input %d is missing", i);
    return ET_OK;
}

void et_op_set_output(et_graph *g, const et_node *n, int i, et_dtype dtype, const et_shape *shape) {
    if (i >= n->n_outputs || n->outputs[i] < 0)
        return;
    et_value *v = &g->values[n->outputs[i]];
    v->dtype = dtype;
    v->shape = *shape;
}

int et_op_const_ints(const et_graph *g, const et_node *n, int input, int64_t *out, int max) {
    const et_value *v = et_node_cin(g, n, input);
    if (!v)
        return -1;
    if (v->kind != ET_VAL_CONST)
        return -2;
    if (v->dtype != ET_DT_I64 && v->dtype != ET_DT_I32)
        return -3;
    int64_t numel = et_shape_numel(&v->shape);
    if (numel < 0 || numel > max)
        return -3;
    for (int64_t i = 0; i < numel; i++)
        out[i] = et_dtype_load_i64(v->dtype, v->data, (size_t)i);
    return (int)numel;
}

int et_op_const_floats(const et_graph *g, const et_node *n, int input, float *out, int max) {
    const et_value *v = et_node_cin(g, n, input);
    if (!v)
        return -1;
    if (v->kind != ET_VAL_CONST)
        return -2;
    if (!et_dtype_is_float(v->dtype) && v->dtype != ET_DT_I64 && v->dtype != ET_DT_I32)
        return -3;
    int64_t numel = et_shape_numel(&v->shape);
    if (numel < 0 || numel > max)
        return -3;
    for (int64_t i = 0; i < numel; i++)
        out[i] = (float)et_dtype_load(v->dtype, v->data, (size_t)i);
    return (int)numel;
}

bool et_op_axis(int64_t axis, int rank, int *out) {
    if (axis < -rank || axis >= (rank ? rank : 1))
        return false;
    *out = (int)(axis < 0 ? axis + rank : axis);
    return true;
}

bool et_shape_broadcast(const et_shape *a, const et_shape *b, et_shape *out) {
    int rank = a->rank > b->rank ? a->rank : b->rank;
    et_shape r = {.rank = rank};
    for (int i = 0; i < rank; i++) {
        int ia = i - (rank - a->rank), ib = i - (rank - b->rank);
        int64_t da = ia >= 0 ? a->dim[ia] : 1, db = ib >= 0 ? b->dim[ib] : 1;
        if (da == db || db == 1)
            r.dim[i] = da;
        else if (da == 1)
            r.dim[i] = db;
        else
            return false;
    }
    *out = r;
    return true;
}

void et_broadcast_strides(const et_shape *s, const et_shape *out, int64_t strides[ET_MAX_RANK]) {
    int rank = out->rank;
    int64_t stride = 1;
    for (int i = rank - 1; i >= 0; i--) {
        int is = i - (rank - s->rank);
        int64_t d = is >= 0 ? s->dim[is] : 1;
        strides[i] = d == 1 ? 0 : stride;
        stride *= d;
    }
}

void et_op_inst_release(et_op_inst *inst) {
    if (inst->release)
        inst->release(inst);
    else
        free(inst->params);
    inst->params = NULL;
    inst->release = NULL;
}
