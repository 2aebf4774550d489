/* speed_guard.c: int8 is never slower than float32 here (issue: honesty as a rule).
 *
 * Before a layer runs int8, it is measured: the float32 plan and the all-int8 plan of the same (pruned) graph are
 * built with per-layer profiling and run alternately, one inference of each per round (one warm-up, then at least
 * ET_GUARD_MIN_RUNS rounds, more for small models: about GUARD_TARGET_MS of float32 time, at most
 * GUARD_MAX_RUNS). Each layer's decision is the paired rule of src/stats/ab.h (et_ab_paired) on its per-round
 * times, float32 as the baseline: a layer stays float32 only when int8 is SIGNIFICANTLY slower (p < 0.05) by at
 * least the min effect (3 %); otherwise it runs int8.
 *
 * A layer's own step is not the whole price of keeping it float32 in a graph that is otherwise int8: it needs an
 * et.Dequantize before it and an et.Quantize after it, and operators that were int8 because their producers were
 * (the squeeze-excitation pooling and Mul, a residual Add) fall back to float32 with it. So the layers the first
 * look keeps are looked at again in the mixed graph they make: the float32, the all-int8 and the mixed plan run in
 * the same rounds, and each float run of the mixed graph (connected float32 operators and conversions; adjacent
 * kept layers share one) is judged as a whole by the same paired rule: its float32 steps plus its conversions
 * against the int8 steps of the same nodes plus the conversions the int8 graph has there
 * (et_tune_guard_keeps_fp32_run). A run that is not significantly faster WITH its conversions goes back to int8,
 * all its layers together (judging a run as one avoids an order in which neighbours decide). Then the plan with
 * the remaining int8 layers is timed as a whole against float32 the same way; only if the whole int8 model is
 * significantly slower does every layer stay float32.
 *
 * Why rounds and a test, not the fastest run of each: this VM runs the same work at two speeds for seconds at a
 * time (and at load 13-22 the minimum of 3 runs judged whole int8 models slower and kept every layer fp32, a
 * decision that could flip between runs of the same configuration). Both plans run inside one round, so a slow
 * spell hits both or shows as one round's spread; the test says whether the per-round ratios lean one way.
 *
 * Why int8 unless float32 is significantly faster (and not the other way round): int8 is what the user asked for
 * and what an edge deployment runs, and the guard's promise is that int8 is never SLOWER here. Where the two are
 * within noise, the decision then stays "int8" run after run, whereas "float32 unless int8 is significantly
 * faster" would decide the same ambiguous layers by the same test but against the user's choice. (Such a layer
 * costs accuracy for no speed; the fidelity columns show what the whole model costs.) Layers whose true ratio is
 * near the 3 % margin can still fall on either side between sessions.
 *
 * The note lists each kept layer by run with the run's medians (int8; float32 + conversions) and p, so the decision
 * can be checked; the detail adds each layer's own-step medians and the runs sent back to int8. Decisions are cached
 * per (bits class, pruning, threads, layer choice): the same configuration gives the same graph every time it is
 * derived in a session. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/plan.h"
#include "stats/ab.h"
#include "stats/stats.h"
#include "tune/tune_cache.h"
#include "tune/tune_internal.h"

/* Rounds of the guard: at least ET_GUARD_MIN_RUNS (the signed-rank test needs 6 for p < 0.05; 15 give it room
 * for a few rounds a spell splits), more for small models up to about GUARD_TARGET_MS of float32 time per plan, at
 * most GUARD_MAX_RUNS. */
enum { ET_GUARD_MIN_RUNS = 15, GUARD_MAX_RUNS = 200 };
#define GUARD_TARGET_MS 40.0

typedef struct timed {
    et_plan *plan;
    int n_steps, runs, done;
    double *step_ms;  /* [run * n_steps + step]: each round's time of each step */
    double *total_ms; /* [run]: each round's sum over steps */
} timed;

static et_status make_timed(et_tune_ctx *c, const et_graph *g, timed *t) {
    et_plan_options po = et_plan_options_default();
    po.threads = c->k->threads;
    po.profile_layers = true;
    po.fixed_splits = true; /* its few runs time layers as their operators split them, not a deciding plan's mix */
    et_status st = et_plan_create(g, &po, &t->plan, c->err);
    if (st != ET_OK)
        return st;
    t->n_steps = et_plan_get_stats(t->plan).n_steps;
    t->runs = GUARD_MAX_RUNS, t->done = 0;
    t->step_ms = malloc((size_t)GUARD_MAX_RUNS * (size_t)(t->n_steps + 1) * sizeof *t->step_ms);
    t->total_ms = malloc((size_t)GUARD_MAX_RUNS * sizeof *t->total_ms);
    if (!t->step_ms || !t->total_ms)
        return et_fail(c->err, ET_E_NOMEM, "out of memory timing layers");
    /* seeded inputs: any values exercise the same kernels */
    for (int i = 0; i < et_plan_n_inputs(t->plan); i++) {
        et_tensor *x = et_plan_input(t->plan, i);
        size_t bytes = (size_t)et_shape_numel(&x->shape) * et_dtype_size(x->dtype);
        memset(x->data, 0, bytes);
        if (x->dtype == ET_DT_F32)
            for (size_t e = 0; e < bytes / 4; e++)
                ((float *)x->data)[e] = (float)((e * 2654435761u) % 1000) / 500.0f - 1.0f;
    }
    return ET_OK;
}

static et_status run_timed(et_tune_ctx *c, timed *t, bool record) {
    et_plan_reset_profile(t->plan);
    et_status st = et_plan_run(t->plan, NULL, c->err);
    if (st != ET_OK || !record || t->done >= t->runs)
        return st;
    double total = 0, *row = t->step_ms + (size_t)t->done * (size_t)t->n_steps;
    for (int i = 0; i < t->n_steps; i++) {
        et_step_info si;
        et_plan_step_info(t->plan, i, &si);
        total += si.time_ms;
        row[i] = si.time_ms;
    }
    t->total_ms[t->done++] = total;
    return ET_OK;
}

static void free_timed(timed *t) {
    et_plan_free(t->plan);
    free(t->step_ms);
    free(t->total_ms);
    memset(t, 0, sizeof *t);
}

/* Per-round times of the step named `name` (the layer keeps its node name through layout and fusion) into out
 * (t->done values); false when absent. */
static bool step_rounds(const timed *t, const char *name, double *out) {
    for (int i = 0; i < t->n_steps; i++) {
        et_step_info si;
        et_plan_step_info(t->plan, i, &si);
        if (strcmp(si.name, name) == 0) {
            for (int r = 0; r < t->done; r++)
                out[r] = t->step_ms[(size_t)r * (size_t)t->n_steps + (size_t)i];
            return true;
        }
    }
    return false;
}

/* Adds to out[0..n) the per-round times of the et.QLut that qgraph.c appends after int8 layer `name` (its
 * activation as a table, named "<name>.lut"), so the layer's int8 time includes the activation its float32 step
 * has fused; nothing when it has none, or when the plan folded the table into the convolution's own step
 * (fuse_nhwc.h), whose time then includes it. scratch holds t->done values. */
static void add_table_rounds(const timed *t, const char *name, int n, double *out, double *scratch) {
    char lut[300];
    snprintf(lut, sizeof lut, "%.240s.lut", name);
    if (!step_rounds(t, lut, scratch))
        return;
    for (int r = 0; r < n && r < t->done; r++)
        out[r] += scratch[r];
}

/* The median of v[0..n) without reordering v (scratch holds n). */
static double median_of(const double *v, int n, double *scratch) {
    memcpy(scratch, v, (size_t)n * sizeof *scratch);
    return et_stats_median_inplace(scratch, n);
}

bool et_tune_guard_keeps_fp32(const double *fp32_ms, const double *int8_ms, int rounds, double *p) {
    et_ab_options o = et_ab_defaults();
    o.resamples = 0; /* no interval: only the verdict is used, for many layers */
    et_ab ab;
    et_ab_paired(fp32_ms, int8_ms, rounds, &o, &ab);
    *p = ab.p;
    return ab.verdict == ET_AB_WORSE;
}

/* Times the float graph against the int8 graph made from cand, both plans alternately (and `also`, an int8 plan
 * timed before, third in each round when not NULL). *trial holds the int8 graph, which q's plan borrows from: free
 * q before it. */
static et_status measure(et_tune_ctx *c, const bool *cand, const float *lo, const float *hi, timed *f, timed *q,
                         et_graph **trial, timed *also) {
    *trial = et_graph_clone(c->g);
    if (!*trial)
        return et_fail(c->err, ET_E_NOMEM, "out of memory timing layers");
    int n_q;
    et_status st = et_tune_build_int8(c, *trial, cand, lo, hi, false, &n_q);
    if (st == ET_OK)
        st = et_graph_compact(*trial, c->err);
    if (st == ET_OK && !f->plan)
        st = make_timed(c, c->g, f);
    if (st == ET_OK)
        st = make_timed(c, *trial, q);
    int runs = c->opt->guard_runs > ET_GUARD_MIN_RUNS ? c->opt->guard_runs : ET_GUARD_MIN_RUNS;
    if (st == ET_OK && (st = run_timed(c, f, false)) == ET_OK)
        st = run_timed(c, q, false);
    if (st == ET_OK) { /* small models: more rounds, about GUARD_TARGET_MS per plan, so microsecond layers compare */
        double one = 0;
        for (int i = 0; i < f->n_steps; i++) {
            et_step_info si;
            et_plan_step_info(f->plan, i, &si);
            one += si.time_ms;
        }
        int want = one > 0 ? (int)(GUARD_TARGET_MS / one) : GUARD_MAX_RUNS;
        runs = want > runs ? want : runs;
        runs = runs < GUARD_MAX_RUNS ? runs : GUARD_MAX_RUNS;
    }
    f->done = 0; /* f is timed again with each trial graph: its rounds pair with this q's */
    if (also)
        also->done = 0;
    for (int r = 0; r < runs && st == ET_OK; r++)
        if ((st = run_timed(c, f, true)) == ET_OK && (st = run_timed(c, q, true)) == ET_OK && also)
            st = run_timed(c, also, true);
    return st;
}

static void drop(timed *q, et_graph **trial) {
    free_timed(q);
    et_graph_free(*trial);
    *trial = NULL;
}

/* One layer's own step: medians of its per-round int8 (with its table) and float32 times, and the paired test's p. */
typedef struct layer_times {
    double q_ms, f_ms, p;
} layer_times;

/* Clears cand[i] for each candidate layer whose int8 step is significantly slower than its float32 step
 * (et_tune_guard_keeps_fp32), with both medians and p in lt[i]. *n_cand counts the candidates, *left those that stay
 * int8. Returns how many were kept float32, -1 when out of memory. */
static int judge_layers(const et_graph *g, bool *cand, const timed *f, const timed *q, layer_times *lt, int *n_cand,
                        int *left) {
    int n = f->done < q->done ? f->done : q->done, kept = 0;
    double *tf = malloc(3u * (size_t)(n > 0 ? n : 1) * sizeof *tf), *tq = tf ? tf + n : NULL, *sc = tq ? tq + n : NULL;
    if (!tf)
        return -1;
    for (int i = 0; i < g->n_nodes; i++) {
        if (!cand[i])
            continue;
        (*n_cand)++;
        if (!step_rounds(q, g->nodes[i].name, tq) || !step_rounds(f, g->nodes[i].name, tf))
            continue; /* not an int8 layer after all (build_int8 says why) */
        add_table_rounds(q, g->nodes[i].name, n, tq, sc);
        double p = NAN;
        if (!et_tune_guard_keeps_fp32(tf, tq, n, &p)) {
            (*left)++;
            continue;
        }
        cand[i] = false;
        kept++;
        lt[i] = (layer_times){median_of(tq, n, sc), median_of(tf, n, sc), p};
    }
    free(tf);
    return kept;
}

bool et_tune_guard_keeps_fp32_run(const double *fp32_ms, const double *conv_ms, const double *int8_ms, int rounds,
                                  double *p) {
    *p = NAN;
    double *with = malloc((size_t)(rounds > 0 ? rounds : 1) * sizeof *with);
    if (!with)
        return false;
    for (int r = 0; r < rounds; r++)
        with[r] = fp32_ms[r] + conv_ms[r];
    bool keep = et_tune_guard_keeps_fp32(with, int8_ms, rounds, p);
    free(with);
    return keep;
}

/* The float runs of the mixed graph m (a layer kept float32 in an otherwise int8 graph): its float-side nodes
 * (float32 operators, et.Quantize, et.Dequantize) joined through the non-constant float32 values between them. A
 * kept layer's run holds the conversions it needs, the operators that fell out of int8 with it (global pooling,
 * the squeeze-excitation Mul, a residual Add) and its neighbours kept float32. run[node] gets the run's number
 * (-1: an int8 node), vrun[value] that of a float32 value's producer or consumer (-1: none). Returns the number of
 * runs, -1 when out of memory. */
static int float_runs(const et_graph *m, int *run, int *vrun) {
    int nn = m->n_nodes, *parent = malloc(((size_t)nn + 1) * sizeof *parent), n_runs = 0;
    if (!parent)
        return -1;
    for (int v = 0; v < m->n_values; v++)
        vrun[v] = -1; /* first: a float-side node touching v */
    for (int i = 0; i < nn; i++) {
        const et_node *n = &m->nodes[i];
        parent[i] = i;
        bool side = !n->dead && (n->op == ET_OP_QUANTIZE || (n->n_outputs > 0 && n->outputs[0] >= 0 &&
                                                             m->values[n->outputs[0]].dtype != ET_DT_I8));
        run[i] = side ? 0 : -1;
        for (int k = 0; side && k < n->n_inputs + n->n_outputs; k++) {
            int v = k < n->n_inputs ? n->inputs[k] : n->outputs[k - n->n_inputs];
            if (v < 0 || m->values[v].dtype != ET_DT_F32 || m->values[v].kind == ET_VAL_CONST)
                continue;
            if (vrun[v] < 0) {
                vrun[v] = i;
                continue;
            }
            int a = vrun[v], b = i; /* union by pointing the later root at the earlier one */
            while (parent[a] != a)
                a = parent[a] = parent[parent[a]];
            while (parent[b] != b)
                b = parent[b] = parent[parent[b]];
            if (a != b)
                parent[a > b ? a : b] = a < b ? a : b;
        }
    }
    for (int i = 0; i < nn; i++) { /* roots come first (a root is its run's smallest node): number them in order */
        if (run[i] < 0)
            continue;
        int r = i;
        while (parent[r] != r)
            r = parent[r];
        run[i] = r == i ? n_runs++ : run[r];
    }
    for (int v = 0; v < m->n_values; v++)
        vrun[v] = vrun[v] >= 0 ? run[vrun[v]] : -1;
    free(parent);
    return n_runs;
}

/* The run (float_runs) of the plan step `name` in the mixed graph m: the node of that name (a layer's table
 * "<n>.lut" counts as node n), else the float32 value that a conversion or layout step is named after
 * ("<v>.quantize", "<v>.dequantize", "<v>.to_nhwc", "<v>.to_nchw", also on v's int8 twin "<v>.q" or its
 * channels-last copy "<v>.nhwc"); -1 when none. *conversion: the step converts or transposes rather than computes. */
static int step_run(const et_graph *m, const int *run, const int *vrun, const char *name, bool *conversion) {
    static const char *const suffix[] = {".lut", ".quantize", ".dequantize", ".to_nhwc", ".to_nchw", ".q", ".nhwc"};
    enum { N_SUFFIX = (int)(sizeof suffix / sizeof *suffix) };
    char buf[300];
    snprintf(buf, sizeof buf, "%s", name);
    const char *last = strrchr(name, '.');
    *conversion = false;
    for (int k = 1; last && k < N_SUFFIX - 2; k++)
        *conversion |= strcmp(last, suffix[k]) == 0;
    bool by_value = false; /* after a conversion's suffix: the rest names a value */
    for (bool stripped = false;; stripped = true) {
        if (by_value) {
            int v = et_graph_find_value(m, buf);
            if (v >= 0 && m->values[v].dtype == ET_DT_F32)
                return vrun[v];
        } else {
            for (int i = 0; i < m->n_nodes; i++)
                if (!m->nodes[i].dead && strcmp(m->nodes[i].name, buf) == 0)
                    return run[i];
        }
        char *dot = strrchr(buf, '.');
        int k = 0;
        while (dot && k < N_SUFFIX && strcmp(dot, suffix[k]) != 0)
            k++;
        if (!dot || k == N_SUFFIX || (stripped && k == 0) || (!by_value && k >= N_SUFFIX - 2))
            return -1;
        by_value |= k > 0;
        *dot = '\0';
    }
}

/* Per-round sums of plan t's steps by run of the mixed graph m: sum[run * n + r] (and conv[...] for the
 * conversion steps alone when not NULL), over the first n rounds. A step's time in a round counts at most
 * STEP_CAP times its median over the rounds: a run sums many steps, so without the cap a preemption by another
 * process (milliseconds, on steps of tens of microseconds) in any one of them decides that round's sum, whereas a
 * slow spell (about 1.6x, for seconds) stays within it and hits both plans of a round. scratch holds 2n. */
#define STEP_CAP 2.0
static void sum_by_run(const timed *t, const et_graph *m, const int *run, const int *vrun, int n, double *sum,
                       double *conv, double *scratch) {
    for (int i = 0; i < t->n_steps; i++) {
        et_step_info si;
        et_plan_step_info(t->plan, i, &si);
        bool is_conv = false;
        int k = step_run(m, run, vrun, si.name, &is_conv);
        if (k < 0 || n < 1)
            continue;
        for (int r = 0; r < n; r++)
            scratch[r] = t->step_ms[(size_t)r * (size_t)t->n_steps + (size_t)i];
        const double cap = STEP_CAP * median_of(scratch, n, scratch + n);
        for (int r = 0; r < n; r++) {
            double ms = scratch[r] < cap ? scratch[r] : cap;
            sum[(size_t)k * (size_t)n + (size_t)r] += ms;
            if (conv && is_conv)
                conv[(size_t)k * (size_t)n + (size_t)r] += ms;
        }
    }
}

static void append_text(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append_text(char *buf, size_t cap, const char *fmt, ...) {
    size_t len = strlen(buf);
    if (len + 8 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
}

/* The second look at the layers judge_layers kept float32: each float run of the mixed graph m (the graph with
 * them float32, timed as mp in the same rounds as the all-int8 plan q) is judged as a whole, its float32 steps plus
 * the conversions and float operators it needs (mp) against the int8 steps of the same nodes and the conversions
 * the int8 graph has there (q), by et_tune_guard_keeps_fp32_run. A run that does not pay for its conversions goes
 * back to int8: cand[i] is set again for its kept layers (kept[i] cleared). The runs that stay float32 are listed
 * in layers (cap bytes) with the numbers that decided them, the layers sent back in back. Returns how many layers
 * went back to int8, -1 when out of memory. */
static int judge_runs(const et_graph *g, bool *cand, bool *kept, const et_graph *m, const timed *mp, const timed *q,
                      char *layers, size_t cap, char *back, size_t back_cap) {
    int n = mp->done < q->done ? mp->done : q->done, n_back = 0;
    int *run = malloc(((size_t)m->n_nodes + 1) * sizeof *run), *vrun = malloc(((size_t)m->n_values + 1) * sizeof *vrun);
    int n_runs = run && vrun ? float_runs(m, run, vrun) : -1;
    size_t cells = (size_t)(n_runs > 0 ? n_runs : 1) * (size_t)(n > 0 ? n : 1);
    double *fs = n_runs >= 0 ? calloc(3 * cells + 2 * (size_t)(n > 0 ? n : 1), sizeof *fs) : NULL,
           *cs = fs ? fs + cells : NULL, *qs = cs ? cs + cells : NULL, *sc = qs ? qs + cells : NULL;
    int *of = malloc(((size_t)g->n_nodes + 1) * sizeof *of); /* kept layer -> its run */
    if (!fs || !of) {
        free(run), free(vrun), free(fs), free(of);
        return -1;
    }
    sum_by_run(mp, m, run, vrun, n, fs, cs, sc);
    sum_by_run(q, m, run, vrun, n, qs, NULL, sc);
    for (int i = 0; i < g->n_nodes; i++) {
        of[i] = -1;
        for (int j = 0; kept[i] && j < m->n_nodes; j++)
            if (!m->nodes[j].dead && strcmp(m->nodes[j].name, g->nodes[i].name) == 0)
                of[i] = run[j];
    }
    for (int k = 0; k < n_runs; k++) {
        int members = 0;
        for (int i = 0; i < g->n_nodes; i++)
            members += of[i] == k;
        if (!members)
            continue; /* a float run no kept layer made (the first and last layers, a graph input's conversion) */
        double p = NAN, *f = fs + (size_t)k * (size_t)n, *cv = cs + (size_t)k * (size_t)n,
               *qq = qs + (size_t)k * (size_t)n;
        for (int r = 0; r < n; r++)
            f[r] -= cv[r]; /* the float32 steps alone: the conversions are added back by the rule */
        bool stays = et_tune_guard_keeps_fp32_run(f, cv, qq, n, &p);
        double q_ms = median_of(qq, n, sc), f_ms = median_of(f, n, sc), c_ms = median_of(cv, n, sc);
        char *out = stays ? layers : back;
        size_t out_cap = stays ? cap : back_cap;
        append_text(out, out_cap, "%s", out[0] ? "; " : "");
        for (int i = 0, listed = 0; i < g->n_nodes; i++) {
            if (of[i] != k)
                continue;
            append_text(out, out_cap, "%s%s", listed++ ? ", " : "", g->nodes[i].name);
            if (!stays) {
                cand[i] = true;
                kept[i] = false;
                n_back++;
            }
        }
        append_text(out, out_cap, " (int8 %.3f ms, fp32 %.3f + conversions %.3f ms, p %.2g)", q_ms, f_ms, c_ms, p);
    }
    free(run), free(vrun), free(fs), free(of);
    return n_back;
}

/* The whole model's verdict: the paired rule on each round's total of the float32 and the int8 plan. */
typedef struct model_verdict {
    bool slower; /* int8 significantly slower: every layer stays float32 */
    double p;
    int rounds;
    double f_ms, q_ms; /* medians of the rounds' totals */
} model_verdict;

static et_status judge_model(et_tune_ctx *c, const timed *f, const timed *q, model_verdict *mv) {
    int n = f->done < q->done ? f->done : q->done;
    double *sc = malloc((size_t)(n > 0 ? n : 1) * sizeof *sc);
    if (!sc)
        return et_fail(c->err, ET_E_NOMEM, "out of memory timing layers");
    mv->slower = et_tune_guard_keeps_fp32(f->total_ms, q->total_ms, n, &mv->p);
    mv->rounds = n;
    mv->f_ms = median_of(f->total_ms, n, sc);
    mv->q_ms = median_of(q->total_ms, n, sc);
    free(sc);
    return ET_OK;
}

et_status et_tune_speed_guard(et_tune_ctx *c, bool *cand, const float *lo, const float *hi, bool *all_fp32) {
    et_graph *g = c->g;
    const et_knobs *k = c->k;
    *all_fp32 = false;
    int nn = g->n_nodes;
    char key[192];
    snprintf(key, sizeof key, "guard|%d|%d|%.6f|%d|%d:%d|%d|%d|L%016llx", nn, k->weight_bits == 4 ? 4 : 8,
             (double)k->prune_ratio, (int)k->prune_method, k->nm_n, k->nm_m, k->threads, k->quantize_all ? 1 : 0,
             et_tune_layers_hash(k)); /* L: per-layer overrides */
    size_t bytes = 0;
    const char *cached = et_tune_cache_get(c->opt->cache, key, &bytes);
    /* blob: one byte per node (1 = still an int8 candidate), then all_fp32, then the note (NUL-terminated) */
    if (cached && bytes >= (size_t)nn + 2) {
        int kept = 0;
        for (int i = 0; i < nn; i++)
            if (cand[i] && !cached[i]) {
                cand[i] = false;
                kept++;
            }
        c->rep->n_guard_kept = kept;
        *all_fp32 = cached[nn] != 0;
        if (cached[nn + 1])
            et_tune_note(c, true, "%s", cached + nn + 1);
        return ET_OK;
    }
    timed f = {0}, q = {0}, m = {0};
    et_graph *trial = NULL, *mixed = NULL;
    char text[1100] = "", layers[1100] = "", back[2000] = "";
    int kept = 0, n_cand = 0, left = 0, n_back = 0;
    model_verdict mv = {0};
    layer_times *lt = calloc((size_t)nn + 1, sizeof *lt);
    bool *was_kept = calloc((size_t)nn + 1, sizeof *was_kept);
    et_status st = lt && was_kept ? ET_OK : et_fail(c->err, ET_E_NOMEM, "out of memory timing layers");
    if (st == ET_OK)
        st = measure(c, cand, lo, hi, &f, &q, &trial, NULL);
    if (st == ET_OK)
        memcpy(was_kept, cand, (size_t)nn * sizeof *was_kept);
    if (st == ET_OK && (kept = judge_layers(g, cand, &f, &q, lt, &n_cand, &left)) < 0)
        st = et_fail(c->err, ET_E_NOMEM, "out of memory timing layers");
    if (st == ET_OK)
        st = judge_model(c, &f, &q, &mv);
    for (int i = 0; i < nn && st == ET_OK; i++)
        was_kept[i] = was_kept[i] && !cand[i];
    bool second = false; /* the float runs were judged */
    if (st == ET_OK && left > 0 && kept > 0) {
        /* the mixed graph (these layers float32), the all-int8 one and float32 in the same rounds: each float run
         * of the mixed graph against the same nodes in int8, its conversions counted */
        st = measure(c, cand, lo, hi, &f, &m, &mixed, &q);
        second = st == ET_OK;
        if (st == ET_OK &&
            (n_back = judge_runs(g, cand, was_kept, mixed, &m, &q, layers, sizeof layers, back, sizeof back)) < 0)
            st = et_fail(c->err, ET_E_NOMEM, "out of memory timing layers");
        kept -= n_back > 0 ? n_back : 0;
        if (st == ET_OK)
            st = judge_model(c, &f, kept > 0 ? &m : &q, &mv);
        drop(&m, &mixed);
        if (st == ET_OK && n_back > 0 && kept > 0) { /* time the model with the int8 layers as decided */
            st = measure(c, cand, lo, hi, &f, &m, &mixed, NULL);
            if (st == ET_OK)
                st = judge_model(c, &f, &m, &mv);
            drop(&m, &mixed);
        }
    }
    drop(&q, &trial);
    if (st == ET_OK && kept > 0 && !layers[0]) /* no second look (every other layer kept too): own steps decided */
        for (int i = 0; i < nn; i++)
            if (was_kept[i])
                append_text(layers, sizeof layers, "%s%s (int8 %.3f ms, fp32 %.3f ms, p %.2g)", layers[0] ? ", " : "",
                            g->nodes[i].name, lt[i].q_ms, lt[i].f_ms, lt[i].p);
    if (st == ET_OK && left > 0 && mv.slower) {
        *all_fp32 = true;
        snprintf(text, sizeof text,
                 "int8 measured slower than fp32 on this CPU (model: int8 %.3f ms vs fp32 %.3f ms, medians of %d "
                 "alternating rounds, p %.3g): every layer kept fp32%s%s",
                 mv.q_ms, mv.f_ms, mv.rounds, mv.p, kept ? "; slower layers: " : "", layers);
    } else if (st == ET_OK && kept > 0) {
        snprintf(text, sizeof text,
                 "%d of %d layers kept fp32 (int8 measured slower here with the conversions float32 adds: p < 0.05 "
                 "and at least 3 %%, medians of %d alternating rounds): %s",
                 kept, n_cand, mv.rounds, layers);
    }
    if (st == ET_OK && n_back > 0)
        et_tune_note(c, false, "speed guard: %d layer%s faster alone in fp32 run int8, their conversions cost more: %s",
                     n_back, n_back == 1 ? "" : "s", back);
    if (st == ET_OK && second) { /* the detail lists every layer's own step too */
        char own[3000] = "";
        for (int i = 0; i < nn; i++)
            if (lt[i].f_ms > 0 || lt[i].q_ms > 0)
                append_text(own, sizeof own, "%s%s %.3f/%.3f ms", own[0] ? ", " : "", g->nodes[i].name, lt[i].q_ms,
                            lt[i].f_ms);
        et_tune_note(c, false, "speed guard, own steps of the layers faster in fp32 (int8/fp32 medians): %s", own);
    }
    free(lt), free(was_kept);
    free_timed(&f);
    if (st != ET_OK)
        return st;
    c->rep->n_guard_kept = *all_fp32 ? n_cand : kept;
    if (text[0])
        et_tune_note(c, true, "%s", text);
    size_t tl = strlen(text);
    char *blob = malloc((size_t)nn + 2 + tl);
    if (blob) {
        for (int i = 0; i < nn; i++)
            blob[i] = (char)(cand[i] ? 1 : 0);
        blob[nn] = (char)(*all_fp32 ? 1 : 0);
        memcpy(blob + nn + 1, text, tl + 1);
        et_tune_cache_put(c->opt->cache, key, blob, (size_t)nn + 2 + tl);
        free(blob);
    }
    return ET_OK;
}
