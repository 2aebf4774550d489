/* op_shape.c: Concat in training (along any dim but the batch), forward as block copies and backward as the
 * same copies the other way. The reshaping operators (Flatten, Reshape, Squeeze, Unsqueeze, Identity and
 * Dropout, which trains as the identity) have no step: their output shares its input's buffers (tnet.c). */
#include <stdlib.h>
#include <string.h>

#include "engine/op.h"
#include "train/tnet.h"

typedef struct concat_state {
    int64_t outer;     /* blocks per sample: the product of the dims before the axis (after the batch) */
    int64_t *inner;    /* per input: floats of one block (its size along the axis x the dims after it) */
    int64_t out_inner; /* the sum of inner */
} concat_state;

static void release(et_tstep *s) {
    concat_state *c = s->state;
    if (c) {
        free(c->inner);
        free(c);
    }
}

static et_status forward(et_tnet *n, et_tstep *s, et_err *err) {
    (void)err;
    const concat_state *c = s->state;
    float *y = et_tv_data(n, s->out);
    const int64_t blocks = n->batch_now * c->outer;
    for (int i = 0, at = 0; i < s->n_in; at += (int)c->inner[i], i++) {
        const float *x = et_tv_data(n, s->in[i]);
        const size_t bytes = (size_t)c->inner[i] * sizeof(float);
        for (int64_t b = 0; b < blocks; b++)
            memcpy(y + b * c->out_inner + at, x + b * c->inner[i], bytes);
    }
    return ET_OK;
}

static void backward(et_tnet *n, et_tstep *s) {
    const concat_state *c = s->state;
    const float *dy = et_tnet_grad_of(n, s->out);
    const int64_t blocks = n->batch_now * c->outer;
    for (int i = 0, at = 0; i < s->n_in; at += (int)c->inner[i], i++) {
        bool acc = false;
        float *dx = et_tnet_grad_begin(n, s->in[i], &acc);
        if (!dx)
            continue;
        for (int64_t b = 0; b < blocks; b++) {
            const float *src = dy + b * c->out_inner + at;
            float *dst = dx + b * c->inner[i];
            if (acc)
                for (int64_t e = 0; e < c->inner[i]; e++)
                    dst[e] += src[e];
            else
                memcpy(dst, src, (size_t)c->inner[i] * sizeof(float));
        }
    }
}

static const et_top concat_op = {"Concat", forward, backward, release};

et_status et_top_build_concat(et_tnet *n, const et_node *node, et_tstep *s, et_err *err) {
    concat_state *c = calloc(1, sizeof *c);
    if (!c || !(c->inner = calloc((size_t)s->n_in + 1, sizeof *c->inner))) {
        free(c);
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    }
    s->op = &concat_op;
    s->state = c;
    const et_tval *y = &n->values[s->out];
    int axis;
    if (!et_op_axis(et_node_attr_int(node, "axis", 1), y->shape.rank, &axis) || axis == 0)
        return et_fail(err, ET_E_UNSUPPORTED, "node '%s' (Concat): along the batch dim", node->name);
    c->outer = 1;
    for (int d = 1; d < axis; d++)
        c->outer *= y->shape.dim[d];
    for (int i = 0; i < s->n_in; i++) {
        if (s->in[i] < 0 || !n->values[s->in[i]].batched)
            return et_fail(err, ET_E_UNSUPPORTED, "node '%s' (Concat): input %d is not an activation", node->name, i);
        c->inner[i] = c->outer ? n->values[s->in[i]].numel / c->outer : 0;
        c->out_inner += c->inner[i];
    }
    return ET_OK;
}
