/* test_pool.c: MaxPool (indices in both storage orders, dilations, ceil_mode, auto_pad, int8), AveragePool
 * (count_include_pad with ceil_mode, float64), 1-D and 3-D, the global pools, and hostile attributes, against a
 * naive loop. */
#include "et_test.h"
#include "op_harness.h"

typedef struct pool_case {
    et_op op;
    int ns;
    int64_t n, c, in[3], k[3], s[3], d[3], p0[3], p1[3];
    bool ceil_mode, include_pad, col_major, with_idx;
    const char *auto_pad;
} pool_case;

static int64_t pool_out(const pool_case *c, int i) {
    int64_t ek = c->d[i] * (c->k[i] - 1) + 1, span = c->in[i] + c->p0[i] + c->p1[i] - ek;
    int64_t o = (c->ceil_mode ? (span + c->s[i] - 1) / c->s[i] : span / c->s[i]) + 1;
    if (c->ceil_mode && (o - 1) * c->s[i] >= c->in[i] + c->p0[i])
        o--;
    return o;
}

/* Naive pooling in the 3-D normalised form. */
static void naive_pool(const pool_case *c, const float *x, float *y, int64_t *idx) {
    int64_t in[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, d[3] = {1, 1, 1}, p0[3] = {0}, p1[3] = {0};
    int64_t o[3] = {1, 1, 1};
    for (int i = 0; i < c->ns; i++) {
        int j = 3 - c->ns + i;
        in[j] = c->in[i], k[j] = c->k[i], s[j] = c->s[i], d[j] = c->d[i], p0[j] = c->p0[i], p1[j] = c->p1[i];
        o[j] = pool_out(c, i);
    }
    for (int64_t pl = 0; pl < c->n * c->c; pl++)
        for (int64_t od = 0; od < o[0]; od++)
            for (int64_t oh = 0; oh < o[1]; oh++)
                for (int64_t ow = 0; ow < o[2]; ow++) {
                    double best = -INFINITY, sum = 0;
                    int64_t arg = -1, cnt = 0, cnt_pad = 0;
                    for (int64_t kd = 0; kd < k[0]; kd++)
                        for (int64_t kh = 0; kh < k[1]; kh++)
                            for (int64_t kw = 0; kw < k[2]; kw++) {
                                int64_t id = od * s[0] - p0[0] + kd * d[0], ih = oh * s[1] - p0[1] + kh * d[1];
                                int64_t iw = ow * s[2] - p0[2] + kw * d[2];
                                if (id >= -p0[0] && id < in[0] + p1[0] && ih >= -p0[1] && ih < in[1] + p1[1] &&
                                    iw >= -p0[2] && iw < in[2] + p1[2])
                                    cnt_pad++;
                                if (id < 0 || id >= in[0] || ih < 0 || ih >= in[1] || iw < 0 || iw >= in[2])
                                    continue;
                                int64_t at = ((pl * in[0] + id) * in[1] + ih) * in[2] + iw;
                                sum += x[at];
                                cnt++;
                                if (x[at] > best) {
                                    best = x[at];
                                    arg = c->col_major ? pl * in[0] * in[1] * in[2] + (iw * in[1] + ih) * in[0] + id
                                                       : at;
                                }
                            }
                    if (c->op == ET_OP_MAX_POOL) {
                        *y++ = (float)best;
                        if (idx)
                            *idx++ = arg;
                    } else {
                        int64_t div = c->include_pad ? cnt_pad : cnt;
                        *y++ = div ? (float)(sum / (double)div) : 0.0f;
                    }
                }
}

static bool run_pool_case(const pool_case *c, double *err_out) {
    oh_graph t = oh_new(13);
    et_shape xs = {.rank = 2 + c->ns, .dim = {c->n, c->c}};
    int64_t xn = c->n * c->c, yn = c->n * c->c;
    for (int i = 0; i < c->ns; i++) {
        xs.dim[2 + i] = c->in[i];
        xn *= c->in[i];
        yn *= pool_out(c, i);
    }
    float *x = malloc((size_t)xn * 4), *want = malloc((size_t)yn * 4);
    int64_t *want_idx = malloc((size_t)yn * 8);
    oh_fill(x, xn, 31);
    naive_pool(c, x, want, want_idx);
    int xv = oh_input(&t, "x", ET_DT_F32, xs);
    int yv = oh_value(&t, "y"), iv = oh_value(&t, "i");
    int nd = oh_node(&t, c->op, (int[]){xv}, 1, (int[]){yv, iv}, c->with_idx ? 2 : 1);
    int64_t k[3], s[3], d[3], pads[6];
    for (int i = 0; i < c->ns; i++)
        k[i] = c->k[i], s[i] = c->s[i], d[i] = c->d[i], pads[i] = c->p0[i], pads[c->ns + i] = c->p1[i];
    et_node_set_attr_ints(t.g, nd, "kernel_shape", k, c->ns);
    et_node_set_attr_ints(t.g, nd, "strides", s, c->ns);
    et_node_set_attr_ints(t.g, nd, "dilations", d, c->ns);
    if (c->auto_pad)
        et_node_set_attr_string(t.g, nd, "auto_pad", c->auto_pad);
    else
        et_node_set_attr_ints(t.g, nd, "pads", pads, 2 * c->ns);
    et_node_set_attr_int(t.g, nd, "ceil_mode", c->ceil_mode);
    et_node_set_attr_int(t.g, nd, "count_include_pad", c->include_pad);
    et_node_set_attr_int(t.g, nd, "storage_order", c->col_major);
    oh_output(&t, yv);
    if (c->with_idx)
        oh_output(&t, iv);
    et_err err = {0};
    et_plan *p = oh_plan(&t, 4, (const void *[]){x}, &err);
    bool ok = p != NULL;
    if (p) {
        const et_tensor *y = et_plan_output(p, 0);
        ok = et_shape_numel(&y->shape) == yn;
        *err_out = ok ? oh_max_rel_err(y->data, want, yn) : -1;
        if (ok && c->with_idx) {
            const int64_t *got = et_plan_output(p, 1)->data;
            for (int64_t i = 0; i < yn; i++)
                ok = ok && got[i] == want_idx[i];
        }
        et_plan_free(p);
    } else {
        fprintf(stderr, "pool case failed: %s\n", err.msg);
    }
    oh_free(&t);
    free(x), free(want), free(want_idx);
    return ok;
}

#define CHECK_POOL(CASE)                                                                \
    do {                                                                                \
        double e_ = -1;                                                                 \
        bool ok_ = run_pool_case(&(CASE), &e_);                                         \
        ET_CHECK_MSG(ok_ &&e_ >= 0 && e_ < 1e-5, "%s: ok %d error %g", #CASE, ok_, e_); \
    } while (0)

static void test_pools_vs_naive(void) {
    pool_case max_idx = {ET_OP_MAX_POOL, 2,      2,    3,     {9, 8}, {3, 3}, {2, 2}, {1, 1},
                         {1, 1},         {1, 0}, true, false, false,  true,   NULL};
    CHECK_POOL(max_idx);
    pool_case max_col = max_idx;
    max_col.col_major = true;
    CHECK_POOL(max_col);
    pool_case max_dil = {ET_OP_MAX_POOL, 2,      1,     2,     {10, 9}, {2, 3}, {1, 2}, {3, 2},
                         {0, 2},         {1, 2}, false, false, false,   true,   NULL};
    CHECK_POOL(max_dil);
    pool_case max_3d = {ET_OP_MAX_POOL, 3,         1,    2,     {5, 6, 7}, {2, 3, 2}, {2, 1, 2}, {1, 1, 1},
                        {0, 1, 1},      {1, 1, 0}, true, false, false,     true,      NULL};
    CHECK_POOL(max_3d);
    pool_case max_1d = {ET_OP_MAX_POOL, 1, 2, 3, {13}, {4}, {3}, {1}, {2}, {1}, false, false, false, false, NULL};
    CHECK_POOL(max_1d);
    pool_case max_same = {ET_OP_MAX_POOL, 2,      1,     1,     {7, 6}, {2, 3}, {2, 2},      {1, 1},
                          {1, 1},         {0, 0}, false, false, false,  false,  "SAME_LOWER"};
    CHECK_POOL(max_same);
    pool_case avg_incl =
        {ET_OP_AVERAGE_POOL, 2, 1, 2, {7, 8}, {3, 3}, {2, 3}, {1, 1}, {1, 1}, {1, 2}, true, true, false, false, NULL};
    CHECK_POOL(avg_incl);
    pool_case avg_excl = avg_incl;
    avg_excl.include_pad = false;
    CHECK_POOL(avg_excl);
    pool_case avg_dil =
        {ET_OP_AVERAGE_POOL, 2, 1, 2, {9, 9}, {3, 2}, {1, 2}, {2, 3}, {2, 1}, {2, 1}, false, true, false, false, NULL};
    CHECK_POOL(avg_dil);
    pool_case avg_3d = {ET_OP_AVERAGE_POOL, 3,         2,    1,     {4, 5, 6}, {2, 2, 3}, {2, 2, 2}, {1, 1, 1},
                        {1, 0, 1},          {0, 1, 1}, true, false, false,     false,     NULL};
    CHECK_POOL(avg_3d);
}

static void test_maxpool_int8_and_avg_f64(void) {
    oh_graph t = oh_new(13);
    int8_t x[16] = {-128, 5, -7, 3, 127, -1, 0, 2, 9, 9, -9, -100, 4, 4, 4, 4};
    int xv = oh_input(&t, "x", ET_DT_I8, SHAPE(1, 1, 4, 4));
    int yv = oh_value(&t, "y");
    int nd = oh_node(&t, ET_OP_MAX_POOL, (int[]){xv}, 1, (int[]){yv}, 1);
    et_node_set_attr_ints(t.g, nd, "kernel_shape", (int64_t[]){2, 2}, 2);
    et_node_set_attr_ints(t.g, nd, "strides", (int64_t[]){2, 2}, 2);
    oh_output(&t, yv);
    et_err err = {0};
    et_plan *p = oh_plan(&t, 1, (const void *[]){x}, &err);
    ET_REQUIRE(p != NULL);
    const int8_t *y = et_plan_output(p, 0)->data;
    ET_CHECK_INT(y[0], 127);
    ET_CHECK_INT(y[1], 3);
    ET_CHECK_INT(y[2], 9);
    ET_CHECK_INT(y[3], 4);
    et_plan_free(p);
    oh_free(&t);

    t = oh_new(13);
    double xd[9] = {1, 2, 3, 4, 5, 6, 7, 8, 10};
    xv = oh_input(&t, "x", ET_DT_F64, SHAPE(1, 1, 3, 3));
    yv = oh_value(&t, "y");
    nd = oh_node(&t, ET_OP_AVERAGE_POOL, (int[]){xv}, 1, (int[]){yv}, 1);
    et_node_set_attr_ints(t.g, nd, "kernel_shape", (int64_t[]){2, 2}, 2);
    et_node_set_attr_ints(t.g, nd, "pads", (int64_t[]){0, 0, 1, 1}, 4);
    oh_output(&t, yv);
    p = oh_plan(&t, 1, (const void *[]){xd}, &err);
    ET_REQUIRE(p != NULL);
    const double *yd = et_plan_output(p, 0)->data;
    ET_CHECK_NEAR(yd[0], 3.0, 1e-12);
    ET_CHECK_NEAR(yd[2], 4.5, 1e-12); /* (3 + 6) / 2: padding not counted */
    ET_CHECK_NEAR(yd[8], 10.0, 1e-12);
    et_plan_free(p);
    oh_free(&t);
}

static void test_global_pools(void) {
    for (int op = 0; op < 2; op++) {
        oh_graph t = oh_new(13);
        float x[2 * 3 * 2 * 2 * 3];
        oh_fill(x, 72, 41);
        int xv = oh_input(&t, "x", ET_DT_F32, SHAPE(2, 3, 2, 2, 3));
        int yv = oh_value(&t, "y");
        oh_node(&t, op ? ET_OP_GLOBAL_MAX_POOL : ET_OP_GLOBAL_AVERAGE_POOL, (int[]){xv}, 1, (int[]){yv}, 1);
        oh_output(&t, yv);
        et_err err = {0};
        et_plan *p = oh_plan(&t, 1, (const void *[]){x}, &err);
        ET_REQUIRE(p != NULL);
        const et_tensor *y = et_plan_output(p, 0);
        ET_CHECK(et_shape_equal(&y->shape, &SHAPE(2, 3, 1, 1, 1)));
        for (int pl = 0; pl < 6; pl++) {
            double s = 0, m = -INFINITY;
            for (int i = 0; i < 12; i++) {
                s += x[pl * 12 + i];
                m = x[pl * 12 + i] > m ? x[pl * 12 + i] : m;
            }
            ET_CHECK_NEAR(((const float *)y->data)[pl], op ? m : s / 12, 1e-6);
        }
        et_plan_free(p);
        oh_free(&t);
    }
}

static et_status infer_pool(et_op op, void (*mutate)(et_graph *, int), char *msg, size_t len) {
    oh_graph t = oh_new(13);
    int xv = oh_input(&t, "x", ET_DT_F32, SHAPE(1, 2, 5, 5));
    int yv = oh_value(&t, "y");
    int nd = oh_node(&t, op, (int[]){xv}, 1, (int[]){yv}, 1);
    et_node_set_attr_ints(t.g, nd, "kernel_shape", (int64_t[]){3, 3}, 2);
    mutate(t.g, nd);
    oh_output(&t, yv);
    et_err err = {0};
    et_status st = oh_infer(&t, &err);
    snprintf(msg, len, "%s", err.msg);
    oh_free(&t);
    return st;
}

static void p_none(et_graph *g, int n) { (void)g, (void)n; }
static void p_no_kernel(et_graph *g, int n) { et_node_set_attr_ints(g, n, "kernel_shape", (int64_t[]){3}, 1); }
static void p_big_kernel(et_graph *g, int n) { et_node_set_attr_ints(g, n, "kernel_shape", (int64_t[]){9, 1}, 2); }
static void p_zero_kernel(et_graph *g, int n) { et_node_set_attr_ints(g, n, "kernel_shape", (int64_t[]){0, 1}, 2); }
static void p_order(et_graph *g, int n) { et_node_set_attr_int(g, n, "storage_order", 2); }
static void p_ceil(et_graph *g, int n) { et_node_set_attr_int(g, n, "ceil_mode", -1); }
static void p_stride(et_graph *g, int n) { et_node_set_attr_ints(g, n, "strides", (int64_t[]){1, -1}, 2); }
static void p_pads(et_graph *g, int n) { et_node_set_attr_ints(g, n, "pads", (int64_t[]){1, 1, INT64_MAX, 1}, 4); }

static void test_pool_hostile_attributes(void) {
    char msg[ET_ERR_MSG_MAX];
    ET_CHECK_INT(infer_pool(ET_OP_MAX_POOL, p_none, msg, sizeof msg), ET_OK);
    void (*bad[])(et_graph *, int) = {p_no_kernel, p_big_kernel, p_zero_kernel, p_order, p_ceil, p_stride, p_pads};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        for (int op = 0; op < 2; op++) {
            et_status st = infer_pool(op ? ET_OP_AVERAGE_POOL : ET_OP_MAX_POOL, bad[i], msg, sizeof msg);
            ET_CHECK_MSG(st == ET_E_INPUT && strstr(msg, "Pool'"), "case %zu op %d: %d '%s'", i, op, (int)st, msg);
        }
}

int main(void) {
    ET_RUN(test_pools_vs_naive);
    ET_RUN(test_maxpool_int8_and_avg_f64);
    ET_RUN(test_global_pools);
    ET_RUN(test_pool_hostile_attributes);
    return et_test_done();
}
