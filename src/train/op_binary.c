/* op_binary.c: Add, Sub, Mul and Div in training, with numpy broadcasting inside a sample (an SE block's
 * [1, C, 1, 1] scale against [1, C, H, W]) and against constants shared by every sample.
 *
 * Both operands are walked through the output's dims with their broadcast strides (0 along a broadcast dim).
 * Operands of the output's own shape take a flat loop. The backward reduces over broadcast dims by adding
 * into the operand's gradient; tasks are samples, so no two tasks add into the same place. Constants get no
 * gradient (only Conv, Gemm, MatMul and BatchNormalization parameters train). */
#include <stdlib.h>
#include <string.h>

#include "engine/op.h"
#include "train/tnet.h"

typedef struct bin_state {
    et_op op;
    int rank; /* of the output, as the graph has it (dim 0 is the sample's 1) */
    int64_t dim[ET_MAX_RANK];
    int64_t sa[ET_MAX_RANK], sb[ET_MAX_RANK]; /* broadcast strides of a and b over the output's dims */
    bool flat_a, flat_b;                      /* the operand has the output's shape: offsets are the output's */
} bin_state;

static float apply(et_op op, float a, float b) {
    switch (op) {
    case ET_OP_ADD: return a + b;
    case ET_OP_SUB: return a - b;
    case ET_OP_MUL: return a * b;
    default: return a / b;
    }
}

typedef struct bin_run {
    const bin_state *b;
    const float *a, *bv, *dy; /* data of a, b; gradient of the output */
    float *y, *da, *db;
    int64_t a_stride, b_stride, y_stride; /* per sample (0 for constants) */
    bool acc_a, acc_b;
} bin_run;

/* Calls the per-element body over one sample's output with the offsets of a and b (an odometer over the
 * output's dims, the innermost as a loop). */
#define FOR_EACH_ELEMENT(st, ...)                                                              \
    do {                                                                                       \
        int64_t idx_[ET_MAX_RANK] = {0}, oa_ = 0, ob_ = 0, e_ = 0;                             \
        const int last_ = (st)->rank - 1;                                                      \
        const int64_t inner_ = (st)->dim[last_], ia_ = (st)->sa[last_], ib_ = (st)->sb[last_]; \
        for (;;) {                                                                             \
            for (int64_t i_ = 0; i_ < inner_; i_++, e_++) {                                    \
                const int64_t e = e_, ja = oa_ + i_ * ia_, jb = ob_ + i_ * ib_;                \
                __VA_ARGS__;                                                                   \
            }                                                                                  \
            int d_ = last_ - 1;                                                                \
            for (; d_ >= 0; d_--) {                                                            \
                oa_ += (st)->sa[d_], ob_ += (st)->sb[d_];                                      \
                if (++idx_[d_] < (st)->dim[d_])                                                \
                    break;                                                                     \
                oa_ -= (st)->sa[d_] * (st)->dim[d_], ob_ -= (st)->sb[d_] * (st)->dim[d_];      \
                idx_[d_] = 0;                                                                  \
            }                                                                                  \
            if (d_ < 0)                                                                        \
                break;                                                                         \
        }                                                                                      \
    } while (0)

static void forward_task(void *arg, size_t begin, size_t end) {
    const bin_run *r = arg;
    const bin_state *st = r->b;
    for (size_t s = begin; s < end; s++) {
        const float *a = r->a + (int64_t)s * r->a_stride, *b = r->bv + (int64_t)s * r->b_stride;
        float *y = r->y + (int64_t)s * r->y_stride;
        if (st->flat_a && st->flat_b) {
            switch (st->op) {
            case ET_OP_ADD:
                for (int64_t e = 0; e < r->y_stride; e++)
                    y[e] = a[e] + b[e];
                break;
            case ET_OP_MUL:
                for (int64_t e = 0; e < r->y_stride; e++)
                    y[e] = a[e] * b[e];
                break;
            default:
                for (int64_t e = 0; e < r->y_stride; e++)
                    y[e] = apply(st->op, a[e], b[e]);
            }
            continue;
        }
        FOR_EACH_ELEMENT(st, y[e] = apply(st->op, a[ja], b[jb]));
    }
}

static et_status forward(et_tnet *n, et_tstep *s, et_err *err) {
    (void)err;
    bin_run r = {.b = s->state,
                 .a = et_tv_data(n, s->in[0]),
                 .bv = et_tv_data(n, s->in[1]),
                 .y = et_tv_data(n, s->out),
                 .a_stride = et_tv_sample_stride(n, s->in[0]),
                 .b_stride = et_tv_sample_stride(n, s->in[1]),
                 .y_stride = n->values[s->out].numel};
    et_tnet_par_chunked(n, (size_t)n->batch_now, 4, forward_task, &r);
    return ET_OK;
}

/* d y / d a and d y / d b for one element */
static void slopes(et_op op, float a, float b, float *ga, float *gb) {
    switch (op) {
    case ET_OP_ADD: *ga = 1.0f, *gb = 1.0f; break;
    case ET_OP_SUB: *ga = 1.0f, *gb = -1.0f; break;
    case ET_OP_MUL: *ga = b, *gb = a; break;
    default: *ga = 1.0f / b, *gb = -a / (b * b); break;
    }
}

static void backward_task(void *arg, size_t begin, size_t end) {
    const bin_run *r = arg;
    const bin_state *st = r->b;
    for (size_t s = begin; s < end; s++) {
        const float *a = r->a + (int64_t)s * r->a_stride, *b = r->bv + (int64_t)s * r->b_stride;
        const float *dy = r->dy + (int64_t)s * r->y_stride;
        float *da = r->da ? r->da + (int64_t)s * r->a_stride : NULL;
        float *db = r->db ? r->db + (int64_t)s * r->b_stride : NULL;
        if (da && !r->acc_a)
            memset(da, 0, (size_t)r->a_stride * sizeof *da);
        if (db && !r->acc_b)
            memset(db, 0, (size_t)r->b_stride * sizeof *db);
        if (st->flat_a && st->flat_b && st->op == ET_OP_ADD) {
            for (int64_t e = 0; da && e < r->y_stride; e++)
                da[e] += dy[e];
            for (int64_t e = 0; db && e < r->y_stride; e++)
                db[e] += dy[e];
            continue;
        }
        FOR_EACH_ELEMENT(st, {
            float ga, gb;
            slopes(st->op, a[ja], b[jb], &ga, &gb);
            if (da)
                da[ja] += dy[e] * ga;
            if (db)
                db[jb] += dy[e] * gb;
        });
    }
}

static void backward(et_tnet *n, et_tstep *s) {
    bin_run r = {.b = s->state,
                 .a = et_tv_data(n, s->in[0]),
                 .bv = et_tv_data(n, s->in[1]),
                 .dy = et_tnet_grad_of(n, s->out),
                 .a_stride = et_tv_sample_stride(n, s->in[0]),
                 .b_stride = et_tv_sample_stride(n, s->in[1]),
                 .y_stride = n->values[s->out].numel};
    /* only activations (batched) take a gradient here */
    r.da = n->values[s->in[0]].batched ? et_tnet_grad_begin(n, s->in[0], &r.acc_a) : NULL;
    r.db = n->values[s->in[1]].batched ? et_tnet_grad_begin(n, s->in[1], &r.acc_b) : NULL;
    if (!r.da && !r.db)
        return;
    et_tnet_par_chunked(n, (size_t)n->batch_now, 4, backward_task, &r);
}

static void release(et_tstep *s) { free(s->state); }

static const et_top binary_op = {"binary", forward, backward, release};

et_status et_top_build_binary(et_tnet *n, const et_node *node, et_tstep *s, et_err *err) {
    bin_state *b = calloc(1, sizeof *b);
    if (!b)
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    s->op = &binary_op;
    s->state = b;
    b->op = node->op;
    if (s->n_in != 2 || s->in[0] < 0 || s->in[1] < 0)
        return et_fail(err, ET_E_INPUT, "node '%s' (%s): two inputs expected", node->name, et_op_name(node->op));
    const et_tval *a = &n->values[s->in[0]], *bv = &n->values[s->in[1]], *y = &n->values[s->out];
    for (int i = 0; i < 2; i++) {
        const et_tval *v = i ? bv : a;
        const et_value *gv = s->in[i] < n->g->n_values ? &n->g->values[s->in[i]] : NULL;
        if (!v->batched && (!gv || gv->kind != ET_VAL_CONST || gv->dtype != ET_DT_F32 || !gv->data))
            return et_fail(err, ET_E_UNSUPPORTED,
                           "node '%s' (%s): input '%s' is not a float32 constant or "
                           "activation",
                           node->name, et_op_name(node->op), v->name);
    }
    b->rank = y->shape.rank;
    memcpy(b->dim, y->shape.dim, sizeof b->dim);
    et_broadcast_strides(&a->shape, &y->shape, b->sa);
    et_broadcast_strides(&bv->shape, &y->shape, b->sb);
    b->flat_a = a->numel == y->numel && et_shape_equal(&a->shape, &y->shape);
    b->flat_b = bv->numel == y->numel && et_shape_equal(&bv->shape, &y->shape);
    return ET_OK;
}
