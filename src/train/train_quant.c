/* train_quant.c: the points where quantization-aware training fake-quantizes activations (act_bits 8).
 *
 * They follow the int8 graph tune builds (src/tune/qgraph.c), so that training sees the rounding the deployed
 * model will do: a quantized layer (Conv, Gemm, MatMul marked in opt.quant_nodes) reads an int8 input and
 * writes an int8 output after its fused activation; an Add of two int8 values is int8, and a layer output used
 * only by such an Add is not rounded on its own (the int8 graph adds it to the residual before requantizing:
 * the Add's output, or the Relu/Clip right after it, is rounded instead); a Concat of int8 values is int8.
 * Everything else computes in float, as there. It is an approximation of that graph, not a copy of it (the
 * speed guard may keep more layers fp32 in the deployed model): the accuracy that counts is the one of the
 * model tune derives from the trained weights, which finetune measures after training. */
#include "train/train_quant.h"

#include <stdlib.h>
#include <string.h>

#include "tune/tune.h"

struct et_train_quant {
    et_tnet *n;
    int cap;
    int *remap;     /* graph value -> the value steps read (its fake-quantized copy, or itself) */
    char *on_grid;  /* per value: rounded to an 8-bit grid (fake-quantized, or an alias of one) */
    char *deferred; /* per value: a quantized layer's output rounded later, by the Add that uses it */
    char *act_next; /* per value: an int8 Add's output whose Relu/Clip does the rounding */
};

et_status et_train_quant_begin(et_tnet *n, et_train_quant **out, et_err *err) {
    *out = NULL;
    if (n->opt.act_bits != 8 || !n->opt.quant_nodes)
        return ET_OK;
    et_train_quant *q = calloc(1, sizeof *q);
    int cap = n->g->n_values + 4 * n->g->n_nodes + 16;
    if (!q || !(q->remap = malloc((size_t)cap * sizeof *q->remap)) || !(q->on_grid = calloc((size_t)cap, 1)) ||
        !(q->deferred = calloc((size_t)cap, 1)) || !(q->act_next = calloc((size_t)cap, 1))) {
        et_train_quant_end(q);
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    }
    q->n = n;
    q->cap = cap;
    for (int i = 0; i < cap; i++)
        q->remap[i] = i;
    *out = q;
    return ET_OK;
}

void et_train_quant_end(et_train_quant *q) {
    if (!q)
        return;
    free(q->remap);
    free(q->on_grid);
    free(q->deferred);
    free(q->act_next);
    free(q);
}

int et_train_quant_input(const et_train_quant *q, int v) { return q && v >= 0 ? q->remap[v] : v; }

void et_train_quant_alias(et_train_quant *q, int x, int y) {
    if (q)
        q->on_grid[y] = q->on_grid[x];
}

/* Adds the step xq = fakequant(remap[v]) and reads xq for v from now on. */
static et_status fake_quantize(et_train_quant *q, int v, et_err *err) {
    et_tnet *n = q->n;
    int x = q->remap[v];
    int xq = et_tnet_add_value(n, x, ".fq");
    if (xq < 0 || xq >= q->cap)
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    et_tstep *s = &n->steps[n->n_steps++];
    *s = (et_tstep){.name = n->values[xq].name, .n_in = 1, .out = xq};
    if (!(s->in = malloc(sizeof *s->in)))
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    s->in[0] = x;
    et_status st = et_top_build_fakequant(n, s, err);
    q->remap[v] = xq;
    q->on_grid[v] = q->on_grid[xq] = 1;
    return st;
}

static bool quantized_layer(const et_tnet *n, int k) {
    et_op op = n->g->nodes[k].op;
    return n->opt.quant_nodes[k] && (op == ET_OP_CONV || op == ET_OP_GEMM || op == ET_OP_MATMUL);
}

/* The single node that uses v, or NULL when v has another use (or is a graph output). */
static const et_node *only_user(const et_graph *g, int v) {
    if (g->values[v].n_consumers != 1 || g->values[v].is_output)
        return NULL;
    for (int k = 0; k < g->n_nodes; k++) {
        const et_node *nd = &g->nodes[k];
        for (int j = 0; !nd->dead && j < nd->n_inputs; j++)
            if (nd->inputs[j] == v)
                return nd;
    }
    return NULL;
}

et_status et_train_quant_before(et_train_quant *q, int k, et_err *err) {
    if (!q || !quantized_layer(q->n, k))
        return ET_OK;
    int x = q->n->g->nodes[k].inputs[0];
    return q->on_grid[x] ? ET_OK : fake_quantize(q, x, err);
}

et_status et_train_quant_after(et_train_quant *q, int k, et_err *err) {
    if (!q)
        return ET_OK;
    const et_graph *g = q->n->g;
    const et_node *nd = &g->nodes[k];
    int y = nd->outputs[0];
    if (quantized_layer(q->n, k)) {
        const et_node *user = only_user(g, y);
        if (user && user->op == ET_OP_ADD && nd->act.kind == ET_ACT_NONE) {
            q->deferred[y] = 1;
            return ET_OK;
        }
        return fake_quantize(q, y, err);
    }
    switch (nd->op) {
    case ET_OP_ADD: {
        int a = nd->inputs[0], b = nd->n_inputs > 1 ? nd->inputs[1] : -1;
        bool qa = a >= 0 && (q->on_grid[a] || q->deferred[a]), qb = b >= 0 && (q->on_grid[b] || q->deferred[b]);
        if (!qa || !qb)
            return ET_OK;
        const et_node *user = only_user(g, y);
        if (user && (user->op == ET_OP_RELU || user->op == ET_OP_CLIP)) {
            q->act_next[y] = 1;
            return ET_OK;
        }
        return fake_quantize(q, y, err);
    }
    case ET_OP_RELU:
    case ET_OP_CLIP: return q->act_next[nd->inputs[0]] ? fake_quantize(q, y, err) : ET_OK;
    case ET_OP_CONCAT: {
        bool all = true;
        for (int j = 0; j < nd->n_inputs; j++)
            all &= nd->inputs[j] >= 0 && q->on_grid[nd->inputs[j]];
        return all ? fake_quantize(q, y, err) : ET_OK;
    }
    default: return ET_OK;
    }
}

et_wq_config et_train_weight_grid(const et_knobs *k) {
    return (et_wq_config){.bits = k->weight_bits,
                          .symmetric = k->act_bits == 8 || k->symmetric,
                          .per_channel = k->granularity == ET_GRAN_CHANNEL,
                          .clip = k->clip,
                          .percentile = 99.99f};
}

et_status et_train_quant_layers(const et_graph *g, const et_knobs *k, bool *quant_nodes, int *count, et_err *err) {
    *count = 0;
    memset(quant_nodes, 0, (size_t)g->n_nodes * sizeof *quant_nodes);
    if (k->weight_bits >= 32)
        return ET_OK;
    et_knobs w = *k; /* weight-only at the same bits: its quantized weights are exactly the layers tune rounds */
    w.act_bits = 32;
    w.prune_ratio = 0.0f;
    et_graph *t = NULL;
    et_tune_report rep;
    et_status st = et_tune_apply(g, &w, NULL, &t, &rep, err);
    if (st != ET_OK)
        return st;
    for (int v = 0; v < t->n_values; v++) {
        if (!t->values[v].quant)
            continue;
        int gv = et_graph_find_value(g, t->values[v].name);
        for (int n = 0; gv >= 0 && n < g->n_nodes; n++) {
            const et_node *nd = &g->nodes[n];
            if (!nd->dead && nd->n_inputs > 1 && nd->inputs[1] == gv && !quant_nodes[n])
                quant_nodes[n] = true, (*count)++;
        }
    }
    et_graph_free(t);
    return ET_OK;
}
