/* feature_kd.c: distillation of inner features (feature_kd.h). */
#include "train/feature_kd.h"

#include <stdlib.h>
#include <string.h>

#include "train/tnet.h"
#include "util/mem.h"

struct et_feature_kd {
    et_tnet *student, *teacher; /* the student is borrowed, the teacher network owned */
    float weight;
    int n;        /* paired layers */
    int *sv, *tv; /* per pair: the value in the student's and the teacher's network */
    float **grad; /* per pair: batch x numel, the gradient handed to the student */
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

/* The student's Conv outputs that the teacher's graph has with as many elements. */
static et_status pair(et_feature_kd *f, et_err *err) {
    const et_graph *gs = f->student->g, *gt = f->teacher->g;
    f->sv = calloc((size_t)gs->n_nodes + 1, sizeof *f->sv);
    f->tv = calloc((size_t)gs->n_nodes + 1, sizeof *f->tv);
    f->grad = calloc((size_t)gs->n_nodes + 1, sizeof *f->grad);
    if (!f->sv || !f->tv || !f->grad)
        return et_fail(err, ET_E_NOMEM, "out of memory for feature distillation");
    for (int k = 0; k < gs->n_nodes; k++) {
        const et_node *nd = &gs->nodes[k];
        if (nd->dead || nd->op != ET_OP_CONV || nd->n_outputs < 1 || nd->outputs[0] < 0)
            continue;
        int s = nd->outputs[0], t = find_value(gt, gs->values[s].name);
        const et_tval *a = &f->student->values[s];
        if (t < 0 || !a->batched || !a->needs_grad || is_target(f->student, s) ||
            f->teacher->values[t].numel != a->numel)
            continue;
        f->sv[f->n] = s, f->tv[f->n] = t;
        if (!(f->grad[f->n] = et_aligned_alloc((size_t)(f->student->opt.batch * a->numel) * sizeof(float))))
            return et_fail(err, ET_E_NOMEM, "out of memory for feature distillation");
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
        et_aligned_free(f->grad[p]);
    free(f->sv), free(f->tv), free(f->grad);
    et_tnet_free(f->teacher);
    free(f);
}

int et_feature_kd_layers(const et_feature_kd *f) { return f->n; }

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
        const float *s = et_tv_data(f->student, f->sv[p]), *t = et_tv_data(f->teacher, f->tv[p]);
        int64_t len = (int64_t)count * f->student->values[f->sv[p]].numel;
        double err2 = 0.0, ref2 = 0.0;
        for (int64_t i = 0; i < len; i++) {
            double d = (double)s[i] - (double)t[i];
            err2 += d * d, ref2 += (double)t[i] * t[i];
        }
        ref2 = ref2 > 1e-12 ? ref2 : 1e-12;
        *loss += scale * err2 / ref2;
        float g = (float)(2.0 * scale / ref2);
        for (int64_t i = 0; i < len; i++)
            f->grad[p][i] = g * (s[i] - t[i]);
    }
    et_tnet_add_value_grads(f->student, f->n, f->sv, (const float *const *)f->grad);
    return ET_OK;
}
