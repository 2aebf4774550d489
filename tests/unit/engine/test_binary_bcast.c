/* test_binary_bcast.c: float32 Add/Sub/Mul/Div of full rows with one repeated vector (the squeeze-excitation
 * scale of an NHWC tensor, [1,H,W,C] x [1,1,1,C], and the vector on the left), against a naive loop: bit-equal,
 * at 1 and 2 threads, for channel counts whose rows fill the repeat buffer of binary.c unevenly, and one too
 * wide for it. */
#include "et_test.h"
#include "op_harness.h"

static float naive(et_op op, float x, float y) {
    switch (op) {
    case ET_OP_ADD: return x + y;
    case ET_OP_SUB: return x - y;
    case ET_OP_MUL: return x * y;
    default: return x / y;
    }
}

/* x [1,h,w,c] (op) v [1,1,1,c], or v (op) x when vec_first; every element compared exactly. */
static void check_case(et_op op, int64_t h, int64_t w, int64_t c, bool vec_first, int threads) {
    const int64_t n = h * w * c;
    float *x = malloc((size_t)n * sizeof(float)), *v = malloc((size_t)c * sizeof(float));
    ET_REQUIRE(x && v);
    oh_fill(x, n, 7);
    oh_fill(v, c, 11);
    for (int64_t i = 0; i < c; i++)
        v[i] += v[i] >= 0 ? 0.5f : -0.5f; /* no divisor near zero */
    oh_graph t = oh_new(13);
    int xi = oh_input(&t, "x", ET_DT_F32, SHAPE(1, h, w, c));
    int vi = oh_input(&t, "v", ET_DT_F32, SHAPE(1, 1, 1, c));
    int y = oh_value(&t, "y");
    oh_node(&t, op, vec_first ? (int[]){vi, xi} : (int[]){xi, vi}, 2, (int[]){y}, 1);
    oh_output(&t, y);
    et_err err = {0};
    et_plan *p = oh_plan(&t, threads, (const void *[]){x, v}, &err);
    ET_CHECK_MSG(p != NULL, "%s", err.msg);
    if (p) {
        const float *out = et_plan_output(p, 0)->data;
        int64_t bad = 0;
        for (int64_t i = 0; i < n; i++) {
            const float want = vec_first ? naive(op, v[i % c], x[i]) : naive(op, x[i], v[i % c]);
            bad += memcmp(&want, &out[i], sizeof want) != 0;
        }
        ET_CHECK_MSG(bad == 0, "op %d %lldx%lldx%lld vec_first %d threads %d: %lld of %lld differ", (int)op,
                     (long long)h, (long long)w, (long long)c, (int)vec_first, threads, (long long)bad, (long long)n);
        et_plan_free(p);
    }
    oh_free(&t);
    free(x);
    free(v);
}

static void test_vector_rows(void) {
    const et_op ops[] = {ET_OP_ADD, ET_OP_SUB, ET_OP_MUL, ET_OP_DIV};
    /* c = 16: 64 rows a buffer (7x9 = 63 rows: one partial chunk; 13x11 = 143: two full and a partial); c = 3 and
     * 37: the buffer not a whole number of 16-float vectors; c = 512: two rows a buffer; c = 513: too wide */
    const int64_t shapes[][3] = {{7, 9, 16}, {13, 11, 16}, {5, 5, 3}, {4, 9, 37}, {3, 1, 512}, {3, 2, 513}, {1, 2, 16}};
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            for (int vf = 0; vf < 2; vf++)
                check_case(ops[o], shapes[s][0], shapes[s][1], shapes[s][2], vf, 1);
    /* large enough (>= 65536 elements) to be spread over a pool */
    check_case(ET_OP_MUL, 64, 65, 16, false, 2);
    check_case(ET_OP_DIV, 40, 41, 40, true, 2);
}

int main(void) {
    ET_RUN(test_vector_rows);
    return et_test_done();
}
