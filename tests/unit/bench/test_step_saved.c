/* test_step_saved.c: which plan steps a per-layer change moved, and the time saved on them (bench/step_saved.h,
 * sensitivity's time_saved_ms), on fake step lists: channel pruning of the first convolution of conv -> relu ->
 * conv must count the relu's and the second convolution's steps (their work shrank), not only its own (the old
 * rule: 0.5 ms here, not 1.6); a step whose facts did not change is not counted whatever its time (noise); steps
 * one plan has and the other not (conversions a bits change adds) count; a kernel change counts; repeated names
 * pair in order; a change that leaves every fact as it was saves exactly 0; two changes that move one step (a
 * convolution whose input and output channels are both pruned) combine on it as fractions of its work; a point
 * profiled while the machine ran slower is taken at the base's speed, told by the steps the change did not move. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench/step_saved.h"
#include "et_test.h"

static et_step_fact step(const char *name, const char *kernel, int64_t macs, int64_t elems, double ms) {
    et_step_fact f = {.macs = macs, .act_elems = elems, .ms = ms};
    snprintf(f.name, sizeof f.name, "%s", name);
    snprintf(f.kernel, sizeof f.kernel, "%s", kernel);
    return f;
}

/* conv1 (16 -> 32 channels) -> relu -> conv2 (32 -> 16) -> pool; the point prunes half of conv1's outputs. */
static void test_pruned_readers(void) {
    et_step_fact base[] = {
        step("conv1", "Conv f32-igemm fp32", 1000, 300, 1.0),
        step("relu", "Relu f32-vrelu fp32", 0, 400, 0.2),
        step("conv2", "Conv f32-igemm fp32", 2000, 300, 2.0),
        step("pool", "GlobalAveragePool f32-gap fp32", 0, 116, 0.10),
    };
    et_step_fact point[] = {
        step("conv1", "Conv f32-igemm fp32", 500, 200, 0.5), step("relu", "Relu f32-vrelu fp32", 0, 200, 0.1),
        step("conv2", "Conv f32-igemm fp32", 1000, 200, 1.0),
        step("pool", "GlobalAveragePool f32-gap fp32", 0, 116, 0.13), /* unchanged: slower by noise alone */
    };
    ET_CHECK(et_step_changed(base, 4, 0, point, 4));
    ET_CHECK(et_step_changed(base, 4, 1, point, 4));
    ET_CHECK(et_step_changed(base, 4, 2, point, 4));
    ET_CHECK(!et_step_changed(base, 4, 3, point, 4));
    ET_CHECK(!et_step_changed(base, 4, 7, point, 4)); /* out of range */
    double saved = et_step_time_saved_ms(base, 4, point, 4);
    ET_CHECK_NEAR(saved, (1.0 + 0.2 + 2.0) - (0.5 + 0.1 + 1.0), 1e-12);
    ET_CHECK(saved > 0.5 + 1e-9); /* the old rule: conv1's own step only */
    /* the same lists the other way (the point as the base): the saving changes sign */
    ET_CHECK_NEAR(et_step_time_saved_ms(point, 4, base, 4), -saved, 1e-12);
    /* identical plans (a channel ratio the rounding to multiples of 8 leaves whole): nothing saved, whatever the
       times do; other packed weight bytes (an unstructured ratio on a sparse kernel) count */
    et_step_fact again[4];
    memcpy(again, base, sizeof again);
    again[2].ms = 2.5, again[0].ms = 0.9;
    ET_CHECK(et_step_time_saved_ms(base, 4, again, 4) == 0.0);
    again[2].ms = 2.0;
    again[0].packed_bytes = 100;
    ET_CHECK_NEAR(et_step_time_saved_ms(base, 4, again, 4), 1.0 - 0.9, 1e-12);
}

/* A bits change: conv2 goes int8, with a Quantize before it and a Dequantize after it; the same MACs. */
static void test_bits_conversions(void) {
    et_step_fact base[] = {
        step("conv1", "Conv f32-igemm fp32", 1000, 300, 1.0),
        step("conv2", "Conv f32-igemm fp32", 2000, 300, 2.0),
        step("fc", "Gemm f32-gemm fp32", 100, 20, 0.05),
    };
    et_step_fact point[] = {
        step("conv1", "Conv f32-igemm fp32", 1000, 300, 1.0),
        step("conv1_out.quantize", "et.Quantize qs8-vcvt int8", 0, 400, 0.1),
        step("conv2", "Conv qc8-igemm int8", 2000, 300, 0.8),
        step("conv2_out.dequantize", "et.Dequantize qs8-vcvt int8", 0, 200, 0.05),
        step("fc", "Gemm f32-gemm fp32", 100, 20, 0.05),
    };
    ET_CHECK_NEAR(et_step_time_saved_ms(base, 3, point, 5), 2.0 - (0.1 + 0.8 + 0.05), 1e-12);
    /* conv2's kernel change counts (its work changed); fc's time alone does not */
    ET_CHECK(et_step_changed(base, 3, 1, point, 5));
    ET_CHECK(!et_step_changed(base, 3, 2, point, 5));
    ET_CHECK(et_step_changed(point, 5, 1, base, 3) && et_step_changed(point, 5, 3, base, 3));
}

/* Repeated names pair in order: the second "add" of the base with the second of the point. */
static void test_repeated_names(void) {
    et_step_fact base[] = {step("add", "Add f32 fp32", 0, 300, 0.3), step("add", "Add f32 fp32", 0, 600, 0.6)};
    et_step_fact point[] = {step("add", "Add f32 fp32", 0, 300, 0.3), step("add", "Add f32 fp32", 0, 300, 0.3)};
    ET_CHECK(!et_step_changed(base, 2, 0, point, 2));
    ET_CHECK(et_step_changed(base, 2, 1, point, 2));
    ET_CHECK_NEAR(et_step_time_saved_ms(base, 2, point, 2), 0.6 - 0.3, 1e-12);
    /* a third "add" only the point has: counted */
    et_step_fact more[] = {point[0], point[1], step("add", "Add f32 fp32", 0, 300, 0.2)};
    ET_CHECK(et_step_changed(more, 3, 2, base, 2));
    ET_CHECK_NEAR(et_step_time_saved_ms(base, 2, more, 3), 0.6 - 0.3 - 0.2, 1e-12);
}

/* conv1 -> conv2 -> conv3; A prunes half of conv1's outputs (conv1 and its reader conv2 lose half their work), B
 * half of conv2's (conv2 and its reader conv3). Together conv2 does a quarter of its work: it saves 1.5 of 2 ms,
 * not the 1 + 1 the two points' figures add up to; the overlap is the 0.5 ms difference. */
static void test_overlap(void) {
    et_step_fact base[] = {step("conv1", "Conv k fp32", 1000, 300, 1.0), step("conv2", "Conv k fp32", 2000, 300, 2.0),
                           step("conv3", "Conv k fp32", 3000, 300, 3.0)};
    et_step_fact pa[] = {step("conv1", "Conv k fp32", 500, 250, 0.5), step("conv2", "Conv k fp32", 1000, 250, 1.0),
                         step("conv3", "Conv k fp32", 3000, 300, 3.0)};
    et_step_fact pb[] = {step("conv1", "Conv k fp32", 1000, 300, 1.0), step("conv2", "Conv k fp32", 1000, 250, 1.0),
                         step("conv3", "Conv k fp32", 1500, 250, 1.5)};
    et_sens_point a = {.measured = true}, b = {.measured = true};
    a.time_saved_ms = et_step_time_saved_ms(base, 3, pa, 3);
    b.time_saved_ms = et_step_time_saved_ms(base, 3, pb, 3);
    ET_CHECK_NEAR(a.time_saved_ms, 1.5, 1e-12);
    ET_CHECK_NEAR(b.time_saved_ms, 2.5, 1e-12);
    a.n_step_saves = et_step_saves(base, 3, pa, 3, a.step_saves, ET_SENS_STEP_SAVES, NULL);
    b.n_step_saves = et_step_saves(base, 3, pb, 3, b.step_saves, ET_SENS_STEP_SAVES, NULL);
    ET_REQUIRE(a.n_step_saves == 2 && b.n_step_saves == 2);
    ET_CHECK(a.step_saves[0].step == 0 && a.step_saves[1].step == 1 && b.step_saves[0].step == 1);
    ET_CHECK_NEAR(a.step_saves[1].base_ms, 2.0, 1e-6);
    ET_CHECK_NEAR(a.step_saves[1].saved_ms, 1.0, 1e-6);
    const et_sens_point *both[] = {&a, NULL, &b};
    double over = et_step_overlap_ms(both, 3);
    ET_CHECK_NEAR(over, 0.5, 1e-6);
    /* the prediction: 1.5 + 2.5 - 0.5 = 3.5, what the plan with both does (0.5 + 1.5 + 1.5 saved) */
    ET_CHECK_NEAR(a.time_saved_ms + b.time_saved_ms - over, (1.0 - 0.5) + (2.0 - 0.5) + (3.0 - 1.5), 1e-6);
    /* one point alone, or points that share no step: no overlap; a point without per-step parts (taken from the
       database) adds as a whole */
    const et_sens_point *one[] = {&a};
    ET_CHECK(et_step_overlap_ms(one, 1) == 0.0);
    et_sens_point stored = b;
    stored.n_step_saves = 0;
    const et_sens_point *mixed[] = {&a, &stored};
    ET_CHECK(et_step_overlap_ms(mixed, 2) == 0.0);
    /* a step saved 'more than all of it' by noise keeps nothing, not a negative share */
    a.step_saves[1].saved_ms = 2.4f;
    ET_CHECK_NEAR(et_step_overlap_ms(both, 3), (2.4 + 1.0) - 2.0, 1e-6);
    /* more moved steps than there is room for: none known */
    et_sens_step_saved few[1];
    ET_CHECK_INT(et_step_saves(base, 3, pa, 3, few, 1, NULL), 0);
}

/* The point profiled while the machine ran 1.5x slower (a slow spell): every step, changed or not, takes 1.5x. The
 * unchanged steps say so (et_step_speed 1/1.5), and the saving is the one at equal speed; with too few unchanged
 * steps to tell (under a fifth of the base's time) the times are taken as they are. */
static void test_speed(void) {
    et_step_fact base[] = {step("conv1", "Conv k fp32", 1000, 300, 1.0), step("conv2", "Conv k fp32", 2000, 300, 2.0),
                           step("conv3", "Conv k fp32", 3000, 300, 3.0)};
    et_step_fact slow[] = {step("conv1", "Conv k fp32", 500, 250, 1.5 * 0.5),
                           step("conv2", "Conv k fp32", 1000, 250, 1.5 * 1.0),
                           step("conv3", "Conv k fp32", 3000, 300, 1.5 * 3.0)};
    ET_CHECK_NEAR(et_step_speed(base, 3, slow, 3), 1.0 / 1.5, 1e-12);
    ET_CHECK_NEAR(et_step_time_saved_ms(base, 3, slow, 3), (1.0 - 0.5) + (2.0 - 1.0), 1e-12);
    et_sens_step_saved parts[4];
    double whole = NAN;
    ET_REQUIRE(et_step_saves(base, 3, slow, 3, parts, 4, &whole) == 2);
    ET_CHECK_NEAR(parts[1].saved_ms, 1.0, 1e-6);
    ET_CHECK_NEAR(whole, (1.0 - 0.5) + (2.0 - 1.0), 1e-12); /* the parts' speed and the whole's: one */
    /* conv3 unchanged but small: 0.1 of 3.1 ms is too little to tell the speed by */
    base[2].ms = 0.1, slow[2].ms = 0.15;
    ET_CHECK(et_step_speed(base, 3, slow, 3) == 1.0);
    ET_CHECK_NEAR(et_step_time_saved_ms(base, 3, slow, 3), 3.0 - 0.75 - 1.5, 1e-12);
}

int main(void) {
    ET_RUN(test_pruned_readers);
    ET_RUN(test_bits_conversions);
    ET_RUN(test_repeated_names);
    ET_RUN(test_overlap);
    ET_RUN(test_speed);
    return et_test_done();
}
