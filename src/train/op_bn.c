/* op_bn.c: BatchNormalization in training.
 *
 * Two modes (train.h, et_bn_mode): with the running statistics, it is a per-channel affine map whose scale and
 * shift train (fine-tuning: the loaded model folds BatchNorm into the convolutions anyway, see
 * src/train/README.md); with batch statistics, each channel is normalised by the mean and variance over the
 * batch and the spatial positions, and the running statistics move towards them as PyTorch moves them
 * (running = momentum x running + (1 - momentum) x batch, ONNX's momentum attribute, default 0.9; the running
 * variance takes the unbiased batch variance). Evaluation always uses the running statistics.
 *
 * Tasks are channels: each sums over the whole batch in a fixed order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/tnet.h"

typedef struct bn_state {
    int64_t c, spatial;
    float eps, momentum;
    float *running_mean, *running_var; /* the network's buffers */
    float *mean, *invstd;              /* per channel, of the last forward (batch or running) */
    bool batch_stats;                  /* the last forward normalised with batch statistics */
} bn_state;

static void release(et_tstep *s) {
    bn_state *b = s->state;
    if (b) {
        free(b->mean);
        free(b->invstd);
        free(b);
    }
}

typedef struct bn_run {
    et_tnet *n;
    bn_state *b;
    const float *x, *scale, *shift, *dy;
    float *y, *dx, *dscale, *dshift;
    bool acc_x, acc_scale, acc_shift;
} bn_run;

static void forward_task(void *arg, size_t begin, size_t end) {
    const bn_run *r = arg;
    bn_state *b = r->b;
    const int64_t batch = r->n->batch_now, stride = b->c * b->spatial;
    for (size_t ch = begin; ch < end; ch++) {
        if (b->batch_stats) {
            double sum = 0.0, sq = 0.0;
            for (int64_t i = 0; i < batch; i++) {
                const float *x = r->x + i * stride + (int64_t)ch * b->spatial;
                for (int64_t e = 0; e < b->spatial; e++)
                    sum += x[e];
            }
            const double count = (double)(batch * b->spatial), mean = sum / count;
            for (int64_t i = 0; i < batch; i++) {
                const float *x = r->x + i * stride + (int64_t)ch * b->spatial;
                for (int64_t e = 0; e < b->spatial; e++)
                    sq += ((double)x[e] - mean) * ((double)x[e] - mean);
            }
            const double var = sq / count, unbiased = count > 1 ? sq / (count - 1) : var;
            b->mean[ch] = (float)mean;
            b->invstd[ch] = (float)(1.0 / sqrt(var + (double)b->eps));
            b->running_mean[ch] = b->momentum * b->running_mean[ch] + (1.0f - b->momentum) * (float)mean;
            b->running_var[ch] = b->momentum * b->running_var[ch] + (1.0f - b->momentum) * (float)unbiased;
        } else {
            b->mean[ch] = b->running_mean[ch];
            b->invstd[ch] = 1.0f / sqrtf(b->running_var[ch] + b->eps);
        }
        const float a = r->scale[ch] * b->invstd[ch], c = r->shift[ch] - b->mean[ch] * a;
        for (int64_t i = 0; i < batch; i++) {
            const float *x = r->x + i * stride + (int64_t)ch * b->spatial;
            float *y = r->y + i * stride + (int64_t)ch * b->spatial;
            for (int64_t e = 0; e < b->spatial; e++)
                y[e] = x[e] * a + c;
        }
    }
}

static et_status forward(et_tnet *n, et_tstep *s, et_err *err) {
    (void)err;
    bn_state *b = s->state;
    b->batch_stats = n->training && n->opt.bn == ET_BN_BATCH;
    bn_run r = {.n = n,
                .b = b,
                .x = et_tv_data(n, s->in[0]),
                .scale = et_tv_data(n, s->in[1]),
                .shift = et_tv_data(n, s->in[2]),
                .y = et_tv_data(n, s->out)};
    et_tnet_par(n, (size_t)b->c, forward_task, &r);
    return ET_OK;
}

static void backward_task(void *arg, size_t begin, size_t end) {
    const bn_run *r = arg;
    const bn_state *b = r->b;
    const int64_t batch = r->n->batch_now, stride = b->c * b->spatial;
    for (size_t ch = begin; ch < end; ch++) {
        const float mean = b->mean[ch], invstd = b->invstd[ch];
        double sum_dy = 0.0, sum_dy_xhat = 0.0;
        for (int64_t i = 0; i < batch; i++) {
            const int64_t at = i * stride + (int64_t)ch * b->spatial;
            for (int64_t e = 0; e < b->spatial; e++) {
                sum_dy += r->dy[at + e];
                sum_dy_xhat += (double)r->dy[at + e] * (double)((r->x[at + e] - mean) * invstd);
            }
        }
        if (r->dscale)
            r->dscale[ch] = (r->acc_scale ? r->dscale[ch] : 0.0f) + (float)sum_dy_xhat;
        if (r->dshift)
            r->dshift[ch] = (r->acc_shift ? r->dshift[ch] : 0.0f) + (float)sum_dy;
        if (!r->dx)
            continue;
        const float g = r->scale[ch] * invstd;
        const double count = (double)(batch * b->spatial);
        const float mean_dy = b->batch_stats ? (float)(sum_dy / count) : 0.0f;
        const float mean_dy_xhat = b->batch_stats ? (float)(sum_dy_xhat / count) : 0.0f;
        for (int64_t i = 0; i < batch; i++) {
            const int64_t at = i * stride + (int64_t)ch * b->spatial;
            for (int64_t e = 0; e < b->spatial; e++) {
                float xhat = (r->x[at + e] - mean) * invstd;
                float v = g * (r->dy[at + e] - mean_dy - xhat * mean_dy_xhat);
                r->dx[at + e] = r->acc_x ? r->dx[at + e] + v : v;
            }
        }
    }
}

static void backward(et_tnet *n, et_tstep *s) {
    bn_state *b = s->state;
    bn_run r = {.n = n,
                .b = b,
                .x = et_tv_data(n, s->in[0]),
                .scale = et_tv_data(n, s->in[1]),
                .dy = et_tnet_grad_of(n, s->out)};
    r.dx = et_tnet_grad_begin(n, s->in[0], &r.acc_x);
    r.dscale = et_tnet_grad_begin(n, s->in[1], &r.acc_scale);
    r.dshift = et_tnet_grad_begin(n, s->in[2], &r.acc_shift);
    et_tnet_par(n, (size_t)b->c, backward_task, &r);
}

static const et_top bn_op = {"BatchNormalization", forward, backward, release};

static float *buffer_of(et_tnet *n, int value) {
    for (int i = 0; i < n->n_buffers; i++)
        if (n->buffers[i].value == value)
            return n->buffers[i].data;
    return NULL;
}

et_status et_top_build_bn(et_tnet *n, const et_node *node, et_tstep *s, et_err *err) {
    bn_state *b = calloc(1, sizeof *b);
    if (!b)
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    s->op = &bn_op;
    s->state = b;
    const et_tval *x = &n->values[s->in[0]];
    if (x->shape.rank < 2 || et_node_attr_int(node, "training_mode", 0))
        return et_fail(err, ET_E_UNSUPPORTED, "node '%s' (BatchNormalization): an input of rank %d%s", node->name,
                       x->shape.rank, x->shape.rank < 2 ? "" : " in ONNX training mode");
    b->c = x->shape.dim[1];
    b->spatial = b->c > 0 ? x->numel / b->c : 0;
    b->eps = et_node_attr_float(node, "epsilon", 1e-5f);
    b->momentum = et_node_attr_float(node, "momentum", 0.9f);
    b->running_mean = buffer_of(n, node->inputs[3]);
    b->running_var = buffer_of(n, node->inputs[4]);
    b->mean = malloc((size_t)b->c * sizeof *b->mean);
    b->invstd = malloc((size_t)b->c * sizeof *b->invstd);
    for (int i = 1; i <= 2; i++)
        if (n->values[s->in[i]].numel != b->c)
            return et_fail(err, ET_E_INPUT, "node '%s' (BatchNormalization): %lld channels, %lld scale values",
                           node->name, (long long)b->c, (long long)n->values[s->in[i]].numel);
    if (!b->mean || !b->invstd || !b->running_mean || !b->running_var)
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    return ET_OK;
}
