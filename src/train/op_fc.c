/* op_fc.c: Gemm and MatMul with constant weights (fully-connected layers) in training, on train_gemm.h.
 *
 * The samples' rows lie one after another, so the whole batch is one product of `rows` = batch x (rows per
 * sample) rows (1 for Gemm, the leading dims for MatMul):
 *   forward   Y = X . B + c        A = X, packed = B (packed per step, the bias in the packed bias slot)
 *   dX        dX = dY . B^T        A = dY, packed = B^T
 *   dB        Gemm transB (B = W^T, W [N][K]): dW = dY^T . X (A = dY transposed into scratch, packed = X);
 *             otherwise (W = B [K][N]): dW = X^T . dY (A = X transposed, packed = dY)
 *   dc        column sums of dY
 * Each product is split over the pool in row tiles and column blocks whose sums never cross tasks, so results
 * do not depend on the thread count. Gemm's alpha and beta must be 1 (what exporters write for a Linear). */
#include <stdlib.h>
#include <string.h>

#include "train/tnet.h"
#include "train/train_gemm.h"
#include "util/mem.h"

typedef struct fc_state {
    int64_t k, n, rows_per_sample;
    bool trans_b;  /* the weight is [N][K] */
    float *packed; /* the packed operand of the product being run */
    float *tmp;    /* rows x max(K, N): a transposed operand, or dX before it is added */
    size_t rows_max;
} fc_state;

static void release(et_tstep *s) {
    fc_state *f = s->state;
    if (f) {
        et_aligned_free(f->packed);
        et_aligned_free(f->tmp);
        free(f);
    }
}

static et_status forward(et_tnet *n, et_tstep *s, et_err *err) {
    (void)err;
    fc_state *f = s->state;
    const size_t rows = (size_t)n->batch_now * (size_t)f->rows_per_sample;
    const float *w = et_tv_data(n, s->in[1]);
    const float *bias = s->n_in > 2 && s->in[2] >= 0 ? et_tv_data(n, s->in[2]) : NULL;
    if (f->trans_b)
        et_train_gemm_pack((size_t)f->k, (size_t)f->n, w, 1, (size_t)f->k, bias, f->packed);
    else
        et_train_gemm_pack((size_t)f->k, (size_t)f->n, w, (size_t)f->n, 1, bias, f->packed);
    et_train_gemm_par(n->opt.pool, rows, (size_t)f->n, (size_t)f->k, et_tv_data(n, s->in[0]), (size_t)f->k, f->packed,
                      et_tv_data(n, s->out), (size_t)f->n);
    return ET_OK;
}

/* dst [cols][rows] = src [rows][cols] */
static void transpose(const float *src, size_t rows, size_t cols, float *dst) {
    for (size_t r0 = 0; r0 < rows; r0 += 16)
        for (size_t c = 0; c < cols; c++)
            for (size_t r = r0; r < rows && r < r0 + 16; r++)
                dst[c * rows + r] = src[r * cols + c];
}

static void weight_grad(et_tnet *n, et_tstep *s, fc_state *f, size_t rows, const float *x, const float *dy) {
    bool acc = false;
    float *dw = et_tnet_grad_begin(n, s->in[1], &acc);
    if (dw) {
        const size_t k = (size_t)f->k, nn = (size_t)f->n, wn = k * nn;
        float *dst = acc ? f->tmp + rows * (k > nn ? k : nn) : dw;
        if (f->trans_b) { /* dW [N][K] = dY^T . X */
            transpose(dy, rows, nn, f->tmp);
            et_train_gemm_pack(rows, k, x, k, 1, NULL, f->packed);
            et_train_gemm_par(n->opt.pool, nn, k, rows, f->tmp, rows, f->packed, dst, k);
        } else { /* dW [K][N] = X^T . dY */
            transpose(x, rows, k, f->tmp);
            et_train_gemm_pack(rows, nn, dy, nn, 1, NULL, f->packed);
            et_train_gemm_par(n->opt.pool, k, nn, rows, f->tmp, rows, f->packed, dst, nn);
        }
        if (acc)
            for (size_t e = 0; e < wn; e++)
                dw[e] += dst[e];
    }
    float *db = s->n_in > 2 ? et_tnet_grad_begin(n, s->in[2], &acc) : NULL;
    if (db) {
        if (!acc)
            memset(db, 0, (size_t)f->n * sizeof *db);
        for (size_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < f->n; j++)
                db[j] += dy[r * (size_t)f->n + (size_t)j];
    }
}

static void backward(et_tnet *n, et_tstep *s) {
    fc_state *f = s->state;
    const size_t rows = (size_t)n->batch_now * (size_t)f->rows_per_sample;
    const float *dy = et_tnet_grad_of(n, s->out), *x = et_tv_data(n, s->in[0]), *w = et_tv_data(n, s->in[1]);
    weight_grad(n, s, f, rows, x, dy);
    bool acc = false;
    float *dx = et_tnet_grad_begin(n, s->in[0], &acc);
    if (!dx)
        return;
    /* B^T (N x K): element (j, i) is B(i, j) */
    if (f->trans_b)
        et_train_gemm_pack((size_t)f->n, (size_t)f->k, w, (size_t)f->k, 1, NULL, f->packed);
    else
        et_train_gemm_pack((size_t)f->n, (size_t)f->k, w, 1, (size_t)f->n, NULL, f->packed);
    float *dst = acc ? f->tmp : dx;
    et_train_gemm_par(n->opt.pool, rows, (size_t)f->k, (size_t)f->n, dy, (size_t)f->n, f->packed, dst, (size_t)f->k);
    if (acc)
        for (size_t e = 0; e < rows * (size_t)f->k; e++)
            dx[e] += dst[e];
}

static const et_top fc_op = {"Gemm", forward, backward, release};

static et_status check(et_tnet *n, const et_node *node, fc_state *f, et_err *err) {
    const et_graph *g = n->g;
    const et_value *x = et_node_cin(g, node, 0), *w = et_node_cin(g, node, 1), *c = et_node_cin(g, node, 2);
    const char *op = et_op_name(node->op);
    if (!w || n->values[node->inputs[1]].param < 0 || w->shape.rank != 2)
        return et_fail(err, ET_E_UNSUPPORTED,
                       "node '%s' (%s): the training engine trains products with a "
                       "constant 2-D float32 weight",
                       node->name, op);
    if (node->op == ET_OP_GEMM) {
        if (et_node_attr_float(node, "alpha", 1.0f) != 1.0f || et_node_attr_float(node, "beta", 1.0f) != 1.0f)
            return et_fail(err, ET_E_UNSUPPORTED, "node '%s' (Gemm): alpha and beta other than 1", node->name);
        if (et_node_attr_int(node, "transA", 0) && x->shape.rank == 2 && x->shape.dim[1] != 1)
            return et_fail(err, ET_E_UNSUPPORTED, "node '%s' (Gemm): transA with more than one row", node->name);
    }
    f->trans_b = node->op == ET_OP_GEMM && et_node_attr_int(node, "transB", 0);
    f->k = w->shape.dim[f->trans_b ? 1 : 0];
    f->n = w->shape.dim[f->trans_b ? 0 : 1];
    int64_t per_sample = n->values[node->inputs[0]].numel;
    if (f->k < 1 || f->n < 1 || per_sample % f->k)
        return et_fail(err, ET_E_INPUT, "node '%s' (%s): %lld input elements per sample and %lld weight rows",
                       node->name, op, (long long)per_sample, (long long)f->k);
    f->rows_per_sample = per_sample / f->k;
    if (c && (n->values[node->inputs[2]].param < 0 || et_shape_numel(&c->shape) != f->n))
        return et_fail(err, ET_E_UNSUPPORTED,
                       "node '%s' (Gemm): its C input is not a constant of %lld values (a "
                       "bias)",
                       node->name, (long long)f->n);
    return ET_OK;
}

et_status et_top_build_fc(et_tnet *n, const et_node *node, et_tstep *s, et_err *err) {
    fc_state *f = calloc(1, sizeof *f);
    if (!f)
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    s->op = &fc_op;
    s->state = f;
    et_status st = check(n, node, f, err);
    if (st != ET_OK)
        return st;
    const size_t rows = (size_t)n->opt.batch * (size_t)f->rows_per_sample, k = (size_t)f->k, nn = (size_t)f->n;
    size_t packed = et_train_gemm_packed_floats(k, nn);
    size_t p2 = et_train_gemm_packed_floats(nn, k), p3 = et_train_gemm_packed_floats(rows, k > nn ? k : nn);
    packed = packed > p2 ? packed : p2;
    packed = packed > p3 ? packed : p3;
    size_t wide = k > nn ? k : nn;
    f->packed = et_aligned_alloc(packed * sizeof(float));
    f->tmp = et_aligned_alloc((rows * wide + k * nn) * sizeof(float));
    if (!f->packed || !f->tmp)
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    return ET_OK;
}
