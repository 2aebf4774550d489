/* test_qnodes.c: the int8 operators that keep a MobileNetV3 integer between its layers (et.QLut, et.QGap,
 * et.QMul), each run as a node of a plan (Quantize -> node -> Dequantize) and compared with the float operator
 * on the dequantized input codes: within half an output step (the one rounding each does), so a broken table, a
 * wrong zero point or scale, or a broadcast read from the wrong place fails. 1 and 2 threads. Also what their
 * shared prepare refuses. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/nodes/activation.h"
#include "et_test.h"
#include "model/quant_info.h"
#include "op_harness.h"

/* Quantizes float input `x` with (s, zp): the int8 value the node reads. */
static int quantized(oh_graph *t, int x, const char *name, float s, int32_t zp) {
    int q = oh_value(t, name);
    t->g->values[q].quant = et_quant_info_act(t->g, s, zp);
    oh_node(t, ET_OP_QUANTIZE, &x, 1, &q, 1);
    return q;
}

/* Dequantizes the node's int8 output `q` (given (s, zp)) into a new float graph output. */
static int dequantized(oh_graph *t, int q, float s, int32_t zp) {
    t->g->values[q].quant = et_quant_info_act(t->g, s, zp);
    int y = oh_value(t, "y");
    oh_node(t, ET_OP_DEQUANTIZE, &q, 1, &y, 1);
    oh_output(t, y);
    return y;
}

/* The value of code q: what the node reads. */
static float deq(float x, float s, int32_t zp) {
    float c = roundf(x / s) + (float)zp;
    c = c < -128.0f ? -128.0f : c > 127.0f ? 127.0f : c;
    return (c - (float)zp) * s;
}

static float clampf(float v, float s, int32_t zp) {
    const float lo = (float)(-128 - zp) * s, hi = (float)(127 - zp) * s;
    return v < lo ? lo : v > hi ? hi : v;
}

static void test_qlut(void) {
    const et_activation acts[] = {{ET_ACT_HARD_SWISH, 0, 0},
                                  {ET_ACT_HARD_SIGMOID, 1.0f / 6.0f, 0.5f},
                                  {ET_ACT_SIGMOID, 0, 0}};
    enum { N = 1000 };
    float x[N];
    for (int i = 0; i < N; i++)
        x[i] = -6.0f + 12.0f * (float)i / N;
    const float xs = 12.0f / 255.0f, ys = 1.2f / 255.0f;
    const int32_t xz = 3, yz = -100;
    for (int threads = 1; threads <= 2; threads++)
        for (size_t a = 0; a < sizeof acts / sizeof *acts; a++) {
            oh_graph t = oh_new(13);
            int in = oh_input(&t, "x", ET_DT_F32, SHAPE(1, 4, 10, 25));
            int xq = quantized(&t, in, "xq", xs, xz);
            int yq = oh_value(&t, "yq");
            int n = oh_node(&t, ET_OP_QLUT, &xq, 1, &yq, 1);
            t.g->nodes[n].act = acts[a];
            dequantized(&t, yq, ys, yz);
            et_err err = {0};
            et_plan *p = oh_plan(&t, threads, (const void *[]){x}, &err);
            ET_CHECK_MSG(p != NULL, "%s", err.msg);
            ET_REQUIRE(p != NULL);
            const float *y = et_plan_output(p, 0)->data;
            for (int i = 0; i < N; i++) {
                const float want = clampf(et_act_scalar(&acts[a], deq(x[i], xs, xz)), ys, yz);
                ET_CHECK_MSG(fabsf(y[i] - want) <= 0.5f * ys + 1e-6f, "act %zu x %g: %g vs %g", a, (double)x[i],
                             (double)y[i], (double)want);
            }
            et_plan_free(p);
            oh_free(&t);
        }
}

static void test_qgap(void) {
    enum { B = 2, C = 5, H = 7, W = 9 };
    float x[B * C * H * W];
    oh_fill(x, B * C * H * W, 7);
    const float xs = 2.0f / 255.0f, ys = 0.6f / 255.0f;
    const int32_t xz = -7, yz = 20;
    for (int threads = 1; threads <= 2; threads++) {
        oh_graph t = oh_new(13);
        int in = oh_input(&t, "x", ET_DT_F32, SHAPE(B, C, H, W));
        int xq = quantized(&t, in, "xq", xs, xz);
        int yq = oh_value(&t, "yq");
        oh_node(&t, ET_OP_QGAP, &xq, 1, &yq, 1);
        dequantized(&t, yq, ys, yz);
        et_err err = {0};
        et_plan *p = oh_plan(&t, threads, (const void *[]){x}, &err);
        ET_CHECK_MSG(p != NULL, "%s", err.msg);
        ET_REQUIRE(p != NULL);
        const et_tensor *out = et_plan_output(p, 0);
        ET_CHECK(out->shape.rank == 4 && out->shape.dim[0] == B && out->shape.dim[1] == C && out->shape.dim[2] == 1 &&
                 out->shape.dim[3] == 1);
        const float *y = out->data;
        for (int b = 0; b < B; b++)
            for (int c = 0; c < C; c++) {
                double sum = 0;
                for (int i = 0; i < H * W; i++)
                    sum += deq(x[(b * C + c) * H * W + i], xs, xz);
                const float want = clampf((float)(sum / (H * W)), ys, yz);
                ET_CHECK_MSG(fabsf(y[b * C + c] - want) <= 0.5f * ys + 1e-6f, "image %d channel %d: %g vs %g", b, c,
                             (double)y[b * C + c], (double)want);
            }
        et_plan_free(p);
        oh_free(&t);
    }
}

/* x [1,C,H,W] times a gate [1,C,1,1] (either operand first: the node swaps a broadcast first operand), and times a
 * full-size tensor. */
static void test_qmul(void) {
    enum { C = 6, H = 5, W = 7, N = C * H * W };
    float x[N], g[N];
    oh_fill(x, N, 3);
    oh_fill(g, N, 5);
    for (int i = 0; i < N; i++)
        g[i] = 0.5f + 0.5f * g[i]; /* a gate in [0, 1) */
    const float xs = 2.0f / 255.0f, gs = 1.0f / 255.0f, ys = 1.5f / 255.0f;
    const int32_t xz = 5, gz = -128, yz = -3;
    for (int threads = 1; threads <= 2; threads++)
        for (int mode = 0; mode < 3; mode++) { /* 0: x * gate, 1: gate * x, 2: x * full-size */
            oh_graph t = oh_new(13);
            int in = oh_input(&t, "x", ET_DT_F32, SHAPE(1, C, H, W));
            int gin = oh_input(&t, "g", ET_DT_F32, mode == 2 ? SHAPE(1, C, H, W) : SHAPE(1, C, 1, 1));
            int xq = quantized(&t, in, "xq", xs, xz), gq = quantized(&t, gin, "gq", gs, gz);
            int yq = oh_value(&t, "yq");
            oh_node(&t, ET_OP_QMUL, mode == 1 ? (int[]){gq, xq} : (int[]){xq, gq}, 2, &yq, 1);
            dequantized(&t, yq, ys, yz);
            et_err err = {0};
            et_plan *p = oh_plan(&t, threads, (const void *[]){x, g}, &err);
            ET_CHECK_MSG(p != NULL, "%s", err.msg);
            ET_REQUIRE(p != NULL);
            const float *y = et_plan_output(p, 0)->data;
            for (int i = 0; i < N; i++) {
                const float gv = deq(g[mode == 2 ? i : i / (H * W)], gs, gz);
                const float want = clampf(deq(x[i], xs, xz) * gv, ys, yz);
                ET_CHECK_MSG(fabsf(y[i] - want) <= 0.5f * ys + 1e-6f, "mode %d element %d: %g vs %g", mode, i,
                             (double)y[i], (double)want);
            }
            et_plan_free(p);
            oh_free(&t);
        }
}

/* The channels-last squeeze-excitation pattern: x [B,H,W,C] times a gate [B,1,1,C] (either operand first), which
 * the node runs as runs of H*W rows sharing one gate row; two images, so the gate row changes between runs, and
 * two threads, so a thread's rows can start inside a run. C = 17: a vector block and a tail. */
static void test_qmul_gate_rows(void) {
    enum { B = 2, H = 6, W = 5, C = 17, N = B * H * W * C };
    float x[N], g[B * C];
    oh_fill(x, N, 3);
    oh_fill(g, B * C, 5);
    const float xs = 2.0f / 255.0f, gs = 1.0f / 255.0f, ys = 1.5f / 255.0f;
    const int32_t xz = 5, gz = -128, yz = -3;
    for (int threads = 1; threads <= 2; threads++)
        for (int swap = 0; swap < 2; swap++) {
            oh_graph t = oh_new(13);
            int in = oh_input(&t, "x", ET_DT_F32, SHAPE(B, H, W, C));
            int gin = oh_input(&t, "g", ET_DT_F32, SHAPE(B, 1, 1, C));
            int xq = quantized(&t, in, "xq", xs, xz), gq = quantized(&t, gin, "gq", gs, gz);
            int yq = oh_value(&t, "yq");
            oh_node(&t, ET_OP_QMUL, swap ? (int[]){gq, xq} : (int[]){xq, gq}, 2, &yq, 1);
            dequantized(&t, yq, ys, yz);
            et_err err = {0};
            et_plan *p = oh_plan(&t, threads, (const void *[]){x, g}, &err);
            ET_CHECK_MSG(p != NULL, "%s", err.msg);
            ET_REQUIRE(p != NULL);
            const float *y = et_plan_output(p, 0)->data;
            for (int i = 0; i < N; i++) {
                const float gv = deq(g[i / (H * W * C) * C + i % C], gs, gz);
                const float want = clampf(deq(x[i], xs, xz) * gv, ys, yz);
                ET_CHECK_MSG(fabsf(y[i] - want) <= 0.5f * ys + 1e-6f, "threads %d swap %d element %d: %g vs %g",
                             threads, swap, i, (double)y[i], (double)want);
            }
            et_plan_free(p);
            oh_free(&t);
        }
}

/* What their shared prepare (et_qnode_begin) refuses, naming the node: an operand or output without one per-tensor
 * scale, and (et.QAdd, et.QMul) a fused activation int8 cannot clamp. The node reads an int8 graph input and writes
 * the graph output, so no Quantize or Dequantize checks the scales first. */
static void test_prepare_refuses(void) {
    const et_op ops[] = {ET_OP_QADD, ET_OP_QMUL, ET_OP_QLUT, ET_OP_QGAP};
    int8_t x[2 * 3 * 4] = {0};
    for (size_t o = 0; o < sizeof ops / sizeof *ops; o++)
        for (int why = 0; why < 3; why++) { /* 0: output unscaled, 1: per-channel input, 2: HardSwish fused */
            const bool binary = ops[o] == ET_OP_QADD || ops[o] == ET_OP_QMUL;
            if (why == 2 && !binary)
                continue;
            oh_graph t = oh_new(13);
            int xq = oh_input(&t, "xq", ET_DT_I8, SHAPE(1, 2, 3, 4)), yq = oh_value(&t, "yq");
            t.g->values[xq].quant = et_quant_info_act(t.g, 0.02f, 1);
            if (why == 1) {
                float *s;
                int32_t *z;
                et_quant_info *qi = et_quant_info_new(t.g, 2, &s, &z);
                s[0] = s[1] = 0.02f, z[0] = z[1] = 0;
                t.g->values[xq].quant = qi;
            }
            int n = oh_node(&t, ops[o], (int[]){xq, xq}, binary ? 2 : 1, &yq, 1);
            t.g->nodes[n].act = (et_activation){.kind = ops[o] == ET_OP_QLUT || why == 2 ? ET_ACT_HARD_SWISH
                                                                                         : ET_ACT_NONE};
            oh_output(&t, yq);
            if (why != 0)
                t.g->values[yq].quant = et_quant_info_act(t.g, 0.03f, -2);
            et_err err = {0};
            et_plan *p = oh_plan(&t, 1, (const void *[]){x}, &err);
            ET_CHECK_MSG(p == NULL, "op %zu case %d: planned", o, why);
            const char *want = why == 2 ? "has no int8 form" : "missing per-tensor quantization scales";
            ET_CHECK_MSG(strstr(err.msg, want) != NULL, "op %zu case %d: %s", o, why, err.msg);
            et_plan_free(p);
            oh_free(&t);
        }
}

int main(void) {
    ET_RUN(test_prepare_refuses);
    ET_RUN(test_qlut);
    ET_RUN(test_qgap);
    ET_RUN(test_qmul);
    ET_RUN(test_qmul_gate_rows);
    return et_test_done();
}
