/* chan_select.c: channel selection by reconstruction error, for channel pruning under --recover full
 * (et_tune_channel_energies, tune_internal.h). One calibration walk through the graph as it is before pruning;
 * for each layer that consumes channels, its input Hessian, and from it the layer's scores (ctx->chan_energy):
 * the refit greedy (chan_greedy.h) on its full Hessian, or the greedy on the output without refit where
 * d > REFIT_MAX_D, or each channel's own energy where the full Hessian would pass the recovery budget. Readers of
 * one channel group (a residual group: all must drop the same channels) are scored alone and prune_channel.c sums
 * their normalised scores.
 *
 * EDGETUNE_CHANSEL compares the choices (edgetune(1)): own, output; joint, where the readers' refit states are
 * held until the last of a group is measured and one greedy chooses for all of them, each reader's error relative
 * to its output energy (chan_greedy.h, et_chan_joint_scores; every reader gets the same scores, so the sum keeps
 * that order; a group whose states would pass half the budget, or with a reader the refit greedy cannot take,
 * is scored as by default); joint-absolute, the same summing the errors as they are. The joint choice is not the
 * default: one-shot it was worse on validation (fmnist_resnet -0.75 pp, fmnist_wide -0.18, fmnist_mbv2 +0.24 of
 * 8,000 images; session 12, edgetune-tune(7) RECOVERY). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/chan_greedy.h"
#include "tune/recover_cache.h"
#include "tune/tune_cache.h"
#include "tune/recover_internal.h"
#include "util/mem.h"

/* Largest Hessian (features) the greedy judges after the refit: it costs about d^3 (a few seconds at 2304, the
 * 3x3 layers of 256 channels); wider layers use the greedy on the output without refit (d^2 per output). */
#define REFIT_MAX_D 2304

typedef enum { SEL_JOINT, SEL_ABSOLUTE, SEL_SUMMED, SEL_OUTPUT, SEL_OWN } chan_sel;

static chan_sel selection(void) {
    const char *s = getenv("EDGETUNE_CHANSEL");
    if (!s)
        return SEL_SUMMED;
    return strcmp(s, "own") == 0              ? SEL_OWN
           : strcmp(s, "output") == 0         ? SEL_OUTPUT
           : strcmp(s, "joint") == 0          ? SEL_JOINT
           : strcmp(s, "joint-absolute") == 0 ? SEL_ABSOLUTE
                                              : SEL_SUMMED;
}

/* Layers whose input channels are scored: every weight layer but grouped convolutions, with its own weights. */
static bool measured(const et_tune_ctx *c, int l) {
    const et_wlayer *L = &c->layers[l];
    return (L->kind != ET_WL_CONV || L->group == 1) && c->g->values[L->weight].n_consumers == 1;
}

static int64_t kernel_of(const et_wlayer *L) { return L->kind == ET_WL_CONV ? L->ksize : 1; }

/* Each input channel's own energy, sum over outputs of w_c^T H_cc w_c (its kernel elements), from the diagonal
 * blocks of H (hs per channel): the choice when the full Hessian does not fit. *out: n_in scores, owned by the
 * caller; ET_E_NOMEM when out of memory. */
static et_status own_energies(et_tune_ctx *c, int l, const et_hess *hs, double **out) {
    const et_wlayer *L = &c->layers[l];
    float *w = et_recover_copy_floats(&c->g->values[L->weight]);
    int64_t kb = hs->d, n_in = hs->groups;
    double *e = calloc((size_t)n_in + 1, sizeof *e);
    if (!w || !e) {
        et_aligned_free(w);
        free(e);
        return et_fail(c->err, ET_E_NOMEM, "out of memory choosing channels");
    }
    for (int64_t o = 0; o < L->view.n_ch; o++)
        for (int64_t ci = 0; ci < n_in; ci++) {
            const double *h = hs->h + ci * kb * kb;
            double s = 0.0;
            for (int64_t a = 0; a < kb; a++) {
                double wa = w[o * L->view.ch_stride + (ci * kb + a) * L->view.el_stride];
                for (int64_t b = 0; b < kb; b++)
                    s += wa * h[a * kb + b] * w[o * L->view.ch_stride + (ci * kb + b) * L->view.el_stride];
            }
            e[ci] += s;
        }
    et_aligned_free(w);
    *out = e;
    return ET_OK;
}

/* Scores in the order of a greedy with cross terms (chan_greedy.h) from the full Hessian (hs, one group): judged
 * after the refit where d allows and `output` is false, else on the output without refit. *out: n_in scores,
 * owned by the caller; ET_E_NOMEM when out of memory. */
static et_status greedy_scores(et_tune_ctx *c, int l, const et_hess *hs, bool output, et_threadpool *pool,
                               double **out) {
    const et_wlayer *L = &c->layers[l];
    int64_t kb = kernel_of(L), n_in = L->view.per_ch / kb;
    if (hs->groups != 1 || hs->d != n_in * kb)
        return et_fail(c->err, ET_E_RUNTIME, "%s: Hessian of %lld features for %lld input channels",
                       c->g->nodes[L->node].name, (long long)hs->d, (long long)n_in);
    float *w = et_recover_copy_floats(&c->g->values[L->weight]);
    double *e = calloc((size_t)n_in + 1, sizeof *e);
    bool ok = w && e;
    bool refit = ok && !output && hs->d <= REFIT_MAX_D &&
                 et_chan_refit_scores(w, L->view.n_ch, L->view.ch_stride, L->view.el_stride, hs->h, n_in, kb, pool, e);
    if (ok && !refit) { /* not asked for, too wide, or H not positive definite: the greedy on the output */
        double *G = malloc((size_t)(n_in * n_in + 1) * sizeof *G);
        ok = G && et_chan_gram(w, L->view.n_ch, L->view.ch_stride, L->view.el_stride, hs->h, n_in, kb, pool, G) &&
             et_chan_greedy_scores(G, n_in, e);
        free(G);
    }
    et_aligned_free(w);
    if (!ok) {
        free(e);
        return et_fail(c->err, ET_E_NOMEM, "out of memory choosing channels");
    }
    *out = e;
    return ET_OK;
}

/* The joint plan: per layer, the group it is a joint reader of (-1: chosen alone) and its held state. */
typedef struct joint_plan {
    int *group;             /* per layer: et_tune_channel_readers' group, then -1 where not joint */
    int *left;              /* per group: joint readers not measured yet */
    et_chan_reader *reader; /* per layer: the state held until the group's last reader (hi NULL: none) */
    int n_groups;
} joint_plan;

static void joint_free(joint_plan *J, int n_layers) {
    if (J->reader)
        for (int l = 0; l < n_layers; l++)
            et_chan_reader_free(&J->reader[l]);
    free(J->group), free(J->left), free(J->reader);
    memset(J, 0, sizeof *J);
}

/* Which layers the joint greedy takes: readers of a group of at least two measured readers, all of which the
 * refit greedy can judge (full Hessian within cap, d <= REFIT_MAX_D), whose states fit half of cap together. */
static et_status joint_begin(et_tune_ctx *c, int64_t cap, joint_plan *J) {
    int n = c->n_layers;
    memset(J, 0, sizeof *J);
    J->group = malloc((size_t)n * sizeof *J->group + 1);
    J->reader = calloc((size_t)n + 1, sizeof *J->reader);
    if (!J->group || !J->reader)
        return et_fail(c->err, ET_E_NOMEM, "out of memory choosing channels");
    et_status st = et_tune_channel_readers(c, J->group);
    if (st != ET_OK)
        return st;
    for (int l = 0; l < n; l++) {
        if (!measured(c, l))
            J->group[l] = -1;
        J->n_groups = J->group[l] + 1 > J->n_groups ? J->group[l] + 1 : J->n_groups;
    }
    J->left = calloc((size_t)J->n_groups + 1, sizeof *J->left);
    int64_t *bytes = calloc((size_t)J->n_groups + 1, sizeof *bytes);
    bool *ok = malloc((size_t)J->n_groups + 1);
    if (!J->left || !bytes || !ok) {
        free(bytes), free(ok);
        return et_fail(c->err, ET_E_NOMEM, "out of memory choosing channels");
    }
    memset(ok, 1, (size_t)J->n_groups + 1);
    for (int l = 0; l < n; l++) {
        int s = J->group[l];
        if (s < 0)
            continue;
        const et_wlayer *L = &c->layers[l];
        int64_t kb = kernel_of(L);
        J->left[s]++;
        bytes[s] += et_chan_reader_bytes(L->view.n_ch, L->view.per_ch / kb, kb);
        ok[s] &= L->view.per_ch <= REFIT_MAX_D && et_hess_bytes(c->g, L->node, false) <= cap && kb <= 64;
    }
    for (int l = 0; l < n; l++) {
        int s = J->group[l];
        if (s >= 0 && (!ok[s] || J->left[s] < 2 || bytes[s] > cap / 2))
            J->group[l] = -1;
    }
    free(bytes), free(ok);
    return ET_OK;
}

/* Layer l of group s measured (its Hessian in hs): its state joins the group's; at the last reader, the joint
 * greedy fills chan_energy for all of them. A reader whose state cannot be made (H not positive definite) is
 * chosen alone, by the greedy on its output. ET_E_NOMEM. */
static et_status joint_add(et_tune_ctx *c, joint_plan *J, int l, const et_hess *hs, bool relative,
                           et_threadpool *pool) {
    const et_wlayer *L = &c->layers[l];
    int s = J->group[l];
    int64_t kb = kernel_of(L), n_in = L->view.per_ch / kb;
    float *w = et_recover_copy_floats(&c->g->values[L->weight]);
    if (!w)
        return et_fail(c->err, ET_E_NOMEM, "out of memory choosing channels");
    bool made = hs->groups == 1 && hs->d == n_in * kb &&
                et_chan_reader_init(&J->reader[l], w, L->view.n_ch, L->view.ch_stride, L->view.el_stride, hs->h, n_in,
                                    kb, relative, pool);
    et_aligned_free(w);
    et_status st = made ? ET_OK : greedy_scores(c, l, hs, true, pool, &c->chan_energy[l]);
    if (st != ET_OK || --J->left[s] > 0)
        return st;
    int k = 0;
    et_chan_reader *rs = malloc((size_t)c->n_layers * sizeof *rs + 1);
    double *e = calloc((size_t)n_in + 1, sizeof *e);
    for (int m = 0; rs && m < c->n_layers; m++)
        if (J->group[m] == s && J->reader[m].hi)
            rs[k++] = J->reader[m];
    bool ok = rs && e && (k == 0 || et_chan_joint_scores(rs, k, relative, pool, e));
    for (int m = 0; m < c->n_layers && ok; m++)
        if (J->group[m] == s && J->reader[m].hi) {
            et_chan_reader_free(&J->reader[m]);
            if (!(c->chan_energy[m] = malloc((size_t)n_in * sizeof *e + 1)))
                ok = false;
            else
                memcpy(c->chan_energy[m], e, (size_t)n_in * sizeof *e);
        }
    free(rs), free(e);
    return ok ? ET_OK : et_fail(c->err, ET_E_NOMEM, "out of memory choosing channels");
}

/* The scores depend on the graph before pruning (the pristine model's), the calibration set and the choice only:
 * a sensitivity analysis asks for them at every channel point, so they are cached, every layer's in one blob
 * (per layer its count of scores, 0 for none, then the scores). The joint choices (a test of choices) are not. */
static void energies_key(const et_tune_ctx *c, const et_calib_set *calib, chan_sel sel, char *key, size_t len) {
    snprintf(key, len, "chanE|%016llx|%d|%d|%d", (unsigned long long)et_recover_calib_fingerprint(calib),
             c->g->n_values, c->n_layers, (int)sel);
}

static int64_t n_scores(const et_tune_ctx *c, int l) {
    const et_wlayer *L = &c->layers[l];
    return L->view.per_ch / kernel_of(L);
}

static bool energies_cached(et_tune_ctx *c, const char *key) {
    size_t bytes = 0, pos = 0;
    const char *d = et_tune_cache_get(c->opt->cache, key, &bytes);
    if (!d)
        return false;
    for (int l = 0; l < c->n_layers; l++) {
        int64_t n;
        if (pos + sizeof n > bytes)
            return false;
        memcpy(&n, d + pos, sizeof n);
        pos += sizeof n;
        if (n == 0)
            continue;
        if (n != n_scores(c, l) || pos + (size_t)n * sizeof(double) > bytes ||
            !(c->chan_energy[l] = malloc((size_t)(n + 1) * sizeof(double))))
            return false; /* the caller measures them (what was copied is freed with the context) */
        memcpy(c->chan_energy[l], d + pos, (size_t)n * sizeof(double));
        pos += (size_t)n * sizeof(double);
    }
    return true;
}

static void energies_store(et_tune_ctx *c, const char *key) {
    size_t bytes = 0, pos = 0;
    for (int l = 0; l < c->n_layers; l++)
        bytes += sizeof(int64_t) + (c->chan_energy[l] ? (size_t)n_scores(c, l) * sizeof(double) : 0);
    char *d = malloc(bytes);
    for (int l = 0; d && l < c->n_layers; l++) {
        int64_t n = c->chan_energy[l] ? n_scores(c, l) : 0;
        memcpy(d + pos, &n, sizeof n);
        pos += sizeof n;
        if (n)
            memcpy(d + pos, c->chan_energy[l], (size_t)n * sizeof(double));
        pos += (size_t)n * sizeof(double);
    }
    if (d)
        et_tune_cache_put_owned(c->opt->cache, key, d, bytes);
}

et_status et_tune_channel_energies(et_tune_ctx *c, const et_calib_set *calib) {
    et_graph *g = c->g;
    et_status st = ET_OK;
    if (!calib || calib->n_sets < 1)
        return et_fail(c->err, ET_E_INPUT, "--recover needs calibration inputs (--calib DIR of .npy files)");
    if ((st = et_recover_check_inputs(calib, c->err)) != ET_OK)
        return st;
    free(c->chan_energy);
    c->chan_energy = calloc((size_t)c->n_layers + 1, sizeof *c->chan_energy);
    if (!c->chan_energy)
        return et_fail(c->err, ET_E_NOMEM, "out of memory choosing channels");
    chan_sel sel = selection();
    char key[160];
    bool cache = c->opt->cache && sel != SEL_JOINT && sel != SEL_ABSOLUTE;
    if (cache) {
        energies_key(c, calib, sel, key, sizeof key);
        if (energies_cached(c, key))
            return ET_OK;
        for (int l = 0; l < c->n_layers; l++) { /* a partial copy: measured again */
            free(c->chan_energy[l]);
            c->chan_energy[l] = NULL;
        }
    }
    et_graph_count_uses(g);
    et_recover_run R = {.c = c, .calib = calib};
    et_err perr = {0};
    int threads = et_recover_threads(c->opt);
    if (threads > 1)
        R.pool = et_threadpool_create(threads, &perr);
    int64_t cap = c->opt->recover_hold_bytes > 0 ? c->opt->recover_hold_bytes : (int64_t)256 << 20;
    joint_plan J = {0};
    if ((sel == SEL_JOINT || sel == SEL_ABSOLUTE) && (st = joint_begin(c, cap, &J)) != ET_OK)
        goto done;
    if ((st = et_calib_walk_new(g, calib, threads, cap, &R.walk, c->err)) != ET_OK)
        goto done;
    for (int l = 0; l < c->n_layers && st == ET_OK; l++) {
        const et_wlayer *L = &c->layers[l];
        if (!measured(c, l))
            continue;
        const et_node *node = &g->nodes[L->node];
        int x = node->inputs[0];
        /* the full Hessian (cross terms between channels) when it fits the budget, else its diagonal blocks */
        bool full = sel != SEL_OWN && et_hess_bytes(g, L->node, false) <= cap;
        if ((st = et_hess_init(&R.hs, g, L->node, !full, c->err)) != ET_OK)
            break;
        if ((st = et_calib_walk_to(R.walk, g, L->node, &x, 1, et_recover_add_input, &R, c->opt->cancel, c->err)) !=
            ET_OK) {
            et_hess_free(&R.hs);
            break;
        }
        et_hess_finish(&R.hs);
        if (J.group && J.group[l] >= 0)
            st = joint_add(c, &J, l, &R.hs, sel == SEL_JOINT, R.pool);
        else if (full)
            st = greedy_scores(c, l, &R.hs, sel == SEL_OUTPUT, R.pool, &c->chan_energy[l]);
        else
            st = own_energies(c, l, &R.hs, &c->chan_energy[l]);
        et_hess_free(&R.hs);
    }
    if (st == ET_OK && cache)
        energies_store(c, key);
done:
    joint_free(&J, c->n_layers);
    et_calib_walk_free(R.walk);
    et_threadpool_destroy(R.pool);
    return st;
}
