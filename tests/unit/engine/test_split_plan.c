/* test_split_plan.c: a plan's split decision (split_decide.h) leaves results alone and switches modes at run
 * time: the small MobileNetV3 fixture at 2 threads, every operator made to split as modelled (start cost 0), gives
 * the 1-thread output bit for bit in every deciding run (modelled, serial, mixed) and in a hand-set mixed plan,
 * whose split steps really hand work to the pool and whose serial ones do not; a tiny model, where no step splits,
 * is decided serial after its first run; a 1-thread plan decides nothing. */
#include <string.h>

#include "engine/split_decide.h"
#include "engine/threadpool.h"
#include "et_test.h"
#include "model/model.h"
#include "model/npy.h"
#include "op_harness.h"

/* A plan of m at `threads` with its input written; NULL when it cannot be made or the input does not fit. */
static et_plan *fixture_plan(const et_model *m, const et_npy *in, int threads) {
    et_plan_options o = et_plan_options_default();
    o.threads = threads;
    et_plan *p = NULL;
    et_err err = {0};
    if (et_plan_create(m->graph, &o, &p, &err) != ET_OK)
        return NULL;
    et_tensor *t = et_plan_input(p, 0);
    if (et_shape_numel(&t->shape) != et_shape_numel(&in->shape)) {
        et_plan_free(p);
        return NULL;
    }
    memcpy(t->data, in->data, (size_t)et_shape_numel(&t->shape) * et_dtype_size(t->dtype));
    return p;
}

static bool same_output(et_plan *p, const float *ref, int64_t n) {
    const et_tensor *o = et_plan_output(p, 0);
    return et_shape_numel(&o->shape) == n && memcmp(o->data, ref, (size_t)n * sizeof *ref) == 0;
}

static void test_modes_bit_identical(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/models/mobilenetv3_small.onnx", ET_SOURCE_DIR);
    et_model *m = NULL;
    et_err err = {0};
    ET_REQUIRE(et_model_load(path, NULL, &m, &err) == ET_OK);
    et_npy in = {0};
    snprintf(path, sizeof path, "%s/fixtures/models/mobilenetv3_small.input.npy", ET_SOURCE_DIR);
    ET_REQUIRE(et_npy_read(path, &in, &err) == ET_OK);

    et_plan *one = fixture_plan(m, &in, 1), *two = fixture_plan(m, &in, 2);
    ET_REQUIRE(one && two && et_plan_run(one, NULL, &err) == ET_OK);
    const et_plan_splits s1 = et_plan_get_splits(one);
    ET_CHECK(s1.decided && !s1.measured && s1.used == 1);
    const et_tensor *o1 = et_plan_output(one, 0);
    const int64_t n = et_shape_numel(&o1->shape);
    float *ref = malloc((size_t)n * sizeof *ref);
    memcpy(ref, o1->data, (size_t)n * sizeof *ref);

    et_threadpool *pool = et_plan_threadpool(two);
    et_threadpool_set_start_ns(pool, 0.0); /* every operator with work splits as modelled */
    int runs = 0;
    while (!et_plan_get_splits(two).decided && runs < 2 * ET_SPLIT_WARM_MAX_RUNS) {
        ET_REQUIRE(et_plan_run(two, NULL, &err) == ET_OK);
        ET_CHECK_MSG(same_output(two, ref, n), "deciding run %d differs from 1 thread", runs);
        runs++;
    }
    const et_plan_splits s2 = et_plan_get_splits(two);
    ET_CHECK(s2.decided && s2.measured && s2.threads == 2 && s2.splitting > 10);
    ET_CHECK(runs >= 1 + 2 * ET_SPLIT_RUNS * ET_SPLIT_BLOCK &&
             runs <= ET_SPLIT_WARM_MAX_RUNS + 4 * ET_SPLIT_RUNS * ET_SPLIT_BLOCK);
    ET_REQUIRE(et_plan_run(two, NULL, &err) == ET_OK);
    ET_CHECK(same_output(two, ref, n));

    /* a hand-set mix: every other step keeps its split */
    const int steps = et_plan_get_stats(two).n_steps;
    bool *keep = calloc((size_t)steps, sizeof *keep), *none = calloc((size_t)steps, sizeof *none);
    bool *all = calloc((size_t)steps, sizeof *all);
    for (int i = 0; i < steps; i++)
        keep[i] = i % 2 == 0, all[i] = true;
    uint64_t jobs[3];
    const bool *sets[3] = {none, keep, all};
    for (int k = 0; k < 3; k++) {
        et_plan_set_splits(two, sets[k]);
        const uint64_t before = et_threadpool_jobs(pool);
        ET_REQUIRE(et_plan_run(two, NULL, &err) == ET_OK);
        jobs[k] = et_threadpool_jobs(pool) - before;
        ET_CHECK_MSG(same_output(two, ref, n), "mix %d differs from 1 thread", k);
    }
    ET_CHECK(jobs[0] == 0);                      /* serial: the pool is not used */
    ET_CHECK(jobs[1] > 0 && jobs[1] < jobs[2]);  /* mixed: some steps split, fewer than all */
    ET_CHECK(et_plan_get_splits(two).used == 2); /* the last set (all) splits */
    free(keep), free(none), free(all), free(ref);
    et_npy_free(&in);
    et_plan_free(one);
    et_plan_free(two);
    et_model_free(m);
}

static void test_tiny_stays_serial(void) {
    oh_graph og = oh_new(17);
    const int x = oh_input(&og, "x", ET_DT_F32, SHAPE(1, 8)), y = oh_value(&og, "y");
    oh_node(&og, ET_OP_RELU, (int[]){x}, 1, (int[]){y}, 1);
    oh_output(&og, y);
    const float data[8] = {-1, 2, -3, 4, -5, 6, -7, 8};
    et_err err = {0};
    et_plan *p = oh_plan(&og, 2, (const void *const[]){data}, &err); /* runs once */
    ET_REQUIRE(p);
    const et_plan_splits s = et_plan_get_splits(p);
    ET_CHECK(s.decided && s.measured && s.splitting == 0 && s.kept == 0 && s.used == 1);
    const uint64_t before = et_threadpool_jobs(et_plan_threadpool(p));
    ET_CHECK(et_plan_settle(p, NULL, &err) == ET_OK && et_plan_run(p, NULL, &err) == ET_OK);
    ET_CHECK(et_threadpool_jobs(et_plan_threadpool(p)) == before);
    const float *out = et_plan_output(p, 0)->data;
    ET_CHECK(out[0] == 0.0f && out[7] == 8.0f);
    et_plan_free(p);
    oh_free(&og);
}

int main(void) {
    ET_RUN(test_modes_bit_identical);
    ET_RUN(test_tiny_stays_serial);
    return et_test_done();
}
