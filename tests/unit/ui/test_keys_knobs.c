/* test_keys_knobs.c: the key table (every action reachable, no key bound twice, vi aliases) and the knob rows
 * (stepping walks exactly record/knobs.h's value lists and stops at their ends). */
#include "et_test.h"
#include "ui/ui.h"

static void test_every_action_has_a_key(void) {
    int n;
    const et_key_binding *b = et_key_bindings(&n);
    for (int a = 1; a < ET_DO_COUNT; a++) {
        int keys = 0;
        for (int i = 0; i < n; i++)
            keys += b[i].action == (et_action)a;
        ET_CHECK_MSG(keys > 0, "action %d (%s) has no key", a, et_action_help((et_action)a));
        ET_CHECK(et_action_help((et_action)a)[0] != '\0');
    }
    for (int i = 0; i < n; i++)
        for (int k = i + 1; k < n; k++)
            ET_CHECK_MSG(b[i].key != b[k].key, "key %s bound twice", b[i].label_ascii);
}

static void test_vi_aliases(void) {
    ET_CHECK_INT(et_key_action('k'), et_key_action(ET_KEY_UP));
    ET_CHECK_INT(et_key_action('j'), et_key_action(ET_KEY_DOWN));
    ET_CHECK_INT(et_key_action('h'), et_key_action(ET_KEY_LEFT));
    ET_CHECK_INT(et_key_action('l'), et_key_action(ET_KEY_RIGHT));
    ET_CHECK_INT(et_key_action('q'), ET_DO_QUIT);
    ET_CHECK_INT(et_key_action('?'), ET_DO_HELP);
    ET_CHECK_INT(et_key_action(ET_KEY_TAB), ET_DO_NEXT_VIEW);
    ET_CHECK_INT(et_key_action('Z'), ET_DO_NONE);
    char buf[64];
    ET_CHECK_STR(et_action_keys(ET_DO_QUIT, true, buf, sizeof buf), "q/F10");
    ET_CHECK_STR(et_action_keys(ET_DO_UP, true, buf, sizeof buf), "Up/k");
    ET_CHECK_STR(et_action_keys(ET_DO_UP, false, buf, sizeof buf), "\u2191/k");
}

static void test_weight_bits_walk_the_list(void) {
    et_knobs k = et_knobs_default();
    static const int want[] = {
#define ET_X(b) b,
        ET_WEIGHT_BITS_LIST(ET_X)
#undef ET_X
    };
    int n = (int)(sizeof want / sizeof want[0]);
    ET_CHECK_INT(k.weight_bits, want[0]);
    ET_CHECK(!et_knob_step(&k, ET_KNOB_WEIGHT_BITS, -1, 4)); /* at the start */
    for (int i = 1; i < n; i++) {
        ET_CHECK(et_knob_step(&k, ET_KNOB_WEIGHT_BITS, 1, 4));
        ET_CHECK_INT(k.weight_bits, want[i]);
    }
    ET_CHECK(!et_knob_step(&k, ET_KNOB_WEIGHT_BITS, 1, 4)); /* at the end */
    ET_CHECK_INT(k.weight_bits, want[n - 1]);
    char v[32];
    k.weight_bits = 32;
    et_knob_value(&k, ET_KNOB_WEIGHT_BITS, v, sizeof v);
    ET_CHECK_STR(v, "32 fp32");
}

static void test_prune_threads_and_toggles(void) {
    et_knobs k = et_knobs_default();
    int steps = 0;
    while (et_knob_step(&k, ET_KNOB_PRUNE_RATIO, 1, 4))
        steps++;
    ET_CHECK_INT(steps, 19);
    ET_CHECK_NEAR(k.prune_ratio, 0.95, 1e-6);
    ET_CHECK(et_knobs_validate(&k, NULL) == ET_OK);
    k = et_knobs_default();
    for (int i = 0; i < 6; i++)
        et_knob_step(&k, ET_KNOB_PRUNE_RATIO, 1, 4);
    ET_CHECK_NEAR(k.prune_ratio, 0.30, 1e-6);
    char v[32];
    et_knob_value(&k, ET_KNOB_PRUNE_RATIO, v, sizeof v);
    ET_CHECK_STR(v, "30 %");
    /* threads stay within 1..max */
    ET_CHECK(!et_knob_step(&k, ET_KNOB_THREADS, -1, 2));
    ET_CHECK(et_knob_step(&k, ET_KNOB_THREADS, 1, 2));
    ET_CHECK(!et_knob_step(&k, ET_KNOB_THREADS, 1, 2));
    ET_CHECK_INT(k.threads, 2);
    /* every method, and only those */
    int methods = 1;
    while (et_knob_step(&k, ET_KNOB_PRUNE_METHOD, 1, 2))
        methods++;
    ET_CHECK_INT(methods, ET_PRUNE_COUNT);
    ET_CHECK(et_knob_step(&k, ET_KNOB_SYMMETRIC, 1, 2) && !k.symmetric);
    ET_CHECK(!et_knob_step(&k, ET_KNOB_SYMMETRIC, 1, 2));
    ET_CHECK(et_knob_step(&k, ET_KNOB_QUANTIZE_ALL, 1, 2) && k.quantize_all);
}

static void test_applies(void) {
    et_knobs k = et_knobs_default();
    ET_CHECK(!et_knob_applies(&k, ET_KNOB_GRANULARITY));
    ET_CHECK(!et_knob_applies(&k, ET_KNOB_PRUNE_METHOD));
    ET_CHECK(et_knob_applies(&k, ET_KNOB_THREADS));
    k.weight_bits = 8;
    ET_CHECK(et_knob_applies(&k, ET_KNOB_GRANULARITY));
    k.prune_ratio = 0.5f;
    ET_CHECK(et_knob_applies(&k, ET_KNOB_PRUNE_METHOD));
    ET_CHECK(!et_knob_applies(&k, ET_KNOB_NM));
    k.prune_method = ET_PRUNE_NM;
    ET_CHECK(et_knob_applies(&k, ET_KNOB_NM));
}

int main(void) {
    ET_RUN(test_every_action_has_a_key);
    ET_RUN(test_vi_aliases);
    ET_RUN(test_weight_bits_walk_the_list);
    ET_RUN(test_prune_threads_and_toggles);
    ET_RUN(test_applies);
    return et_test_done();
}
