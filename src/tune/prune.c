/* prune.c: weight pruning that keeps shapes: magnitude (per layer or one global threshold) and N:M.
 *
 * Magnitude: the k = floor(ratio * n) weights of smallest |w| become 0, with the threshold found by selection
 * (radix select, O(n)) instead of a sort; ties at the threshold are broken by position so exactly k go. The
 * passes over the weights are branch-free so they vectorise (ResNet-50 has 25 M weights).
 * Global: one threshold over every eligible layer, so layers with many small weights lose more.
 * N:M: in every group of M consecutive input channels (at each output channel and kernel position: the
 * reduction axis the sparse kernels walk), the N largest |w| stay; a last partial group of t channels keeps
 * ceil(N t / M). The ratio knob only switches N:M on: the sparsity is 1 - N/M. Depthwise convolutions (one
 * input channel per filter) have no such groups and are skipped.
 *
 * The zeros stay in dense tensors; whether a sparse kernel runs them is decided per layer when the plan is
 * made, where it is measured (the result names the kernel that ran). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/operators/spconv.h"
#include "tune/tune_internal.h"

static int64_t numel_of(const et_graph *g, int v) { return et_shape_numel(&g->values[v].shape); }

/* Counts the |w| below thr and equal to thr (one vectorisable pass). */
static void count_around(const float *w, int64_t n, float thr, int64_t *below, int64_t *equal) {
    int64_t b = 0, e = 0;
    for (int64_t i = 0; i < n; i++) {
        float a = fabsf(w[i]);
        b += a < thr;
        e += a == thr;
    }
    *below += b;
    *equal += e;
}

/* Zeroes every |w| below thr, or at most thr when `with_ties` (branch-free, vectorisable). */
static void zero_up_to(float *w, int64_t n, float thr, bool with_ties) {
    if (with_ties) {
        for (int64_t i = 0; i < n; i++)
            w[i] = fabsf(w[i]) <= thr ? 0.0f : w[i];
    } else {
        for (int64_t i = 0; i < n; i++)
            w[i] = fabsf(w[i]) < thr ? 0.0f : w[i];
    }
}

/* Zeroes the first k_left weights with |w| == thr (ties broken by position); returns how many. */
static int64_t zero_ties(float *w, int64_t n, float thr, int64_t k_left) {
    int64_t done = 0;
    for (int64_t i = 0; i < n && done < k_left; i++)
        if (w[i] != 0.0f && fabsf(w[i]) == thr) {
            w[i] = 0.0f;
            done++;
        }
    return done;
}

static int64_t count_zeros(const float *w, int64_t n) {
    int64_t z = 0;
    for (int64_t i = 0; i < n; i++)
        z += w[i] == 0.0f;
    return z;
}

/* The run's notes: the allocation's spread; its detail: every layer's share (so `show` says what was pruned). */
static void note_alloc(et_tune_ctx *c, const int64_t *alloc) {
    bool quiet = c->quiet; /* an int8 run's notes come from its plain run, which prunes uniformly: say it here */
    c->quiet = false;
    double lo = 1.0, hi = 0.0, lo_dw = 1.0, hi_dw = 0.0;
    int64_t gone = 0, total = 0;
    char list[2048] = "";
    size_t at = 0;
    for (int l = 0; l < c->n_layers; l++) {
        if (c->keep[l])
            continue;
        int64_t n = numel_of(c->g, c->layers[l].weight);
        double r = n ? (double)alloc[l] / (double)n : 0.0;
        gone += alloc[l], total += n;
        lo = r < lo ? r : lo, hi = r > hi ? r : hi;
        if (c->layers[l].depthwise)
            lo_dw = r < lo_dw ? r : lo_dw, hi_dw = r > hi_dw ? r : hi_dw;
        if (at < sizeof list)
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%s %.0f %%", at ? ", " : "",
                                   c->g->nodes[c->layers[l].node].name, 100.0 * r);
    }
    char dw[64] = "";
    if (hi_dw >= lo_dw)
        snprintf(dw, sizeof dw, ", depthwise %.0f-%.0f %%", 100.0 * lo_dw, 100.0 * hi_dw);
    et_tune_note(c, true,
                 "pruning for full recovery: %.1f %% of the %lld eligible weights shared out by Erdos-Renyi-kernel "
                 "allocation, %.0f-%.0f %% per layer%s",
                 total ? 100.0 * (double)gone / (double)total : 0.0, (long long)total, 100.0 * lo, 100.0 * hi, dw);
    et_tune_note(c, false, "pruned per layer: %s", list);
    c->quiet = quiet;
}

static et_status prune_magnitude(et_tune_ctx *c, bool global) {
    et_graph *g = c->g;
    int64_t total = 0, biggest = 0;
    for (int l = 0; l < c->n_layers; l++) {
        if (c->keep[l])
            continue;
        int64_t n = numel_of(g, c->layers[l].weight);
        total += n;
        biggest = n > biggest ? n : biggest;
    }
    if (total == 0)
        return ET_OK;
    float *scratch = malloc((size_t)(global ? total : biggest) * sizeof *scratch);
    if (!scratch)
        return et_fail(c->err, ET_E_NOMEM, "out of memory pruning");
    double ratio = (double)c->k->prune_ratio;
    et_status st = ET_OK;
    if (global) {
        int64_t at = 0;
        for (int l = 0; l < c->n_layers; l++) {
            if (c->keep[l])
                continue;
            const float *w = et_tune_readable(c, c->layers[l].weight);
            int64_t n = numel_of(g, c->layers[l].weight);
            if (!w) {
                free(scratch);
                return et_fail(c->err, ET_E_NOMEM, "out of memory pruning");
            }
            for (int64_t i = 0; i < n; i++)
                scratch[at + i] = fabsf(w[i]);
            at += n;
        }
        int64_t k = (int64_t)(ratio * (double)total);
        if (k > 0) {
            float thr = et_select_kth(scratch, total, k - 1);
            float **ws = calloc((size_t)c->n_layers, sizeof *ws);
            if (!ws) {
                free(scratch);
                return et_fail(c->err, ET_E_NOMEM, "out of memory pruning");
            }
            int64_t below = 0, equal = 0;
            for (int l = 0; l < c->n_layers && st == ET_OK; l++) {
                if (c->keep[l])
                    continue;
                if (!(ws[l] = et_tune_writable(c, c->layers[l].weight))) {
                    st = et_fail(c->err, ET_E_NOMEM, "out of memory pruning");
                    break;
                }
                c->pruned[l] = true;
                count_around(ws[l], numel_of(g, c->layers[l].weight), thr, &below, &equal);
            }
            /* exactly k go: all below the threshold, then ties in layer and position order */
            bool all_ties = below + equal == k;
            int64_t left = k - below;
            for (int l = 0; l < c->n_layers && st == ET_OK; l++)
                if (ws[l])
                    zero_up_to(ws[l], numel_of(g, c->layers[l].weight), thr, all_ties);
            for (int l = 0; l < c->n_layers && st == ET_OK && !all_ties && left > 0; l++)
                if (ws[l])
                    left -= zero_ties(ws[l], numel_of(g, c->layers[l].weight), thr, left);
            free(ws);
        }
    } else {
        /* full recovery: the same total shared out unevenly (prune_alloc.c); otherwise the ratio per layer */
        int64_t *alloc = NULL;
        if (c->k->recover == ET_RECOVER_FULL && c->k->prune_method == ET_PRUNE_UNSTRUCTURED &&
            c->opt->recover_prune_alloc && !(alloc = et_tune_prune_alloc(c, ratio))) {
            free(scratch);
            return et_fail(c->err, ET_E_NOMEM, "out of memory pruning");
        }
        for (int l = 0; l < c->n_layers && st == ET_OK; l++) {
            if (c->keep[l])
                continue;
            int64_t n = numel_of(g, c->layers[l].weight);
            int64_t k = alloc ? alloc[l] : (int64_t)(ratio * (double)n);
            if (k <= 0)
                continue;
            float *w = et_tune_writable(c, c->layers[l].weight);
            if (!w) {
                st = et_fail(c->err, ET_E_NOMEM, "out of memory pruning");
                break;
            }
            for (int64_t i = 0; i < n; i++)
                scratch[i] = fabsf(w[i]);
            c->pruned[l] = true;
            float thr = et_select_kth(scratch, n, k - 1);
            int64_t below = 0, equal = 0;
            count_around(w, n, thr, &below, &equal);
            zero_up_to(w, n, thr, below + equal == k);
            if (below + equal != k)
                zero_ties(w, n, thr, k - below);
        }
        if (alloc && st == ET_OK)
            note_alloc(c, alloc);
        free(alloc);
    }
    free(scratch);
    return st;
}

/* Keeps the `keep` largest |w| of the m elements w[0], w[s], ..., zeroing the rest (ties: lower index stays). */
static void nm_group(float *w, int64_t s, int m, int keep) {
    float mag[16];
    for (int i = 0; i < m; i++)
        mag[i] = fabsf(w[i * s]);
    for (int i = 0; i < m; i++) {
        int larger = 0; /* elements that rank before i */
        for (int j = 0; j < m; j++)
            larger += mag[j] > mag[i] || (mag[j] == mag[i] && j < i);
        if (larger >= keep)
            w[i * s] = 0.0f;
    }
}

static et_status prune_nm(et_tune_ctx *c) {
    et_graph *g = c->g;
    int N = c->k->nm_n, M = c->k->nm_m;
    for (int l = 0; l < c->n_layers; l++) {
        const et_wlayer *L = &c->layers[l];
        if (c->keep[l])
            continue;
        if (L->depthwise) {
            c->rep->n_skipped_layers++;
            et_tune_note(c, false, "%s: depthwise, no %d:%d groups (not pruned)", g->nodes[L->node].name, N, M);
            continue;
        }
        float *w = et_tune_writable(c, L->weight);
        if (!w)
            return et_fail(c->err, ET_E_NOMEM, "out of memory pruning");
        c->pruned[l] = true;
        /* reduction index i = ic * ksize + kpos (Conv) or k (Gemm/MatMul): groups of M input channels at a
         * fixed kernel position are M elements ksize apart in i */
        int64_t in_ch = L->view.per_ch / L->ksize;
        for (int64_t o = 0; o < L->view.n_ch; o++) {
            float *row = w + o * L->view.ch_stride;
            int64_t es = L->view.el_stride;
            for (int64_t kp = 0; kp < L->ksize; kp++)
                for (int64_t ic = 0; ic < in_ch; ic += M) {
                    int m = (int)(in_ch - ic < M ? in_ch - ic : M);
                    int keep = m == M ? N : (N * m + M - 1) / M;
                    nm_group(row + (ic * L->ksize + kp) * es, L->ksize * es, m, keep);
                }
        }
    }
    return ET_OK;
}

et_status et_tune_prune_weights(et_tune_ctx *c) {
    const et_knobs *k = c->k;
    et_status st;
    if (k->prune_method == ET_PRUNE_NM)
        st = prune_nm(c);
    else
        st = prune_magnitude(c, k->prune_method == ET_PRUNE_GLOBAL);
    if (st != ET_OK)
        return st;
    int64_t zeros = 0, total = 0;
    for (int l = 0; l < c->n_layers; l++) {
        if (!c->pruned[l])
            continue;
        int v = c->layers[l].weight;
        int64_t n = numel_of(c->g, v);
        const float *w = et_tune_readable(c, v); /* pruned layers are graph-owned (aligned) already */
        if (!w)
            return et_fail(c->err, ET_E_NOMEM, "out of memory pruning");
        zeros += count_zeros(w, n);
        total += n;
        c->rep->n_pruned_layers++;
    }
    c->rep->sparsity = total ? (double)zeros / (double)total : 0.0;
    /* which pruned layers the engine will run sparse: the predicate et.ConvNhwc and Gemm/MatMul use */
    int pointwise = 0, sparse = 0;
    for (int l = 0; l < c->n_layers; l++) {
        const et_wlayer *L = &c->layers[l];
        const et_node *n = &c->g->nodes[L->node];
        if (!c->pruned[l] || L->group != 1 || (L->kind == ET_WL_CONV && L->ksize != 1))
            continue;
        const et_value *x = &c->g->values[n->inputs[0]], *y = &c->g->values[n->outputs[0]];
        int64_t rows;
        if (L->kind == ET_WL_CONV) {
            int64_t stride = 1;
            int cnt = 0;
            const int64_t *strides = et_node_attr_ints(n, "strides", &cnt);
            for (int i = 0; i < cnt; i++)
                stride *= strides[i];
            if (stride != 1 || y->shape.rank != 4)
                continue;
            rows = y->shape.dim[0] * y->shape.dim[2] * y->shape.dim[3];
        } else {
            rows = et_shape_numel(&x->shape) / L->view.per_ch;
        }
        pointwise++;
        const float *w = et_tune_readable(c, L->weight);
        if (!w)
            return et_fail(c->err, ET_E_NOMEM, "out of memory pruning");
        size_t nnz = et_spconv_count_nonzeros(w, (size_t)L->view.n_ch, (size_t)L->view.per_ch,
                                              (size_t)L->view.ch_stride, (size_t)L->view.el_stride);
        sparse += et_spconv_nhwc_faster((size_t)rows, (size_t)L->view.per_ch, (size_t)L->view.n_ch, nnz);
    }
    if (pointwise && c->k->act_bits == 32)
        et_tune_note(c, true,
                     "sparse kernels for %d of %d pruned 1x1/fully-connected layers (the others run "
                     "dense: not faster at their shape and sparsity)",
                     sparse, pointwise);
    else if (c->k->act_bits == 8)
        et_tune_note(c, true, "int8 layers run their zeros dense (no int8 sparse kernels)");
    return ET_OK;
}
