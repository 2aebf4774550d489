/* optim.c: SGD with momentum, AdamW, gradient clipping and the warm-up + cosine schedule (optim.h). */
#include "train/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

struct et_optim {
    et_optim_config cfg;
    et_tnet *net;
    int n_params, slots;
    float **state; /* [param * slots + slot] */
    int64_t steps;
};

static const char *const names[] = {
#define ET_X(e, s) s,
    ET_OPTIM_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof names / sizeof names[0] == ET_OPTIM_COUNT, "optimizer names");

const char *et_optim_name(et_optim_kind k) { return (unsigned)k < ET_OPTIM_COUNT ? names[k] : "?"; }

int et_optim_parse(const char *s) {
    for (int i = 0; i < ET_OPTIM_COUNT; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

et_optim_config et_optim_config_default(et_optim_kind kind) {
    if (kind == ET_OPTIM_ADAMW)
        return (et_optim_config){.kind = kind, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.01f};
    return (et_optim_config){.kind = ET_OPTIM_SGD, .momentum = 0.9f, .nesterov = true, .weight_decay = 5e-4f};
}

et_status et_optim_create(const et_optim_config *cfg, et_tnet *net, et_optim **out, et_err *err) {
    *out = NULL;
    et_optim *o = calloc(1, sizeof *o);
    if (!o)
        return et_fail(err, ET_E_NOMEM, "out of memory for the optimizer");
    o->cfg = *cfg;
    o->net = net;
    o->n_params = et_tnet_n_params(net);
    o->slots = cfg->kind == ET_OPTIM_ADAMW ? 2 : 1;
    o->state = calloc((size_t)(o->n_params * o->slots) + 1, sizeof *o->state);
    if (!o->state) {
        free(o);
        return et_fail(err, ET_E_NOMEM, "out of memory for the optimizer");
    }
    for (int i = 0; i < o->n_params; i++)
        for (int s = 0; s < o->slots; s++)
            if (!(o->state[i * o->slots + s] = et_aligned_calloc((size_t)et_tnet_param(net, i)->numel *
                                                                 sizeof(float)))) {
                et_optim_free(o);
                return et_fail(err, ET_E_NOMEM, "out of memory for the optimizer");
            }
    *out = o;
    return ET_OK;
}

void et_optim_free(et_optim *o) {
    if (!o)
        return;
    for (int i = 0; i < o->n_params * o->slots; i++)
        et_aligned_free(o->state[i]);
    free(o->state);
    free(o);
}

double et_optim_grad_norm(const et_optim *o) {
    double sq = 0.0;
    for (int i = 0; i < o->n_params; i++) {
        const et_tparam *p = et_tnet_param(o->net, i);
        for (int64_t e = 0; e < p->numel; e++)
            sq += (double)p->grad[e] * p->grad[e];
    }
    return sqrt(sq);
}

static void sgd(const et_optim *o, et_tparam *p, float *buf, float lr, bool first) {
    const float mu = o->cfg.momentum, wd = p->kind == ET_TPARAM_WEIGHT ? o->cfg.weight_decay : 0.0f;
    for (int64_t e = 0; e < p->numel; e++) {
        float g = p->grad[e] + wd * p->w[e];
        if (mu != 0.0f) {
            buf[e] = first ? g : mu * buf[e] + g;
            g = o->cfg.nesterov ? g + mu * buf[e] : buf[e];
        }
        p->w[e] -= lr * g;
    }
}

static void adamw(const et_optim *o, et_tparam *p, float *m, float *v, float lr) {
    const float b1 = o->cfg.beta1, b2 = o->cfg.beta2, eps = o->cfg.eps;
    const float wd = p->kind == ET_TPARAM_WEIGHT ? o->cfg.weight_decay : 0.0f;
    const double t = (double)o->steps;
    const float bc1 = (float)(1.0 - pow(b1, t)), bc2_sqrt = (float)sqrt(1.0 - pow(b2, t));
    const float step = lr / bc1, decay = 1.0f - lr * wd;
    for (int64_t e = 0; e < p->numel; e++) {
        const float g = p->grad[e];
        p->w[e] *= decay;
        m[e] = b1 * m[e] + (1.0f - b1) * g;
        v[e] = b2 * v[e] + (1.0f - b2) * g * g;
        p->w[e] -= step * m[e] / (sqrtf(v[e]) / bc2_sqrt + eps);
    }
}

double et_optim_step(et_optim *o, float lr) {
    double norm = et_optim_grad_norm(o);
    if (o->cfg.clip_norm > 0.0f && norm > o->cfg.clip_norm) {
        float k = (float)(o->cfg.clip_norm / (norm + 1e-6));
        for (int i = 0; i < o->n_params; i++) {
            et_tparam *p = et_tnet_param(o->net, i);
            for (int64_t e = 0; e < p->numel; e++)
                p->grad[e] *= k;
        }
    }
    o->steps++;
    for (int i = 0; i < o->n_params; i++) {
        et_tparam *p = et_tnet_param(o->net, i);
        if (o->cfg.kind == ET_OPTIM_ADAMW)
            adamw(o, p, o->state[2 * i], o->state[2 * i + 1], lr);
        else
            sgd(o, p, o->state[i], lr, o->steps == 1);
    }
    et_tnet_weights_changed(o->net);
    return norm;
}

int64_t *et_optim_steps(et_optim *o) { return &o->steps; }
int et_optim_slots(const et_optim *o) { return o->slots; }
float *et_optim_state(et_optim *o, int param, int slot) { return o->state[param * o->slots + slot]; }

float et_schedule_lr(const et_schedule *s, int64_t step) {
    if (s->warmup > 0 && step < s->warmup)
        return s->lr * (float)(step + 1) / (float)s->warmup;
    int64_t span = s->total - s->warmup;
    if (span <= 1)
        return s->lr;
    double progress = (double)(step - s->warmup) / (double)(span - 1);
    progress = progress < 0 ? 0 : (progress > 1 ? 1 : progress);
    return s->min_lr + 0.5f * (s->lr - s->min_lr) * (float)(1.0 + cos(M_PI * progress));
}
