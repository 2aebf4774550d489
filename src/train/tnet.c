/* tnet.c: building a training network from a graph (tnet.h says what a network is).
 *
 * The build runs in phases: values (which are activations, which are constants), parameters (the float
 * constants that layers train), loss targets (a final Softmax/LogSoftmax is dropped: losses take logits),
 * steps (one per node, plus a fused activation's own step and the fake quantization of quantization-aware
 * training, train_quant.c), which values need a gradient, then the buffers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/tnet.h"
#include "train/train_quant.h"
#include "util/mem.h"

et_tnet_options et_tnet_options_default(void) {
    return (et_tnet_options){.batch = 32, .bn = ET_BN_RUNNING, .act_bits = 32};
}

static et_status no_memory(et_err *err) {
    return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
}

/* ---- phase 1: values ---------------------------------------------------------------------------------------- */

static et_status classify_values(et_tnet *n, et_err *err) {
    et_graph *g = n->g;
    n->cap_values = g->n_values + 64;
    if (!(n->values = calloc((size_t)n->cap_values, sizeof *n->values)))
        return no_memory(err);
    n->n_values = g->n_values;
    for (int i = 0; i < g->n_values; i++) {
        et_tval *v = &n->values[i];
        v->name = g->values[i].name;
        v->shape = g->values[i].shape;
        v->numel = et_shape_numel(&v->shape);
        v->param = -1;
        v->owner = i;
    }
    for (int i = 0; i < g->n_inputs; i++) {
        const et_value *gv = &g->values[g->inputs[i]];
        if (gv->dtype != ET_DT_F32)
            return et_fail(err, ET_E_UNSUPPORTED, "input '%s' is %s: the training engine takes float32 inputs",
                           gv->name, et_dtype_name(gv->dtype));
        n->values[g->inputs[i]].batched = true;
    }
    for (int k = 0; k < g->n_nodes; k++) {
        const et_node *nd = &g->nodes[k];
        if (nd->dead)
            continue;
        bool any = false;
        for (int j = 0; j < nd->n_inputs; j++)
            any |= nd->inputs[j] >= 0 && n->values[nd->inputs[j]].batched;
        if (!any)
            return et_fail(err, ET_E_UNSUPPORTED,
                           "node '%s' (%s) computes a constant: load the model with its "
                           "constants folded",
                           nd->name, et_op_name(nd->op));
        for (int j = 0; j < nd->n_outputs; j++) {
            if (nd->outputs[j] < 0)
                continue;
            et_tval *v = &n->values[nd->outputs[j]];
            const et_value *gv = &g->values[nd->outputs[j]];
            if (gv->dtype != ET_DT_F32 && g->values[nd->outputs[j]].n_consumers > 0)
                return et_fail(err, ET_E_UNSUPPORTED,
                               "node '%s' (%s): output '%s' is %s; the training engine "
                               "computes in float32",
                               nd->name, et_op_name(nd->op), gv->name, et_dtype_name(gv->dtype));
            if (v->shape.rank < 1 || v->shape.dim[0] != 1)
                return et_fail(err, ET_E_UNSUPPORTED,
                               "node '%s' (%s): its output '%s' does not keep the batch as "
                               "its first dim (shape %lld x ...); edgetune trains models whose activations are "
                               "1 x ... for one sample",
                               nd->name, et_op_name(nd->op), gv->name,
                               (long long)(v->shape.rank ? v->shape.dim[0] : 0));
            v->batched = true;
        }
    }
    return ET_OK;
}

/* ---- phase 2: parameters ------------------------------------------------------------------------------------ */

static bool float_const(const et_graph *g, const et_node *nd, int input) {
    const et_value *v = et_node_cin(g, nd, input);
    return v && v->kind == ET_VAL_CONST && v->dtype == ET_DT_F32 && v->data && et_shape_numel(&v->shape) > 0;
}

static et_status add_param(et_tnet *n, int node, int input, et_tparam_kind kind, et_err *err) {
    const et_node *nd = &n->g->nodes[node];
    int v = nd->inputs[input];
    if (n->values[v].param >= 0)
        return ET_OK; /* shared by two layers: one parameter */
    et_tparam *p = &n->params[n->n_params];
    memset(p, 0, sizeof *p);
    p->name = n->g->values[v].name;
    p->value = v;
    p->node = node;
    p->kind = kind;
    p->shape = n->g->values[v].shape;
    p->numel = et_shape_numel(&p->shape);
    size_t bytes = (size_t)p->numel * sizeof(float);
    if (!(p->w = et_aligned_alloc(bytes)) || !(p->grad = et_aligned_calloc(bytes)))
        return no_memory(err);
    memcpy(p->w, n->g->values[v].data, bytes);
    p->w_eff = p->w;
    n->values[v].param = n->n_params++;
    n->param_bytes += (int64_t)(2 * bytes);
    return ET_OK;
}

static et_status add_buffer(et_tnet *n, int node, int input, et_err *err) {
    int v = n->g->nodes[node].inputs[input];
    et_tbuffer *b = &n->buffers[n->n_buffers++];
    b->name = n->g->values[v].name;
    b->value = v;
    b->numel = et_shape_numel(&n->g->values[v].shape);
    if (!(b->data = et_aligned_alloc((size_t)b->numel * sizeof(float))))
        return no_memory(err);
    memcpy(b->data, n->g->values[v].data, (size_t)b->numel * sizeof(float));
    return ET_OK;
}

static et_status find_params(et_tnet *n, et_err *err) {
    et_graph *g = n->g;
    int most = 0;
    for (int k = 0; k < g->n_nodes; k++)
        most += g->nodes[k].n_inputs;
    n->params = calloc((size_t)most + 1, sizeof *n->params);
    n->buffers = calloc((size_t)most + 1, sizeof *n->buffers);
    if (!n->params || !n->buffers)
        return no_memory(err);
    for (int k = 0; k < g->n_nodes; k++) {
        const et_node *nd = &g->nodes[k];
        et_status st = ET_OK;
        if (nd->dead)
            continue;
        switch (nd->op) {
        case ET_OP_CONV:
        case ET_OP_GEMM:
        case ET_OP_MATMUL:
            if (float_const(g, nd, 1))
                st = add_param(n, k, 1, ET_TPARAM_WEIGHT, err);
            if (st == ET_OK && nd->op != ET_OP_MATMUL && float_const(g, nd, 2))
                st = add_param(n, k, 2, ET_TPARAM_BIAS, err);
            break;
        case ET_OP_BATCH_NORM:
            for (int i = 1; i <= 4; i++)
                if (!float_const(g, nd, i))
                    return et_fail(err, ET_E_UNSUPPORTED,
                                   "node '%s' (BatchNormalization): scale, bias, mean and "
                                   "variance must be float32 constants",
                                   nd->name);
            if ((st = add_param(n, k, 1, ET_TPARAM_BN_SCALE, err)) == ET_OK &&
                (st = add_param(n, k, 2, ET_TPARAM_BN_SHIFT, err)) == ET_OK && (st = add_buffer(n, k, 3, err)) == ET_OK)
                st = add_buffer(n, k, 4, err);
            break;
        default: break;
        }
        if (st != ET_OK)
            return st;
    }
    return ET_OK;
}

/* ---- phase 3: loss targets ---------------------------------------------------------------------------------- */

static et_status find_targets(et_tnet *n, bool *skip, et_err *err) {
    et_graph *g = n->g;
    n->n_outputs = g->n_outputs;
    n->outputs = calloc((size_t)g->n_outputs + 1, sizeof *n->outputs);
    n->output_log_prob = calloc((size_t)g->n_outputs + 1, 2 * sizeof *n->output_log_prob);
    if (!n->outputs || !n->output_log_prob)
        return no_memory(err);
    for (int o = 0; o < g->n_outputs; o++) {
        int v = g->outputs[o];
        const et_value *gv = &g->values[v];
        if (gv->dtype != ET_DT_F32 || !n->values[v].batched)
            return et_fail(err, ET_E_UNSUPPORTED, "output '%s' is not a float32 activation", gv->name);
        n->outputs[o] = v;
        int p = gv->producer;
        const et_node *nd = p >= 0 ? &g->nodes[p] : NULL;
        if (nd && (nd->op == ET_OP_SOFTMAX || nd->op == ET_OP_LOG_SOFTMAX) && gv->n_consumers == 1 &&
            nd->act.kind == ET_ACT_NONE) {
            skip[p] = true;
            n->outputs[o] = nd->inputs[0];
            n->output_log_prob[2 * o] = nd->op == ET_OP_LOG_SOFTMAX;
            n->output_log_prob[2 * o + 1] = nd->op == ET_OP_SOFTMAX;
        }
    }
    return ET_OK;
}

/* ---- phase 4: steps ------------------------------------------------------------------------------------------ */

bool et_top_is_alias(const et_node *nd) {
    switch (nd->op) {
    case ET_OP_FLATTEN:
    case ET_OP_RESHAPE:
    case ET_OP_SQUEEZE:
    case ET_OP_UNSQUEEZE:
    case ET_OP_IDENTITY:
    case ET_OP_DROPOUT: return true;
    default: return false;
    }
}

static et_top_build_fn builder_of(et_op op) {
    switch (op) {
    case ET_OP_CONV: return et_top_build_conv;
    case ET_OP_GEMM:
    case ET_OP_MATMUL: return et_top_build_fc;
    case ET_OP_BATCH_NORM: return et_top_build_bn;
    case ET_OP_RELU:
    case ET_OP_CLIP:
    case ET_OP_LEAKY_RELU:
    case ET_OP_SIGMOID:
    case ET_OP_HARD_SIGMOID:
    case ET_OP_HARD_SWISH:
    case ET_OP_TANH: return et_top_build_unary;
    case ET_OP_ADD:
    case ET_OP_SUB:
    case ET_OP_MUL:
    case ET_OP_DIV: return et_top_build_binary;
    case ET_OP_MAX_POOL:
    case ET_OP_AVERAGE_POOL:
    case ET_OP_GLOBAL_AVERAGE_POOL:
    case ET_OP_GLOBAL_MAX_POOL: return et_top_build_pool;
    case ET_OP_REDUCE_MEAN: return et_top_build_reduce;
    case ET_OP_CONCAT: return et_top_build_concat;
    case ET_OP_SOFTMAX:
    case ET_OP_LOG_SOFTMAX: return et_top_build_softmax;
    default: return NULL;
    }
}

static const char trained_ops[] = "Conv (grouped and depthwise), Gemm, MatMul, BatchNormalization, Relu, Clip, "
                                  "LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, Add, Sub, Mul, Div, MaxPool, "
                                  "AveragePool, GlobalAveragePool, GlobalMaxPool, ReduceMean, Flatten, Reshape, "
                                  "Squeeze, Unsqueeze, Identity, Dropout, Concat, Softmax, LogSoftmax";

static et_tstep *new_step(et_tnet *n, const et_node *nd, int n_in, et_err *err) {
    et_tstep *s = &n->steps[n->n_steps++];
    memset(s, 0, sizeof *s);
    s->node = nd;
    s->name = nd ? nd->name : "";
    s->n_in = n_in;
    if (!(s->in = calloc((size_t)n_in + 1, sizeof *s->in))) {
        no_memory(err);
        return NULL;
    }
    return s;
}

static et_status build_node(et_tnet *n, et_train_quant *q, int k, et_err *err) {
    const et_node *nd = &n->g->nodes[k];
    if (et_top_is_alias(nd)) {
        if (nd->n_outputs > 1 && nd->outputs[1] >= 0 && n->g->values[nd->outputs[1]].n_consumers > 0)
            return et_fail(err, ET_E_UNSUPPORTED,
                           "node '%s' (Dropout): its mask output is used; the training "
                           "engine runs Dropout as the identity",
                           nd->name);
        int x = et_train_quant_input(q, nd->inputs[0]), y = nd->outputs[0];
        if (n->values[x].numel != n->values[y].numel)
            return et_fail(err, ET_E_INPUT, "node '%s' (%s): %lld elements in, %lld out", nd->name, et_op_name(nd->op),
                           (long long)n->values[x].numel, (long long)n->values[y].numel);
        n->values[y].owner = n->values[x].owner;
        et_train_quant_alias(q, x, y);
        return ET_OK;
    }
    et_top_build_fn build = builder_of(nd->op);
    if (!build ||
        (nd->op != ET_OP_CONV && nd->op != ET_OP_GEMM && nd->op != ET_OP_MATMUL && nd->act.kind != ET_ACT_NONE))
        return et_fail(err, ET_E_UNSUPPORTED,
                       "node '%s' (%s): no backward in edgetune's training engine (it "
                       "trains %s)",
                       nd->name, nd->op_type ? nd->op_type : et_op_name(nd->op), trained_ops);
    for (int j = 1; j < nd->n_outputs; j++)
        if (nd->outputs[j] >= 0 && n->g->values[nd->outputs[j]].n_consumers > 0)
            return et_fail(err, ET_E_UNSUPPORTED,
                           "node '%s' (%s): its output %d is used; the training engine "
                           "computes the first output only",
                           nd->name, et_op_name(nd->op), j);
    et_status st = et_train_quant_before(q, k, err);
    if (st != ET_OK)
        return st;
    et_tstep *s = new_step(n, nd, nd->n_inputs, err);
    if (!s)
        return ET_E_NOMEM;
    for (int j = 0; j < nd->n_inputs; j++)
        s->in[j] = nd->inputs[j] >= 0 ? et_train_quant_input(q, nd->inputs[j]) : -1;
    s->out = nd->outputs[0];
    if (nd->act.kind != ET_ACT_NONE) { /* the layer writes z, a step of its own computes act(z) */
        int z = et_tnet_add_value(n, s->out, ".preact");
        if (z < 0)
            return no_memory(err);
        s->out = z;
    }
    if ((st = build(n, nd, s, err)) != ET_OK)
        return st;
    if (nd->act.kind != ET_ACT_NONE) {
        et_tstep *a = new_step(n, NULL, 1, err);
        if (!a)
            return ET_E_NOMEM;
        a->in[0] = s->out;
        a->out = nd->outputs[0];
        a->name = nd->name;
        if ((st = et_top_build_act(n, &nd->act, a, err)) != ET_OK)
            return st;
    }
    return et_train_quant_after(q, k, err);
}

static et_status build_steps(et_tnet *n, const bool *skip, et_err *err) {
    et_graph *g = n->g;
    /* a node becomes at most four steps: fake quantization of its input, itself, its activation, fake
     * quantization of its output */
    if (!(n->steps = calloc((size_t)g->n_nodes * 4 + 4, sizeof *n->steps)))
        return no_memory(err);
    et_train_quant *q = NULL;
    et_status st = et_train_quant_begin(n, &q, err);
    for (int k = 0; k < g->n_nodes && st == ET_OK; k++)
        if (!g->nodes[k].dead && !skip[k])
            st = build_node(n, q, k, err);
    if (st == ET_OK)
        for (int o = 0; o < n->n_outputs; o++)
            n->outputs[o] = et_train_quant_input(q, n->outputs[o]);
    et_train_quant_end(q);
    return st;
}

/* ---- phase 5: gradients and buffers ----------------------------------------------------------------------- */

static void mark_needs_grad(et_tnet *n) {
    for (int i = 0; i < n->n_values; i++)
        n->values[i].needs_grad = n->values[i].param >= 0;
    for (int i = 0; n->opt.input_grads && i < n->g->n_inputs; i++)
        n->values[n->g->inputs[i]].needs_grad = true;
    for (int k = 0; k < n->n_steps; k++) {
        const et_tstep *s = &n->steps[k];
        for (int j = 0; j < s->n_in; j++)
            if (s->in[j] >= 0 && n->values[s->in[j]].needs_grad)
                n->values[s->out].needs_grad = true;
        /* an alias of a value that needs a gradient shares its buffer: mark every alias along */
        for (int i = 0; i < n->n_values; i++)
            if (n->values[i].owner != i && n->values[n->values[i].owner].needs_grad)
                n->values[i].needs_grad = true;
    }
    for (int i = 0; i < n->n_values; i++)
        if (n->values[i].needs_grad)
            n->values[n->values[i].owner].needs_grad = true;
}

static et_status allocate(et_tnet *n, et_err *err) {
    const size_t batch = (size_t)n->opt.batch;
    for (int i = 0; i < n->n_values; i++) {
        et_tval *v = &n->values[i];
        if (v->owner != i)
            continue;
        if (v->param >= 0) {
            v->data = n->params[v->param].w_eff;
            v->grad = n->params[v->param].grad;
            continue;
        }
        if (!v->batched) {
            const et_value *gv = i < n->g->n_values ? &n->g->values[i] : NULL;
            if (!gv || gv->kind != ET_VAL_CONST || gv->dtype != ET_DT_F32 || !gv->data || v->numel <= 0)
                continue; /* integer constants (shapes, axes) are read from the graph by the steps */
            if (!(v->data = et_aligned_alloc((size_t)v->numel * sizeof(float))))
                return no_memory(err);
            memcpy(v->data, gv->data, (size_t)v->numel * sizeof(float));
            v->owns_data = true;
            continue;
        }
        size_t bytes = batch * (size_t)v->numel * sizeof(float);
        if (!(v->data = et_aligned_calloc(bytes)))
            return no_memory(err);
        v->owns_data = true;
        n->activation_bytes += (int64_t)bytes;
        if (v->needs_grad) {
            if (!(v->grad = et_aligned_alloc(bytes)))
                return no_memory(err);
            n->gradient_bytes += (int64_t)bytes;
        }
    }
    size_t most = 0;
    for (int k = 0; k < n->n_steps; k++)
        most = n->steps[k].scratch_bytes > most ? n->steps[k].scratch_bytes : most;
    n->slots.n = et_threadpool_size(n->opt.pool);
    n->slots.bytes = et_round_up(most ? most : 64, 64);
    n->slots.mem = et_aligned_alloc(n->slots.bytes * (size_t)n->slots.n);
    n->slots.busy = calloc((size_t)n->slots.n, sizeof *n->slots.busy);
    if (!n->slots.mem || !n->slots.busy)
        return no_memory(err);
    return ET_OK;
}

et_status et_tnet_create(et_graph *g, const et_tnet_options *opt, et_tnet **out, et_err *err) {
    *out = NULL;
    if (!opt || opt->batch < 1)
        return et_fail(err, ET_E_USAGE, "the training batch must be at least 1");
    et_tnet *n = calloc(1, sizeof *n);
    if (!n)
        return no_memory(err);
    n->g = g;
    n->opt = *opt;
    et_arena_init(&n->arena, 4096);
    n->weights_dirty = true;
    et_graph_count_uses(g);
    bool *skip = calloc((size_t)g->n_nodes + 1, sizeof *skip);
    et_status st = skip ? ET_OK : no_memory(err);
    if (st == ET_OK && g->n_inputs < 1)
        st = et_fail(err, ET_E_INPUT, "the model has no inputs to train on");
    if (st == ET_OK)
        st = classify_values(n, err);
    if (st == ET_OK)
        st = find_params(n, err);
    if (st == ET_OK)
        st = find_targets(n, skip, err);
    if (st == ET_OK)
        st = build_steps(n, skip, err);
    free(skip);
    if (st == ET_OK) {
        n->n_inputs = g->n_inputs;
        if (!(n->inputs = malloc((size_t)g->n_inputs * sizeof *n->inputs)))
            st = no_memory(err);
        else
            memcpy(n->inputs, g->inputs, (size_t)g->n_inputs * sizeof *n->inputs);
    }
    if (st == ET_OK) {
        mark_needs_grad(n);
        st = allocate(n, err);
    }
    if (st == ET_OK)
        st = et_tnet_prepare_params(n, err);
    if (st != ET_OK) {
        et_tnet_free(n);
        return st;
    }
    *out = n;
    return ET_OK;
}

void et_tnet_free(et_tnet *n) {
    if (!n)
        return;
    for (int k = 0; k < n->n_steps; k++) {
        if (n->steps[k].op && n->steps[k].op->release)
            n->steps[k].op->release(&n->steps[k]);
        free(n->steps[k].in);
    }
    for (int i = 0; i < n->n_values; i++) {
        et_tval *v = &n->values[i];
        if (v->owner != i || v->param >= 0)
            continue;
        if (v->owns_data)
            et_aligned_free(v->data);
        et_aligned_free(v->grad);
    }
    for (int i = 0; i < n->n_params; i++) {
        et_tparam *p = &n->params[i];
        if (p->w_eff != p->w)
            et_aligned_free(p->w_eff);
        et_aligned_free(p->w);
        et_aligned_free(p->grad);
        free(p->mask);
    }
    for (int i = 0; i < n->n_buffers; i++)
        et_aligned_free(n->buffers[i].data);
    et_aligned_free(n->slots.mem);
    free(n->slots.busy);
    free(n->steps);
    free(n->values);
    free(n->params);
    free(n->buffers);
    free(n->inputs);
    free(n->outputs);
    free(n->output_log_prob);
    free(n->fq_steps);
    et_arena_free(&n->arena);
    free(n);
}
