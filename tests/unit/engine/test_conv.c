/* test_conv.c: Conv and ConvTranspose against naive loops, for the cases the ONNX node tests leave out: groups,
 * depthwise with a channel multiplier, dilations with strides and asymmetric pads, 1-D and 3-D, auto_pad, large
 * shapes that cross the GEMM tiles and im2col chunks, every fused activation, and hostile attributes (which must
 * fail in shape inference with a message naming the node, never crash). Each case runs with 1 and 4 threads. */
#include "et_test.h"
#include "op_harness.h"

typedef struct conv_case {
    int ns; /* spatial dims */
    int64_t n, c, m, group;
    int64_t in[3], k[3], s[3], d[3], p0[3], p1[3];
    const char *auto_pad; /* NULL: explicit pads */
    bool bias;
    et_activation act;
} conv_case;

/* Output size per dim (explicit pads). */
static int64_t out_dim(const conv_case *c, int i) {
    return (c->in[i] + c->p0[i] + c->p1[i] - c->d[i] * (c->k[i] - 1) - 1) / c->s[i] + 1;
}

static void naive_conv(const conv_case *c, const float *x, const float *w, const float *b, float *y) {
    int64_t in[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, p[3] = {0}, o[3] = {1, 1, 1};
    for (int i = 0; i < c->ns; i++) {
        int j = 3 - c->ns + i;
        in[j] = c->in[i], k[j] = c->k[i], s[j] = c->s[i], d[j] = c->d[i], p[j] = c->p0[i], o[j] = out_dim(c, i);
    }
    int64_t cg = c->c / c->group, mg = c->m / c->group;
    for (int64_t n = 0; n < c->n; n++)
        for (int64_t m = 0; m < c->m; m++)
            for (int64_t od = 0; od < o[0]; od++)
                for (int64_t oh = 0; oh < o[1]; oh++)
                    for (int64_t ow = 0; ow < o[2]; ow++) {
                        double acc = b ? b[m] : 0;
                        for (int64_t ci = 0; ci < cg; ci++)
                            for (int64_t kd = 0; kd < k[0]; kd++)
                                for (int64_t kh = 0; kh < k[1]; kh++)
                                    for (int64_t kw = 0; kw < k[2]; kw++) {
                                        int64_t id = od * s[0] - p[0] + kd * d[0];
                                        int64_t ih = oh * s[1] - p[1] + kh * d[1];
                                        int64_t iw = ow * s[2] - p[2] + kw * d[2];
                                        if (id < 0 || id >= in[0] || ih < 0 || ih >= in[1] || iw < 0 || iw >= in[2])
                                            continue;
                                        int64_t c_in = (m / mg) * cg + ci;
                                        acc += (double)x[(((n * c->c + c_in) * in[0] + id) * in[1] + ih) * in[2] + iw] *
                                               w[((m * cg + ci) * k[0] + kd) * k[1] * k[2] + kh * k[2] + kw];
                                    }
                        *y++ = oh_act(&c->act, (float)acc);
                    }
}

/* Builds and runs one Conv; returns the max relative error against the naive loop (or -1 on failure). */
static double run_conv_case(const conv_case *c, int threads) {
    oh_graph t = oh_new(13);
    et_shape xs = {.rank = 2 + c->ns, .dim = {c->n, c->c}}, ws = {.rank = 2 + c->ns, .dim = {c->m, c->c / c->group}};
    int64_t xn = c->n * c->c, wn = c->m * (c->c / c->group), yn = c->n * c->m;
    for (int i = 0; i < c->ns; i++) {
        xs.dim[2 + i] = c->in[i];
        ws.dim[2 + i] = c->k[i];
        xn *= c->in[i];
        wn *= c->k[i];
        yn *= out_dim(c, i);
    }
    float *x = malloc((size_t)xn * 4), *w = malloc((size_t)wn * 4), *b = malloc((size_t)c->m * 4);
    float *want = malloc((size_t)yn * 4);
    oh_fill(x, xn, 1);
    oh_fill(w, wn, 2);
    oh_fill(b, c->m, 3);
    naive_conv(c, x, w, c->bias ? b : NULL, want);
    int xv = oh_input(&t, "x", ET_DT_F32, xs);
    int wv = oh_const(&t, "w", ET_DT_F32, ws, w);
    int bv = oh_const(&t, "b", ET_DT_F32, SHAPE(c->m), b);
    int yv = oh_value(&t, "y");
    int nd = oh_node(&t, ET_OP_CONV, (int[]){xv, wv, bv}, c->bias ? 3 : 2, (int[]){yv}, 1);
    int64_t strides[3], dil[3], pads[6];
    for (int i = 0; i < c->ns; i++)
        strides[i] = c->s[i], dil[i] = c->d[i], pads[i] = c->p0[i], pads[c->ns + i] = c->p1[i];
    et_node_set_attr_ints(t.g, nd, "strides", strides, c->ns);
    et_node_set_attr_ints(t.g, nd, "dilations", dil, c->ns);
    if (c->auto_pad)
        et_node_set_attr_string(t.g, nd, "auto_pad", c->auto_pad);
    else
        et_node_set_attr_ints(t.g, nd, "pads", pads, 2 * c->ns);
    et_node_set_attr_int(t.g, nd, "group", c->group);
    t.g->nodes[nd].act = c->act;
    oh_output(&t, yv);
    et_err err = {0};
    et_plan *p = oh_plan(&t, threads, (const void *[]){x}, &err);
    double e = -1;
    if (!p) {
        fprintf(stderr, "conv case failed: %s\n", err.msg);
    } else {
        const et_tensor *y = et_plan_output(p, 0);
        if (et_shape_numel(&y->shape) == yn)
            e = oh_max_rel_err(y->data, want, yn);
        else
            fprintf(stderr, "conv case: output has %lld elements, expected %lld\n",
                    (long long)et_shape_numel(&y->shape), (long long)yn);
        et_plan_free(p);
    }
    oh_free(&t);
    free(x), free(w), free(b), free(want);
    return e;
}

#define CHECK_CONV(CASE)                                                                       \
    do {                                                                                       \
        for (int th = 1; th <= 4; th += 3) {                                                   \
            double e_ = run_conv_case(&(CASE), th);                                            \
            ET_CHECK_MSG(e_ >= 0 && e_ < 1e-4, "%s: error %g with %d threads", #CASE, e_, th); \
        }                                                                                      \
    } while (0)

static void test_conv_shapes(void) {
    conv_case basic = {2, 2, 3, 4, 1, {9, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, NULL, true, {0}};
    CHECK_CONV(basic);
    conv_case grouped = {2, 1, 4, 6, 2, {11, 10}, {3, 2}, {2, 1}, {2, 3}, {1, 0}, {2, 1}, NULL, true, {0}};
    CHECK_CONV(grouped);
    conv_case depthwise = {2, 2, 5, 5, 5, {8, 9}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, NULL, true, {0}};
    CHECK_CONV(depthwise);
    conv_case multiplier = {2, 1, 3, 6, 3, {7, 6}, {3, 2}, {1, 2}, {2, 1}, {2, 0}, {1, 1}, NULL, false, {0}};
    CHECK_CONV(multiplier);
    conv_case pointwise = {2, 2, 16, 8, 1, {5, 6}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, NULL, true, {0}};
    CHECK_CONV(pointwise);
    conv_case pointwise_strided = {2, 1, 6, 5, 1, {7, 7}, {1, 1}, {2, 2}, {1, 1}, {0, 1}, {0, 0}, NULL, false, {0}};
    CHECK_CONV(pointwise_strided);
    conv_case one_d = {1, 2, 3, 2, 1, {17}, {5}, {2}, {2}, {3}, {1}, NULL, true, {0}};
    CHECK_CONV(one_d);
    conv_case three_d = {3,         1,         2,         3,         1,    {5, 6, 7}, {2, 3, 2},
                         {1, 2, 1}, {1, 1, 2}, {0, 1, 1}, {1, 0, 1}, NULL, true,      {0}};
    CHECK_CONV(three_d);
    conv_case grouped_3d = {3,         1,         4,         4,         2,    {4, 5, 5}, {3, 1, 3},
                            {2, 1, 1}, {1, 1, 1}, {1, 0, 1}, {1, 0, 1}, NULL, true,      {0}};
    CHECK_CONV(grouped_3d);
    /* more output channels than one GEMM tile, rows that are not a multiple of 4, columns not of 8, and
     * several im2col chunks (kg * OW * 4 bytes > 2 MiB / rows) */
    conv_case big = {2, 1, 64, 70, 1, {30, 61}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, NULL, true, {0}};
    CHECK_CONV(big);
    conv_case kernel_is_input = {2, 1, 2, 3, 1, {4, 5}, {4, 5}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, NULL, true, {0}};
    CHECK_CONV(kernel_is_input);
    conv_case stride_beyond = {2, 1, 1, 1, 1, {5, 5}, {1, 1}, {7, 7}, {1, 1}, {0, 0}, {0, 0}, NULL, false, {0}};
    CHECK_CONV(stride_beyond);
}

static void test_conv_auto_pad(void) {
    /* SAME_UPPER with an even kernel and stride 2 on an odd size: total padding 1 goes at the end */
    conv_case upper = {2, 1, 2, 2, 1, {7, 8}, {2, 4}, {2, 2}, {1, 1}, {0, 1}, {1, 1}, "SAME_UPPER", true, {0}};
    CHECK_CONV(upper);
    conv_case lower = {2, 1, 2, 2, 1, {7, 8}, {2, 4}, {2, 2}, {1, 1}, {1, 1}, {0, 1}, "SAME_LOWER", true, {0}};
    CHECK_CONV(lower);
    conv_case valid = {2, 1, 2, 2, 1, {7, 8}, {3, 2}, {2, 3}, {1, 1}, {0, 0}, {0, 0}, "VALID", false, {0}};
    CHECK_CONV(valid);
}

static void test_conv_fused_activations(void) {
    const et_activation acts[] = {
        {ET_ACT_RELU, 0, 0},    {ET_ACT_CLIP, -0.25f, 0.5f},       {ET_ACT_LEAKY_RELU, 0.1f, 0},
        {ET_ACT_SIGMOID, 0, 0}, {ET_ACT_HARD_SIGMOID, 0.2f, 0.5f}, {ET_ACT_HARD_SWISH, 0, 0},
        {ET_ACT_TANH, 0, 0},
    };
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        conv_case im2col = {2, 1, 3, 5, 1, {6, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, NULL, true, acts[i]};
        conv_case dw = {2, 1, 4, 4, 4, {6, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, NULL, true, acts[i]};
        conv_case pw = {2, 1, 4, 3, 1, {6, 7}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, NULL, false, acts[i]};
        double e1 = run_conv_case(&im2col, 1), e2 = run_conv_case(&dw, 1), e3 = run_conv_case(&pw, 1);
        ET_CHECK_MSG(e1 >= 0 && e1 < 1e-4 && e2 >= 0 && e2 < 1e-4 && e3 >= 0 && e3 < 1e-4, "%s: %g %g %g",
                     et_act_name(acts[i].kind), e1, e2, e3);
    }
}

/* ---- ConvTranspose ------------------------------------------------------------------------------------------ */

typedef struct convt_case {
    int ns;
    int64_t n, c, m, group; /* m = output channels */
    int64_t in[3], k[3], s[3], d[3], p0[3], p1[3], op[3];
    bool bias;
} convt_case;

static int64_t convt_out(const convt_case *c, int i) {
    return c->s[i] * (c->in[i] - 1) + c->op[i] + c->d[i] * (c->k[i] - 1) + 1 - c->p0[i] - c->p1[i];
}

static void naive_convt(const convt_case *c, const float *x, const float *w, const float *b, float *y, int64_t yn) {
    int64_t cg = c->c / c->group, mg = c->m / c->group, o[3] = {1, 1, 1}, in[3] = {1, 1, 1}, k[3] = {1, 1, 1};
    int64_t s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, p[3] = {0};
    for (int i = 0; i < c->ns; i++) {
        int j = 3 - c->ns + i;
        o[j] = convt_out(c, i), in[j] = c->in[i], k[j] = c->k[i], s[j] = c->s[i], d[j] = c->d[i], p[j] = c->p0[i];
    }
    int64_t plane = o[0] * o[1] * o[2];
    for (int64_t i = 0; i < yn; i++)
        y[i] = b ? b[(i / plane) % c->m] : 0;
    for (int64_t n = 0; n < c->n; n++)
        for (int64_t ci = 0; ci < c->c; ci++)
            for (int64_t id = 0; id < in[0]; id++)
                for (int64_t ih = 0; ih < in[1]; ih++)
                    for (int64_t iw = 0; iw < in[2]; iw++) {
                        float xv = x[(((n * c->c + ci) * in[0] + id) * in[1] + ih) * in[2] + iw];
                        int64_t g = ci / cg;
                        for (int64_t mm = 0; mm < mg; mm++)
                            for (int64_t kd = 0; kd < k[0]; kd++)
                                for (int64_t kh = 0; kh < k[1]; kh++)
                                    for (int64_t kw = 0; kw < k[2]; kw++) {
                                        int64_t od = id * s[0] - p[0] + kd * d[0];
                                        int64_t oh = ih * s[1] - p[1] + kh * d[1];
                                        int64_t ow = iw * s[2] - p[2] + kw * d[2];
                                        if (od < 0 || od >= o[0] || oh < 0 || oh >= o[1] || ow < 0 || ow >= o[2])
                                            continue;
                                        int64_t m = g * mg + mm;
                                        y[(((n * c->m + m) * o[0] + od) * o[1] + oh) * o[2] + ow] +=
                                            xv * w[(((ci * mg + mm) * k[0] + kd) * k[1] + kh) * k[2] + kw];
                                    }
                    }
}

static double run_convt_case(const convt_case *c, int threads) {
    oh_graph t = oh_new(13);
    int64_t mg = c->m / c->group;
    et_shape xs = {.rank = 2 + c->ns, .dim = {c->n, c->c}}, ws = {.rank = 2 + c->ns, .dim = {c->c, mg}};
    int64_t xn = c->n * c->c, wn = c->c * mg, yn = c->n * c->m;
    for (int i = 0; i < c->ns; i++) {
        xs.dim[2 + i] = c->in[i];
        ws.dim[2 + i] = c->k[i];
        xn *= c->in[i];
        wn *= c->k[i];
        yn *= convt_out(c, i);
    }
    float *x = malloc((size_t)xn * 4), *w = malloc((size_t)wn * 4), *b = malloc((size_t)c->m * 4);
    float *want = malloc((size_t)yn * 4);
    oh_fill(x, xn, 4);
    oh_fill(w, wn, 5);
    oh_fill(b, c->m, 6);
    naive_convt(c, x, w, c->bias ? b : NULL, want, yn);
    int xv = oh_input(&t, "x", ET_DT_F32, xs);
    int wv = oh_input(&t, "w", ET_DT_F32, ws); /* runtime weights, as in the node tests */
    int bv = oh_const(&t, "b", ET_DT_F32, SHAPE(c->m), b);
    int yv = oh_value(&t, "y");
    int nd = oh_node(&t, ET_OP_CONV_TRANSPOSE, (int[]){xv, wv, bv}, c->bias ? 3 : 2, (int[]){yv}, 1);
    int64_t strides[3], dil[3], pads[6], op[3];
    for (int i = 0; i < c->ns; i++)
        strides[i] = c->s[i], dil[i] = c->d[i], pads[i] = c->p0[i], pads[c->ns + i] = c->p1[i], op[i] = c->op[i];
    et_node_set_attr_ints(t.g, nd, "strides", strides, c->ns);
    et_node_set_attr_ints(t.g, nd, "dilations", dil, c->ns);
    et_node_set_attr_ints(t.g, nd, "pads", pads, 2 * c->ns);
    et_node_set_attr_ints(t.g, nd, "output_padding", op, c->ns);
    et_node_set_attr_int(t.g, nd, "group", c->group);
    oh_output(&t, yv);
    et_err err = {0};
    et_plan *p = oh_plan(&t, threads, (const void *[]){x, w}, &err);
    double e = -1;
    if (!p) {
        fprintf(stderr, "convtranspose case failed: %s\n", err.msg);
    } else {
        const et_tensor *y = et_plan_output(p, 0);
        if (et_shape_numel(&y->shape) == yn)
            e = oh_max_rel_err(y->data, want, yn);
        et_plan_free(p);
    }
    oh_free(&t);
    free(x), free(w), free(b), free(want);
    return e;
}

#define CHECK_CONVT(CASE)                                                                      \
    do {                                                                                       \
        for (int th = 1; th <= 4; th += 3) {                                                   \
            double e_ = run_convt_case(&(CASE), th);                                           \
            ET_CHECK_MSG(e_ >= 0 && e_ < 1e-4, "%s: error %g with %d threads", #CASE, e_, th); \
        }                                                                                      \
    } while (0)

static void test_conv_transpose(void) {
    convt_case basic = {2, 2, 3, 4, 1, {4, 5}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {0, 1}, {1, 0}, true};
    CHECK_CONVT(basic);
    convt_case grouped = {2, 1, 4, 6, 2, {5, 3}, {2, 3}, {2, 3}, {1, 2}, {1, 0}, {0, 2}, {1, 0}, true};
    CHECK_CONVT(grouped);
    convt_case one_d = {1, 1, 2, 3, 1, {6}, {4}, {3}, {2}, {2}, {1}, {2}, false};
    CHECK_CONVT(one_d);
    convt_case three_d = {3,         1,         2,         2,         2,         {3, 4, 2}, {2, 2, 3},
                          {2, 1, 2}, {1, 2, 1}, {0, 1, 1}, {1, 0, 0}, {1, 0, 1}, true};
    CHECK_CONVT(three_d);
    convt_case depthwise_up = {2, 1, 3, 3, 3, {5, 5}, {4, 4}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, true};
    CHECK_CONVT(depthwise_up);
    /* an input large enough to take several column chunks */
    convt_case big = {2, 1, 8, 64, 1, {40, 200}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, true};
    CHECK_CONVT(big);
}

/* ---- hostile attributes ------------------------------------------------------------------------------------- */

typedef void (*attr_fn)(et_graph *g, int node);

/* Builds a 1x4x5x5 Conv with 2x4x3x3 weights, lets `mutate` damage it, and returns the inference status. */
static et_status infer_conv_with(et_op op, attr_fn mutate, int64_t wc, int64_t kh, char *msg, size_t len) {
    oh_graph t = oh_new(13);
    float w[2 * 4 * 7 * 7] = {0};
    int xv = oh_input(&t, "x", ET_DT_F32, SHAPE(1, 4, 5, 5));
    int wv = oh_const(&t, "w", ET_DT_F32, op == ET_OP_CONV ? SHAPE(2, wc, kh, 3) : SHAPE(4, wc, kh, 3), w);
    int yv = oh_value(&t, "y");
    int nd = oh_node(&t, op, (int[]){xv, wv}, 2, (int[]){yv}, 1);
    mutate(t.g, nd);
    oh_output(&t, yv);
    et_err err = {0};
    et_status st = oh_infer(&t, &err);
    snprintf(msg, len, "%s", err.msg);
    oh_free(&t);
    return st;
}

static void m_none(et_graph *g, int n) { (void)g, (void)n; }
static void m_zero_stride(et_graph *g, int n) { et_node_set_attr_ints(g, n, "strides", (int64_t[]){0, 1}, 2); }
static void m_neg_stride(et_graph *g, int n) { et_node_set_attr_ints(g, n, "strides", (int64_t[]){-2, 1}, 2); }
static void m_zero_dil(et_graph *g, int n) { et_node_set_attr_ints(g, n, "dilations", (int64_t[]){1, 0}, 2); }
static void m_neg_pad(et_graph *g, int n) { et_node_set_attr_ints(g, n, "pads", (int64_t[]){-1, 0, 0, 0}, 4); }
static void m_huge_pad(et_graph *g, int n) {
    et_node_set_attr_ints(g, n, "pads", (int64_t[]){INT64_MAX / 2, 0, INT64_MAX / 2, 0}, 4);
}
static void m_pad_count(et_graph *g, int n) { et_node_set_attr_ints(g, n, "pads", (int64_t[]){1, 1}, 2); }
static void m_huge_dil(et_graph *g, int n) { et_node_set_attr_ints(g, n, "dilations", (int64_t[]){1 << 29, 1}, 2); }
static void m_auto_pad(et_graph *g, int n) { et_node_set_attr_string(g, n, "auto_pad", "SAME_MIDDLE"); }
static void m_group3(et_graph *g, int n) { et_node_set_attr_int(g, n, "group", 3); }
static void m_group0(et_graph *g, int n) { et_node_set_attr_int(g, n, "group", 0); }
static void m_kshape(et_graph *g, int n) { et_node_set_attr_ints(g, n, "kernel_shape", (int64_t[]){3, 2}, 2); }
static void m_out_shape(et_graph *g, int n) { et_node_set_attr_ints(g, n, "output_shape", (int64_t[]){0, -5}, 2); }
static void m_out_pad(et_graph *g, int n) { et_node_set_attr_ints(g, n, "output_padding", (int64_t[]){-1, 0}, 2); }
static void m_crop_all(et_graph *g, int n) { et_node_set_attr_ints(g, n, "pads", (int64_t[]){9, 0, 9, 0}, 4); }

static void test_conv_hostile_attributes(void) {
    char msg[ET_ERR_MSG_MAX];
    ET_CHECK_INT(infer_conv_with(ET_OP_CONV, m_none, 4, 3, msg, sizeof msg), ET_OK);
    const struct {
        attr_fn fn;
        const char *name;
    } bad[] = {{m_zero_stride, "zero stride"}, {m_neg_stride, "negative stride"}, {m_zero_dil, "zero dilation"},
               {m_neg_pad, "negative pad"},    {m_huge_pad, "huge pads"},         {m_pad_count, "pad count"},
               {m_huge_dil, "huge dilation"},  {m_auto_pad, "auto_pad"},          {m_group3, "group 3"},
               {m_group0, "group 0"},          {m_kshape, "kernel_shape"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        et_status st = infer_conv_with(ET_OP_CONV, bad[i].fn, 4, 3, msg, sizeof msg);
        ET_CHECK_MSG(st == ET_E_INPUT && strstr(msg, "node 'Conv'") != NULL, "%s: status %d, '%s'", bad[i].name,
                     (int)st, msg);
    }
    /* a kernel larger than the unpadded input */
    et_status st = infer_conv_with(ET_OP_CONV, m_none, 4, 7, msg, sizeof msg);
    ET_CHECK_MSG(st == ET_E_INPUT && strstr(msg, "larger than the padded input"), "'%s'", msg);
    /* weights that do not match the channels, or hold nothing */
    st = infer_conv_with(ET_OP_CONV, m_none, 3, 3, msg, sizeof msg);
    ET_CHECK_MSG(st == ET_E_INPUT, "'%s'", msg);
    st = infer_conv_with(ET_OP_CONV, m_none, 4, 0, msg, sizeof msg);
    ET_CHECK_MSG(st == ET_E_INPUT, "'%s'", msg);

    ET_CHECK_INT(infer_conv_with(ET_OP_CONV_TRANSPOSE, m_none, 1, 3, msg, sizeof msg), ET_OK);
    const struct {
        attr_fn fn;
        const char *name;
    } bad_t[] = {{m_zero_stride, "zero stride"}, {m_neg_pad, "negative pad"},          {m_out_shape, "output_shape"},
                 {m_out_pad, "output_padding"},  {m_crop_all, "pads crop everything"}, {m_huge_pad, "huge pads"},
                 {m_group3, "group 3"}};
    for (size_t i = 0; i < sizeof bad_t / sizeof bad_t[0]; i++) {
        st = infer_conv_with(ET_OP_CONV_TRANSPOSE, bad_t[i].fn, 1, 3, msg, sizeof msg);
        ET_CHECK_MSG(st == ET_E_INPUT && strstr(msg, "node 'ConvTranspose'") != NULL, "%s: status %d, '%s'",
                     bad_t[i].name, (int)st, msg);
    }
}

static void test_conv_unsupported_rank(void) {
    oh_graph t = oh_new(13);
    float w[16] = {0};
    int xv = oh_input(&t, "x", ET_DT_F32, SHAPE(1, 1, 2, 2, 2, 2));
    int wv = oh_const(&t, "w", ET_DT_F32, SHAPE(1, 1, 1, 1, 1, 1), w);
    int yv = oh_value(&t, "y");
    oh_node(&t, ET_OP_CONV, (int[]){xv, wv}, 2, (int[]){yv}, 1);
    oh_output(&t, yv);
    et_err err = {0};
    ET_CHECK_INT(oh_infer(&t, &err), ET_E_UNSUPPORTED);
    ET_CHECK(strstr(err.msg, "spatial dimensions") != NULL);
    oh_free(&t);
}

int main(void) {
    ET_RUN(test_conv_shapes);
    ET_RUN(test_conv_auto_pad);
    ET_RUN(test_conv_fused_activations);
    ET_RUN(test_conv_transpose);
    ET_RUN(test_conv_hostile_attributes);
    ET_RUN(test_conv_unsupported_rank);
    return et_test_done();
}
