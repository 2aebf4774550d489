/* concat.c: Concat and Split along one axis. Both are block copies: for each index of the dims before the
 * axis, one contiguous chunk per input (or output). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/nodes.h"
#include "engine/threadpool.h"

typedef struct params {
    int axis;
} params;

/* ---- Concat ---- */
static et_status concat_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 1, 1 << 20, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x0 = et_node_cin(g, n, 0);
    int axis;
    if (!et_node_attr(n, "axis"))
        return et_op_fail(err, n, "needs an axis attribute");
    if (!et_op_axis(et_node_attr_int(n, "axis", 0), x0->shape.rank, &axis))
        return et_op_fail(err, n, "axis out of range");
    et_shape out = x0->shape;
    out.dim[axis] = 0;
    for (int i = 0; i < n->n_inputs; i++) {
        const et_value *x = et_node_cin(g, n, i);
        if (!x)
            continue;
        if (x->dtype != x0->dtype || x->shape.rank != x0->shape.rank)
            return et_op_fail(err, n, "input %d differs in type or rank", i);
        for (int d = 0; d < out.rank; d++)
            if (d != axis && x->shape.dim[d] != x0->shape.dim[d])
                return et_op_fail(err, n, "input %d differs in dim %d", i, d);
        out.dim[axis] += x->shape.dim[axis];
    }
    et_op_set_output(g, n, 0, x0->dtype, &out);
    return ET_OK;
}

static int64_t outer_of(const et_shape *s, int axis) {
    int64_t o = 1;
    for (int d = 0; d < axis; d++)
        o *= s->dim[d];
    return o;
}

typedef struct concat_job {
    const et_op_inst *inst;
    int64_t outer, out_row;
    size_t es;
} concat_job;

/* Copies outer rows [begin, end) of every input into the output. */
static void concat_rows(void *ctx, size_t begin, size_t end) {
    const concat_job *j = ctx;
    const et_op_inst *inst = j->inst;
    char *y = inst->out[0].data;
    int64_t at = 0;
    for (int i = 0; i < inst->n_in; i++) {
        const et_tensor *x = &inst->in[i];
        if (!x->data)
            continue;
        int64_t row = et_shape_numel(&x->shape) / j->outer;
        for (size_t o = begin; o < end && row; o++)
            memcpy(y + ((int64_t)o * j->out_row + at) * (int64_t)j->es,
                   (const char *)x->data + (int64_t)o * row * (int64_t)j->es, (size_t)row * j->es);
        at += row;
    }
}

static et_status concat_run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    const et_tensor *y = &inst->out[0];
    concat_job j = {inst, outer_of(&y->shape, p->axis), 0, et_dtype_size(y->dtype)};
    if (j.outer == 0 || et_shape_numel(&y->shape) == 0)
        return ET_OK;
    j.out_row = et_shape_numel(&y->shape) / j.outer;
    /* channels-last concatenations (Fire modules, FPNs) copy many short rows: spread them over the threads */
    if (ctx->pool && j.outer >= 64 && et_shape_numel(&y->shape) * (int64_t)j.es >= (1 << 16))
        et_threadpool_parallel_for(ctx->pool, (size_t)j.outer, concat_rows, &j);
    else
        concat_rows(&j, 0, (size_t)j.outer);
    (void)err;
    return ET_OK;
}

static et_status axis_prepare(const et_node *n, et_op_inst *inst, int rank, int64_t def, et_err *err) {
    params *p = malloc(sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    et_op_axis(et_node_attr_int(n, "axis", def), rank, &p->axis);
    inst->params = p;
    return ET_OK;
}

static et_status concat_prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    inst->run = concat_run;
    (void)g;
    return axis_prepare(n, inst, inst->out[0].shape.rank, 0, err);
}

/* ---- Split ---- */
static et_status split_sizes(const et_graph *g, const et_node *n, const et_shape *in, int axis, int64_t *sizes,
                             et_err *err) {
    int n_out = n->n_outputs, count = 0;
    int64_t buf[4096];
    const int64_t *s = NULL;
    if (g->opset < 13) {
        s = et_node_attr_ints(n, "split", &count);
    } else {
        int r = et_op_const_ints(g, n, 1, buf, 4096);
        if (r == -2)
            return et_op_fail_not_const(err, n, 1);
        if (r == -3)
            return et_op_fail(err, n, "split must be an int64 tensor");
        if (r > 0)
            s = buf, count = r;
    }
    if (s) {
        if (count != n_out)
            return et_op_fail(err, n, "split has %d sizes for %d outputs", count, n_out);
        int64_t total = 0;
        for (int i = 0; i < count; i++) {
            if (s[i] < 0)
                return et_op_fail(err, n, "negative split size");
            sizes[i] = s[i];
            total += s[i];
        }
        if (total != in->dim[axis])
            return et_op_fail(err, n, "split sizes add up to %lld, the dim is %lld", (long long)total,
                              (long long)in->dim[axis]);
        return ET_OK;
    }
    if (in->dim[axis] % n_out)
        return et_op_fail(err, n, "dim %lld does not split into %d equal parts", (long long)in->dim[axis], n_out);
    for (int i = 0; i < n_out; i++)
        sizes[i] = in->dim[axis] / n_out;
    return ET_OK;
}

static et_status split_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 1, 2, 1, 4096, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    int axis;
    if (!et_op_axis(et_node_attr_int(n, "axis", 0), x->shape.rank, &axis))
        return et_op_fail(err, n, "axis out of range");
    int64_t *sizes = malloc((size_t)n->n_outputs * sizeof *sizes);
    if (!sizes)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    st = split_sizes(g, n, &x->shape, axis, sizes, err);
    for (int i = 0; st == ET_OK && i < n->n_outputs; i++) {
        et_shape s = x->shape;
        s.dim[axis] = sizes[i];
        et_op_set_output(g, n, i, x->dtype, &s);
    }
    free(sizes);
    return st;
}

static et_status split_run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    const et_tensor *x = &inst->in[0];
    size_t es = et_dtype_size(x->dtype);
    int64_t outer = outer_of(&x->shape, p->axis);
    int64_t in_row = outer ? et_shape_numel(&x->shape) / outer : 0;
    int64_t at = 0;
    for (int i = 0; i < inst->n_out; i++) {
        const et_tensor *y = &inst->out[i];
        int64_t row = outer ? et_shape_numel(&y->shape) / outer : 0;
        if (y->data)
            for (int64_t o = 0; o < outer && row; o++)
                memcpy((char *)y->data + (size_t)(o * row) * es, (const char *)x->data + (size_t)(o * in_row + at) * es,
                       (size_t)row * es);
        at += row;
    }
    (void)ctx, (void)err;
    return ET_OK;
}

static et_status split_prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    inst->run = split_run;
    (void)g;
    return axis_prepare(n, inst, inst->in[0].shape.rank, 0, err);
}

const et_op_impl et_impl_concat = {concat_infer, concat_prepare};
const et_op_impl et_impl_split = {split_infer, split_prepare};
