/* gemm.c: Gemm (alpha, beta, transA, transB, C broadcast, fused activation) and MatMul (numpy semantics:
 * 1-D operands promoted and their unit dimension removed, batch dimensions broadcast).
 *
 * float32 runs on the register-blocked et_sgemm. A constant B that Gemm would read transposed (the usual
 * fully-connected layer, transB = 1) is transposed once in prepare so the product reads B rows contiguously;
 * the copy is the instance's (packed_bytes). MatMul folds the batch into M when B is shared by every batch item
 * (activations x weights), else runs one product per batch item, in parallel over items when each is small.
 * Other element types (float64, float16, bfloat16 and, for MatMul, the integer types) take a generic loop
 * that accumulates in double (floats) or wrapping int64 (integers): correct, not fast. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/fc_fast.h"
#include "engine/nodes/nn_util.h"
#include "engine/nodes/nodes.h"

static bool gemm_type_ok(et_dtype t) { return et_dtype_is_float(t); }
static bool matmul_type_ok(et_dtype t) {
    return et_dtype_is_float(t) || t == ET_DT_I32 || t == ET_DT_I64 || t == ET_DT_U32 || t == ET_DT_U64;
}

/* ---- Gemm ------------------------------------------------------------------------------------------------- */

typedef struct gemm_params {
    int64_t m, n, k;
    bool ta, tb;
    float alpha, beta;
    float *bt;           /* packed B (k x n, row-major) when B is a transposed constant; else NULL */
    int64_t c_stride[2]; /* element strides of C broadcast to m x n */
    et_activation act;
} gemm_params;

static et_status gemm_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 2, 3, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *a = et_node_cin(g, n, 0), *b = et_node_cin(g, n, 1), *c = et_node_cin(g, n, 2);
    if (!gemm_type_ok(a->dtype))
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "element type %s is not supported", et_dtype_name(a->dtype));
    if (b->dtype != a->dtype || (c && c->dtype != a->dtype))
        return et_op_fail(err, n, "inputs have different element types");
    if (a->shape.rank != 2 || b->shape.rank != 2)
        return et_op_fail(err, n, "A and B must be matrices (ranks %d and %d)", a->shape.rank, b->shape.rank);
    bool ta = et_node_attr_int(n, "transA", 0) != 0, tb = et_node_attr_int(n, "transB", 0) != 0;
    int64_t m = a->shape.dim[ta ? 1 : 0], k = a->shape.dim[ta ? 0 : 1];
    int64_t kb = b->shape.dim[tb ? 1 : 0], nn = b->shape.dim[tb ? 0 : 1];
    if (k != kb)
        return et_op_fail(err, n, "inner dimensions differ (%lld and %lld)", (long long)k, (long long)kb);
    et_shape out = {.rank = 2, .dim = {m, nn}};
    if (c) {
        et_shape r;
        if (c->shape.rank > 2 || !et_shape_broadcast(&out, &c->shape, &r) || !et_shape_equal(&r, &out))
            return et_op_fail(err, n, "C does not broadcast to %lld x %lld", (long long)m, (long long)nn);
    }
    if ((st = et_act_check(n, err)) != ET_OK)
        return st;
    et_op_set_output(g, n, 0, a->dtype, &out);
    return ET_OK;
}

static void gemm_release(et_op_inst *inst) {
    gemm_params *p = inst->params;
    if (p)
        free(p->bt);
    free(p);
}

typedef struct fill_job {
    const gemm_params *p;
    const float *c;
    float *y;
} fill_job;

static void fill_rows(void *ctx, size_t begin, size_t end) {
    const fill_job *j = ctx;
    const int64_t n = j->p->n, s0 = j->p->c_stride[0], s1 = j->p->c_stride[1];
    for (size_t i = begin; i < end; i++) {
        float *yr = j->y + (int64_t)i * n;
        const float *cr = j->c + (int64_t)i * s0;
        for (int64_t q = 0; q < n; q++)
            yr[q] = j->p->beta * cr[q * s1];
    }
}

static et_status gemm_run_f32(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const gemm_params *p = inst->params;
    const float *a = inst->in[0].data, *b = inst->in[1].data;
    const float *c = inst->n_in > 2 ? inst->in[2].data : NULL;
    float *y = inst->out[0].data;
    bool acc = c && p->beta != 0.0f;
    if (acc) {
        fill_job fj = {p, c, y};
        et_par_for(p->m * p->n >= 65536 ? ctx->pool : NULL, (size_t)p->m, fill_rows, &fj);
    }
    const int64_t a_rs = p->ta ? 1 : p->k, a_cs = p->ta ? p->m : 1;
    if (p->bt)
        et_sgemm(ctx->pool, p->m, p->n, p->k, p->alpha, a, a_rs, a_cs, p->bt, p->n, 1, y, p->n, acc);
    else
        et_sgemm(ctx->pool, p->m, p->n, p->k, p->alpha, a, a_rs, a_cs, b, p->tb ? 1 : p->n, p->tb ? p->k : 1, y, p->n,
                 acc);
    et_act_apply_f32(&p->act, y, (size_t)(p->m * p->n));
    (void)err;
    return ET_OK;
}

/* Generic element types: double accumulation. */
static et_status gemm_run_generic(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const gemm_params *p = inst->params;
    const et_tensor *a = &inst->in[0], *b = &inst->in[1];
    const et_tensor *c = inst->n_in > 2 && inst->in[2].data ? &inst->in[2] : NULL; /* data NULL: omitted */
    et_tensor *y = &inst->out[0];
    for (int64_t i = 0; i < p->m; i++)
        for (int64_t q = 0; q < p->n; q++) {
            double s = 0;
            for (int64_t kk = 0; kk < p->k; kk++) {
                size_t ia = (size_t)(p->ta ? kk * p->m + i : i * p->k + kk);
                size_t ib = (size_t)(p->tb ? q * p->k + kk : kk * p->n + q);
                s += et_dtype_load(a->dtype, a->data, ia) * et_dtype_load(b->dtype, b->data, ib);
            }
            double v = p->alpha * s;
            if (c && p->beta != 0.0f)
                v += p->beta * et_dtype_load(c->dtype, c->data, (size_t)(i * p->c_stride[0] + q * p->c_stride[1]));
            et_dtype_store(y->dtype, y->data, (size_t)(i * p->n + q), v);
        }
    (void)ctx, (void)err;
    return ET_OK;
}

static et_status gemm_prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    et_status fst;
    if (et_fc_fast_prepare(g, n, inst, &fst, err))
        return fst;
    gemm_params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    p->ta = et_node_attr_int(n, "transA", 0) != 0;
    p->tb = et_node_attr_int(n, "transB", 0) != 0;
    p->alpha = et_node_attr_float(n, "alpha", 1.0f);
    p->beta = et_node_attr_float(n, "beta", 1.0f);
    p->act = n->act;
    const et_shape *as = &inst->in[0].shape, *bs = &inst->in[1].shape;
    p->m = as->dim[p->ta ? 1 : 0];
    p->k = as->dim[p->ta ? 0 : 1];
    p->n = bs->dim[p->tb ? 0 : 1];
    if (inst->n_in > 2 && n->inputs[2] >= 0) {
        et_shape out = {.rank = 2, .dim = {p->m, p->n}};
        int64_t strides[ET_MAX_RANK];
        et_broadcast_strides(&inst->in[2].shape, &out, strides);
        p->c_stride[0] = strides[0];
        p->c_stride[1] = strides[1];
    }
    inst->params = p;
    inst->release = gemm_release;
    if (inst->in[0].dtype != ET_DT_F32) {
        inst->run = gemm_run_generic;
        if (p->act.kind != ET_ACT_NONE) {
            gemm_release(inst);
            inst->params = NULL;
            return et_op_failx(err, ET_E_UNSUPPORTED, n, "fused activation on %s Gemm",
                               et_dtype_name(inst->in[0].dtype));
        }
        return ET_OK;
    }
    const et_value *bv = et_node_cin(g, n, 1);
    if (p->tb && bv && bv->kind == ET_VAL_CONST && inst->in[1].data && p->k * p->n > 0) {
        p->bt = malloc((size_t)(p->k * p->n) * sizeof(float));
        if (!p->bt) {
            gemm_release(inst);
            inst->params = NULL;
            return et_fail(err, ET_E_NOMEM, "out of memory packing the weights of node '%s'", n->name);
        }
        const float *b = inst->in[1].data;
        for (int64_t q = 0; q < p->n; q++)
            for (int64_t kk = 0; kk < p->k; kk++)
                p->bt[kk * p->n + q] = b[q * p->k + kk];
        inst->packed_bytes = p->k * p->n * (int64_t)sizeof(float);
        inst->packed_inputs = 1u << 1; /* B is read from the transposed copy only */
    }
    inst->run = gemm_run_f32;
    snprintf(inst->kernel, sizeof inst->kernel, "%s", p->bt ? "ref-gemm-packed" : "ref-gemm");
    return ET_OK;
}

const et_op_impl et_impl_gemm = {gemm_infer, gemm_prepare};

/* ---- MatMul ----------------------------------------------------------------------------------------------- */

typedef struct mm_params {
    int64_t m, n, k;
    int batch_rank;
    int64_t batch_dim[ET_MAX_RANK];
    int64_t a_stride[ET_MAX_RANK], b_stride[ET_MAX_RANK]; /* batch strides in matrices, 0 where broadcast */
    int64_t batch;                                        /* product of batch_dim */
    bool fold;                                            /* B shared and A contiguous: one product, m*batch rows */
    et_activation act;
} mm_params;

/* The matrix view of a MatMul operand: batch dims, rows, cols (1-D promoted). */
static void mm_view(const et_shape *s, bool is_a, et_shape *batch, int64_t *rows, int64_t *cols) {
    if (s->rank == 1) {
        batch->rank = 0;
        *rows = is_a ? 1 : s->dim[0];
        *cols = is_a ? s->dim[0] : 1;
        return;
    }
    batch->rank = s->rank - 2;
    for (int i = 0; i < batch->rank; i++)
        batch->dim[i] = s->dim[i];
    *rows = s->dim[s->rank - 2];
    *cols = s->dim[s->rank - 1];
}

static et_status mm_infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 2, 2, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *a = et_node_cin(g, n, 0), *b = et_node_cin(g, n, 1);
    if (!matmul_type_ok(a->dtype))
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "element type %s is not supported", et_dtype_name(a->dtype));
    if (b->dtype != a->dtype)
        return et_op_fail(err, n, "inputs have different element types");
    if (a->shape.rank < 1 || b->shape.rank < 1)
        return et_op_fail(err, n, "operands must have rank >= 1");
    et_shape ba, bb, batch;
    int64_t m, k, kb, nn;
    mm_view(&a->shape, true, &ba, &m, &k);
    mm_view(&b->shape, false, &bb, &kb, &nn);
    if (k != kb)
        return et_op_fail(err, n, "inner dimensions differ (%lld and %lld)", (long long)k, (long long)kb);
    if (!et_shape_broadcast(&ba, &bb, &batch))
        return et_op_fail(err, n, "batch dimensions do not broadcast");
    et_shape out = batch;
    if (a->shape.rank > 1)
        out.dim[out.rank++] = m;
    if (b->shape.rank > 1)
        out.dim[out.rank++] = nn;
    if ((st = et_act_check(n, err)) != ET_OK)
        return st;
    et_op_set_output(g, n, 0, a->dtype, &out);
    return ET_OK;
}

typedef struct mm_job {
    const mm_params *p;
    const et_tensor *a, *b;
    et_tensor *y;
    et_threadpool *pool; /* for the products themselves: NULL when the batch is the parallel axis */
} mm_job;

static void mm_offsets(const mm_params *p, int64_t bi, int64_t *oa, int64_t *ob) {
    *oa = *ob = 0;
    for (int d = p->batch_rank - 1; d >= 0; d--) {
        int64_t i = bi % p->batch_dim[d];
        bi /= p->batch_dim[d];
        *oa += i * p->a_stride[d];
        *ob += i * p->b_stride[d];
    }
}

static void mm_items_f32(void *ctx, size_t begin, size_t end) {
    const mm_job *j = ctx;
    const mm_params *p = j->p;
    for (size_t bi = begin; bi < end; bi++) {
        int64_t oa, ob;
        mm_offsets(p, (int64_t)bi, &oa, &ob);
        const float *a = (const float *)j->a->data + oa * p->m * p->k;
        const float *b = (const float *)j->b->data + ob * p->k * p->n;
        float *y = (float *)j->y->data + (int64_t)bi * p->m * p->n;
        et_sgemm(j->pool, p->m, p->n, p->k, 1.0f, a, p->k, 1, b, p->n, 1, y, p->n, false);
        et_act_apply_f32(&p->act, y, (size_t)(p->m * p->n));
    }
}

static void mm_items_generic(void *ctx, size_t begin, size_t end) {
    const mm_job *j = ctx;
    const mm_params *p = j->p;
    const et_dtype t = j->a->dtype;
    const bool fp = et_dtype_is_float(t);
    for (size_t bi = begin; bi < end; bi++) {
        int64_t oa, ob;
        mm_offsets(p, (int64_t)bi, &oa, &ob);
        size_t a0 = (size_t)(oa * p->m * p->k), b0 = (size_t)(ob * p->k * p->n), y0 = bi * (size_t)(p->m * p->n);
        for (int64_t i = 0; i < p->m; i++)
            for (int64_t q = 0; q < p->n; q++) {
                double s = 0;
                uint64_t si = 0;
                for (int64_t kk = 0; kk < p->k; kk++) {
                    size_t ia = a0 + (size_t)(i * p->k + kk), ib = b0 + (size_t)(kk * p->n + q);
                    if (fp)
                        s += et_dtype_load(t, j->a->data, ia) * et_dtype_load(t, j->b->data, ib);
                    else
                        si += (uint64_t)et_dtype_load_i64(t, j->a->data, ia) *
                              (uint64_t)et_dtype_load_i64(t, j->b->data, ib);
                }
                size_t iy = y0 + (size_t)(i * p->n + q);
                if (fp)
                    et_dtype_store(t, j->y->data, iy, s);
                else
                    et_dtype_store_i64(t, j->y->data, iy, (int64_t)si);
            }
    }
}

static et_status mm_run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const mm_params *p = inst->params;
    mm_job j = {p, &inst->in[0], &inst->in[1], &inst->out[0], ctx->pool};
    (void)err;
    if (inst->in[0].dtype != ET_DT_F32) {
        mm_items_generic(&j, 0, (size_t)p->batch);
        return ET_OK;
    }
    if (p->fold) {
        float *y = inst->out[0].data;
        et_sgemm(ctx->pool, p->batch * p->m, p->n, p->k, 1.0f, inst->in[0].data, p->k, 1, inst->in[1].data, p->n, 1, y,
                 p->n, false);
        et_act_apply_f32(&p->act, y, (size_t)(p->batch * p->m * p->n));
        return ET_OK;
    }
    if (p->batch > 1 && p->m * p->n * p->k < (1 << 20)) {
        j.pool = NULL; /* small items: the batch is the parallel axis */
        et_par_for(ctx->pool, (size_t)p->batch, mm_items_f32, &j);
    } else {
        mm_items_f32(&j, 0, (size_t)p->batch);
    }
    return ET_OK;
}

static et_status mm_prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    et_status fst;
    if (et_fc_fast_prepare(g, n, inst, &fst, err))
        return fst;
    mm_params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    et_shape ba, bb, batch;
    int64_t kb;
    mm_view(&inst->in[0].shape, true, &ba, &p->m, &p->k);
    mm_view(&inst->in[1].shape, false, &bb, &kb, &p->n);
    et_shape_broadcast(&ba, &bb, &batch);
    p->batch_rank = batch.rank;
    p->batch = 1;
    for (int i = 0; i < batch.rank; i++) {
        p->batch_dim[i] = batch.dim[i];
        p->batch *= batch.dim[i];
    }
    et_broadcast_strides(&ba, &batch, p->a_stride);
    et_broadcast_strides(&bb, &batch, p->b_stride);
    bool b_shared = true, a_full = true;
    for (int i = 0; i < batch.rank; i++) {
        b_shared = b_shared && p->b_stride[i] == 0;
        a_full = a_full && (p->a_stride[i] != 0 || batch.dim[i] == 1);
    }
    p->fold = b_shared && a_full && batch.rank > 0;
    p->act = n->act;
    inst->params = p;
    inst->run = mm_run;
    if (inst->in[0].dtype != ET_DT_F32 && p->act.kind != ET_ACT_NONE) {
        free(p);
        inst->params = NULL;
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "fused activation on %s MatMul", et_dtype_name(inst->in[0].dtype));
    }
    snprintf(inst->kernel, sizeof inst->kernel, "%s", inst->in[0].dtype == ET_DT_F32 ? "ref-gemm" : "ref-generic");
    (void)g;
    return ET_OK;
}

const et_op_impl et_impl_matmul = {mm_infer, mm_prepare};
