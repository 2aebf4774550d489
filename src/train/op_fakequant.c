/* op_fakequant.c: fake quantization of an 8-bit activation (quantization-aware training; where the steps go:
 * train_quant.c).
 *
 * y = dequantize(quantize(x)) with the engine's activation scheme (qmath.h: int8 asymmetric per tensor, the
 * range widened to contain 0, round half to even), so training sees the rounding and the clipping the int8
 * model does. The gradient passes straight through inside the range and is 0 outside it (the clipped values).
 *
 * The range is the one tune will calibrate after training: min/max over calibration inputs. A calibration pass
 * (et_tnet_calibrate_begin / _end, run before each epoch) resets the ranges, lets values through unchanged while
 * widening each range to what it sees, then fixes them for the training steps that follow. */
#include <math.h>
#include <stdlib.h>

#include "train/tnet.h"

typedef struct fq_state {
    float range[2]; /* lo, hi; NaN before any calibration */
    float scale;
    int32_t zp;
} fq_state;

typedef struct fq_run {
    fq_state *q;
    const float *x, *dy;
    float *y, *dx;
    bool acc;
    size_t total;
} fq_run;

enum { BLOCK = 8192 };

static void forward_task(void *arg, size_t begin, size_t end) {
    const fq_run *r = arg;
    const float scale = r->q->scale, inv = 1.0f / scale, zp = (float)r->q->zp;
    const float lo = -128.0f - zp, hi = 127.0f - zp;
    size_t e1 = end * BLOCK < r->total ? end * BLOCK : r->total;
    for (size_t e = begin * BLOCK; e < e1; e++) {
        float f = r->x[e] * inv;
        f = f >= lo ? f : lo;
        f = f <= hi ? f : hi;
        r->y[e] = rintf(f) * scale;
    }
}

static et_status forward(et_tnet *n, et_tstep *s, et_err *err) {
    (void)err;
    fq_state *q = s->state;
    const float *x = et_tv_data(n, s->in[0]);
    float *y = et_tv_data(n, s->out);
    size_t total = (size_t)n->batch_now * (size_t)n->values[s->out].numel;
    if (n->calibrating || isnan(q->range[0])) {
        float lo = q->range[0], hi = q->range[1];
        for (size_t e = 0; e < total; e++) {
            lo = isnan(lo) || x[e] < lo ? x[e] : lo;
            hi = isnan(hi) || x[e] > hi ? x[e] : hi;
            y[e] = x[e];
        }
        if (n->calibrating) {
            q->range[0] = lo, q->range[1] = hi;
            et_act_qparams(lo, hi, &q->scale, &q->zp);
        }
        return ET_OK;
    }
    fq_run r = {.q = q, .x = x, .y = y, .total = total};
    et_tnet_par_chunked(n, (total + BLOCK - 1) / BLOCK, 1, forward_task, &r);
    return ET_OK;
}

static void backward(et_tnet *n, et_tstep *s) {
    const fq_state *q = s->state;
    const float *x = et_tv_data(n, s->in[0]), *dy = et_tnet_grad_of(n, s->out);
    bool acc = false;
    float *dx = et_tnet_grad_begin(n, s->in[0], &acc);
    if (!dx)
        return;
    size_t total = (size_t)n->batch_now * (size_t)n->values[s->out].numel;
    /* the representable range: codes -128..127 around the zero point */
    const float lo = ((float)-128 - (float)q->zp) * q->scale, hi = ((float)127 - (float)q->zp) * q->scale;
    const bool pass = isnan(q->range[0]);
    for (size_t e = 0; e < total; e++) {
        float g = pass || (x[e] >= lo && x[e] <= hi) ? dy[e] : 0.0f;
        dx[e] = acc ? dx[e] + g : g;
    }
}

static void release(et_tstep *s) { free(s->state); }

static const et_top fq_op = {"FakeQuantize", forward, backward, release};

et_status et_top_build_fakequant(et_tnet *n, et_tstep *s, et_err *err) {
    et_tstep **list = realloc(n->fq_steps, (size_t)(n->n_fq + 1) * sizeof *list);
    if (list)
        n->fq_steps = list; /* the network owns it (et_tnet_free), grown or not */
    fq_state *q = list ? calloc(1, sizeof *q) : NULL;
    if (!q)
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    q->range[0] = q->range[1] = NAN;
    q->scale = 1.0f;
    s->op = &fq_op;
    s->state = q;
    n->fq_steps[n->n_fq++] = s;
    return ET_OK;
}

float *et_top_fakequant_range(et_tstep *s) { return ((fq_state *)s->state)->range; }

void et_tnet_calibrate_begin(et_tnet *n) {
    for (int i = 0; i < n->n_fq; i++) {
        fq_state *q = n->fq_steps[i]->state;
        q->range[0] = q->range[1] = NAN;
    }
    n->calibrating = true;
}

void et_tnet_calibrate_end(et_tnet *n) { n->calibrating = false; }

int et_tnet_n_act_ranges(const et_tnet *n) { return n->n_fq; }

float *et_tnet_act_range(et_tnet *n, int i) { return et_top_fakequant_range(n->fq_steps[i]); }

void et_tnet_act_ranges_changed(et_tnet *n) {
    for (int i = 0; i < n->n_fq; i++) {
        fq_state *q = n->fq_steps[i]->state;
        if (!isnan(q->range[0]))
            et_act_qparams(q->range[0], q->range[1], &q->scale, &q->zp);
    }
}
