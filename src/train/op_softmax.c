/* op_softmax.c: Softmax and LogSoftmax inside a network (a final one is not a step: losses take logits,
 * tnet.c). Opset 13 and later normalise along one axis (default the last); earlier opsets along all dims from
 * the axis on (default 1), as the engine does. Backward: Softmax dx = y (dy - sum(dy y)), LogSoftmax
 * dx = dy - exp(y) sum(dy). Tasks are samples. */
#include <math.h>
#include <stdlib.h>

#include "engine/op.h"
#include "train/tnet.h"

typedef struct softmax_state {
    bool log;
    int64_t outer, len, inner; /* per sample: outer groups of len values, inner apart */
} softmax_state;

typedef struct sm_run {
    const softmax_state *m;
    const float *x, *y, *dy;
    float *out, *dx;
    bool acc;
    int64_t per_sample;
} sm_run;

static void forward_task(void *arg, size_t begin, size_t end) {
    const sm_run *r = arg;
    const softmax_state *m = r->m;
    for (size_t s = begin; s < end; s++)
        for (int64_t o = 0; o < m->outer; o++)
            for (int64_t i = 0; i < m->inner; i++) {
                const int64_t at = (int64_t)s * r->per_sample + o * m->len * m->inner + i;
                const float *x = r->x + at;
                float *y = r->out + at;
                float mx = x[0];
                for (int64_t j = 1; j < m->len; j++)
                    mx = x[j * m->inner] > mx ? x[j * m->inner] : mx;
                double sum = 0.0;
                for (int64_t j = 0; j < m->len; j++)
                    sum += exp((double)(x[j * m->inner] - mx));
                const float lse = mx + (float)log(sum);
                for (int64_t j = 0; j < m->len; j++)
                    y[j * m->inner] = m->log ? x[j * m->inner] - lse : expf(x[j * m->inner] - lse);
            }
}

static void backward_task(void *arg, size_t begin, size_t end) {
    const sm_run *r = arg;
    const softmax_state *m = r->m;
    for (size_t s = begin; s < end; s++)
        for (int64_t o = 0; o < m->outer; o++)
            for (int64_t i = 0; i < m->inner; i++) {
                const int64_t at = (int64_t)s * r->per_sample + o * m->len * m->inner + i;
                const float *y = r->y + at, *dy = r->dy + at;
                float *dx = r->dx + at;
                double dot = 0.0;
                for (int64_t j = 0; j < m->len; j++)
                    dot += m->log ? (double)dy[j * m->inner] : (double)dy[j * m->inner] * y[j * m->inner];
                for (int64_t j = 0; j < m->len; j++) {
                    const int64_t e = j * m->inner;
                    float g = m->log ? dy[e] - expf(y[e]) * (float)dot : y[e] * (dy[e] - (float)dot);
                    dx[e] = r->acc ? dx[e] + g : g;
                }
            }
}

static et_status forward(et_tnet *n, et_tstep *s, et_err *err) {
    (void)err;
    sm_run r = {.m = s->state,
                .x = et_tv_data(n, s->in[0]),
                .out = et_tv_data(n, s->out),
                .per_sample = n->values[s->out].numel};
    et_tnet_par_chunked(n, (size_t)n->batch_now, 8, forward_task, &r);
    return ET_OK;
}

static void backward(et_tnet *n, et_tstep *s) {
    sm_run r = {.m = s->state,
                .y = et_tv_data(n, s->out),
                .dy = et_tnet_grad_of(n, s->out),
                .per_sample = n->values[s->out].numel};
    if (!(r.dx = et_tnet_grad_begin(n, s->in[0], &r.acc)))
        return;
    et_tnet_par_chunked(n, (size_t)n->batch_now, 8, backward_task, &r);
}

static void release(et_tstep *s) { free(s->state); }

static const et_top softmax_op = {"Softmax", forward, backward, release};

et_status et_top_build_softmax(et_tnet *n, const et_node *node, et_tstep *s, et_err *err) {
    softmax_state *m = calloc(1, sizeof *m);
    if (!m)
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    s->op = &softmax_op;
    s->state = m;
    m->log = node->op == ET_OP_LOG_SOFTMAX;
    const et_tval *x = &n->values[s->in[0]];
    const bool new_rule = n->g->opset >= 13;
    int axis;
    if (!et_op_axis(et_node_attr_int(node, "axis", new_rule ? -1 : 1), x->shape.rank, &axis) || axis == 0)
        return et_fail(err, ET_E_UNSUPPORTED, "node '%s' (%s): along the batch dim", node->name, et_op_name(node->op));
    m->outer = 1, m->len = 1, m->inner = 1;
    for (int d = 1; d < axis; d++)
        m->outer *= x->shape.dim[d];
    if (new_rule) {
        m->len = x->shape.dim[axis];
        for (int d = axis + 1; d < x->shape.rank; d++)
            m->inner *= x->shape.dim[d];
    } else {
        for (int d = axis; d < x->shape.rank; d++)
            m->len *= x->shape.dim[d];
    }
    return ET_OK;
}
