/* expand.c: Where, Expand and Tile: broadcasting copies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/bcast.h"
#include "engine/nodes/nodes.h"

/* ---- Where(cond, x, y) ---- */
static et_status where_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 3, 3, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *c = et_node_cin(g, n, 0), *x = et_node_cin(g, n, 1), *y = et_node_cin(g, n, 2);
    if (c->dtype != ET_DT_BOOL || x->dtype != y->dtype)
        return et_op_fail(err, n, "needs a bool condition and two inputs of one type");
    et_shape s;
    if (!et_shape_broadcast(&c->shape, &x->shape, &s) || !et_shape_broadcast(&s, &y->shape, &s))
        return et_op_fail(err, n, "shapes do not broadcast");
    et_op_set_output(g, n, 0, x->dtype, &s);
    return ET_OK;
}

static et_status where_run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const et_tensor *c = &inst->in[0], *x = &inst->in[1], *y = &inst->in[2];
    et_tensor *o = &inst->out[0];
    size_t es = et_dtype_size(o->dtype);
    et_bcast b;
    const et_shape *ins[3] = {&c->shape, &x->shape, &y->shape};
    et_bcast_init(&b, &o->shape, ins, 3);
    int64_t off[3];
    int last = b.rank - 1;
    for (int64_t row = 0; row < b.outer; row++) {
        et_bcast_offsets(&b, row, off);
        for (int64_t i = 0; i < b.inner; i++) {
            bool cond = ((const uint8_t *)c->data)[off[0] + i * b.stride[0][last]] != 0;
            const char *src = cond ? (const char *)x->data + (size_t)(off[1] + i * b.stride[1][last]) * es
                                   : (const char *)y->data + (size_t)(off[2] + i * b.stride[2][last]) * es;
            memcpy((char *)o->data + (size_t)(row * b.inner + i) * es, src, es);
        }
    }
    (void)ctx, (void)err;
    return ET_OK;
}

/* ---- Expand(x, shape) ---- */
static et_status expand_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 2, 2, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    int64_t dims[ET_MAX_RANK];
    int r = et_op_const_ints(g, n, 1, dims, ET_MAX_RANK);
    if (r == -2)
        return et_op_fail_not_const(err, n, 1);
    if (r < 0)
        return et_op_fail(err, n, "shape must be an int64 tensor of at most %d values", ET_MAX_RANK);
    et_shape want = {.rank = r}, out;
    for (int i = 0; i < r; i++) {
        if (dims[i] < 0)
            return et_op_fail(err, n, "negative dim");
        want.dim[i] = dims[i];
    }
    if (!et_shape_broadcast(&x->shape, &want, &out))
        return et_op_fail(err, n, "shape does not broadcast with the input");
    et_op_set_output(g, n, 0, x->dtype, &out);
    return ET_OK;
}

static et_status bcast_copy_run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const et_tensor *x = &inst->in[0];
    et_tensor *o = &inst->out[0];
    size_t es = et_dtype_size(o->dtype);
    et_bcast b;
    const et_shape *ins[1] = {&x->shape};
    et_bcast_init(&b, &o->shape, ins, 1);
    int64_t off;
    int64_t s = b.stride[0][b.rank - 1];
    for (int64_t row = 0; row < b.outer; row++) {
        et_bcast_offsets(&b, row, &off);
        char *dst = (char *)o->data + (size_t)(row * b.inner) * es;
        const char *src = (const char *)x->data + (size_t)off * es;
        if (s == 1)
            memcpy(dst, src, (size_t)b.inner * es);
        else
            for (int64_t i = 0; i < b.inner; i++)
                memcpy(dst + (size_t)i * es, src, es);
    }
    (void)ctx, (void)err;
    return ET_OK;
}

/* ---- Tile(x, repeats) ---- */
static et_status tile_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 2, 2, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    int64_t reps[ET_MAX_RANK];
    int r = et_op_const_ints(g, n, 1, reps, ET_MAX_RANK);
    if (r == -2)
        return et_op_fail_not_const(err, n, 1);
    if (r != x->shape.rank)
        return et_op_fail(err, n, "repeats must have one value per input dim");
    et_shape out = x->shape;
    for (int i = 0; i < r; i++) {
        if (reps[i] < 0 || __builtin_mul_overflow(out.dim[i], reps[i], &out.dim[i]))
            return et_op_fail(err, n, "invalid repeats");
    }
    et_op_set_output(g, n, 0, x->dtype, &out);
    return ET_OK;
}

static et_status tile_run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const et_tensor *x = &inst->in[0];
    et_tensor *o = &inst->out[0];
    size_t es = et_dtype_size(o->dtype);
    int r = o->shape.rank;
    int64_t numel = et_shape_numel(&o->shape);
    if (numel == 0)
        return ET_OK;
    int64_t in_stride[ET_MAX_RANK];
    et_shape_strides(&x->shape, in_stride);
    if (r == 0) {
        memcpy(o->data, x->data, es);
        return ET_OK;
    }
    int64_t inner = o->shape.dim[r - 1], xin = x->shape.dim[r - 1];
    for (int64_t row = 0; row < numel / inner; row++) {
        int64_t off = 0, rem = row;
        for (int d = r - 2; d >= 0; d--) {
            off += ((rem % o->shape.dim[d]) % x->shape.dim[d]) * in_stride[d];
            rem /= o->shape.dim[d];
        }
        char *dst = (char *)o->data + (size_t)(row * inner) * es;
        for (int64_t k = 0; k < inner; k += xin)
            memcpy(dst + (size_t)k * es, (const char *)x->data + (size_t)off * es, (size_t)xin * es);
    }
    (void)ctx, (void)err;
    return ET_OK;
}

ET_SIMPLE_PREPARE(where_prepare, where_run)
ET_SIMPLE_PREPARE(expand_prepare, bcast_copy_run)
ET_SIMPLE_PREPARE(tile_prepare, tile_run)

const et_op_impl et_impl_where = {where_infer, where_prepare};
const et_op_impl et_impl_expand = {expand_infer, expand_prepare};
const et_op_impl et_impl_tile = {tile_infer, tile_prepare};
