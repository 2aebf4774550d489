/* feature_kd.c: distillation of inner features (feature_kd.h). */
#include "train/feature_kd.h"

#include <stdlib.h>
#include <string.h>

#include "train/channel_match.h"
#include "train/tnet.h"
#include "util/mem.h"

struct et_feature_kd {
    et_tnet *student, *teacher; /* the student is borrowed, the teacher network owned */
    float weight;
    int n;        /* paired layers */
    int *sv, *tv; /* per pair: the value in the student's and the teacher's network */
    float **grad; /* per pair: batch x numel, the gradient handed to the student */
    /* per pair: NULL (same channels), or the teacher channel of each of the student's cs channels, found on the
     * first step's batch (channel_match.h); until then matched[p] is false */
    int **map, *cs, *ct;
    int64_t *hw; /* per pair: elements per channel */
    bool *matched;
    int n_mapped;
    double match_worst; /* the largest mean match distance of a mapped pair (0 before the first step) */
};

static int find_value(const et_graph *g, const char *name) {
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].name && strcmp(g->values[v].name, name) == 0)
            return v;
    return -1;
}

static bool is_target(const et_tnet *n, int v) {
    for (int o = 0; o < n->n_outputs; o++)
        if (n->outputs[o] == v)
            return true;
    return false;
}

/* Channels (dim 1) of an activation of rank >= 3 and the elements per channel; false for any other shape. */
static bool planes(const et_tval *a, int64_t *ch, int64_t *hw) {
    if (a->shape.rank < 3 || a->shape.dim[1] < 1 || a->numel % a->shape.dim[1] != 0)
        return false;
    *ch = a->shape.dim[1], *hw = a->numel / a->shape.dim[1];
    return true;
}

/* Whether teacher value t pairs with student value s: as many elements, or (a channel-pruned layer) fewer
 * channels of the same planes, then with a map to find (*mapped). */
static bool pairs_with(const et_tval *s, const et_tval *t, bool *mapped, int64_t *cs, int64_t *ct, int64_t *hw) {
    int64_t hs = 0, ht = 0;
    *mapped = false;
    if (t->numel == s->numel) { /* compared element by element */
        *cs = *ct = 1, *hw = s->numel;
        return true;
    }
    if (!planes(s, cs, &hs) || !planes(t, ct, &ht))
        return false;
    *hw = hs;
    return *mapped = hs == ht && *cs < *ct && *ct <= INT32_MAX;
}

/* The student's Conv outputs that the teacher's graph has with as many elements, or with fewer channels. */
static et_status pair(et_feature_kd *f, et_err *err) {
    const et_graph *gs = f->student->g, *gt = f->teacher->g;
    size_t n = (size_t)gs->n_nodes + 1;
    f->sv = calloc(n, sizeof *f->sv), f->tv = calloc(n, sizeof *f->tv), f->grad = calloc(n, sizeof *f->grad);
    f->map = calloc(n, sizeof *f->map), f->cs = calloc(n, sizeof *f->cs), f->ct = calloc(n, sizeof *f->ct);
    f->hw = calloc(n, sizeof *f->hw), f->matched = calloc(n, sizeof *f->matched);
    if (!f->sv || !f->tv || !f->grad || !f->map || !f->cs || !f->ct || !f->hw || !f->matched)
        return et_fail(err, ET_E_NOMEM, "out of memory for feature distillation");
    for (int k = 0; k < gs->n_nodes; k++) {
        const et_node *nd = &gs->nodes[k];
        if (nd->dead || nd->op != ET_OP_CONV || nd->n_outputs < 1 || nd->outputs[0] < 0)
            continue;
        int s = nd->outputs[0], t = find_value(gt, gs->values[s].name);
        const et_tval *a = &f->student->values[s];
        bool mapped;
        int64_t cs, ct, hw;
        if (t < 0 || !a->batched || !a->needs_grad || is_target(f->student, s) ||
            !pairs_with(a, &f->teacher->values[t], &mapped, &cs, &ct, &hw))
            continue;
        f->sv[f->n] = s, f->tv[f->n] = t, f->cs[f->n] = (int)cs, f->ct[f->n] = (int)ct, f->hw[f->n] = hw;
        f->matched[f->n] = !mapped;
        if (mapped && !(f->map[f->n] = malloc((size_t)cs * sizeof **f->map)))
            return et_fail(err, ET_E_NOMEM, "out of memory for feature distillation");
        if (!(f->grad[f->n] = et_aligned_alloc((size_t)(f->student->opt.batch * a->numel) * sizeof(float))))
            return et_fail(err, ET_E_NOMEM, "out of memory for feature distillation");
        f->n_mapped += mapped;
        f->n++;
    }
    if (f->n == 0)
        return et_fail(err, ET_E_INPUT,
                       "feature distillation: no convolution of the trained model has a same-named, same-sized "
                       "output in the teacher (use it with finetune, whose student is the model itself)");
    return ET_OK;
}

et_status et_feature_kd_create(et_tnet *student, et_graph *teacher_graph, float weight, et_feature_kd **out,
                               et_err *err) {
    *out = NULL;
    et_feature_kd *f = calloc(1, sizeof *f);
    if (!f)
        return et_fail(err, ET_E_NOMEM, "out of memory for feature distillation");
    f->student = student, f->weight = weight;
    et_tnet_options to = et_tnet_options_default();
    to.batch = student->opt.batch;
    to.pool = student->opt.pool;
    to.bn = ET_BN_RUNNING;
    et_status st = et_tnet_create(teacher_graph, &to, &f->teacher, err);
    if (st == ET_OK && et_tnet_n_inputs(f->teacher) != et_tnet_n_inputs(student))
        st = et_fail(err, ET_E_INPUT, "feature distillation: the teacher has %d inputs, the model %d",
                     et_tnet_n_inputs(f->teacher), et_tnet_n_inputs(student));
    for (int i = 0; st == ET_OK && i < et_tnet_n_inputs(student); i++)
        if (et_tnet_input_numel(f->teacher, i) != et_tnet_input_numel(student, i))
            st = et_fail(err, ET_E_INPUT, "feature distillation: input %d differs in size from the teacher's", i);
    if (st == ET_OK)
        st = pair(f, err);
    if (st != ET_OK) {
        et_feature_kd_free(f);
        return st;
    }
    *out = f;
    return ET_OK;
}

void et_feature_kd_free(et_feature_kd *f) {
    if (!f)
        return;
    for (int p = 0; f->grad && p < f->n; p++)
        et_aligned_free(f->grad[p]), free(f->map[p]);
    free(f->sv), free(f->tv), free(f->grad), free(f->map), free(f->cs), free(f->ct), free(f->hw), free(f->matched);
    et_tnet_free(f->teacher);
    free(f);
}

int et_feature_kd_layers(const et_feature_kd *f) { return f->n; }

int et_feature_kd_mapped(const et_feature_kd *f) { return f->n_mapped; }

double et_feature_kd_match_worst(const et_feature_kd *f) { return f->match_worst; }

const int *et_feature_kd_map(const et_feature_kd *f, int p, const char **name, int *cs) {
    if (p < 0 || p >= f->n)
        return NULL;
    *name = f->student->values[f->sv[p]].name, *cs = f->cs[p];
    return f->matched[p] ? f->map[p] : NULL;
}

/* Pair p's maps, from the outputs of this step's count samples (the student's kept channels: channel_match.h). */
static et_status match(et_feature_kd *f, int p, int count, et_err *err) {
    double d = et_channel_match(et_tv_data(f->student, f->sv[p]), f->cs[p], et_tv_data(f->teacher, f->tv[p]), f->ct[p],
                                f->hw[p], count, f->map[p]);
    if (d < 0)
        return et_fail(err, ET_E_NOMEM, "out of memory matching the channels of '%s'",
                       f->student->values[f->sv[p]].name);
    f->match_worst = d > f->match_worst ? d : f->match_worst;
    f->matched[p] = true;
    return ET_OK;
}

/* Pair p's relative squared error over count samples into *err2 / *ref2 and its gradient (times g, once ref2 is
 * known: the caller scales) into f->grad[p]: student channel j against teacher channel map[j] (or j). */
static void pair_error(et_feature_kd *f, int p, int count, double *err2, double *ref2) {
    const float *s = et_tv_data(f->student, f->sv[p]), *t = et_tv_data(f->teacher, f->tv[p]);
    const int cs = f->cs[p], ct = f->ct[p], *map = f->map[p];
    const int64_t hw = f->hw[p];
    float *gr = f->grad[p];
    *err2 = *ref2 = 0.0;
    for (int b = 0; b < count; b++)
        for (int j = 0; j < cs; j++) {
            const float *sj = s + ((int64_t)b * cs + j) * hw, *tj = t + ((int64_t)b * ct + (map ? map[j] : j)) * hw;
            float *gj = gr + ((int64_t)b * cs + j) * hw;
            for (int64_t i = 0; i < hw; i++) {
                double d = (double)sj[i] - (double)tj[i];
                *err2 += d * d, *ref2 += (double)tj[i] * tj[i];
                gj[i] = sj[i] - tj[i];
            }
        }
}

et_status et_feature_kd_step(et_feature_kd *f, int count, double *loss, et_err *err) {
    *loss = 0.0;
    for (int i = 0; i < et_tnet_n_inputs(f->student); i++)
        memcpy(et_tnet_input(f->teacher, i), et_tnet_input(f->student, i),
               (size_t)count * (size_t)et_tnet_input_numel(f->student, i) * sizeof(float));
    et_status st = et_tnet_forward(f->teacher, count, false, err);
    if (st != ET_OK)
        return st;
    const double scale = (double)f->weight / (double)f->n;
    for (int p = 0; p < f->n; p++) {
        if (!f->matched[p] && (st = match(f, p, count, err)) != ET_OK)
            return st;
        double err2, ref2;
        pair_error(f, p, count, &err2, &ref2);
        ref2 = ref2 > 1e-12 ? ref2 : 1e-12;
        *loss += scale * err2 / ref2;
        float g = (float)(2.0 * scale / ref2), *gr = f->grad[p];
        for (int64_t i = 0, len = (int64_t)count * f->cs[p] * f->hw[p]; i < len; i++)
            gr[i] *= g;
    }
    et_tnet_add_value_grads(f->student, f->n, f->sv, (const float *const *)f->grad);
    return ET_OK;
}
