/* op_pool.c: pooling in training: MaxPool, AveragePool (1-D and 2-D: strides, pads, dilations, ceil_mode,
 * count_include_pad, with the engine's semantics of src/engine/nodes/pool.c), GlobalAveragePool,
 * GlobalMaxPool, and ReduceMean over the trailing dims (a global average written as a mean).
 *
 * Max pooling records the position of each window's maximum (the first one, as PyTorch) in the forward and
 * routes the gradient there; averages spread it evenly over the window's counted positions. Tasks are
 * (sample, channel) planes, whose gradients never overlap. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/nn_util.h"
#include "train/tnet.h"
#include "util/mem.h"

typedef struct pool_state {
    bool is_max, include_pad;
    int64_t planes; /* channels per sample */
    int64_t ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
    int32_t *argmax; /* max: batch x planes x oh x ow input positions (-1: empty window) */
} pool_state;

static void release(et_tstep *s) {
    pool_state *p = s->state;
    if (p) {
        et_aligned_free(p->argmax);
        free(p);
    }
}

typedef struct pool_run {
    const pool_state *p;
    const float *x, *dy;
    float *y, *dx;
    bool acc;
} pool_run;

/* The divisor of an average window at (oy, ox). */
static float window_count(const pool_state *p, int64_t oy, int64_t ox) {
    int64_t ny = 0, nx = 0;
    for (int64_t ky = 0; ky < p->kh; ky++) {
        int64_t iy = oy * p->sh - p->pt + ky * p->dh;
        ny += p->include_pad ? (iy >= -p->pt && iy < p->ih + p->pb) : (iy >= 0 && iy < p->ih);
    }
    for (int64_t kx = 0; kx < p->kw; kx++) {
        int64_t ix = ox * p->sw - p->pl + kx * p->dw;
        nx += p->include_pad ? (ix >= -p->pl && ix < p->iw + p->pr) : (ix >= 0 && ix < p->iw);
    }
    return (float)(ny * nx);
}

static void forward_task(void *arg, size_t begin, size_t end) {
    const pool_run *r = arg;
    const pool_state *p = r->p;
    for (size_t pl = begin; pl < end; pl++) {
        const float *x = r->x + (int64_t)pl * p->ih * p->iw;
        float *y = r->y + (int64_t)pl * p->oh * p->ow;
        int32_t *am = p->is_max ? p->argmax + (int64_t)pl * p->oh * p->ow : NULL;
        for (int64_t oy = 0; oy < p->oh; oy++)
            for (int64_t ox = 0; ox < p->ow; ox++) {
                float best = -FLT_MAX, sum = 0.0f;
                int32_t at = -1;
                for (int64_t ky = 0; ky < p->kh; ky++) {
                    int64_t iy = oy * p->sh - p->pt + ky * p->dh;
                    if (iy < 0 || iy >= p->ih)
                        continue;
                    for (int64_t kx = 0; kx < p->kw; kx++) {
                        int64_t ix = ox * p->sw - p->pl + kx * p->dw;
                        if (ix < 0 || ix >= p->iw)
                            continue;
                        float v = x[iy * p->iw + ix];
                        sum += v;
                        if (at < 0 || v > best) {
                            best = v;
                            at = (int32_t)(iy * p->iw + ix);
                        }
                    }
                }
                if (am) {
                    am[oy * p->ow + ox] = at;
                    y[oy * p->ow + ox] = at < 0 ? -FLT_MAX : best;
                } else {
                    float cnt = window_count(p, oy, ox);
                    y[oy * p->ow + ox] = cnt > 0 ? sum / cnt : 0.0f;
                }
            }
    }
}

static void backward_task(void *arg, size_t begin, size_t end) {
    const pool_run *r = arg;
    const pool_state *p = r->p;
    for (size_t pl = begin; pl < end; pl++) {
        float *dx = r->dx + (int64_t)pl * p->ih * p->iw;
        const float *dy = r->dy + (int64_t)pl * p->oh * p->ow;
        if (!r->acc)
            memset(dx, 0, (size_t)(p->ih * p->iw) * sizeof *dx);
        if (p->is_max) {
            const int32_t *am = p->argmax + (int64_t)pl * p->oh * p->ow;
            for (int64_t o = 0; o < p->oh * p->ow; o++)
                if (am[o] >= 0)
                    dx[am[o]] += dy[o];
            continue;
        }
        for (int64_t oy = 0; oy < p->oh; oy++)
            for (int64_t ox = 0; ox < p->ow; ox++) {
                float cnt = window_count(p, oy, ox);
                if (cnt <= 0)
                    continue;
                float g = dy[oy * p->ow + ox] / cnt;
                for (int64_t ky = 0; ky < p->kh; ky++) {
                    int64_t iy = oy * p->sh - p->pt + ky * p->dh;
                    if (iy < 0 || iy >= p->ih)
                        continue;
                    for (int64_t kx = 0; kx < p->kw; kx++) {
                        int64_t ix = ox * p->sw - p->pl + kx * p->dw;
                        if (ix >= 0 && ix < p->iw)
                            dx[iy * p->iw + ix] += g;
                    }
                }
            }
    }
}

/* Global pooling and trailing-dims means: one reduction per plane of ih (= the plane's size) elements. */
static void global_forward_task(void *arg, size_t begin, size_t end) {
    const pool_run *r = arg;
    const pool_state *p = r->p;
    for (size_t pl = begin; pl < end; pl++) {
        const float *x = r->x + (int64_t)pl * p->ih;
        float best = x[0], sum = 0.0f;
        int32_t at = 0;
        for (int64_t e = 0; e < p->ih; e++) {
            sum += x[e];
            if (x[e] > best)
                best = x[e], at = (int32_t)e;
        }
        if (p->is_max) {
            p->argmax[pl] = at;
            r->y[pl] = best;
        } else {
            r->y[pl] = sum / (float)p->ih;
        }
    }
}

static void global_backward_task(void *arg, size_t begin, size_t end) {
    const pool_run *r = arg;
    const pool_state *p = r->p;
    for (size_t pl = begin; pl < end; pl++) {
        float *dx = r->dx + (int64_t)pl * p->ih;
        if (p->is_max) {
            if (!r->acc)
                memset(dx, 0, (size_t)p->ih * sizeof *dx);
            dx[p->argmax[pl]] += r->dy[pl];
            continue;
        }
        const float g = r->dy[pl] / (float)p->ih;
        for (int64_t e = 0; e < p->ih; e++)
            dx[e] = r->acc ? dx[e] + g : g;
    }
}

static et_status forward(et_tnet *n, et_tstep *s, et_err *err) {
    (void)err;
    const pool_state *p = s->state;
    pool_run r = {.p = p, .x = et_tv_data(n, s->in[0]), .y = et_tv_data(n, s->out)};
    size_t planes = (size_t)n->batch_now * (size_t)p->planes;
    et_tnet_par_chunked(n, planes, 8, p->oh ? forward_task : global_forward_task, &r);
    return ET_OK;
}

static void backward(et_tnet *n, et_tstep *s) {
    const pool_state *p = s->state;
    pool_run r = {.p = p, .dy = et_tnet_grad_of(n, s->out)};
    if (!(r.dx = et_tnet_grad_begin(n, s->in[0], &r.acc)))
        return;
    size_t planes = (size_t)n->batch_now * (size_t)p->planes;
    et_tnet_par_chunked(n, planes, 8, p->oh ? backward_task : global_backward_task, &r);
}

static const et_top pool_op = {"pool", forward, backward, release};

static et_status window_geometry(et_tnet *n, const et_node *node, pool_state *p, et_err *err) {
    const et_tval *x = &n->values[node->inputs[0]];
    if (x->shape.rank != 4 && x->shape.rank != 3)
        return et_fail(err, ET_E_UNSUPPORTED,
                       "node '%s' (%s): %d-D pooling; the training engine trains 1-D and "
                       "2-D pooling",
                       node->name, et_op_name(node->op), x->shape.rank - 2);
    int kc = 0;
    const int64_t *ks = et_node_attr_ints(node, "kernel_shape", &kc);
    if (!ks || kc != x->shape.rank - 2)
        return et_fail(err, ET_E_INPUT, "node '%s' (%s): kernel_shape must have %d values", node->name,
                       et_op_name(node->op), x->shape.rank - 2);
    et_window w;
    et_status st = et_window_init(node, &x->shape, ks, et_node_attr_int(node, "ceil_mode", 0) != 0, &w, err);
    if (st != ET_OK)
        return st;
    p->ih = w.in[1], p->iw = w.in[2], p->oh = w.out[1], p->ow = w.out[2];
    p->kh = w.k[1], p->kw = w.k[2], p->sh = w.stride[1], p->sw = w.stride[2], p->dh = w.dil[1], p->dw = w.dil[2];
    /* the explicit pads: only they count in a divisor, never the extra room of ceil_mode (pool.c) */
    p->pt = w.pad0[1], p->pl = w.pad0[2], p->pb = w.pad1[1], p->pr = w.pad1[2];
    p->include_pad = et_node_attr_int(node, "count_include_pad", 0) != 0;
    p->planes = x->shape.dim[1];
    return ET_OK;
}

et_status et_top_build_pool(et_tnet *n, const et_node *node, et_tstep *s, et_err *err) {
    pool_state *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    s->op = &pool_op;
    s->state = p;
    s->n_in = 1;
    p->is_max = node->op == ET_OP_MAX_POOL || node->op == ET_OP_GLOBAL_MAX_POOL;
    const et_tval *x = &n->values[node->inputs[0]];
    if (node->op == ET_OP_GLOBAL_AVERAGE_POOL || node->op == ET_OP_GLOBAL_MAX_POOL) {
        if (x->shape.rank < 3)
            return et_fail(err, ET_E_INPUT, "node '%s' (%s): input of rank %d", node->name, et_op_name(node->op),
                           x->shape.rank);
        p->planes = x->shape.dim[1];
        p->ih = x->numel / p->planes; /* the plane's size; oh 0 marks a global reduction */
    } else {
        et_status st = window_geometry(n, node, p, err);
        if (st != ET_OK)
            return st;
    }
    if (p->is_max) {
        size_t outs = (size_t)n->opt.batch * (size_t)n->values[s->out].numel;
        if (!(p->argmax = et_aligned_alloc(outs * sizeof *p->argmax)))
            return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    }
    return ET_OK;
}

et_status et_top_build_reduce(et_tnet *n, const et_node *node, et_tstep *s, et_err *err) {
    pool_state *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    s->op = &pool_op;
    s->state = p;
    s->n_in = 1;
    const et_tval *x = &n->values[node->inputs[0]];
    int64_t axes[ET_MAX_RANK];
    int na = 0, cnt = 0;
    const int64_t *attr = et_node_attr_ints(node, "axes", &cnt);
    if (attr) {
        for (int i = 0; i < cnt && i < ET_MAX_RANK; i++)
            axes[na++] = attr[i];
    } else if (node->n_inputs > 1 && node->inputs[1] >= 0) {
        na = et_op_const_ints(n->g, node, 1, axes, ET_MAX_RANK);
    }
    /* the axes must be the trailing dims 1.. of a sample (never the batch) */
    bool used[ET_MAX_RANK] = {false};
    int lo = x->shape.rank;
    for (int i = 0; i < na; i++) {
        int a;
        if (!et_op_axis(axes[i], x->shape.rank, &a) || a == 0 || used[a]) {
            na = -1;
            break;
        }
        used[a] = true;
        lo = a < lo ? a : lo;
    }
    if (na < 1 || lo + na != x->shape.rank)
        return et_fail(err, ET_E_UNSUPPORTED,
                       "node '%s' (ReduceMean): the training engine averages over the "
                       "trailing dims of a sample only",
                       node->name);
    p->ih = 1;
    for (int d = lo; d < x->shape.rank; d++)
        p->ih *= x->shape.dim[d];
    p->planes = x->numel / p->ih;
    return ET_OK;
}
