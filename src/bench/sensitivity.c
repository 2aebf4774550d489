/* sensitivity.c: per-layer sensitivity (sensitivity.h): the base knobs, then one layer at a time changed by a
 * per-layer override (record/layer_knobs.h), each measured with et_bench_run. */
#include "bench/sensitivity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/step_saved.h"
#include "record/layer_knobs.h"
#include "stats/stats.h"
#include "tune/tune.h"
#include "util/clock.h"

et_sens_config et_sens_config_default(void) {
    const char *rb = getenv("EDGETUNE_SENS_RECOVER");
    return (et_sens_config){.iters = 20,
                            .warmup = 3,
                            .eval_half = -1,
                            .fake_clock = getenv("EDGETUNE_SENS_FAKE_CLOCK"),
                            .recover_from_base = rb && strcmp(rb, "base") == 0};
}

et_status et_sens_parse_candidates(const char *list, char out[][ET_SENS_CAND_BYTES], int *n, et_err *err) {
    *n = 0;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ";");
        if (len > 0) {
            if (*n >= ET_SENS_MAX_CANDIDATES)
                return et_fail(err, ET_E_USAGE, "--candidates: more than %d candidates", ET_SENS_MAX_CANDIDATES);
            char spec[ET_SENS_CAND_BYTES + 8];
            if (len >= ET_SENS_CAND_BYTES)
                return et_fail(err, ET_E_USAGE, "--candidates: '%.40s...' is too long", p);
            snprintf(spec, sizeof spec, "x:%.*s", (int)len, p);
            et_knobs k = et_knobs_default();
            et_err e = {0};
            if (et_knobs_add_layer_spec(&k, spec, &e) != ET_OK) { /* "--layer 'x:...': why" -> the candidate's */
                const char *why = strstr(e.msg, "': ");
                return et_fail(err, ET_E_USAGE, "--candidates '%.*s': %s", (int)len, p, why ? why + 3 : e.msg);
            }
            snprintf(out[*n], ET_SENS_CAND_BYTES, "%s", k.layers + 2); /* canonical, after "x " */
            for (char *c = out[*n]; *c; c++)
                if (*c == ' ')
                    *c = ',';
            (*n)++;
        }
        p += len;
        if (*p == ';')
            p++;
    }
    if (*n == 0)
        return et_fail(err, ET_E_USAGE, "--candidates: give at least one, e.g. '%s'", ET_SENS_DEFAULT_CANDIDATES);
    return ET_OK;
}

double et_sens_quality(const et_result *r, int half, const int32_t *ref_top1, bool *is_acc) {
    *is_acc = false;
    const et_fidelity_info *f = &r->fidelity;
    if (f->status != ET_AVAIL_OK || f->n_outputs < 1)
        return NAN;
    if (half < 0) {
        if (f->accuracy >= 0) {
            *is_acc = true;
            return f->accuracy;
        }
        return f->outputs[0].top1_agreement >= 0 ? f->outputs[0].top1_agreement : NAN;
    }
    /* r evaluated only one half, or every k-th input of it (et_session_fidelity_part): its per-input records are
       those inputs', entry j the input at position half + eval_step j (ref_top1 is indexed by position in the
       whole set); the other half is unknown */
    bool part = f->eval_step >= 2;
    if (part && (f->eval_first != half || f->eval_step % 2 != 0))
        return NAN;
    if (f->n_per_input <= (part ? 0 : half) || (!f->correct && (!f->top1 || !ref_top1)))
        return NAN;
    *is_acc = f->correct != NULL;
    int64_t hit = 0, n = 0;
    for (int j = part ? 0 : half; j < f->n_per_input; j += part ? 1 : 2, n++) {
        int i = part ? half + f->eval_step * j : j; /* the input's position in the whole set */
        hit += f->correct ? f->correct[j] != 0 : f->top1[j] == ref_top1[i];
    }
    return (double)hit / (double)n;
}

/* Per-step facts and times of plans (step_saved.h): each step's time is its median over the timed iterations, each
 * iteration timed alone (the profile reset before it), so that an iteration preempted on a shared machine (a worker
 * thread descheduled for a few ms) moves one sample, not the result: a mean over many iterations, as chunks of them
 * were, carries every preemption of the chunk. */
enum { MAX_PROFILE_ITERS = 20000, PAIR_ROUNDS = 4 };
typedef struct step_times {
    int n;
    et_step_fact *step;
} step_times;

static void step_times_free(step_times *t) {
    free(t->step);
    memset(t, 0, sizeof *t);
}

/* One analysis's timing state: its config; the base plan's fastest whole time (ref_ms, the sum of its step times:
 * see round_scale) so far, the analysis-wide one once every point is timed; and the timed blocks so far (a block:
 * one plan's timed iterations in a row) for the test hook cfg->fake_clock "B:K" or "B-E:K": every step's time is
 * then its work (MACs plus activation elements, 1 ns each), K times that in block B (through E; 0 the base's first
 * profile): a slow spell of the machine that a test can place exactly. */
typedef struct timing {
    const et_sens_config *cfg;
    int block, slow_first, slow_last;
    double slow, ref_ms;
    bool fake;
} timing;

static timing timing_new(const et_sens_config *cfg) {
    timing t = {cfg, 0, -1, -1, 1.0, 0.0, false};
    const char *fc = cfg->fake_clock;
    if (fc && sscanf(fc, "%d-%d:%lf", &t.slow_first, &t.slow_last, &t.slow) == 3)
        t.fake = true;
    else if (fc && sscanf(fc, "%d:%lf", &t.slow_first, &t.slow) == 2)
        t.fake = true, t.slow_last = t.slow_first;
    return t;
}

static double sample_ms(const timing *tm, const et_step_info *si) {
    double ms = tm->fake ? (double)(si->macs + si->act_elems) * 1e-6 : si->time_ms;
    return tm->block >= tm->slow_first && tm->block <= tm->slow_last ? ms * tm->slow : ms;
}

static double total_ms(const step_times *t) {
    double sum = 0.0;
    for (int j = 0; j < t->n; j++)
        sum += t->step[j].ms;
    return sum;
}

/* The factor that brings times measured while the base's plan took tot ms in all to the speed of its fastest time
 * in the analysis (ref ms): ref / tot when tot is over SPELL times ref, else 1. Why: this VM runs the same work at
 * two speeds for seconds to a minute at a time (the same two plans, kept, read 0.28 and 0.45 ms a few seconds
 * apart, every step of both about 1.6x slower), so a saving in ms measured in a slow spell was 1.6x the one
 * measured outside it (fmnist_wide features.6/conv2: 0.043 or 0.07 ms), in whichever process or point; alternating
 * the two plans cancels a spell in their ratio, not in their difference. The base's plan is the same work every
 * time, so its whole time is the machine's clock; taken per round (the base's block and the point's, one after the
 * other), so that a point whose rounds straddle the start or end of a spell is brought back too; against the
 * fastest time of the whole analysis (applied once every point is timed, paired_finish), so that points timed in a
 * spell before the analysis first saw the fast speed are brought back as well. Rounds within SPELL of the reference
 * are left as measured: that is the noise of a round (a few %, and a milder state about 1.08x), which scaling to
 * the lowest time seen would turn into a bias growing with the rounds. An analysis that runs wholly inside one spell
 * still reads that spell's speed. */
static const double SPELL = 1.2;
static double round_scale(double tot, double ref) { return ref > 0.0 && tot > SPELL * ref ? ref / tot : 1.0; }

/* A point's timing, kept until the analysis ends: the facts of the base's plan and the point's (st[0], st[1]; their
 * ms set by paired_times), each step's median in each round (med[k][j * PAIR_ROUNDS + r]: plan k, step j, round r)
 * and the base's whole time in each round (tot[r], the sum of its steps' medians in it). med[0] NULL: nothing kept
 * (not measured here). */
typedef struct paired {
    step_times st[2];
    double *med[2];
    double tot[PAIR_ROUNDS];
} paired;

static void paired_free(paired *pp) {
    for (int k = 0; k < 2; k++) {
        step_times_free(&pp->st[k]);
        free(pp->med[k]);
    }
    memset(pp, 0, sizeof *pp);
}

/* Sets every step's time of both plans to the median over the rounds of its round medians, each round scaled
 * (round_scale) to ref ms: the time of the step at the base's fastest speed. */
static void paired_times(paired *pp, double ref) {
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < pp->st[k].n; j++) {
            double v[PAIR_ROUNDS];
            for (int r = 0; r < PAIR_ROUNDS; r++)
                v[r] = pp->med[k][j * PAIR_ROUNDS + r] * round_scale(pp->tot[r], ref);
            pp->st[k].step[j].ms = et_stats_median_inplace(v, PAIR_ROUNDS);
        }
}

/* The point's time saved and per-step savings from its kept timing (one et_step_speed for both). */
static void point_saved(et_sens_point *p, const paired *pp) {
    p->n_step_saves = et_step_saves(pp->st[0].step, pp->st[0].n, pp->st[1].step, pp->st[1].n, p->step_saves,
                                    ET_SENS_STEP_SAVES, &p->time_saved_ms);
}

/* The iterations to time: cfg->iters, or more to fill cfg->profile_s (timed on cfg->iters untimed ones first). */
static et_status profile_iters(et_session *s, const et_sens_config *cfg, int *iters, et_err *err) {
    *iters = cfg->iters > 0 ? cfg->iters : 1;
    if (cfg->profile_s <= 0)
        return ET_OK;
    et_status st = ET_OK;
    double t0 = et_clock_s();
    for (int i = 0; i < *iters && st == ET_OK; i++)
        st = et_session_infer(s, cfg->cancel, err);
    double it_s = (et_clock_s() - t0) / *iters, want = it_s > 0 ? cfg->profile_s / it_s : *iters;
    *iters = want > MAX_PROFILE_ITERS ? MAX_PROFILE_ITERS : want > *iters ? (int)ceil(want) : *iters;
    return st;
}

/* Times `iters` iterations of step k of plan[k] (n_plans 1 or 2): out[k] gets the steps' facts, med[k] (the caller
 * frees; NULL on error) each step's median in each round, at [j * rounds + r]. Two plans (the base's and a point's)
 * are timed alternately, PAIR_ROUNDS rounds of iters / PAIR_ROUNDS each, every block after one untimed run (the
 * other plan's run evicted this one's weights): both sides then sample the same states of the machine, and a slow
 * spell moves a quarter of each side's samples, not one side's whole profile, as when the base was profiled once
 * and the point later. One plan: one round. */
static et_status profile_plans(timing *tm, et_plan *const *plan, int n_plans, int iters, step_times *out, double **med,
                               et_err *err) {
    int rounds = n_plans > 1 ? PAIR_ROUNDS : 1, per = (iters + rounds - 1) / rounds;
    double *sample[2] = {NULL, NULL};
    et_status st = ET_OK;
    for (int k = 0; k < n_plans && st == ET_OK; k++) {
        step_times_free(&out[k]);
        out[k].n = et_plan_get_stats(plan[k]).n_steps;
        out[k].step = calloc((size_t)out[k].n + 1, sizeof *out[k].step);
        sample[k] = calloc((size_t)out[k].n * (size_t)(rounds * per) + 1, sizeof *sample[k]);
        med[k] = calloc((size_t)out[k].n * (size_t)rounds + 1, sizeof *med[k]);
        if (!out[k].step || !sample[k] || !med[k])
            st = et_fail(err, ET_E_NOMEM, "out of memory timing layers");
    }
    for (int k = 0; k < n_plans && st == ET_OK; k++) /* the profile times the decided splits, not the deciding runs */
        st = et_plan_settle(plan[k], tm->cfg->cancel, err);
    for (int r = 0; r < rounds && st == ET_OK; r++) {
        for (int k = 0; k < n_plans && st == ET_OK; k++, tm->block++) {
            if (n_plans > 1)
                st = et_plan_run(plan[k], tm->cfg->cancel, err);
            for (int c = 0; c < per && st == ET_OK; c++) {
                et_plan_reset_profile(plan[k]);
                if ((st = et_plan_run(plan[k], tm->cfg->cancel, err)) != ET_OK)
                    break;
                for (int j = 0; j < out[k].n; j++) {
                    et_step_info si;
                    et_plan_step_info(plan[k], j, &si);
                    sample[k][(size_t)j * (size_t)(rounds * per) + (size_t)(r * per + c)] = sample_ms(tm, &si);
                    et_step_fact *f = &out[k].step[j];
                    if (r > 0 || c > 0)
                        continue;
                    snprintf(f->name, sizeof f->name, "%s", si.name ? si.name : "");
                    snprintf(f->kernel, sizeof f->kernel, "%s %s %s", si.op ? si.op : "", si.kernel ? si.kernel : "",
                             si.precision ? si.precision : "");
                    f->macs = si.macs;
                    f->act_elems = si.act_elems;
                    f->packed_bytes = si.packed_bytes;
                }
            }
        }
    }
    for (int k = 0; k < n_plans; k++) {
        for (int j = 0; j < out[k].n && st == ET_OK; j++)
            for (int r = 0; r < rounds; r++)
                med[k][j * rounds + r] = et_stats_median_inplace(sample[k] + (size_t)j * (size_t)(rounds * per) +
                                                                     (size_t)(r * per),
                                                                 per);
        free(sample[k]);
        if (st != ET_OK) {
            free(med[k]);
            med[k] = NULL;
        }
    }
    return st;
}

/* Configures k and measures it into r (latency and fidelity, as bench does); without base_plan (the base's first
 * profile) its step times into t, the first reference speed; with it (the base's, kept), the two plans are timed
 * alternately (profile_plans) into pp (the caller frees it with paired_free), its times at the speed so far. */
static et_status measure(et_session *s, const et_knobs *k, timing *tm, et_plan *base_plan, int64_t stop_misses,
                         et_result *r, step_times *t, paired *pp, et_err *err) {
    const et_sens_config *cfg = tm->cfg;
    et_status st = et_session_configure(s, k, err);
    if (st != ET_OK)
        return st;
    et_bench_config bc = et_bench_config_default();
    bc.iters = cfg->iters;
    bc.warmup = cfg->warmup;
    bc.profilers = false;
    bc.cancel = cfg->cancel;
    bc.eval_half = cfg->eval_half; /* a search reads one half: only it is evaluated (half the cost of a point) */
    bc.eval_thin = cfg->eval_thin;
    bc.stop_misses = stop_misses;
    int iters = 1;
    if ((st = et_bench_run(s, &bc, r, err)) != ET_OK || (st = profile_iters(s, cfg, &iters, err)) != ET_OK)
        return st;
    if (!base_plan) {
        double *med[1] = {NULL};
        if ((st = profile_plans(tm, (et_plan *const[]){et_session_plan(s)}, 1, iters, t, med, err)) == ET_OK) {
            for (int j = 0; j < t->n; j++)
                t->step[j].ms = med[0][j];
            tm->ref_ms = total_ms(t);
        }
        free(med[0]);
        return st;
    }
    paired_free(pp);
    if ((st = profile_plans(tm, (et_plan *const[]){base_plan, et_session_plan(s)}, 2, iters, pp->st, pp->med, err)) !=
        ET_OK)
        return st;
    for (int rd = 0; rd < PAIR_ROUNDS; rd++) {
        for (int j = 0; j < pp->st[0].n; j++)
            pp->tot[rd] += pp->med[0][j * PAIR_ROUNDS + rd];
        if (pp->tot[rd] > 0.0 && (!(tm->ref_ms > 0.0) || pp->tot[rd] < tm->ref_ms))
            tm->ref_ms = pp->tot[rd];
    }
    paired_times(pp, tm->ref_ms);
    return ET_OK;
}

/* The misses after which a point's evaluation stops (cfg->stop_drop_pp; -1: never): more than this many of the
 * b->n_eval inputs missed puts its quality more than stop_drop_pp below the base's even if every other input hit. */
static int64_t stop_misses(const et_sens_config *cfg, const et_sens_base *b) {
    if (!(cfg->stop_drop_pp > 0.0) || b->n_eval < 1 || isnan(b->quality))
        return -1;
    double x = (double)b->n_eval * (1.0 - b->quality + cfg->stop_drop_pp / 100.0);
    return x >= (double)b->n_eval ? -1 : (int64_t)floor(x + 1e-9);
}

/* p's quality from r: measured, or (r's evaluation stopped, r->fidelity.stopped) the upper bound of the whole set
 * that the inputs evaluated allow: the misses so far over b->n_eval inputs. */
static double point_quality(const et_sens_config *cfg, const et_sens_base *b, const et_result *r, bool *bound) {
    bool acc;
    double q = et_sens_quality(r, cfg->eval_half, cfg->ref_top1, &acc);
    *bound = r->fidelity.stopped;
    if (!*bound || isnan(q) || b->n_eval < 1)
        return q;
    double missed = round((1.0 - q) * (double)r->fidelity.n_inputs);
    return 1.0 - missed / (double)b->n_eval;
}

/* Measures point p; its timing is kept in pp (paired_finish rescales it at the analysis's end), nothing when it
 * failed. Its time saved is at the base's fastest speed so far. */
static void measure_point(et_session *s, const et_knobs *base, et_plan *base_plan, const et_sens_base *b, timing *tm,
                          et_sens_point *p, paired *pp) {
    const et_sens_config *cfg = tm->cfg;
    et_knobs k = *base;
    char spec[sizeof p->layer + ET_SENS_CAND_BYTES + 2];
    snprintf(spec, sizeof spec, "%s:%s", p->layer, p->candidate);
    et_err e = {0};
    et_result r;
    et_result_init(&r);
    et_status st = et_knobs_add_layer_spec(&k, spec, &e);
    if (st == ET_OK)
        st = measure(s, &k, tm, base_plan, stop_misses(cfg, b), &r, NULL, pp, &e);
    if (st == ET_OK) {
        p->measured = true;
        p->quality = point_quality(cfg, b, &r, &p->quality_bound);
        p->quality_delta_pp = 100.0 * (p->quality - b->quality);
        /* every step whose work the change moved: the layer's, its channel group's and readers', conversions */
        point_saved(p, pp);
        p->p50_ms = r.latency.p50_ms;
        p->bytes_saved = b->weights_bytes - et_session_tune_report(s)->weights_deploy_bytes;
        snprintf(p->exec, sizeof p->exec, "%s", r.engine.exec);
    } else {
        paired_free(pp);
        if (st != ET_E_CANCELLED)
            snprintf(p->error, sizeof p->error, "%s", e.msg);
    }
    et_result_free(&r);
}

/* At the analysis's end (tm->ref_ms its fastest base time): every point measured here (kept[i], n of them) gets its
 * time saved and per-step savings again at that speed, and its layer time (from the base's first profile, base)
 * too; kept is freed. The progress lines showed the points at the speed known then. */
static void paired_finish(const timing *tm, paired *kept, et_sens_point *pts, int n, const step_times *base) {
    double scale = round_scale(total_ms(base), tm->ref_ms);
    for (int i = 0; i < n; i++) {
        pts[i].layer_ms *= scale;
        if (!kept[i].med[0])
            continue;
        paired_times(&kept[i], tm->ref_ms);
        point_saved(&pts[i], &kept[i]);
        paired_free(&kept[i]);
    }
}

double et_sens_channel_ratio(const char *cand, bool *only) {
    const char *prune = strstr(cand, "prune=");
    bool channel = prune && strstr(cand, "method=channel"), all = channel;
    for (const char *k = cand; all && *k;) { /* each key=value */
        all = strncmp(k, "prune=", 6) == 0 || strncmp(k, "method=", 7) == 0;
        k += strcspn(k, ",");
        if (*k == ',')
            k++;
    }
    if (only)
        *only = all;
    return channel ? strtod(prune + 6, NULL) : -1.0;
}

/* True when candidate only prunes channels, by a ratio > 0: such a candidate changes nothing on a layer whose
 * channels cannot shrink (et_tune_channel_groups: -1), which tune then skips with a note, so measuring it would
 * spend a whole evaluation on the base again. */
static bool channel_only(const char *cand) {
    bool only;
    return et_sens_channel_ratio(cand, &only) > 0.0 && only;
}

et_status et_sensitivity_run(et_session *s, const et_knobs *base, char cand[][ET_SENS_CAND_BYTES], int n_cand,
                             const et_sens_config *cfg, et_sens_base *b, et_sens_point **pts, int *n_pts, et_err *err) {
    *pts = NULL;
    *n_pts = 0;
    memset(b, 0, sizeof *b);
    const et_graph *g = et_session_model(s)->graph;
    const char **names = calloc((size_t)g->n_nodes + 1, sizeof *names);
    if (!names)
        return et_fail(err, ET_E_NOMEM, "out of memory listing layers");
    int n_layers = et_tune_weight_layer_names(g, names, g->n_nodes);
    /* channel groups of the base (-1: cannot shrink); none known (out of memory): every point is measured */
    int *group = calloc((size_t)n_layers + 1, sizeof *group);
    if (group && et_tune_channel_groups(g, base, group, n_layers, NULL) != n_layers) {
        free(group);
        group = NULL;
    }
    et_result br;
    et_result_init(&br);
    step_times bt = {0};
    timing tm = timing_new(cfg);
    et_plan *base_plan = NULL;
    et_graph *base_tuned = NULL;
    paired *kept = NULL; /* per point, its timing until the end (paired_finish) */
    bool from_base = cfg->recover_from_base && base->recover != ET_RECOVER_NONE;
    if (from_base) /* the base's run records its recovery for the points */
        et_session_set_recover_base(s, base);
    et_status st = measure(s, base, &tm, NULL, -1, &br, &bt, NULL, err);
    if (st == ET_OK) {
        b->measured = true;
        b->quality = et_sens_quality(&br, cfg->eval_half, cfg->ref_top1, &b->is_accuracy);
        b->p50_ms = br.latency.p50_ms;
        b->weights_bytes = et_session_tune_report(s)->weights_deploy_bytes;
        b->n_eval = br.fidelity.n_inputs; /* the half's when one half was evaluated */
        snprintf(b->eval_source, sizeof b->eval_source, "%s", br.fidelity.eval_source);
        et_session_detach(s, &base_plan, &base_tuned); /* timed beside every point, never prepared again */
        *pts = calloc((size_t)(n_layers * n_cand) + 1, sizeof **pts);
        kept = calloc((size_t)(n_layers * n_cand) + 1, sizeof *kept);
        if (!*pts || !kept)
            st = et_fail(err, ET_E_NOMEM, "out of memory");
        /* every point names its layer and candidate up front: a stop leaves the rest named but unmeasured, so a
           caller that writes a setting for every layer (search's moves) still has the layer's name */
        for (int i = 0; *pts && i < n_layers * n_cand; i++) {
            snprintf((*pts)[i].layer, sizeof(*pts)[i].layer, "%s", names[i / n_cand]);
            snprintf((*pts)[i].candidate, sizeof(*pts)[i].candidate, "%s", cand[i % n_cand]);
        }
        if (st == ET_OK && cfg->on_base)
            cfg->on_base(cfg->store_ctx, &br);
    }
    if (st == ET_OK && cfg->progress)
        cfg->progress(cfg->progress_ctx, 0, n_layers * n_cand, NULL);
    for (int l = 0; st == ET_OK && l < n_layers; l++) {
        for (int c = 0; st == ET_OK && c < n_cand; c++) {
            if (cfg->cancel && *cfg->cancel) {
                st = et_fail(err, ET_E_CANCELLED, "sensitivity cancelled after %d of %d points", *n_pts,
                             n_layers * n_cand);
                break;
            }
            et_sens_point *p = &(*pts)[*n_pts]; /* named above: l * n_cand + c */
            p->quality = p->quality_delta_pp = p->time_saved_ms = p->p50_ms = NAN;
            for (int i = 0; i < bt.n; i++)
                if (strcmp(bt.step[i].name, names[l]) == 0)
                    p->layer_ms = bt.step[i].ms;
            if (group && group[l] < 0 && channel_only(p->candidate)) {
                p->not_applicable = true;
                snprintf(p->error, sizeof p->error,
                         "not applicable: channel pruning cannot shrink this layer (bench's notes say why)");
            } else if (!cfg->known || !cfg->known(cfg->store_ctx, p->layer, p->candidate, p)) {
                measure_point(s, base, base_plan, b, &tm, p, &kept[*n_pts]);
            }
            if (!p->measured && !p->error[0]) /* cancelled while measuring: not a point */
                continue;
            (*n_pts)++;
            if (cfg->progress)
                cfg->progress(cfg->progress_ctx, *n_pts, n_layers * n_cand, p);
        }
    }
    b->n_points = n_layers * n_cand;
    if (kept && *pts)
        paired_finish(&tm, kept, *pts, n_layers * n_cand, &bt);
    free(kept);
    if (st == ET_E_CANCELLED)
        et_fail(err, ET_E_CANCELLED, "sensitivity cancelled after %d of %d points", *n_pts, n_layers * n_cand);
    if (from_base)
        et_session_set_recover_base(s, NULL);
    et_result_free(&br);
    step_times_free(&bt);
    et_plan_free(base_plan);
    et_graph_free(base_tuned);
    free(group);
    free(names);
    return st;
}
