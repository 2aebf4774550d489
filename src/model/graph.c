/* graph.c: building, cloning and editing the graph IR. */
#include "model/graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

struct et_data_block {
    et_data_block *next;
    void *data;
};

static const char *const act_names[] = {
#define ET_X(e, s) s,
    ET_ACT_LIST(ET_X)
#undef ET_X
};
const char *et_act_name(et_act_kind k) { return (unsigned)k < ET_ACT_COUNT ? act_names[k] : "?"; }

int64_t et_shape_numel(const et_shape *s) {
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) {
        if (s->dim[i] < 0)
            return -1;
        if (__builtin_mul_overflow(n, s->dim[i], &n) || n > ((int64_t)1 << 62))
            return -1;
    }
    return n;
}

bool et_shape_equal(const et_shape *a, const et_shape *b) {
    if (a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dim[i] != b->dim[i])
            return false;
    return true;
}

char *et_shape_str(const et_shape *s, char *buf, size_t len) {
    if (len == 0)
        return buf;
    if (s->rank == 0) {
        snprintf(buf, len, "scalar");
        return buf;
    }
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < s->rank && at < len; i++) {
        int w = s->dim[i] < 0 ? snprintf(buf + at, len - at, "%s?", i ? "x" : "")
                              : snprintf(buf + at, len - at, "%s%lld", i ? "x" : "", (long long)s->dim[i]);
        if (w < 0)
            break;
        at += (size_t)w;
    }
    return buf;
}

et_graph *et_graph_new(void) {
    et_graph *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    et_arena_init(&g->arena, 64 * 1024);
    et_strmap_init(&g->names);
    return g;
}

void et_graph_free(et_graph *g) {
    if (!g)
        return;
    for (et_data_block *b = g->owned; b;) {
        et_data_block *next = b->next;
        et_aligned_free(b->data);
        free(b);
        b = next;
    }
    free(g->values);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    et_strmap_free(&g->names);
    et_arena_free(&g->arena);
    free(g);
}

void *et_graph_alloc_data(et_graph *g, size_t nbytes) {
    et_data_block *b = malloc(sizeof *b);
    if (!b)
        return NULL;
    b->data = et_aligned_calloc(nbytes);
    if (!b->data) {
        free(b);
        return NULL;
    }
    b->next = g->owned;
    g->owned = b;
    g->owned_bytes += nbytes;
    return b->data;
}

static bool reserve_values(et_graph *g, int extra) {
    if (g->n_values + extra <= g->cap_values)
        return true;
    int cap = g->cap_values ? g->cap_values : 64;
    while (cap < g->n_values + extra)
        cap *= 2;
    et_value *v = realloc(g->values, (size_t)cap * sizeof *v);
    if (!v)
        return false;
    g->values = v;
    g->cap_values = cap;
    return true;
}

static bool reserve_nodes(et_graph *g, int extra) {
    if (g->n_nodes + extra <= g->cap_nodes)
        return true;
    int cap = g->cap_nodes ? g->cap_nodes : 64;
    while (cap < g->n_nodes + extra)
        cap *= 2;
    et_node *n = realloc(g->nodes, (size_t)cap * sizeof *n);
    if (!n)
        return false;
    g->nodes = n;
    g->cap_nodes = cap;
    return true;
}

static int add_value_named(et_graph *g, const char *name, et_value_kind kind, et_err *err) {
    if (et_strmap_get(&g->names, name) >= 0) {
        et_fail(err, ET_E_INPUT, "tensor name '%s' is defined twice", name);
        return -1;
    }
    char *copy = et_arena_strdup(&g->arena, name);
    if (!copy || !reserve_values(g, 1)) {
        et_fail(err, ET_E_NOMEM, "out of memory adding tensor '%s'", name);
        return -1;
    }
    int idx = g->n_values;
    et_value *v = &g->values[idx];
    memset(v, 0, sizeof *v);
    v->name = copy;
    v->kind = kind;
    v->producer = -1;
    if (!et_strmap_put(&g->names, copy, idx)) {
        et_fail(err, ET_E_NOMEM, "out of memory adding tensor '%s'", name);
        return -1;
    }
    g->n_values++;
    return idx;
}

int et_graph_add_value(et_graph *g, const char *name, et_value_kind kind, et_err *err) {
    return add_value_named(g, name, kind, err);
}

int et_graph_add_value_unique(et_graph *g, const char *base, et_value_kind kind, et_err *err) {
    char name[256];
    snprintf(name, sizeof name, "%s", base);
    for (int i = 0; et_strmap_get(&g->names, name) >= 0; i++)
        snprintf(name, sizeof name, "%.200s_et%d", base, i);
    return add_value_named(g, name, kind, err);
}

int et_graph_add_const(et_graph *g, const char *base, et_dtype dtype, const et_shape *shape, const void *data,
                       et_err *err) {
    int64_t numel = et_shape_numel(shape);
    size_t esize = et_dtype_size(dtype), nbytes;
    if (numel < 0 || esize == 0 || !et_mul_size((size_t)numel, esize, &nbytes)) {
        et_fail(err, ET_E_INPUT, "constant '%s': invalid shape or type", base);
        return -1;
    }
    void *buf = et_graph_alloc_data(g, nbytes);
    if (!buf) {
        et_fail(err, ET_E_NOMEM, "out of memory for constant '%s' (%zu bytes)", base, nbytes);
        return -1;
    }
    if (data && nbytes)
        memcpy(buf, data, nbytes);
    int idx = et_graph_add_value_unique(g, base, ET_VAL_CONST, err);
    if (idx < 0)
        return -1;
    et_value *v = &g->values[idx];
    v->dtype = dtype;
    v->shape = *shape;
    v->data = buf;
    v->nbytes = nbytes;
    return idx;
}

int et_graph_find_value(const et_graph *g, const char *name) { return et_strmap_get(&g->names, name); }

static int fill_node(et_graph *g, et_node *n, et_op op, const char *name, const int *inputs, int n_inputs,
                     const int *outputs, int n_outputs, et_err *err) {
    memset(n, 0, sizeof *n);
    n->op = op;
    n->op_type = et_op_name(op);
    n->domain = "";
    n->name = et_arena_strdup(&g->arena, name ? name : et_op_name(op));
    n->inputs = et_arena_calloc(&g->arena, (size_t)(n_inputs ? n_inputs : 1), sizeof(int));
    n->outputs = et_arena_calloc(&g->arena, (size_t)(n_outputs ? n_outputs : 1), sizeof(int));
    if (!n->name || !n->inputs || !n->outputs) {
        et_fail(err, ET_E_NOMEM, "out of memory adding node '%s'", name ? name : "");
        return -1;
    }
    if (n_inputs)
        memcpy(n->inputs, inputs, (size_t)n_inputs * sizeof(int));
    if (n_outputs)
        memcpy(n->outputs, outputs, (size_t)n_outputs * sizeof(int));
    n->n_inputs = n_inputs;
    n->n_outputs = n_outputs;
    return 0;
}

int et_graph_add_node(et_graph *g, et_op op, const char *name, const int *inputs, int n_inputs, const int *outputs,
                      int n_outputs, et_err *err) {
    return et_graph_insert_node(g, g->n_nodes, op, name, inputs, n_inputs, outputs, n_outputs, err);
}

int et_graph_insert_node(et_graph *g, int pos, et_op op, const char *name, const int *inputs, int n_inputs,
                         const int *outputs, int n_outputs, et_err *err) {
    if (!reserve_nodes(g, 1)) {
        et_fail(err, ET_E_NOMEM, "out of memory adding node '%s'", name ? name : "");
        return -1;
    }
    et_node tmp;
    if (fill_node(g, &tmp, op, name, inputs, n_inputs, outputs, n_outputs, err) < 0)
        return -1;
    memmove(&g->nodes[pos + 1], &g->nodes[pos], (size_t)(g->n_nodes - pos) * sizeof(et_node));
    g->nodes[pos] = tmp;
    g->n_nodes++;
    return pos;
}

et_graph *et_graph_clone(const et_graph *src) {
    et_graph *g = et_graph_new();
    if (!g)
        return NULL;
    g->opset = src->opset;
    g->source = src;
    if (!reserve_values(g, src->n_values) || !reserve_nodes(g, src->n_nodes))
        goto fail;
    memcpy(g->values, src->values, (size_t)src->n_values * sizeof(et_value));
    g->n_values = src->n_values;
    for (int i = 0; i < g->n_values; i++)
        if (!et_strmap_put(&g->names, g->values[i].name, i))
            goto fail;
    for (int i = 0; i < src->n_nodes; i++) {
        const et_node *s = &src->nodes[i];
        et_node *d = &g->nodes[i];
        *d = *s;
        d->inputs = et_arena_calloc(&g->arena, (size_t)(s->n_inputs ? s->n_inputs : 1), sizeof(int));
        d->outputs = et_arena_calloc(&g->arena, (size_t)(s->n_outputs ? s->n_outputs : 1), sizeof(int));
        d->attrs = s->n_attrs ? et_arena_calloc(&g->arena, (size_t)s->n_attrs, sizeof(et_attr)) : NULL;
        if (!d->inputs || !d->outputs || (s->n_attrs && !d->attrs))
            goto fail;
        memcpy(d->inputs, s->inputs, (size_t)s->n_inputs * sizeof(int));
        memcpy(d->outputs, s->outputs, (size_t)s->n_outputs * sizeof(int));
        if (s->n_attrs)
            memcpy(d->attrs, s->attrs, (size_t)s->n_attrs * sizeof(et_attr));
    }
    g->n_nodes = src->n_nodes;
    g->inputs = malloc((size_t)(src->n_inputs + 1) * sizeof(int));
    g->outputs = malloc((size_t)(src->n_outputs + 1) * sizeof(int));
    if (!g->inputs || !g->outputs)
        goto fail;
    memcpy(g->inputs, src->inputs, (size_t)src->n_inputs * sizeof(int));
    memcpy(g->outputs, src->outputs, (size_t)src->n_outputs * sizeof(int));
    g->n_inputs = src->n_inputs;
    g->n_outputs = src->n_outputs;
    return g;
fail:
    et_graph_free(g);
    return NULL;
}

void et_graph_count_uses(et_graph *g) {
    for (int i = 0; i < g->n_values; i++) {
        g->values[i].n_consumers = 0;
        g->values[i].producer = -1;
        g->values[i].is_output = false;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const et_node *n = &g->nodes[i];
        if (n->dead)
            continue;
        for (int j = 0; j < n->n_inputs; j++)
            if (n->inputs[j] >= 0)
                g->values[n->inputs[j]].n_consumers++;
        for (int j = 0; j < n->n_outputs; j++)
            if (n->outputs[j] >= 0)
                g->values[n->outputs[j]].producer = i;
    }
    for (int i = 0; i < g->n_outputs; i++) {
        g->values[g->outputs[i]].n_consumers++;
        g->values[g->outputs[i]].is_output = true;
    }
}

et_status et_graph_toposort(et_graph *g, et_err *err) {
    et_graph_count_uses(g);
    int n = g->n_nodes;
    int *pending = calloc((size_t)(n ? n : 1), sizeof(int)); /* unresolved inputs per node */
    int *order = malloc((size_t)(n ? n : 1) * sizeof(int));
    int *ready = malloc((size_t)(n ? n : 1) * sizeof(int));
    /* consumers lists: CSR over values */
    int *cstart = calloc((size_t)g->n_values + 1, sizeof(int));
    int *clist = NULL;
    et_status st = ET_OK;
    if (!pending || !order || !ready || !cstart) {
        st = et_fail(err, ET_E_NOMEM, "out of memory sorting the graph");
        goto done;
    }
    int total = 0;
    for (int i = 0; i < n; i++) {
        const et_node *nd = &g->nodes[i];
        if (nd->dead)
            continue;
        for (int j = 0; j < nd->n_inputs; j++) {
            int v = nd->inputs[j];
            if (v >= 0 && g->values[v].producer >= 0) {
                cstart[v + 1]++;
                total++;
            }
        }
    }
    for (int v = 0; v < g->n_values; v++)
        cstart[v + 1] += cstart[v];
    clist = malloc((size_t)(total ? total : 1) * sizeof(int));
    int *fill = calloc((size_t)g->n_values + 1, sizeof(int));
    if (!clist || !fill) {
        free(fill);
        st = et_fail(err, ET_E_NOMEM, "out of memory sorting the graph");
        goto done;
    }
    int n_ready = 0, n_live = 0;
    for (int i = 0; i < n; i++) {
        const et_node *nd = &g->nodes[i];
        if (nd->dead)
            continue;
        n_live++;
        for (int j = 0; j < nd->n_inputs; j++) {
            int v = nd->inputs[j];
            if (v >= 0 && g->values[v].producer >= 0) {
                clist[cstart[v] + fill[v]++] = i;
                pending[i]++;
            }
        }
        if (pending[i] == 0)
            ready[n_ready++] = i;
    }
    free(fill);
    /* Kahn's algorithm; taking from the front keeps the model's order when it is already topological */
    int head = 0, n_order = 0;
    while (head < n_ready) {
        int i = ready[head++];
        order[n_order++] = i;
        const et_node *nd = &g->nodes[i];
        for (int j = 0; j < nd->n_outputs; j++) {
            int v = nd->outputs[j];
            if (v < 0)
                continue;
            for (int c = cstart[v]; c < cstart[v + 1]; c++)
                if (--pending[clist[c]] == 0)
                    ready[n_ready++] = clist[c];
        }
    }
    if (n_order != n_live) {
        for (int i = 0; i < n; i++)
            if (!g->nodes[i].dead && pending[i] > 0) {
                st = et_fail(err, ET_E_INPUT, "the graph has a cycle through node '%s' (%s)", g->nodes[i].name,
                             g->nodes[i].op_type);
                break;
            }
        goto done;
    }
    et_node *sorted = malloc((size_t)(n ? n : 1) * sizeof(et_node));
    if (!sorted) {
        st = et_fail(err, ET_E_NOMEM, "out of memory sorting the graph");
        goto done;
    }
    for (int i = 0; i < n_order; i++)
        sorted[i] = g->nodes[order[i]];
    memcpy(g->nodes, sorted, (size_t)n_order * sizeof(et_node));
    free(sorted);
    g->n_nodes = n_order;
    et_graph_count_uses(g);
done:
    free(pending), free(order), free(ready), free(cstart), free(clist);
    return st;
}

void et_graph_replace_uses(et_graph *g, int from, int to) {
    for (int i = 0; i < g->n_nodes; i++) {
        et_node *n = &g->nodes[i];
        if (n->dead)
            continue;
        for (int j = 0; j < n->n_inputs; j++)
            if (n->inputs[j] == from)
                n->inputs[j] = to;
    }
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == from)
            g->outputs[i] = to;
}

et_status et_graph_compact(et_graph *g, et_err *err) {
    /* keep live nodes; keep values used by them, graph inputs and outputs */
    int n_live = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead)
            g->nodes[n_live++] = g->nodes[i];
    g->n_nodes = n_live;
    char *keep = calloc((size_t)g->n_values + 1, 1);
    int *remap = malloc(((size_t)g->n_values + 1) * sizeof(int));
    if (!keep || !remap) {
        free(keep), free(remap);
        return et_fail(err, ET_E_NOMEM, "out of memory compacting the graph");
    }
    for (int i = 0; i < g->n_inputs; i++)
        keep[g->inputs[i]] = 1;
    for (int i = 0; i < g->n_outputs; i++)
        keep[g->outputs[i]] = 1;
    for (int i = 0; i < g->n_nodes; i++) {
        const et_node *n = &g->nodes[i];
        for (int j = 0; j < n->n_inputs; j++)
            if (n->inputs[j] >= 0)
                keep[n->inputs[j]] = 1;
        for (int j = 0; j < n->n_outputs; j++)
            if (n->outputs[j] >= 0)
                keep[n->outputs[j]] = 1;
    }
    int nv = 0;
    for (int i = 0; i < g->n_values; i++) {
        remap[i] = keep[i] ? nv : -1;
        if (keep[i])
            g->values[nv++] = g->values[i];
    }
    g->n_values = nv;
    for (int i = 0; i < g->n_nodes; i++) {
        et_node *n = &g->nodes[i];
        for (int j = 0; j < n->n_inputs; j++)
            if (n->inputs[j] >= 0)
                n->inputs[j] = remap[n->inputs[j]];
        for (int j = 0; j < n->n_outputs; j++)
            if (n->outputs[j] >= 0)
                n->outputs[j] = remap[n->outputs[j]];
    }
    for (int i = 0; i < g->n_inputs; i++)
        g->inputs[i] = remap[g->inputs[i]];
    for (int i = 0; i < g->n_outputs; i++)
        g->outputs[i] = remap[g->outputs[i]];
    free(keep), free(remap);
    et_strmap_free(&g->names);
    et_strmap_init(&g->names);
    for (int i = 0; i < g->n_values; i++)
        if (!et_strmap_put(&g->names, g->values[i].name, i))
            return et_fail(err, ET_E_NOMEM, "out of memory compacting the graph");
    et_graph_count_uses(g);
    return ET_OK;
}

const et_attr *et_node_attr(const et_node *n, const char *name) {
    for (int i = 0; i < n->n_attrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0)
            return &n->attrs[i];
    return NULL;
}

int64_t et_node_attr_int(const et_node *n, const char *name, int64_t def) {
    const et_attr *a = et_node_attr(n, name);
    return a && a->type == ET_ATTR_INT ? a->i : def;
}

float et_node_attr_float(const et_node *n, const char *name, float def) {
    const et_attr *a = et_node_attr(n, name);
    if (!a)
        return def;
    if (a->type == ET_ATTR_FLOAT)
        return a->f;
    if (a->type == ET_ATTR_INT) /* some exporters write integral floats as ints */
        return (float)a->i;
    return def;
}

const char *et_node_attr_string(const et_node *n, const char *name, const char *def) {
    const et_attr *a = et_node_attr(n, name);
    return a && a->type == ET_ATTR_STRING ? a->s : def;
}

const int64_t *et_node_attr_ints(const et_node *n, const char *name, int *count) {
    const et_attr *a = et_node_attr(n, name);
    if (a && a->type == ET_ATTR_INTS) {
        *count = a->n;
        return a->ints;
    }
    *count = 0;
    return NULL;
}

const float *et_node_attr_floats(const et_node *n, const char *name, int *count) {
    const et_attr *a = et_node_attr(n, name);
    if (a && a->type == ET_ATTR_FLOATS) {
        *count = a->n;
        return a->floats;
    }
    *count = 0;
    return NULL;
}

/* Finds or appends the attribute slot `name` on node `node`, resetting it. */
static et_attr *attr_slot(et_graph *g, int node, const char *name) {
    et_node *n = &g->nodes[node];
    for (int i = 0; i < n->n_attrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0) {
            const char *keep = n->attrs[i].name;
            memset(&n->attrs[i], 0, sizeof(et_attr));
            n->attrs[i].name = keep;
            return &n->attrs[i];
        }
    et_attr *attrs = et_arena_calloc(&g->arena, (size_t)n->n_attrs + 1, sizeof(et_attr));
    const char *copy = et_arena_strdup(&g->arena, name);
    if (!attrs || !copy)
        return NULL;
    if (n->n_attrs)
        memcpy(attrs, n->attrs, (size_t)n->n_attrs * sizeof(et_attr));
    n->attrs = attrs;
    et_attr *a = &attrs[n->n_attrs++];
    a->name = copy;
    return a;
}

bool et_node_set_attr_int(et_graph *g, int node, const char *name, int64_t v) {
    et_attr *a = attr_slot(g, node, name);
    if (!a)
        return false;
    a->type = ET_ATTR_INT;
    a->i = v;
    return true;
}

bool et_node_set_attr_float(et_graph *g, int node, const char *name, float v) {
    et_attr *a = attr_slot(g, node, name);
    if (!a)
        return false;
    a->type = ET_ATTR_FLOAT;
    a->f = v;
    return true;
}

bool et_node_set_attr_ints(et_graph *g, int node, const char *name, const int64_t *v, int n) {
    int64_t *copy = et_arena_calloc(&g->arena, (size_t)(n ? n : 1), sizeof(int64_t));
    et_attr *a = copy ? attr_slot(g, node, name) : NULL;
    if (!a)
        return false;
    if (n)
        memcpy(copy, v, (size_t)n * sizeof(int64_t));
    a->type = ET_ATTR_INTS;
    a->ints = copy;
    a->n = n;
    return true;
}

bool et_node_set_attr_string(et_graph *g, int node, const char *name, const char *s) {
    char *copy = et_arena_strdup(&g->arena, s);
    et_attr *a = copy ? attr_slot(g, node, name) : NULL;
    if (!a)
        return false;
    a->type = ET_ATTR_STRING;
    a->s = copy;
    a->s_len = strlen(copy);
    return true;
}

int64_t et_node_macs(const et_graph *g, const et_node *n) {
    const et_value *x = et_node_cin(g, n, 0), *w = et_node_cin(g, n, 1);
    const et_value *y = n->n_outputs > 0 && n->outputs[0] >= 0 ? &g->values[n->outputs[0]] : NULL;
    if (!x || !y)
        return 0;
    int64_t out = et_shape_numel(&y->shape);
    if (out < 0)
        return 0;
    switch (n->op) {
    case ET_OP_CONV:
    case ET_OP_CONV_NHWC:
    case ET_OP_QCONV_NHWC: {
        if (!w || w->shape.rank < 2)
            return 0;
        int64_t per = 1; /* weights are OIHW: per output element, (I/groups) * kernel taps MACs */
        for (int i = 1; i < w->shape.rank; i++)
            per *= w->shape.dim[i];
        return out * per;
    }
    case ET_OP_CONV_TRANSPOSE: {
        if (!w || w->shape.rank < 2)
            return 0;
        int64_t in = et_shape_numel(&x->shape), per = 1;
        for (int i = 1; i < w->shape.rank; i++)
            per *= w->shape.dim[i];
        return in < 0 ? 0 : in * per;
    }
    case ET_OP_GEMM:
    case ET_OP_QGEMM: {
        int64_t k = x->shape.rank >= 2 ? x->shape.dim[et_node_attr_int(n, "transA", 0) ? 0 : 1] : 0;
        return out * k;
    }
    case ET_OP_MATMUL: {
        int64_t k = x->shape.rank >= 1 ? x->shape.dim[x->shape.rank - 1] : 0;
        return out * k;
    }
    default: return 0;
    }
}

int64_t et_graph_macs(const et_graph *g) {
    int64_t total = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead)
            total += et_node_macs(g, &g->nodes[i]);
    return total;
}

int64_t et_graph_param_count(const et_graph *g) {
    int64_t total = 0;
    for (int i = 0; i < g->n_values; i++) {
        const et_value *v = &g->values[i];
        if (v->kind == ET_VAL_CONST && v->n_consumers > 0 &&
            (et_dtype_is_float(v->dtype) || v->dtype == ET_DT_I8 || v->dtype == ET_DT_U8)) {
            int64_t n = et_shape_numel(&v->shape);
            if (n > 0)
                total += n;
        }
    }
    return total;
}
