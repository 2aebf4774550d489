/* deploy_image.c: writing and reading the tuned graph's image (see deploy_image.h). */
#include "bench/deploy_image.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/quant_info.h"

static const char magic[8] = {'E', 'T', 'I', 'M', 'G', '0', '0', '1'};
enum { HEADER_BYTES = 32, ALIGN = 64 };

/* ---- writing ---------------------------------------------------------------------------------------------- */

typedef struct wbuf {
    uint8_t *p;
    size_t n, cap;
    bool oom;
} wbuf;

static void put(wbuf *b, const void *src, size_t n) {
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *grown = realloc(b->p, cap);
        if (!grown) {
            b->oom = true;
            return;
        }
        b->p = grown;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, src, n);
    b->n += n;
}
static void put_i32(wbuf *b, int32_t v) { put(b, &v, sizeof v); }
static void put_i64(wbuf *b, int64_t v) { put(b, &v, sizeof v); }
static void put_f32(wbuf *b, float v) { put(b, &v, sizeof v); }
static void put_str_n(wbuf *b, const char *s, size_t n) {
    put_i32(b, s ? (int32_t)n : -1);
    if (s)
        put(b, s, n);
}
static void put_str(wbuf *b, const char *s) { put_str_n(b, s, s ? strlen(s) : 0); }
static void put_shape(wbuf *b, const et_shape *s) {
    put_i32(b, s->rank);
    for (int d = 0; d < s->rank; d++)
        put_i64(b, s->dim[d]);
}

static void put_attr(wbuf *b, const et_attr *a) {
    put_str(b, a->name);
    put_i32(b, a->type);
    put_i64(b, a->i);
    put_f32(b, a->f);
    put_str_n(b, a->s, a->s ? a->s_len : 0);
    put_i32(b, a->n);
    for (int k = 0; k < a->n; k++) {
        if (a->type == ET_ATTR_INTS)
            put_i64(b, a->ints ? a->ints[k] : 0);
        else if (a->type == ET_ATTR_FLOATS)
            put_f32(b, a->floats ? a->floats[k] : 0.0f);
        else if (a->type == ET_ATTR_STRINGS)
            put_str(b, a->strings ? a->strings[k] : "");
    }
    put_i32(b, a->t.dtype);
    put_shape(b, &a->t.shape);
    put_i64(b, (int64_t)a->t.nbytes);
    put(b, a->t.data, a->t.data ? a->t.nbytes : 0);
}

static size_t align_up(size_t x) { return (x + ALIGN - 1) / ALIGN * ALIGN; }

static et_status write_all(int fd, const void *p, size_t n, et_err *err) {
    const uint8_t *q = p;
    while (n) {
        ssize_t w = write(fd, q, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return et_fail(err, ET_E_IO, "writing the deployment image: %s", w < 0 ? strerror(errno) : "short write");
        q += w;
        n -= (size_t)w;
    }
    return ET_OK;
}

et_status et_deploy_image_write(const et_graph *g, int fd, size_t *bytes, et_err *err) {
    wbuf m = {0};
    size_t data_rel = 0;
    put_i64(&m, g->opset);
    put_i32(&m, g->n_values);
    for (int i = 0; i < g->n_values; i++) {
        const et_value *v = &g->values[i];
        put_str(&m, v->name);
        put_i32(&m, v->kind);
        put_i32(&m, v->dtype);
        put_shape(&m, &v->shape);
        put_i32(&m, v->is_output);
        bool has_data = v->kind == ET_VAL_CONST && v->data && v->nbytes;
        put_i64(&m, has_data ? (int64_t)v->nbytes : 0);
        put_i64(&m, (int64_t)data_rel);
        if (has_data)
            data_rel = align_up(data_rel + v->nbytes);
        const et_quant_info *q = v->quant;
        put_i32(&m, q != NULL);
        if (q) {
            put_i32(&m, q->axis);
            put_i32(&m, q->n);
            for (int k = 0; k < q->n; k++)
                put_f32(&m, q->scale[k]);
            for (int k = 0; k < q->n; k++)
                put_i32(&m, q->zero_point[k]);
            put_i32(&m, q->value_bits);
            put_i32(&m, q->storage_bits);
            put_i32(&m, q->qmin);
            put_i32(&m, q->qmax);
        }
    }
    int n_live = 0;
    for (int i = 0; i < g->n_nodes; i++)
        n_live += !g->nodes[i].dead;
    put_i32(&m, n_live);
    for (int i = 0; i < g->n_nodes; i++) {
        const et_node *n = &g->nodes[i];
        if (n->dead)
            continue;
        put_i32(&m, n->op);
        put_str(&m, n->op_type);
        put_str(&m, n->domain);
        put_str(&m, n->name);
        put_i32(&m, n->n_inputs);
        for (int k = 0; k < n->n_inputs; k++)
            put_i32(&m, n->inputs[k]);
        put_i32(&m, n->n_outputs);
        for (int k = 0; k < n->n_outputs; k++)
            put_i32(&m, n->outputs[k]);
        put_i32(&m, n->n_attrs);
        for (int k = 0; k < n->n_attrs; k++)
            put_attr(&m, &n->attrs[k]);
        put_i32(&m, n->act.kind);
        put_f32(&m, n->act.alpha);
        put_f32(&m, n->act.beta);
    }
    put_i32(&m, g->n_inputs);
    for (int i = 0; i < g->n_inputs; i++)
        put_i32(&m, g->inputs[i]);
    put_i32(&m, g->n_outputs);
    for (int i = 0; i < g->n_outputs; i++)
        put_i32(&m, g->outputs[i]);
    if (m.oom) {
        free(m.p);
        return et_fail(err, ET_E_NOMEM, "out of memory writing the deployment image");
    }
    size_t data_off = align_up(HEADER_BYTES + m.n), total = data_off + data_rel;
    uint8_t head[HEADER_BYTES];
    uint64_t fields[3] = {m.n, data_off, total};
    memcpy(head, magic, sizeof magic);
    memcpy(head + 8, fields, sizeof fields);
    static const uint8_t zeros[ALIGN] = {0};
    et_status st = write_all(fd, head, sizeof head, err);
    if (st == ET_OK)
        st = write_all(fd, m.p, m.n, err);
    if (st == ET_OK)
        st = write_all(fd, zeros, data_off - HEADER_BYTES - m.n, err);
    size_t at = 0;
    for (int i = 0; st == ET_OK && i < g->n_values; i++) {
        const et_value *v = &g->values[i];
        if (v->kind != ET_VAL_CONST || !v->data || !v->nbytes)
            continue;
        st = write_all(fd, v->data, v->nbytes, err);
        at += v->nbytes;
        if (st == ET_OK && align_up(at) > at)
            st = write_all(fd, zeros, align_up(at) - at, err);
        at = align_up(at);
    }
    free(m.p);
    if (st == ET_OK && bytes)
        *bytes = total;
    return st;
}

/* ---- reading ---------------------------------------------------------------------------------------------- */

typedef struct rbuf {
    const uint8_t *p;
    size_t n, at;
    bool bad;
} rbuf;

static bool get(rbuf *b, void *dst, size_t n) {
    if (b->bad || n > b->n - b->at) {
        b->bad = true;
        memset(dst, 0, n);
        return false;
    }
    memcpy(dst, b->p + b->at, n);
    b->at += n;
    return true;
}
static int32_t get_i32(rbuf *b) {
    int32_t v;
    get(b, &v, sizeof v);
    return v;
}
static int64_t get_i64(rbuf *b) {
    int64_t v;
    get(b, &v, sizeof v);
    return v;
}
static float get_f32(rbuf *b) {
    float v;
    get(b, &v, sizeof v);
    return v;
}
/* A string copied into g's arena; NULL for a NULL string (and on a damaged image, with b->bad set). */
static const char *get_str(rbuf *b, et_graph *g, size_t *len) {
    int32_t n = get_i32(b);
    if (len)
        *len = 0;
    if (n < 0 || b->bad)
        return NULL;
    if ((size_t)n > b->n - b->at) {
        b->bad = true;
        return NULL;
    }
    char *s = et_arena_strndup(&g->arena, (const char *)b->p + b->at, (size_t)n);
    b->at += (size_t)n;
    if (!s)
        b->bad = true;
    if (len)
        *len = (size_t)n;
    return s;
}
static void get_shape(rbuf *b, et_shape *s) {
    int32_t rank = get_i32(b);
    if (rank < 0 || rank > ET_MAX_RANK) {
        b->bad = true;
        rank = 0;
    }
    s->rank = rank;
    for (int d = 0; d < rank; d++)
        s->dim[d] = get_i64(b);
}

static void get_attr(rbuf *b, et_graph *g, et_attr *a) {
    a->name = get_str(b, g, NULL);
    a->type = (et_attr_type)get_i32(b);
    a->i = get_i64(b);
    a->f = get_f32(b);
    a->s = get_str(b, g, &a->s_len);
    a->n = get_i32(b);
    if (a->n < 0 || a->n > (1 << 24)) {
        b->bad = true;
        return;
    }
    if (a->n && a->type == ET_ATTR_INTS) {
        int64_t *v = et_arena_calloc(&g->arena, (size_t)a->n, sizeof *v);
        for (int k = 0; v && k < a->n; k++)
            v[k] = get_i64(b);
        a->ints = v;
        b->bad |= !v;
    } else if (a->n && a->type == ET_ATTR_FLOATS) {
        float *v = et_arena_calloc(&g->arena, (size_t)a->n, sizeof *v);
        for (int k = 0; v && k < a->n; k++)
            v[k] = get_f32(b);
        a->floats = v;
        b->bad |= !v;
    } else if (a->n && a->type == ET_ATTR_STRINGS) {
        const char **v = et_arena_calloc(&g->arena, (size_t)a->n, sizeof *v);
        for (int k = 0; v && k < a->n; k++)
            v[k] = get_str(b, g, NULL);
        a->strings = v;
        b->bad |= !v;
    }
    a->t.dtype = (et_dtype)get_i32(b);
    get_shape(b, &a->t.shape);
    int64_t nbytes = get_i64(b);
    if (nbytes < 0 || (size_t)nbytes > b->n - b->at) {
        b->bad = true;
        return;
    }
    a->t.nbytes = (size_t)nbytes;
    a->t.data = nbytes ? b->p + b->at : NULL; /* borrowed from the image */
    b->at += (size_t)nbytes;
}

/* The quantization record of a value (after its "has one" flag). false on out-of-memory. */
static bool read_quant(rbuf *b, et_graph *g, et_value *val) {
    int axis = get_i32(b), n = get_i32(b);
    if (n < 0 || n > (1 << 24) || (size_t)n * 8 > b->n - b->at) {
        b->bad = true;
        return true;
    }
    float *scale;
    int32_t *zp;
    et_quant_info *q = et_quant_info_new(g, n, &scale, &zp);
    if (!q)
        return false;
    q->axis = axis;
    for (int k = 0; k < n; k++)
        scale[k] = get_f32(b);
    for (int k = 0; k < n; k++)
        zp[k] = get_i32(b);
    q->value_bits = get_i32(b);
    q->storage_bits = get_i32(b);
    q->qmin = get_i32(b);
    q->qmax = get_i32(b);
    val->quant = q;
    return true;
}

/* The values; constant data borrowed from data[data_off..len). */
static et_status read_values(rbuf *b, et_graph *g, const uint8_t *data, size_t data_off, size_t len, et_err *err) {
    int32_t n_values = get_i32(b);
    for (int32_t i = 0; i < n_values && !b->bad; i++) {
        const char *name = get_str(b, g, NULL);
        et_value_kind kind = (et_value_kind)get_i32(b);
        if (b->bad || !name)
            break;
        int v = et_graph_add_value(g, name, kind, err);
        if (v < 0)
            return err ? err->status : ET_E_NOMEM;
        et_value *val = &g->values[v];
        val->dtype = (et_dtype)get_i32(b);
        get_shape(b, &val->shape);
        val->is_output = get_i32(b) != 0;
        int64_t nbytes = get_i64(b), rel = get_i64(b);
        if (nbytes < 0 || rel < 0 || (uint64_t)rel > len - data_off ||
            (uint64_t)nbytes > len - data_off - (uint64_t)rel) {
            b->bad = true;
            break;
        }
        if (nbytes) {
            val->data = data + data_off + rel;
            val->nbytes = (size_t)nbytes;
        }
        if (get_i32(b) && !read_quant(b, g, val))
            return et_fail(err, ET_E_NOMEM, "out of memory reading the deployment image");
    }
    if (!b->bad && g->n_values != n_values)
        b->bad = true;
    return ET_OK;
}

/* n index entries (each -1 or a value of g) into idx, which holds g->n_values + 1. */
static void read_indices(rbuf *b, const et_graph *g, int *idx, int32_t *n) {
    *n = get_i32(b);
    if (*n < 0 || *n > g->n_values + 1 || (size_t)*n * 4 > b->n - b->at) {
        b->bad = true;
        *n = 0;
        return;
    }
    for (int k = 0; k < *n; k++) {
        idx[k] = get_i32(b);
        b->bad |= idx[k] < -1 || idx[k] >= g->n_values;
    }
}

/* One node's attributes and fused activation, after its inputs and outputs. false on out-of-memory. */
static bool read_node_tail(rbuf *b, et_graph *g, int node) {
    int32_t n_attrs = get_i32(b);
    if (n_attrs < 0 || n_attrs > 4096) {
        b->bad = true;
        return true;
    }
    if (n_attrs) {
        et_attr *attrs = et_arena_calloc(&g->arena, (size_t)n_attrs, sizeof *attrs);
        if (!attrs)
            return false;
        for (int k = 0; k < n_attrs; k++)
            get_attr(b, g, &attrs[k]);
        g->nodes[node].attrs = attrs;
        g->nodes[node].n_attrs = n_attrs;
    }
    g->nodes[node].act.kind = (et_act_kind)get_i32(b);
    g->nodes[node].act.alpha = get_f32(b);
    g->nodes[node].act.beta = get_f32(b);
    return true;
}

static et_status read_nodes(rbuf *b, et_graph *g, et_err *err) {
    int32_t n_nodes = get_i32(b);
    int *ins = malloc((size_t)(g->n_values + 1) * sizeof *ins),
        *outs = malloc((size_t)(g->n_values + 1) * sizeof *outs);
    et_status st = ins && outs ? ET_OK : et_fail(err, ET_E_NOMEM, "out of memory reading the deployment image");
    for (int32_t i = 0; st == ET_OK && i < n_nodes && !b->bad; i++) {
        et_op op = (et_op)get_i32(b);
        const char *op_type = get_str(b, g, NULL), *domain = get_str(b, g, NULL), *name = get_str(b, g, NULL);
        int32_t n_in, n_out;
        read_indices(b, g, ins, &n_in);
        read_indices(b, g, outs, &n_out);
        if (b->bad)
            break;
        int node = et_graph_add_node(g, op, name, ins, n_in, outs, n_out, err);
        if (node < 0) {
            st = err ? err->status : ET_E_NOMEM;
            break;
        }
        if (op_type)
            g->nodes[node].op_type = op_type;
        g->nodes[node].domain = domain ? domain : "";
        if (!read_node_tail(b, g, node))
            st = et_fail(err, ET_E_NOMEM, "out of memory reading the deployment image");
    }
    if (st == ET_OK && !b->bad && g->n_nodes != n_nodes)
        b->bad = true;
    free(ins);
    free(outs);
    return st;
}

/* The graph's input or output list into *list. */
static void read_io(rbuf *b, et_graph *g, int **list, int *n) {
    int32_t count = get_i32(b);
    if (b->bad || count < 0 || count > g->n_values) {
        b->bad = true;
        return;
    }
    *list = malloc((size_t)(count + 1) * sizeof **list);
    if (!*list) {
        b->bad = true;
        return;
    }
    for (int k = 0; k < count; k++) {
        (*list)[k] = get_i32(b);
        b->bad |= (*list)[k] < 0 || (*list)[k] >= g->n_values;
    }
    *n = count;
}

et_status et_deploy_image_read(const void *data, size_t len, et_graph **out, et_err *err) {
    *out = NULL;
    const uint8_t *p = data;
    uint64_t fields[3];
    if (len < HEADER_BYTES || memcmp(p, magic, sizeof magic) != 0)
        return et_fail(err, ET_E_INPUT, "not an edgetune deployment image");
    memcpy(fields, p + 8, sizeof fields);
    uint64_t meta = fields[0], data_off = fields[1], total = fields[2];
    if (meta > len - HEADER_BYTES || data_off < HEADER_BYTES + meta || data_off > len || total != len)
        return et_fail(err, ET_E_INPUT, "the deployment image is truncated");
    et_graph *g = et_graph_new();
    if (!g)
        return et_fail(err, ET_E_NOMEM, "out of memory reading the deployment image");
    rbuf b = {.p = p + HEADER_BYTES, .n = meta};
    g->opset = get_i64(&b);
    et_status st = read_values(&b, g, p, (size_t)data_off, len, err);
    if (st == ET_OK && !b.bad)
        st = read_nodes(&b, g, err);
    if (st == ET_OK && !b.bad) {
        read_io(&b, g, &g->inputs, &g->n_inputs);
        read_io(&b, g, &g->outputs, &g->n_outputs);
    }
    if (st == ET_OK && (b.bad || b.at != b.n))
        st = et_fail(err, ET_E_INPUT, "the deployment image is damaged");
    if (st != ET_OK) {
        et_graph_free(g);
        return st;
    }
    et_graph_count_uses(g);
    *out = g;
    return ET_OK;
}
