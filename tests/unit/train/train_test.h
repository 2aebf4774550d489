/* train_test.h: helpers for the training-engine tests: small graphs (op_harness.h), seeded data, and the
 * finite-difference check of a network's gradients.
 *
 * The check: loss L = sum r . y over every output element (r seeded, fixed), so d L / d y = r; the backward's
 * gradient of each parameter and input element is compared with the central difference
 * (L(v + h) - L(v - h)) / 2h of forwards in float, with L summed in double. Float forwards make the difference
 * accurate to about 1e-7 |L| / h, so elements are compared with |fd - analytic| <= atol + rtol max|analytic|;
 * tc_check also proves the tolerance bites: the same comparison must fail once one analytic element is moved
 * by 5 % of the largest gradient. */
#ifndef ET_TRAIN_TEST_H
#define ET_TRAIN_TEST_H

#include "engine/op_harness.h"
#include "et_test.h"
#include "train/train.h"
#include "util/mem.h"

typedef struct tc_case {
    oh_graph t;
    et_tnet *net;
    int batch;
    float *r; /* per output: batch x numel weights of the loss */
    int n_out;
} tc_case;

/* Builds the network (after oh_infer) for `batch` samples and fills its inputs with seeded values in [-1, 1). */
static inline bool tc_build(tc_case *c, int batch, et_bn_mode bn, uint32_t seed) {
    et_err err = {0};
    if (oh_infer(&c->t, &err) != ET_OK) {
        fprintf(stderr, "infer: %s\n", err.msg);
        return false;
    }
    et_tnet_options o = et_tnet_options_default();
    o.batch = batch;
    o.bn = bn;
    o.input_grads = true;
    if (et_tnet_create(c->t.g, &o, &c->net, &err) != ET_OK) {
        fprintf(stderr, "tnet: %s\n", err.msg);
        return false;
    }
    c->batch = batch;
    for (int i = 0; i < et_tnet_n_inputs(c->net); i++)
        oh_fill(et_tnet_input(c->net, i), batch * et_tnet_input_numel(c->net, i), seed + (uint32_t)i);
    c->n_out = et_tnet_n_outputs(c->net);
    int64_t total = 0;
    for (int o2 = 0; o2 < c->n_out; o2++)
        total += batch * et_tnet_output_numel(c->net, o2);
    c->r = malloc((size_t)total * sizeof *c->r);
    oh_fill(c->r, total, seed + 99);
    return true;
}

static inline void tc_free(tc_case *c) {
    et_tnet_free(c->net);
    free(c->r);
    oh_free(&c->t);
}

/* L = sum r . y after a training forward. */
static inline double tc_loss(tc_case *c) {
    et_err err = {0};
    if (et_tnet_forward(c->net, c->batch, true, &err) != ET_OK) {
        fprintf(stderr, "forward: %s\n", err.msg);
        return NAN;
    }
    double l = 0;
    const float *r = c->r;
    for (int o = 0; o < c->n_out; o++) {
        int64_t n = c->batch * et_tnet_output_numel(c->net, o);
        const float *y = et_tnet_output(c->net, o);
        for (int64_t e = 0; e < n; e++)
            l += (double)r[e] * y[e];
        r += n;
    }
    return l;
}

static inline void tc_backward(tc_case *c) {
    tc_loss(c);
    const float *r = c->r;
    for (int o = 0; o < c->n_out; o++) {
        int64_t n = c->batch * et_tnet_output_numel(c->net, o);
        float *g = et_tnet_output_grad(c->net, o);
        if (g)
            memcpy(g, r, (size_t)n * sizeof *g);
        r += n;
    }
    et_tnet_backward(c->net);
}

/* Compares analytic gradient an[0..n) of the values v[0..n) with finite differences (v perturbed in place,
 * restored; weights_changed after each change when is_param). Returns the number of elements out of tolerance
 * and the worst |fd - an| in *worst. At most max_check elements are tried (spread over the tensor). */
static inline int tc_compare(tc_case *c, float *v, const float *an, int64_t n, bool is_param, float h, double atol,
                             double rtol, int64_t max_check, double *worst, bool quiet) {
    double amax = 0;
    for (int64_t i = 0; i < n; i++)
        amax = fabs(an[i]) > amax ? fabs(an[i]) : amax;
    int64_t step = n > max_check ? n / max_check : 1;
    int bad = 0;
    *worst = 0;
    for (int64_t i = 0; i < n; i += step) {
        float keep = v[i];
        v[i] = keep + h;
        if (is_param)
            et_tnet_weights_changed(c->net);
        double lp = tc_loss(c);
        v[i] = keep - h;
        if (is_param)
            et_tnet_weights_changed(c->net);
        double lm = tc_loss(c);
        v[i] = keep;
        if (is_param)
            et_tnet_weights_changed(c->net);
        double fd = (lp - lm) / (2.0 * h), d = fabs(fd - an[i]);
        *worst = d > *worst ? d : *worst;
        if (!(d <= atol + rtol * amax)) {
            if (bad < 4 && !quiet)
                fprintf(stderr, "    element %lld: finite difference %.6g, backward %.6g\n", (long long)i, fd, an[i]);
            bad++;
        }
    }
    return bad;
}

/* Checks every parameter and input gradient of the case; returns the number of bad elements. With
 * prove_tolerance, also checks that a 5 % error in one element of the first gradient is caught. */
static inline int tc_check(tc_case *c, float h, double atol, double rtol, bool prove_tolerance) {
    tc_backward(c);
    int bad = 0;
    double worst;
    et_tnet *n = c->net;
    /* copies: the finite differences run forwards, which leave the gradients alone, but keep them safe */
    for (int i = 0; i < et_tnet_n_inputs(n); i++) {
        int64_t ne = c->batch * et_tnet_input_numel(n, i);
        const float *g = et_tnet_input_grad(n, i);
        if (!g)
            continue;
        float *an = malloc((size_t)ne * sizeof *an);
        memcpy(an, g, (size_t)ne * sizeof *an);
        int b = tc_compare(c, et_tnet_input(n, i), an, ne, false, h, atol, rtol, 400, &worst, false);
        if (b)
            fprintf(stderr, "  input %d: %d elements off (worst %.3g)\n", i, b, worst);
        bad += b;
        if (prove_tolerance) {
            double amax = 0;
            int64_t at = 0;
            for (int64_t e = 0; e < ne; e++)
                if (fabs(an[e]) > amax)
                    amax = fabs(an[e]), at = e;
            an[at] += (float)(0.05 * amax);
            int caught = tc_compare(c, et_tnet_input(n, i), an, ne, false, h, atol, rtol, ne, &worst, true);
            ET_CHECK_MSG(caught > 0, "a 5%% error in input %d's gradient went unnoticed", i);
        }
        free(an);
    }
    for (int i = 0; i < et_tnet_n_params(n); i++) {
        et_tparam *p = et_tnet_param(n, i);
        float *an = malloc((size_t)p->numel * sizeof *an);
        memcpy(an, p->grad, (size_t)p->numel * sizeof *an);
        int b = tc_compare(c, p->w, an, p->numel, true, h, atol, rtol, 400, &worst, false);
        if (b)
            fprintf(stderr, "  parameter %s: %d elements off (worst %.3g)\n", p->name, b, worst);
        bad += b;
        free(an);
    }
    return bad;
}

/* A parameter constant of seeded values in [-scale, scale). */
static inline int tc_param(oh_graph *t, const char *name, et_shape s, float scale, uint32_t seed) {
    int64_t n = et_shape_numel(&s);
    float *d = malloc((size_t)n * sizeof *d);
    oh_fill(d, n, seed);
    for (int64_t i = 0; i < n; i++)
        d[i] *= scale;
    int v = oh_const(t, name, ET_DT_F32, s, d);
    free(d);
    return v;
}

#endif
