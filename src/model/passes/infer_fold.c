/* infer_fold.c: shape inference and constant folding in one topological walk.
 *
 * Folding executes a node with the same operator implementation the engine runs (prepare + run), so the
 * shape-computing subgraphs of exported models (Shape -> Gather -> Concat -> Reshape) collapse into constants
 * before planning, and every dimension is static. Outputs larger than FOLD_MAX_BYTES stay runtime nodes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/op.h"
#include "model/passes.h"
#include "util/mem.h"

#define FOLD_MAX_BYTES ((int64_t)64 << 20)
#define VALUE_MAX_BYTES ((int64_t)16 << 30)

static bool can_fold(const et_graph *g, const et_node *n) {
    if (n->op == ET_OP_SHAPE)
        return true; /* needs only the input's shape */
    if (n->n_inputs == 0)
        return n->op == ET_OP_CONSTANT;
    for (int i = 0; i < n->n_inputs; i++) {
        const et_value *v = et_node_cin(g, n, i);
        if (v && v->kind != ET_VAL_CONST)
            return false;
    }
    for (int i = 0; i < n->n_outputs; i++) {
        const et_value *v = n->outputs[i] >= 0 ? &g->values[n->outputs[i]] : NULL;
        if (!v)
            continue;
        int64_t bytes = et_shape_numel(&v->shape) * (int64_t)et_dtype_size(v->dtype);
        if (bytes > FOLD_MAX_BYTES)
            return false;
    }
    return true;
}

static et_status fold(et_graph *g, int ni, et_err *err) {
    const et_node *n = &g->nodes[ni];
    const et_op_impl *impl = et_op_impl_get(n->op);
    et_op_inst inst = {0};
    et_status st = ET_OK;
    void **tmp = calloc((size_t)n->n_inputs + 1, sizeof *tmp);
    inst.in = calloc((size_t)n->n_inputs + 1, sizeof(et_tensor));
    inst.out = calloc((size_t)n->n_outputs + 1, sizeof(et_tensor));
    void *scratch = NULL;
    if (!tmp || !inst.in || !inst.out) {
        st = et_fail(err, ET_E_NOMEM, "out of memory folding constants");
        goto done;
    }
    inst.node = n;
    inst.n_in = n->n_inputs;
    inst.n_out = n->n_outputs;
    for (int i = 0; i < n->n_inputs; i++) {
        const et_value *v = et_node_cin(g, n, i);
        if (!v)
            continue;
        inst.in[i].dtype = v->dtype;
        inst.in[i].shape = v->shape;
        if (v->kind == ET_VAL_CONST) {
            tmp[i] = et_aligned_alloc(v->nbytes ? v->nbytes : 1);
            if (!tmp[i]) {
                st = et_fail(err, ET_E_NOMEM, "out of memory folding constants");
                goto done;
            }
            if (v->nbytes)
                memcpy(tmp[i], v->data, v->nbytes);
            inst.in[i].data = tmp[i];
        }
    }
    for (int i = 0; i < n->n_outputs; i++) {
        et_value *v = et_node_out(g, n, i);
        if (!v)
            continue;
        int64_t numel = et_shape_numel(&v->shape);
        size_t bytes = (size_t)(numel > 0 ? numel : 0) * et_dtype_size(v->dtype);
        void *data = et_graph_alloc_data(g, bytes ? bytes : 1);
        if (!data) {
            st = et_fail(err, ET_E_NOMEM, "out of memory folding constants");
            goto done;
        }
        inst.out[i].dtype = v->dtype;
        inst.out[i].shape = v->shape;
        inst.out[i].data = data;
    }
    if ((st = impl->prepare(g, n, &inst, err)) != ET_OK)
        goto done;
    if (inst.scratch_bytes && !(scratch = et_aligned_alloc(inst.scratch_bytes))) {
        st = et_fail(err, ET_E_NOMEM, "out of memory folding constants");
        goto done;
    }
    et_exec_ctx ctx = {.pool = NULL, .scratch = scratch};
    if ((st = inst.run(&inst, &ctx, err)) != ET_OK)
        goto done;
    n = &g->nodes[ni];
    for (int i = 0; i < n->n_outputs; i++) {
        et_value *v = et_node_out(g, n, i);
        if (!v)
            continue;
        v->kind = ET_VAL_CONST;
        v->data = inst.out[i].data;
        v->nbytes = (size_t)et_shape_numel(&v->shape) * et_dtype_size(v->dtype);
        v->producer = -1;
    }
    g->nodes[ni].dead = true;
done:
    et_op_inst_release(&inst);
    if (tmp)
        for (int i = 0; i < n->n_inputs; i++)
            et_aligned_free(tmp[i]);
    et_aligned_free(scratch);
    free(tmp), free(inst.in), free(inst.out);
    return st;
}

et_status et_pass_infer_and_fold(et_graph *g, et_err *err) {
    et_graph_count_uses(g);
    for (int i = 0; i < g->n_nodes; i++) {
        et_node *n = &g->nodes[i];
        if (n->dead)
            continue;
        const et_op_impl *impl = et_op_impl_get(n->op);
        if (!impl)
            return et_fail(err, ET_E_UNSUPPORTED, "node '%s': operator %s is not supported", n->name, n->op_type);
        for (int k = 0; k < n->n_inputs; k++) {
            const et_value *v = et_node_cin(g, n, k);
            if (v && v->dtype == ET_DT_UNDEFINED)
                return et_fail(err, ET_E_INPUT, "node '%s' (%s): input '%s' has no type", n->name, n->op_type, v->name);
        }
        et_status st = impl->infer(g, n, err);
        if (st != ET_OK)
            return st;
        for (int k = 0; k < n->n_outputs; k++) {
            const et_value *v = et_node_out(g, n, k);
            if (!v)
                continue;
            int64_t numel = et_shape_numel(&v->shape);
            if (numel < 0 || numel * (int64_t)et_dtype_size(v->dtype) > VALUE_MAX_BYTES) {
                char sb[128];
                return et_fail(err, ET_E_INPUT, "node '%s' (%s): output '%s' would be %s %s, beyond 16 GiB or invalid",
                               n->name, n->op_type, v->name, et_shape_str(&v->shape, sb, sizeof sb),
                               et_dtype_name(v->dtype));
            }
        }
        if (can_fold(g, n) && (st = fold(g, i, err)) != ET_OK)
            return st;
    }
    return ET_OK;
}
