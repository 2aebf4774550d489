/* prune_channel.c: channel pruning that really shrinks the graph (filter L1 norm).
 *
 * Every Conv (group 1) and Gemm output starts a channel space. Spaces that must keep the same channels are
 * merged (union-find): the two sides of an elementwise Add/Mul (residual groups, squeeze-excitation gates), and
 * whatever passes channels through unchanged shares its input's space: activations, pooling, depthwise
 * convolutions (their filters shrink with their input), Flatten of a 1x1 map (channels become Gemm features).
 * Concat joins its inputs' spaces end to end. A space is pruned as a whole: each producer filter's L1 norm is
 * scaled by that producer's mean filter norm and summed per channel, and the channels of smallest score go,
 * floor(ratio * C) of them with the count kept rounded up to a multiple of 8 when C >= 16 (so that the SIMD
 * kernels stay on full tiles). Then producers lose output filters and biases, consumers (Conv, Gemm, MatMul)
 * lose the matching input channels, depthwise convolutions and per-channel constants shrink, and shapes are
 * inferred again.
 *
 * A space is left whole, and listed, when it cannot be shrunk safely: it reaches a graph output, it meets an
 * operator that is not channel-preserving (Reshape, Softmax, Resize, Transpose, a grouped convolution...), one
 * side of an elementwise operation has fixed channels, or it contains the first layer (kept unless
 * --quantize-all). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/op.h"
#include "model/passes.h"
#include "model/quant_info.h"
#include "tune/tune_internal.h"

enum { D_NONE, D_SPACE, D_CONCAT, D_FLAT /* Flatten of a feature map: each channel is H*W features */ };

typedef struct chp {
    et_tune_ctx *c;
    et_graph *g;
    bool zero_only; /* tests: zero the consumers' input channels instead of removing them (same outputs) */
    /* per value */
    int *dkind, *dspace, *dnode;
    /* per space */
    int n_sp, cap_sp;
    int *parent;
    int64_t *size;
    char (*why)[96]; /* "" = prunable; else why not */
    bool **mask;     /* per root: channels kept */
    int64_t *kept;
    /* per node: the space it produces (Conv group 1, Gemm), or -1 */
    int *node_space;
    /* per root space: channel scores from the consumers' energies (recovery), NULL for filter L1 norm */
    double **energy;
} chp;

static int find(chp *P, int s) {
    while (P->parent[s] != s)
        s = P->parent[s] = P->parent[P->parent[s]];
    return s;
}

static void block_space(chp *P, int s, const char *fmt, const char *a, const char *b) {
    s = find(P, s);
    if (!P->why[s][0])
        snprintf(P->why[s], sizeof P->why[s], fmt, a, b);
}

/* Blocks every space a value's channels come from. */
static void block_value(chp *P, int v, const char *fmt, const char *a, const char *b) {
    if (v < 0)
        return;
    if (P->dkind[v] == D_SPACE) {
        block_space(P, P->dspace[v], fmt, a, b);
    } else if (P->dkind[v] == D_CONCAT) {
        const et_node *n = &P->g->nodes[P->dnode[v]];
        for (int k = 0; k < n->n_inputs; k++)
            block_value(P, n->inputs[k], fmt, a, b);
    } else if (P->dkind[v] == D_FLAT) {
        block_value(P, P->g->nodes[P->dnode[v]].inputs[0], fmt, a, b);
    }
}

static int new_space(chp *P, int64_t size) {
    if (P->n_sp == P->cap_sp) {
        int cap = P->cap_sp ? P->cap_sp * 2 : 64;
        int *pa = realloc(P->parent, (size_t)cap * sizeof *pa);
        if (pa)
            P->parent = pa;
        int64_t *sz = pa ? realloc(P->size, (size_t)cap * sizeof *sz) : NULL;
        if (sz)
            P->size = sz;
        char(*wy)[96] = sz ? realloc(P->why, (size_t)cap * sizeof *wy) : NULL;
        if (wy)
            P->why = wy;
        if (!pa || !sz || !wy)
            return -1;
        P->cap_sp = cap;
    }
    int s = P->n_sp++;
    P->parent[s] = s;
    P->size[s] = size;
    P->why[s][0] = '\0';
    return s;
}

static void unite(chp *P, int a, int b, const char *node) {
    a = find(P, a), b = find(P, b);
    if (a == b)
        return;
    if (P->size[a] != P->size[b]) {
        block_space(P, a, "channel counts differ at '%s'%s", node, "");
        block_space(P, b, "channel counts differ at '%s'%s", node, "");
    }
    if (P->why[b][0] && !P->why[a][0])
        memcpy(P->why[a], P->why[b], sizeof P->why[a]);
    P->parent[b] = a;
}

static int64_t chan_dim(const et_value *v) { return v->shape.rank >= 2 ? v->shape.dim[1] : -1; }

static bool is_passthrough_unary(et_op op) {
    switch (op) {
    case ET_OP_RELU:
    case ET_OP_LEAKY_RELU:
    case ET_OP_SIGMOID:
    case ET_OP_HARD_SIGMOID:
    case ET_OP_HARD_SWISH:
    case ET_OP_TANH:
    case ET_OP_ERF:
    case ET_OP_ELU:
    case ET_OP_SOFTPLUS:
    case ET_OP_IDENTITY:
    case ET_OP_DROPOUT:
    case ET_OP_NEG:
    case ET_OP_ABS:
    case ET_OP_MAX_POOL:
    case ET_OP_AVERAGE_POOL:
    case ET_OP_GLOBAL_AVERAGE_POOL:
    case ET_OP_GLOBAL_MAX_POOL: return true;
    default: return false;
    }
}

static bool is_elementwise_binary(et_op op) {
    return op == ET_OP_ADD || op == ET_OP_SUB || op == ET_OP_MUL || op == ET_OP_DIV || op == ET_OP_MAX ||
           op == ET_OP_MIN;
}

/* Index of the channel axis (1 of the output) inside constant c broadcast to rank r; -1 when c does not span it. */
static int const_chan_axis(const et_value *c, int r) {
    int idx = 1 - (r - c->shape.rank);
    return idx >= 0 && idx < c->shape.rank ? idx : -1;
}

/* y carries the same channels as x. */
static void same_channels(chp *P, int y, int x) {
    P->dkind[y] = P->dkind[x], P->dspace[y] = P->dspace[x], P->dnode[y] = P->dnode[x];
}

/* The weight layer of node i, or NULL. */
static const et_wlayer *layer_of_node(const et_tune_ctx *c, int i) {
    const et_wlayer *L = NULL;
    for (int l = 0; l < c->n_layers; l++)
        if (c->layers[l].node == i)
            L = &c->layers[l];
    return L;
}

/* A weight layer: a depthwise convolution passes its input's channels through (its filters shrink with them);
 * any other produces a new space, its output channels, blocked where it cannot shrink. */
static et_status analyse_weight_layer(chp *P, int i, const et_wlayer *L) {
    et_graph *g = P->g;
    const et_tune_ctx *c = P->c;
    const et_node *n = &g->nodes[i];
    int x = n->n_inputs > 0 ? n->inputs[0] : -1, y = n->n_outputs > 0 ? n->outputs[0] : -1;
    const char *name = n->name;
    bool shared_w = g->values[L->weight].n_consumers != 1;
    bool bias_ok = n->n_inputs < 3 || n->inputs[2] < 0 ||
                   (g->values[n->inputs[2]].kind == ET_VAL_CONST && g->values[n->inputs[2]].n_consumers == 1 &&
                    et_shape_numel(&g->values[n->inputs[2]].shape) == L->view.n_ch);
    if (L->kind == ET_WL_CONV && L->depthwise) {
        /* channels pass through; the filters shrink with the input */
        if (shared_w || !bias_ok)
            block_value(P, x, "'%s' shares its weights%s", name, "");
        same_channels(P, y, x);
        return ET_OK;
    }
    bool consumer_ok = !shared_w && (L->kind == ET_WL_CONV ? L->group == 1 : g->values[x].shape.rank == 2);
    if (!consumer_ok)
        block_value(P, x, "used by '%s' (grouped, shared or batched weights)%s", name, "");
    if ((L->kind == ET_WL_GEMM || L->kind == ET_WL_MATMUL) && g->values[y].shape.rank != 2)
        return ET_OK;
    int s = new_space(P, L->view.n_ch);
    if (s < 0)
        return et_fail(c->err, ET_E_NOMEM, "out of memory pruning channels");
    P->dkind[y] = D_SPACE, P->dspace[y] = s;
    P->node_space[i] = s;
    int first_layer = c->n_layers > 0 ? c->layers[0].node : -1;
    if (L->kind == ET_WL_CONV && L->group != 1)
        block_space(P, s, "'%s' is a grouped convolution%s", name, "");
    else if (shared_w || !bias_ok)
        block_space(P, s, "'%s' shares its weights or bias%s", name, "");
    else if (i == first_layer && !c->k->quantize_all)
        block_space(P, s, "'%s' is the first layer (kept; --quantize-all prunes it)%s", name, "");
    return ET_OK;
}

/* Activations, pooling, Identity: the output has the input's channels unless a second output or a changed
 * channel count says otherwise. */
static void analyse_unary(chp *P, const et_node *n, int x, int y) {
    const et_graph *g = P->g;
    bool extra_ok = true; /* MaxPool's Indices output, Dropout's mask: keep it simple */
    for (int k = 1; k < n->n_outputs; k++)
        extra_ok &= n->outputs[k] < 0;
    if (!extra_ok || chan_dim(&g->values[x]) != chan_dim(&g->values[y]))
        block_value(P, x, "used by '%s' (%s)", n->name, n->op_type);
    else
        same_channels(P, y, x);
}

/* Clip with constant bounds passes channels through. */
static void analyse_clip(chp *P, const et_node *n, int x, int y) {
    const et_graph *g = P->g;
    bool const_bounds = true;
    for (int k = 1; k < n->n_inputs; k++)
        const_bounds &= n->inputs[k] < 0 || g->values[n->inputs[k]].kind == ET_VAL_CONST;
    if (!const_bounds)
        block_value(P, x, "used by '%s' (%s)", n->name, n->op_type);
    else
        same_channels(P, y, x);
}

/* Flatten from axis 1: one pixel per channel keeps the channels as features; more pixels make each channel a
 * run of features (D_FLAT). */
static void analyse_flatten(chp *P, const et_node *n, int i, int x, int y) {
    const et_value *xv = &P->g->values[x];
    if (xv->shape.rank < 2 || et_node_attr_int(n, "axis", 1) != 1 || P->dkind[x] == D_FLAT) {
        block_value(P, x, "used by '%s' (%s)", n->name, n->op_type);
        return;
    }
    bool one_pixel = et_shape_numel(&xv->shape) == xv->shape.dim[0] * xv->shape.dim[1];
    if (one_pixel) /* [N, C, 1, 1] -> [N, C]: the channels are the features */
        same_channels(P, y, x);
    else /* [N, C, H, W] -> [N, C*H*W]: channel c is features c*H*W .. (c+1)*H*W-1 */
        P->dkind[y] = D_FLAT, P->dnode[y] = i;
}

/* Concat along channels: the output's channels are its inputs' in order (D_CONCAT). */
static void analyse_concat(chp *P, const et_node *n, int i, int y) {
    const et_graph *g = P->g;
    int axis;
    if (!et_op_axis(et_node_attr_int(n, "axis", 0), g->values[y].shape.rank, &axis) || axis != 1) {
        for (int k = 0; k < n->n_inputs; k++)
            block_value(P, n->inputs[k], "used by '%s' (Concat not along channels)%s", n->name, "");
        return;
    }
    P->dkind[y] = D_CONCAT, P->dnode[y] = i;
}

/* Element-wise Add/Sub/Mul/Div/Max/Min: two activations with channels must share one space (merged); a
 * constant may broadcast over the channels or be per channel (then it shrinks too). */
static void analyse_binary(chp *P, const et_node *n, int y) {
    const et_graph *g = P->g;
    int r = g->values[y].shape.rank;
    int64_t cy = chan_dim(&g->values[y]);
    int act[2], n_act = 0;
    bool ok = r >= 2;
    for (int k = 0; k < 2 && ok; k++) {
        const et_value *v = &g->values[n->inputs[k]];
        if (v->kind == ET_VAL_CONST) {
            int ax = const_chan_axis(v, r);
            ok = ax < 0 || v->shape.dim[ax] == 1 || (v->shape.dim[ax] == cy && v->n_consumers == 1);
            continue;
        }
        int ax = 1 - (r - v->shape.rank);
        if (ax < 0 || v->shape.dim[ax] == 1)
            continue; /* broadcast over channels: no channel role */
        act[n_act++] = n->inputs[k];
    }
    if (ok && n_act == 2) {
        int a = act[0], b = act[1];
        if (P->dkind[a] == D_SPACE && P->dkind[b] == D_SPACE)
            unite(P, P->dspace[a], P->dspace[b], n->name);
        else
            ok = false;
    }
    if (!ok || n_act == 0) {
        for (int k = 0; k < 2; k++)
            block_value(P, n->inputs[k], "used by '%s' (%s with fixed channels)", n->name, n->op_type);
        return;
    }
    same_channels(P, y, act[0]);
}

/* Walks the graph once, giving each activation a channel descriptor and merging spaces. */
static et_status analyse(chp *P) {
    et_graph *g = P->g;
    for (int v = 0; v < g->n_values; v++)
        P->dkind[v] = D_NONE, P->dspace[v] = -1, P->dnode[v] = -1;
    for (int i = 0; i < g->n_nodes; i++)
        P->node_space[i] = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const et_node *n = &g->nodes[i];
        int x = n->n_inputs > 0 ? n->inputs[0] : -1, y = n->n_outputs > 0 ? n->outputs[0] : -1;
        const et_wlayer *L = layer_of_node(P->c, i);
        if (L) {
            et_status st = analyse_weight_layer(P, i, L);
            if (st != ET_OK)
                return st;
        } else if (is_passthrough_unary(n->op) && n->n_outputs >= 1 && y >= 0) {
            analyse_unary(P, n, x, y);
        } else if (n->op == ET_OP_CLIP) {
            analyse_clip(P, n, x, y);
        } else if (n->op == ET_OP_FLATTEN && x >= 0) {
            analyse_flatten(P, n, i, x, y);
        } else if (n->op == ET_OP_CONCAT && y >= 0) {
            analyse_concat(P, n, i, y);
        } else if (is_elementwise_binary(n->op) && n->n_inputs == 2 && y >= 0) {
            analyse_binary(P, n, y);
        } else { /* anything else keeps its inputs' channels as they are */
            for (int k = 0; k < n->n_inputs; k++)
                if (n->inputs[k] >= 0 && g->values[n->inputs[k]].kind != ET_VAL_CONST)
                    block_value(P, n->inputs[k], "used by '%s' (%s)", n->name, n->op_type);
        }
    }
    for (int k = 0; k < g->n_outputs; k++)
        block_value(P, g->outputs[k], "reaches the graph output '%s'%s", g->values[g->outputs[k]].name, "");
    return ET_OK;
}

/* The kept-channel mask of value v's channel axis (length = its original channel count) into out. */
static void expand(chp *P, int v, bool *out, int64_t len) {
    if (P->dkind[v] == D_SPACE) {
        int s = find(P, P->dspace[v]);
        if (P->mask[s]) {
            memcpy(out, P->mask[s], (size_t)len * sizeof *out);
            return;
        }
    } else if (P->dkind[v] == D_CONCAT) {
        const et_node *n = &P->g->nodes[P->dnode[v]];
        int64_t at = 0;
        for (int k = 0; k < n->n_inputs && at < len; k++) {
            int64_t ck = chan_dim(&P->g->values[n->inputs[k]]);
            expand(P, n->inputs[k], out + at, ck);
            at += ck;
        }
        return;
    } else if (P->dkind[v] == D_FLAT) {
        int src = P->g->nodes[P->dnode[v]].inputs[0];
        int64_t ch = chan_dim(&P->g->values[src]), per = ch > 0 ? len / ch : 0;
        bool *m = ch > 0 ? malloc((size_t)ch * sizeof *m) : NULL;
        if (m) {
            expand(P, src, m, ch);
            for (int64_t i = 0; i < len; i++)
                out[i] = m[i / per];
            free(m);
            return;
        }
    }
    for (int64_t i = 0; i < len; i++)
        out[i] = true;
}

static int64_t count_true(const bool *m, int64_t n) {
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        k += m[i];
    return k;
}

typedef struct ranked {
    double score;
    int64_t index;
} ranked;

/* Best first; equal scores keep the lower channel first (deterministic). */
static int cmp_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* The ratio space s is pruned by: the model-wide ratio, or with per-layer overrides the largest channel-pruning
 * ratio among the layers (not kept) that produce it: the space is pruned as a whole, so naming one producer of a
 * residual group prunes the group. */
static double space_ratio(chp *P, int s) {
    const et_tune_ctx *c = P->c;
    if (!c->lk)
        return (double)c->k->prune_ratio;
    double ratio = 0.0;
    for (int l = 0; l < c->n_layers; l++) {
        int ns = P->node_space[c->layers[l].node];
        if (ns < 0 || c->keep[l] || find(P, ns) != s || c->lk[l].prune_method != ET_PRUNE_CHANNEL)
            continue;
        ratio = (double)c->lk[l].prune_ratio > ratio ? (double)c->lk[l].prune_ratio : ratio;
    }
    return ratio;
}

/* Scores and masks of every prunable space. */
static et_status choose(chp *P) {
    P->mask = calloc((size_t)P->n_sp + 1, sizeof *P->mask);
    P->kept = calloc((size_t)P->n_sp + 1, sizeof *P->kept);
    if (!P->mask || !P->kept)
        return et_fail(P->c->err, ET_E_NOMEM, "out of memory pruning channels");
    for (int s = 0; s < P->n_sp; s++) {
        if (find(P, s) != s || P->why[s][0])
            continue;
        int64_t C = P->size[s];
        double ratio = space_ratio(P, s);
        int64_t keep = C - (int64_t)(ratio * (double)C);
        if (C >= 16)
            keep = (keep + 7) / 8 * 8;
        keep = keep < 1 ? 1 : keep > C ? C : keep;
        if (keep == C)
            continue;
        double *score = calloc((size_t)C, sizeof *score);
        if (!score)
            return et_fail(P->c->err, ET_E_NOMEM, "out of memory pruning channels");
        if (P->energy && P->energy[s]) { /* by reconstruction error: what the consumers lose without it */
            for (int64_t ch = 0; ch < C; ch++)
                score[ch] = P->energy[s][ch];
        } else
            for (int l = 0; l < P->c->n_layers; l++) {
                const et_wlayer *L = &P->c->layers[l];
                if (P->node_space[L->node] < 0 || find(P, P->node_space[L->node]) != s)
                    continue;
                const float *w = et_tune_readable(P->c, L->weight);
                if (!w) {
                    free(score);
                    return et_fail(P->c->err, ET_E_NOMEM, "out of memory pruning channels");
                }
                double total = 0;
                double *norm = calloc((size_t)C, sizeof *norm);
                if (!norm) {
                    free(score);
                    return et_fail(P->c->err, ET_E_NOMEM, "out of memory pruning channels");
                }
                for (int64_t ch = 0; ch < C; ch++) {
                    float a = 0;
                    for (int64_t i = 0; i < L->view.per_ch; i++)
                        a += fabsf(w[ch * L->view.ch_stride + i * L->view.el_stride]);
                    norm[ch] = a;
                    total += a;
                }
                double mean = total / (double)C;
                for (int64_t ch = 0; ch < C; ch++)
                    score[ch] += mean > 0 ? norm[ch] / mean : 0.0;
                free(norm);
            }
        bool *m = malloc((size_t)C * sizeof *m);
        ranked *rk = malloc((size_t)C * sizeof *rk);
        if (!m || !rk) {
            free(score), free(m), free(rk);
            return et_fail(P->c->err, ET_E_NOMEM, "out of memory pruning channels");
        }
        for (int64_t ch = 0; ch < C; ch++)
            rk[ch] = (ranked){score[ch], ch};
        qsort(rk, (size_t)C, sizeof *rk, cmp_ranked);
        for (int64_t r = 0; r < C; r++)
            m[rk[r].index] = r < keep;
        free(rk);
        free(score);
        P->mask[s] = m;
        P->kept[s] = keep;
    }
    return ET_OK;
}

/* Replaces constant v by the elements whose index along axis `ax` is kept (owned copy; shape updated). */
static et_status slice_const(chp *P, int v, int ax, const bool *keep) {
    et_graph *g = P->g;
    et_value *val = &g->values[v];
    int64_t d = val->shape.dim[ax], kept = count_true(keep, d);
    if (kept == d)
        return ET_OK;
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < ax; i++)
        outer *= val->shape.dim[i];
    for (int i = ax + 1; i < val->shape.rank; i++)
        inner *= val->shape.dim[i];
    size_t es = et_dtype_size(val->dtype);
    size_t bytes = (size_t)(outer * kept * inner) * es;
    char *dst = et_graph_alloc_data(g, bytes ? bytes : 1);
    if (!dst)
        return et_fail(P->c->err, ET_E_NOMEM, "out of memory pruning channels");
    const char *src = val->data;
    size_t at = 0;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < d; i++)
            if (keep[i]) {
                memcpy(dst + at, src + (size_t)((o * d + i) * inner) * es, (size_t)inner * es);
                at += (size_t)inner * es;
            }
    val->data = dst;
    val->nbytes = bytes;
    val->shape.dim[ax] = kept;
    const et_quant_info *q = val->quant;
    if (q && q->n == d && q->axis == ax) { /* recovered weights carry their scales along the axis: keep theirs */
        float *qs;
        int32_t *qz;
        et_quant_info *nq = et_quant_info_new(g, (int)kept, &qs, &qz);
        if (!nq)
            return et_fail(P->c->err, ET_E_NOMEM, "out of memory pruning channels");
        int64_t j = 0;
        for (int64_t i = 0; i < d; i++)
            if (keep[i]) {
                qs[j] = q->scale[i];
                qz[j] = q->zero_point[i];
                j++;
            }
        nq->axis = q->axis;
        nq->value_bits = q->value_bits;
        nq->storage_bits = q->storage_bits;
        nq->qmin = q->qmin, nq->qmax = q->qmax;
        val->quant = nq;
    }
    return ET_OK;
}

/* zero_only: the layer's weights for dropped input channels become 0 (shapes unchanged). */
static et_status zero_inputs(chp *P, const et_wlayer *L, const bool *in_m) {
    float *w = et_tune_writable(P->c, L->weight);
    if (!w)
        return et_fail(P->c->err, ET_E_NOMEM, "out of memory pruning channels");
    for (int64_t o = 0; o < L->view.n_ch; o++)
        for (int64_t i = 0; i < L->view.per_ch; i++)
            if (!in_m[i / L->ksize])
                w[o * L->view.ch_stride + i * L->view.el_stride] = 0.0f;
    return ET_OK;
}

static et_status apply(chp *P) {
    et_graph *g = P->g;
    bool *in_m = NULL, *out_m = NULL;
    int64_t cap = 0;
    et_status st = ET_OK;
    for (int i = 0; i < g->n_nodes && st == ET_OK; i++) {
        et_node *n = &g->nodes[i];
        const et_wlayer *L = NULL;
        for (int l = 0; l < P->c->n_layers; l++)
            if (P->c->layers[l].node == i)
                L = &P->c->layers[l];
        int x = n->n_inputs > 0 ? n->inputs[0] : -1, y = n->n_outputs > 0 ? n->outputs[0] : -1;
        int64_t cx = x >= 0 ? chan_dim(&g->values[x]) : 0, cy = y >= 0 ? chan_dim(&g->values[y]) : 0;
        int64_t need = cx > cy ? cx : cy;
        if (L) /* a layer's own counts (MatMul's K is not dim 1 of a 3-D input) */
            need = need > L->view.n_ch ? need : L->view.n_ch, need = need > L->view.per_ch ? need : L->view.per_ch;
        if (need > cap) {
            cap = need * 2;
            bool *a = realloc(in_m, (size_t)cap * sizeof *a), *b = a ? realloc(out_m, (size_t)cap * sizeof *b) : NULL;
            if (a)
                in_m = a;
            if (b)
                out_m = b;
            if (!a || !b) {
                st = et_fail(P->c->err, ET_E_NOMEM, "out of memory pruning channels");
                break;
            }
        }
        if (L) {
            int w = L->weight, b = n->n_inputs > 2 ? n->inputs[2] : -1;
            if (L->kind == ET_WL_CONV && L->depthwise) {
                if (P->zero_only)
                    continue;
                expand(P, x, in_m, cx);
                int64_t kept = count_true(in_m, cx);
                if (kept == cx)
                    continue;
                if ((st = slice_const(P, w, 0, in_m)) == ET_OK && b >= 0)
                    st = slice_const(P, b, 0, in_m);
                if (st == ET_OK && !et_node_set_attr_int(g, i, "group", kept))
                    st = et_fail(P->c->err, ET_E_NOMEM, "out of memory pruning channels");
                continue;
            }
            int64_t n_out = L->view.n_ch, n_in = L->kind == ET_WL_CONV ? L->view.per_ch / L->ksize : L->view.per_ch;
            if (y >= 0 && P->dkind[y] == D_SPACE)
                expand(P, y, out_m, n_out);
            else
                for (int64_t k = 0; k < n_out; k++)
                    out_m[k] = true;
            bool consumer = L->kind == ET_WL_CONV ? L->group == 1 : true;
            if (consumer)
                expand(P, x, in_m, n_in);
            else
                for (int64_t k = 0; k < n_in; k++)
                    in_m[k] = true;
            if (P->zero_only) {
                if (consumer && count_true(in_m, n_in) < n_in) {
                    st = zero_inputs(P, L, in_m);
                    int l = (int)(L - P->c->layers);
                    if (st == ET_OK && P->c->chan_keep && !P->c->chan_keep[l]) { /* for recovery's refit */
                        uint8_t *keep = malloc((size_t)n_in);
                        if (!keep) {
                            st = et_fail(P->c->err, ET_E_NOMEM, "out of memory pruning channels");
                            break;
                        }
                        for (int64_t k = 0; k < n_in; k++)
                            keep[k] = in_m[k];
                        P->c->chan_keep[l] = keep;
                    }
                }
                continue;
            }
            int out_ax, in_ax;
            if (L->kind == ET_WL_CONV)
                out_ax = 0, in_ax = 1;
            else if (L->kind == ET_WL_GEMM && et_node_attr_int(n, "transB", 0))
                out_ax = 0, in_ax = 1;
            else
                out_ax = 1, in_ax = 0;
            if ((st = slice_const(P, w, out_ax, out_m)) == ET_OK)
                st = slice_const(P, w, in_ax, in_m);
            if (st == ET_OK && b >= 0) {
                const et_value *bv = &g->values[b];
                int ax = bv->shape.rank - 1;
                if (ax >= 0 && bv->shape.dim[ax] == n_out)
                    st = slice_const(P, b, ax, out_m);
            }
            continue;
        }
        if (!P->zero_only && is_elementwise_binary(n->op) && y >= 0 && P->dkind[y] != D_NONE) {
            expand(P, y, out_m, cy);
            for (int k = 0; k < n->n_inputs && st == ET_OK; k++) {
                const et_value *v = &g->values[n->inputs[k]];
                int ax = v->kind == ET_VAL_CONST ? const_chan_axis(v, g->values[y].shape.rank) : -1;
                if (ax >= 0 && v->shape.dim[ax] == cy)
                    st = slice_const(P, n->inputs[k], ax, out_m);
            }
        }
    }
    free(in_m), free(out_m);
    return st;
}

struct et_chan_plan {
    chp P;
};

static void chp_free(chp *P) {
    if (P->mask)
        for (int s = 0; s < P->n_sp; s++)
            free(P->mask[s]);
    if (P->energy)
        for (int s = 0; s < P->n_sp; s++)
            free(P->energy[s]);
    free(P->energy);
    free(P->mask), free(P->kept), free(P->parent), free(P->size), free(P->why);
    free(P->dkind), free(P->dspace), free(P->dnode), free(P->node_space);
    memset(P, 0, sizeof *P);
}

/* Adds per-channel values of value v (len channels, e.g. a consumer's input) to the scores of the spaces its
 * channels come from: the inverse of expand(). */
static void accumulate(chp *P, int v, const double *vals, int64_t len) {
    if (P->dkind[v] == D_SPACE) {
        int s = find(P, P->dspace[v]);
        if (!P->why[s][0] && P->energy[s] && P->size[s] == len)
            for (int64_t i = 0; i < len; i++)
                P->energy[s][i] += vals[i];
    } else if (P->dkind[v] == D_CONCAT) {
        const et_node *n = &P->g->nodes[P->dnode[v]];
        int64_t at = 0;
        for (int k = 0; k < n->n_inputs && at < len; k++) {
            int64_t ck = chan_dim(&P->g->values[n->inputs[k]]);
            accumulate(P, n->inputs[k], vals + at, ck);
            at += ck;
        }
    } else if (P->dkind[v] == D_FLAT) {
        int src = P->g->nodes[P->dnode[v]].inputs[0];
        int64_t ch = chan_dim(&P->g->values[src]), per = ch > 0 ? len / ch : 0;
        double *sum = ch > 0 ? calloc((size_t)ch, sizeof *sum) : NULL;
        if (!sum)
            return;
        for (int64_t i = 0; i < ch * per; i++)
            sum[i / per] += vals[i];
        accumulate(P, src, sum, ch);
        free(sum);
    }
}

/* Scores from the consumers' measured scores (ctx->chan_energy: a greedy's error at each channel's removal, or
 * each channel's own energy), each consumer normalised to a total of 1 so that consumers of one space weigh
 * alike; with one consumer the order is its greedy's. Spaces no measured consumer reads keep the filter L1 norm. */
static et_status energy_scores(chp *P) {
    const et_tune_ctx *c = P->c;
    if (!c->chan_energy)
        return ET_OK;
    P->energy = calloc((size_t)P->n_sp + 1, sizeof *P->energy);
    bool *used = calloc((size_t)P->n_sp + 1, sizeof *used);
    if (!P->energy || !used) {
        free(used);
        return et_fail(c->err, ET_E_NOMEM, "out of memory pruning channels");
    }
    for (int s = 0; s < P->n_sp; s++)
        if (find(P, s) == s && !P->why[s][0] && !(P->energy[s] = calloc((size_t)P->size[s], sizeof(double)))) {
            free(used);
            return et_fail(c->err, ET_E_NOMEM, "out of memory pruning channels");
        }
    for (int l = 0; l < c->n_layers; l++) {
        const double *e = c->chan_energy[l];
        if (!e)
            continue;
        const et_wlayer *L = &c->layers[l];
        int x = P->g->nodes[L->node].inputs[0];
        int64_t n_in = L->kind == ET_WL_CONV ? L->view.per_ch / L->ksize : L->view.per_ch;
        double total = 0.0;
        for (int64_t i = 0; i < n_in; i++)
            total += e[i];
        if (!(total > 0.0))
            continue;
        double *norm = malloc((size_t)n_in * sizeof *norm);
        if (!norm) {
            free(used);
            return et_fail(c->err, ET_E_NOMEM, "out of memory pruning channels");
        }
        for (int64_t i = 0; i < n_in; i++)
            norm[i] = e[i] / total;
        accumulate(P, x, norm, n_in);
        free(norm);
        if (P->dkind[x] == D_SPACE)
            used[find(P, P->dspace[x])] = true;
        else
            for (int s = 0; s < P->n_sp; s++) /* through Concat/Flatten: mark what got any score */
                if (P->energy[s])
                    for (int64_t i = 0; i < P->size[s] && !used[s]; i++)
                        used[s] = P->energy[s][i] != 0.0;
    }
    for (int s = 0; s < P->n_sp; s++)
        if (P->energy[s] && !used[s]) {
            free(P->energy[s]);
            P->energy[s] = NULL;
        }
    free(used);
    return ET_OK;
}

/* The analysis's per-value and per-node arrays for P->g; false when out of memory (chp_free frees what was
 * allocated). */
static bool chp_alloc(chp *P) {
    const et_graph *g = P->g;
    P->dkind = malloc(((size_t)g->n_values + 1) * sizeof *P->dkind);
    P->dspace = malloc(((size_t)g->n_values + 1) * sizeof *P->dspace);
    P->dnode = malloc(((size_t)g->n_values + 1) * sizeof *P->dnode);
    P->node_space = malloc(((size_t)g->n_nodes + 1) * sizeof *P->node_space);
    return P->dkind && P->dspace && P->dnode && P->node_space;
}

static et_status plan_begin(et_tune_ctx *c, chp *P, bool zero_only) {
    et_graph *g = c->g;
    et_graph_count_uses(g);
    *P = (chp){.c = c, .g = g, .zero_only = zero_only};
    et_status st = ET_OK;
    if (!chp_alloc(P))
        st = et_fail(c->err, ET_E_NOMEM, "out of memory pruning channels");
    if (st == ET_OK)
        st = analyse(P);
    if (st == ET_OK)
        st = energy_scores(P);
    if (st == ET_OK)
        st = choose(P);
    return st;
}

/* Report: per producing layer, shrunk or why not. */
static void report(chp *P) {
    et_tune_ctx *c = P->c;
    et_graph *g = c->g;
    int shrunk = 0, skipped = 0;
    char list[1024] = "";
    for (int l = 0; l < c->n_layers; l++) {
        int s = P->node_space[c->layers[l].node];
        if (s < 0 && !c->layers[l].depthwise) {
            skipped++;
            et_tune_note(c, false, "%s: channels not pruned: batched MatMul", g->nodes[c->layers[l].node].name);
        }
        if (s < 0)
            continue;
        int r = find(P, s);
        if (P->mask[r]) {
            shrunk++;
            c->pruned[l] = true;
        } else if (P->why[r][0]) {
            skipped++;
            et_tune_note(c, false, "%s: channels not pruned: %s", g->nodes[c->layers[l].node].name, P->why[r]);
            size_t len = strlen(list);
            if (len + 4 < sizeof list)
                snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", g->nodes[c->layers[l].node].name);
        }
    }
    c->rep->n_pruned_layers = shrunk;
    c->rep->n_skipped_layers = skipped;
    if (skipped)
        et_tune_note(c, true, "channel pruning skipped %d layer%s that cannot shrink safely: %s", skipped,
                     skipped == 1 ? "" : "s", list);
}

/* Shapes follow the new weights. */
static et_status reinfer(et_tune_ctx *c) {
    et_status st = et_pass_infer_and_fold(c->g, c->err);
    if (st != ET_OK) {
        et_err_prefix(c->err, "channel pruning: ");
        return st;
    }
    et_graph_count_uses(c->g);
    return et_tune_find_layers(c);
}

et_status et_tune_prune_channels(et_tune_ctx *c) {
    chp P;
    et_status st = plan_begin(c, &P, c->opt->prune_zero_only);
    if (st == ET_OK)
        st = apply(&P);
    if (st == ET_OK)
        report(&P);
    bool zero_only = P.zero_only;
    chp_free(&P);
    if (st != ET_OK || zero_only)
        return st;
    return reinfer(c);
}

et_status et_tune_prune_channels_plan(et_tune_ctx *c, et_chan_plan **out) {
    *out = NULL;
    et_chan_plan *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(c->err, ET_E_NOMEM, "out of memory pruning channels");
    free(c->chan_keep);
    c->chan_keep = calloc((size_t)c->n_layers + 1, sizeof *c->chan_keep);
    et_status st = c->chan_keep ? plan_begin(c, &p->P, true)
                                : et_fail(c->err, ET_E_NOMEM, "out of memory pruning channels");
    if (st == ET_OK)
        st = apply(&p->P);
    if (st != ET_OK) {
        et_chan_plan_free(p);
        return st;
    }
    *out = p;
    return ET_OK;
}

et_status et_tune_prune_channels_shrink(et_tune_ctx *c, et_chan_plan *p) {
    p->P.zero_only = false;
    et_status st = apply(&p->P);
    if (st == ET_OK)
        report(&p->P);
    et_chan_plan_free(p);
    return st == ET_OK ? reinfer(c) : st;
}

void et_chan_plan_free(et_chan_plan *p) {
    if (!p)
        return;
    chp_free(&p->P);
    free(p);
}

et_status et_tune_channel_readers(et_tune_ctx *c, int *group) {
    et_graph *g = c->g;
    chp P = {.c = c, .g = g};
    et_graph_count_uses(g);
    et_status st = ET_OK;
    if (!chp_alloc(&P))
        st = et_fail(c->err, ET_E_NOMEM, "out of memory finding channel groups");
    if (st == ET_OK)
        st = analyse(&P);
    for (int l = 0; l < c->n_layers && st == ET_OK; l++) {
        const et_node *n = &g->nodes[c->layers[l].node];
        int x = n->n_inputs > 0 ? n->inputs[0] : -1;
        int s = x >= 0 && P.dkind[x] == D_SPACE ? find(&P, P.dspace[x]) : -1;
        group[l] = s >= 0 && !P.why[s][0] ? s : -1;
    }
    chp_free(&P);
    return st;
}

int et_tune_channel_groups(const et_graph *pristine, const et_knobs *k, int *group, int max, et_err *err) {
    et_graph *g = et_graph_clone(pristine); /* count_uses writes to the values; the caller's graph stays as is */
    et_tune_options o; /* not read by the analysis (zeroed: tune.c's defaults would make a dependency circle) */
    memset(&o, 0, sizeof o);
    et_tune_report rep;
    memset(&rep, 0, sizeof rep);
    et_knobs plain = *k;
    memset(plain.layers, 0, sizeof plain.layers); /* the groups do not depend on per-layer overrides */
    et_tune_ctx c = {.g = g, .k = &plain, .opt = &o, .rep = &rep, .err = err};
    chp P = {.c = &c, .g = g};
    int n = -1;
    if (!g) {
        et_fail(err, ET_E_NOMEM, "out of memory finding channel groups");
        return -1;
    }
    et_graph_count_uses(g);
    if (!chp_alloc(&P))
        et_fail(err, ET_E_NOMEM, "out of memory finding channel groups");
    else if (et_tune_find_layers(&c) == ET_OK && analyse(&P) == ET_OK) {
        n = 0;
        for (int l = 0; l < c.n_layers && n < max; l++) {
            int s = P.node_space[c.layers[l].node];
            group[n++] = s < 0 || P.why[find(&P, s)][0] ? -1 : find(&P, s);
        }
    }
    chp_free(&P);
    free(c.layers), free(c.keep), free(c.pruned), free(c.owned);
    et_graph_free(g);
    return n;
}
