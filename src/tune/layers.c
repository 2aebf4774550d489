/* layers.c: the weight layers of a graph, graph-owned weight copies, and report notes (tune_internal.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/tune_internal.h"

static bool const_f32(const et_graph *g, int v) {
    return v >= 0 && g->values[v].kind == ET_VAL_CONST && g->values[v].dtype == ET_DT_F32 && g->values[v].data;
}

/* Fills L for node i when it is a weight layer; false otherwise. */
static bool layer_of(const et_graph *g, int i, et_wlayer *L) {
    const et_node *n = &g->nodes[i];
    memset(L, 0, sizeof *L);
    L->node = i;
    L->group = 1;
    L->ksize = 1;
    if (n->n_inputs < 2 || n->n_outputs < 1 || !const_f32(g, n->inputs[1]))
        return false;
    const et_value *w = &g->values[n->inputs[1]];
    const et_value *x = et_node_cin(g, n, 0);
    if (!x || x->kind == ET_VAL_CONST || x->dtype != ET_DT_F32)
        return false;
    L->weight = n->inputs[1];
    switch (n->op) {
    case ET_OP_CONV: {
        if (w->shape.rank < 3 || x->shape.rank != w->shape.rank)
            return false;
        L->kind = ET_WL_CONV;
        L->group = et_node_attr_int(n, "group", 1);
        for (int d = 2; d < w->shape.rank; d++)
            L->ksize *= w->shape.dim[d];
        int64_t cg = w->shape.dim[1];
        L->view =
            (et_wview){.n_ch = w->shape.dim[0], .per_ch = cg * L->ksize, .ch_stride = cg * L->ksize, .el_stride = 1};
        L->depthwise = L->group > 1 && cg == 1 && w->shape.dim[0] == L->group;
        return L->view.n_ch > 0 && L->view.per_ch > 0;
    }
    case ET_OP_GEMM: {
        if (w->shape.rank != 2 || et_node_attr_int(n, "transA", 0) != 0)
            return false;
        bool tb = et_node_attr_int(n, "transB", 0) != 0;
        int64_t k = w->shape.dim[tb ? 1 : 0], nn = w->shape.dim[tb ? 0 : 1];
        L->kind = ET_WL_GEMM;
        L->view = tb ? (et_wview){.n_ch = nn, .per_ch = k, .ch_stride = k, .el_stride = 1}
                     : (et_wview){.n_ch = nn, .per_ch = k, .ch_stride = 1, .el_stride = nn};
        return nn > 0 && k > 0;
    }
    case ET_OP_MATMUL: {
        if (w->shape.rank != 2 || x->shape.rank < 2)
            return false;
        int64_t k = w->shape.dim[0], nn = w->shape.dim[1];
        L->kind = ET_WL_MATMUL;
        L->view = (et_wview){.n_ch = nn, .per_ch = k, .ch_stride = 1, .el_stride = nn};
        return nn > 0 && k > 0;
    }
    default: return false;
    }
}

int et_tune_weight_layer_names(const et_graph *g, const char **names, int max) {
    int n = 0;
    et_wlayer L;
    for (int i = 0; i < g->n_nodes && n < max; i++)
        if (!g->nodes[i].dead && layer_of(g, i, &L))
            names[n++] = g->nodes[i].name ? g->nodes[i].name : "";
    return n;
}

et_status et_tune_find_layers(et_tune_ctx *c) {
    free(c->layers);
    free(c->keep);
    free(c->pruned);
    c->layers = NULL;
    c->keep = NULL;
    c->pruned = NULL;
    c->n_layers = 0;
    et_graph *g = c->g;
    c->layers = calloc((size_t)g->n_nodes + 1, sizeof *c->layers);
    c->keep = calloc((size_t)g->n_nodes + 1, sizeof *c->keep);
    c->pruned = calloc((size_t)g->n_nodes + 1, sizeof *c->pruned);
    if (!c->layers || !c->keep || !c->pruned)
        return et_fail(c->err, ET_E_NOMEM, "out of memory listing weight layers");
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead && layer_of(g, i, &c->layers[c->n_layers]))
            c->n_layers++;
    if (c->n_layers > 0) {
        c->layers[0].edge = true;
        c->layers[c->n_layers - 1].edge = true;
    }
    for (int l = 0; l < c->n_layers; l++)
        c->keep[l] = c->layers[l].edge && !c->k->quantize_all;
    return c->n_ov > 0 ? et_tune_layers_resolve(c) : ET_OK;
}

float *et_tune_writable(et_tune_ctx *c, int v) {
    et_graph *g = c->g;
    if (v >= c->owned_cap) {
        int cap = g->n_values + 64;
        char *o = realloc(c->owned, (size_t)cap);
        if (!o)
            return NULL;
        memset(o + c->owned_cap, 0, (size_t)(cap - c->owned_cap));
        c->owned = o;
        c->owned_cap = cap;
    }
    et_value *val = &g->values[v];
    if (c->owned[v])
        return (float *)val->data;
    void *copy = et_graph_alloc_data(g, val->nbytes ? val->nbytes : 4);
    if (!copy)
        return NULL;
    memcpy(copy, val->data, val->nbytes);
    val->data = copy;
    c->owned[v] = 1;
    return copy;
}

const float *et_tune_readable(et_tune_ctx *c, int v) {
    const et_value *val = &c->g->values[v];
    if ((uintptr_t)val->data % sizeof(float) == 0)
        return val->data;
    return et_tune_writable(c, v);
}

static void append(char *buf, size_t cap, const char *text) {
    size_t len = strlen(buf);
    if (len + 4 >= cap)
        return;
    int w = snprintf(buf + len, cap - len, "%s%s", len ? "; " : "", text);
    if (w < 0 || (size_t)w >= cap - len) { /* truncated: end with an ellipsis the reader can see */
        buf[cap - 4] = '.', buf[cap - 3] = '.', buf[cap - 2] = '.', buf[cap - 1] = '\0';
    }
}

void et_tune_note(et_tune_ctx *c, bool note, const char *fmt, ...) {
    if (c->quiet)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    append(c->rep->detail, sizeof c->rep->detail, line);
    if (note)
        append(c->rep->notes, sizeof c->rep->notes, line);
}
