/* test_words_diff.c: the words where two settings lines differ (util/words_diff.h): one changed value with its
 * name before it, hashes cut, several runs, and no answer when the lines do not line up or are the same. */
#include <string.h>

#include "et_test.h"
#include "util/words_diff.h"

static void test_one_value(void) {
    char was[128], now[128];
    ET_REQUIRE(et_words_diff("finetune aa - | w8 a8 | data bb 20 | epochs 3 batch 16",
                             "finetune aa - | w8 a8 | data bb 20 | epochs 4 batch 16", was, now, sizeof was));
    ET_CHECK_STR(was, "epochs 3");
    ET_CHECK_STR(now, "epochs 4");
    /* the first knob follows "|": no context word */
    ET_REQUIRE(et_words_diff("x - | w8 a8", "x - | w4 a8", was, now, sizeof was));
    ET_CHECK_STR(was, "w8");
    ET_CHECK_STR(now, "w4");
}

static void test_hashes_and_runs(void) {
    char was[128], now[128];
    ET_REQUIRE(et_words_diff("data 0123456789abcdef0123 20 lr 0.1 T 2 wd 0 clip 1 seed 1",
                             "data fedcba9876543210fedc 20 lr 0.2 T 2 wd 1 clip 2 seed 2", was, now, sizeof was));
    ET_CHECK_STR(was, "data 0123456789ab..., lr 0.1, wd 0, ...");
    ET_CHECK_STR(now, "data fedcba987654..., lr 0.2, wd 1, ...");
    /* neighbouring words that differ make one run */
    ET_REQUIRE(et_words_diff("a 1 2 b 3", "a 5 6 b 3", was, now, sizeof was));
    ET_CHECK_STR(was, "a 1 2");
    ET_CHECK_STR(now, "a 5 6");
    /* a small buffer cuts, never overruns */
    char s1[8], s2[8];
    ET_REQUIRE(et_words_diff("epochs 3", "epochs 4", s1, s2, sizeof s1));
    ET_CHECK(strlen(s1) < sizeof s1 && strncmp(s1, "epochs", 6) == 0);
}

static void test_no_answer(void) {
    char was[64], now[64];
    ET_CHECK(!et_words_diff("a b c", "a b c", was, now, sizeof was));
    ET_CHECK(!et_words_diff("a b c", "a b c d", was, now, sizeof was));
    ET_CHECK(!et_words_diff("", "", was, now, sizeof was));
    ET_CHECK_STR(was, "");
}

int main(void) {
    ET_RUN(test_one_value);
    ET_RUN(test_hashes_and_runs);
    ET_RUN(test_no_answer);
    return et_test_done();
}
