/* fc_fast.c: Gemm and MatMul with a constant float32 B on the packed GEMM kernels (src/engine/operators/matmul.h).
 *
 * Gemm qualifies when transA = 0, alpha = 1 and C is absent or a constant bias row ([N] or [1,N]); MatMul when
 * B is a constant [K,N] matrix (A's leading dims fold into rows). Everything else stays on the reference
 * implementation in gemm.c, which is also the oracle for this path in the tests. Weights that are mostly zero
 * (unstructured pruning) run on the sparse operator (operators/spconv.h) where its measured cost model says that is
 * faster for this shape; the kernel name says which ran. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/operators/matmul.h"
#include "engine/operators/spconv.h"
#include "engine/nodes/act_map.h"
#include "engine/nodes/fc_fast.h"

typedef struct fc_params {
    et_fully_connected *op;
    et_spconv_nhwc *sparse; /* instead of op, for mostly-zero weights */
    size_t rows;
} fc_params;

static void fc_release(et_op_inst *inst) {
    fc_params *p = inst->params;
    if (p) {
        et_fully_connected_destroy(p->op);
        et_spconv_nhwc_destroy(p->sparse);
    }
    free(p);
}

static et_status fc_bind(et_op_inst *inst, et_err *err) {
    fc_params *p = inst->params;
    if (p->sparse)
        return et_spconv_nhwc_setup(p->sparse, p->rows, inst->in[0].data, inst->out[0].data, NULL, err);
    return et_fully_connected_setup(p->op, p->rows, inst->in[0].data, inst->out[0].data, err);
}

static et_status fc_run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const fc_params *p = inst->params;
    if (p->sparse)
        return et_spconv_nhwc_run(p->sparse, ctx->pool, err);
    return et_fully_connected_run(p->op, ctx->pool, err);
}

/* The bias row of a Gemm (beta * C) when C is a constant [N] or [1,N]; *ok false when C does not qualify. */
static float *gemm_bias(const et_graph *g, const et_node *n, const et_op_inst *inst, int64_t cols, bool *ok) {
    *ok = true;
    if (inst->n_in < 3 || n->inputs[2] < 0)
        return NULL;
    const et_value *c = et_node_cin(g, n, 2);
    bool row = c->kind == ET_VAL_CONST && c->dtype == ET_DT_F32 && et_shape_numel(&c->shape) == cols &&
               (c->shape.rank == 1 || (c->shape.rank == 2 && c->shape.dim[0] == 1));
    if (!row) {
        *ok = false;
        return NULL;
    }
    float *b = malloc((size_t)cols * sizeof *b);
    if (!b) {
        *ok = false;
        return NULL;
    }
    float beta = et_node_attr_float(n, "beta", 1.0f);
    const float *src = inst->in[2].data;
    for (int64_t i = 0; i < cols; i++)
        b[i] = beta * src[i];
    return b;
}

bool et_fc_fast_prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_status *st, et_err *err) {
    const et_value *bv = et_node_cin(g, n, 1);
    if (inst->in[0].dtype != ET_DT_F32 || !bv || bv->kind != ET_VAL_CONST || bv->dtype != ET_DT_F32 ||
        bv->shape.rank != 2 || inst->in[0].shape.rank < 2 || !inst->in[1].data)
        return false;
    bool gemm = n->op == ET_OP_GEMM;
    bool tb = gemm && et_node_attr_int(n, "transB", 0) != 0;
    if (gemm && (et_node_attr_int(n, "transA", 0) != 0 || et_node_attr_float(n, "alpha", 1.0f) != 1.0f))
        return false;
    const et_shape *as = &inst->in[0].shape;
    int64_t k = as->dim[as->rank - 1], cols = bv->shape.dim[tb ? 0 : 1];
    if (bv->shape.dim[tb ? 1 : 0] != k || k <= 0 || cols <= 0)
        return false;
    bool bias_ok;
    float *bias = gemm ? gemm_bias(g, n, inst, cols, &bias_ok) : (bias_ok = true, NULL);
    if (!bias_ok)
        return false;
    et_kernel_act ka;
    if (et_act_to_kernel(n, &n->act, &ka, NULL) != ET_OK) {
        free(bias);
        return false;
    }
    et_fully_connected_params fp = {.in_features = (size_t)k,
                                    .out_features = (size_t)cols,
                                    .weights_kn = !tb,
                                    .clamp = ka.clamp,
                                    .out_min = ka.out_min,
                                    .out_max = ka.out_max,
                                    .post = ka.post,
                                    .post_op = ka.post_op,
                                    .post_params = ka.post_params};
    fc_params *p = calloc(1, sizeof *p);
    if (!p) {
        free(bias);
        *st = et_fail(err, ET_E_NOMEM, "out of memory");
        return true;
    }
    p->rows = (size_t)(et_shape_numel(as) / k);
    size_t so = tb ? (size_t)k : 1, si = tb ? 1 : (size_t)cols; /* element (out o, in i) at o * so + i * si */
    size_t nnz = et_spconv_count_nonzeros(inst->in[1].data, (size_t)cols, (size_t)k, so, si);
    if (nnz < (size_t)(k * cols) && et_spconv_nhwc_faster(p->rows, (size_t)k, (size_t)cols, nnz)) {
        et_spconv_nhwc_params sp = {.in_channels = (size_t)k,
                                    .out_channels = (size_t)cols,
                                    .clamp = ka.clamp,
                                    .out_min = ka.out_min,
                                    .out_max = ka.out_max,
                                    .post = ka.post,
                                    .post_op = ka.post_op,
                                    .post_params = ka.post_params};
        if (et_spconv_nhwc_create(&sp, inst->in[1].data, so, si, bias, &p->sparse, NULL) == ET_OK) {
            free(bias);
            *st = ET_OK;
            inst->params = p;
            inst->release = fc_release;
            inst->bind = fc_bind;
            inst->run = fc_run;
            inst->packed_bytes = (int64_t)et_spconv_nhwc_packed_bytes(p->sparse);
            inst->packed_inputs = gemm && inst->n_in > 2 && n->inputs[2] >= 0 ? 0x6u : 0x2u;
            snprintf(inst->kernel, sizeof inst->kernel, "%s", et_spconv_nhwc_kernel_name(p->sparse));
            return true;
        }
    }
    *st = et_fully_connected_create(&fp, inst->in[1].data, bias, &p->op, err);
    free(bias);
    if (*st != ET_OK) {
        free(p);
        return true;
    }
    inst->params = p;
    inst->release = fc_release;
    inst->bind = fc_bind;
    inst->run = fc_run;
    inst->packed_bytes = (int64_t)et_fully_connected_packed_bytes(p->op);
    inst->packed_inputs = gemm && inst->n_in > 2 && n->inputs[2] >= 0 ? 0x6u : 0x2u;
    snprintf(inst->kernel, sizeof inst->kernel, "%s", et_fully_connected_kernel_name(p->op));
    return true;
}
