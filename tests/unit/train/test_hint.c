/* test_hint.c: intermediate-feature distillation (hint.h). The hint loss's gradient against central finite
 * differences in double (the loss is quadratic in the student's values, so the difference is exact up to
 * rounding and the tolerance is tight; a 1 % change in one gradient element fails it); the per-channel
 * normalisation (a channel scaled by 1000 in both maps counts the same); and on the MobileNetV2-style fixture, the
 * hint points (one per resolution, named values the teacher has), a loss of 0 for a student equal to its teacher,
 * and the gradient a seeded backward gives a weight of the first layer against finite differences of the loss
 * through the whole network. */
#include <math.h>

#include "et_test.h"
#include "model/model.h"
#include "train/hint.h"
#include "train/loss.h"
#include "train/tnet.h"

enum { B = 3, C = 4, P = 5, N = B * C * P };

static uint32_t rng = 12345;
static float uniform(void) { /* [-1, 1) */
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static void maps(float *s, float *t) {
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
            for (int p = 0; p < P; p++) {
                float scale = 0.5f * (float)(c + 1); /* channels of different scales */
                int e = (b * C + c) * P + p;
                t[e] = scale * uniform();
                s[e] = t[e] + 0.5f * scale * uniform();
            }
}

/* max |fd - g| over the elements, with the difference of the double loss over the actual float step */
static double fd_error(const float *s0, const float *t, const float *g, double w) {
    float s[N], scratch[N];
    double worst = 0.0;
    for (int e = 0; e < N; e++) {
        memcpy(s, s0, sizeof s);
        double h = 1e-2 * fabs((double)s0[e]) + 1e-3;
        s[e] = (float)(s0[e] + h);
        double up = (double)s[e];
        double lp = w * et_loss_hint(s, t, B, C, P, 1.0, scratch);
        s[e] = (float)(s0[e] - h);
        double down = (double)s[e];
        double lm = w * et_loss_hint(s, t, B, C, P, 1.0, scratch);
        double fd = (lp - lm) / (up - down), d = fabs(fd - (double)g[e]);
        worst = d > worst ? d : worst;
    }
    return worst;
}

static void test_hint_loss_gradient(void) {
    float s[N], t[N], g[N];
    maps(s, t);
    const double w = 1.7;
    double l = et_loss_hint(s, t, B, C, P, w, g);
    ET_CHECK(l > 0.01 && isfinite(l));
    double gmax = 0.0;
    for (int e = 0; e < N; e++)
        gmax = fabs((double)g[e]) > gmax ? fabs((double)g[e]) : gmax;
    double tol = 1e-4 * gmax;
    ET_CHECK_MSG(fd_error(s, t, g, w) <= tol, "hint gradient vs finite differences: %g > %g", fd_error(s, t, g, w),
                 tol);
    g[7] += (float)(0.01 * gmax); /* the tolerance bites */
    ET_CHECK(fd_error(s, t, g, w) > tol);
}

static void test_hint_loss_is_per_channel(void) {
    float s[N], t[N], g[N];
    maps(s, t);
    double l = et_loss_hint(s, t, B, C, P, 1.0, g);
    for (int b = 0; b < B; b++)
        for (int p = 0; p < P; p++) { /* channel 2 four times larger in both */
            int e = (b * C + 2) * P + p;
            s[e] *= 4.0f, t[e] *= 4.0f;
        }
    double l2 = et_loss_hint(s, t, B, C, P, 1.0, g);
    ET_CHECK_MSG(fabs(l2 - l) < 1e-6 * l, "scaling one channel changed the loss from %g to %g", l, l2);
    ET_CHECK_NEAR(et_loss_hint(t, t, B, C, P, 1.0, g), 0.0, 1e-12);
    /* a dead channel of the teacher (constant): its weight is the floor's, not 1 / 0 */
    for (int b = 0; b < B; b++)
        for (int p = 0; p < P; p++)
            t[(b * C + 1) * P + p] = 0.25f;
    double l3 = et_loss_hint(s, t, B, C, P, 1.0, g);
    ET_CHECK(isfinite(l3) && l3 < 1e4);
}

static const char *src_dir(void) {
    const char *d = getenv("ET_SOURCE_DIR");
    return d ? d : ET_SOURCE_DIR;
}

static double hint_loss(et_tnet *st, et_hints *h, int batch) {
    et_err err = {0};
    double l = NAN;
    if (et_tnet_forward(st, batch, true, &err) != ET_OK || et_hints_apply(h, batch, &l, &err) != ET_OK)
        fprintf(stderr, "hint loss: %s\n", err.msg);
    return l;
}

static void test_hints_on_fixture(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/models/fmnist_mbv2.onnx", src_dir());
    et_load_options lo = {0};
    et_model *m = NULL;
    et_err err = {0};
    ET_CHECK(et_model_load(path, &lo, &m, &err) == ET_OK);
    if (!m)
        return;
    enum { BATCH = 2 };
    et_tnet_options o = et_tnet_options_default();
    o.batch = BATCH;
    et_tnet *st = NULL, *te = NULL;
    et_hints *h = NULL;
    ET_CHECK(et_tnet_create(m->graph, &o, &st, &err) == ET_OK && et_tnet_create(m->graph, &o, &te, &err) == ET_OK);
    ET_CHECK(st && te && et_hints_create(st, te, 0.8, &h, &err) == ET_OK);
    if (!h) {
        et_tnet_free(st), et_tnet_free(te), et_model_free(m);
        return;
    }
    /* 28x28 input: stages at 28, 14, 7 and 4 pixels wide, each point a different resolution */
    int n = et_hints_count(h);
    ET_CHECK_MSG(n >= 3, "%d hint points", n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            ET_CHECK(strcmp(et_hints_name(h, i), et_hints_name(h, j)) != 0);
    float *in = et_tnet_input(st, 0);
    for (int64_t e = 0; e < BATCH * et_tnet_input_numel(st, 0); e++)
        in[e] = uniform();
    ET_CHECK_NEAR(hint_loss(st, h, BATCH), 0.0, 1e-6); /* the student is its teacher */

    /* a student that differs: every weight of the first layer moved */
    et_tparam *p = NULL;
    for (int i = 0; i < et_tnet_n_params(st) && !p; i++)
        p = et_tnet_param(st, i)->kind == ET_TPARAM_WEIGHT ? et_tnet_param(st, i) : NULL;
    ET_CHECK(p != NULL);
    if (!p)
        goto done;
    for (int64_t e = 0; e < p->numel; e++)
        p->w[e] += 0.2f * uniform() * (fabsf(p->w[e]) + 0.05f);
    et_tnet_weights_changed(st);
    double l0 = hint_loss(st, h, BATCH);
    ET_CHECK(l0 > 1e-4);
    for (int o2 = 0; o2 < et_tnet_n_outputs(st); o2++) /* only the hints drive the gradient */
        memset(et_tnet_output_grad(st, o2), 0, (size_t)(BATCH * et_tnet_output_numel(st, o2)) * sizeof(float));
    et_tnet_backward(st);
    double gmax = 0.0, worst = 0.0, worst_scaled = 0.0;
    for (int64_t e = 0; e < p->numel; e++)
        gmax = fabs((double)p->grad[e]) > gmax ? fabs((double)p->grad[e]) : gmax;
    ET_CHECK(gmax > 0.0);
    float *g = malloc((size_t)p->numel * sizeof *g);
    memcpy(g, p->grad, (size_t)p->numel * sizeof *g);
    for (int64_t e = 0; e < p->numel; e += 3) {
        const float w0 = p->w[e], h0 = 1e-4f;
        p->w[e] = w0 + h0, et_tnet_weights_changed(st);
        double up = hint_loss(st, h, BATCH);
        p->w[e] = w0 - h0, et_tnet_weights_changed(st);
        double down = hint_loss(st, h, BATCH);
        p->w[e] = w0, et_tnet_weights_changed(st);
        double fd = (up - down) / (2.0 * h0), d = fabs(fd - (double)g[e]), d5 = fabs(fd - 1.05 * (double)g[e]);
        worst = d > worst ? d : worst;
        worst_scaled = d5 > worst_scaled ? d5 : worst_scaled;
    }
    /* train_test.h's tolerance; ReLU6's kinks and the loss's curvature make h = 1e-4 the right step here */
    const double tol = 2e-3 + 4e-3 * gmax;
    ET_CHECK_MSG(worst <= tol, "seeded backward vs finite differences: %g (largest gradient %g)", worst, gmax);
    ET_CHECK(worst_scaled > tol); /* the tolerance bites: the gradient 5 % off fails it */
    free(g);
done:
    et_hints_free(h);
    et_tnet_free(st);
    et_tnet_free(te);
    et_model_free(m);
}

int main(void) {
    ET_RUN(test_hint_loss_gradient);
    ET_RUN(test_hint_loss_is_per_channel);
    ET_RUN(test_hints_on_fixture);
    return et_test_done();
}
