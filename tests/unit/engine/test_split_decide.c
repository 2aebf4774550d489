/* test_split_decide.c: the split decision as pure functions (split_decide.h): a split is kept only where it saved
 * time, counting what the steps after it paid; the margins hold; a whole-run mode (modelled or mixed) beats serial
 * only by its paired whole-run ratios past the margin; and the schedule of a plan's first runs (warm, compare,
 * verify) ends in the right mode after the right number of runs. */
#include <math.h>
#include <string.h>

#include "engine/split_decide.h"
#include "et_test.h"

/* Times in ns. */
static void test_keep_faster_only(void) {
    const double split[] = {60000, 120000, 500, 30000};
    const double serial[] = {100000, 100000, 400, 30000};
    const bool splits[] = {true, true, true, false};
    bool keep[4];
    ET_CHECK(et_split_keep(4, split, serial, splits, keep) == 1);
    ET_CHECK(keep[0]);  /* 40 % faster */
    ET_CHECK(!keep[1]); /* slower */
    ET_CHECK(!keep[2]); /* slower */
    ET_CHECK(!keep[3]); /* did not split: nothing to keep, even if faster */
}

/* The step after a split pays for the data crossing cores: that cost is the split's. */
static void test_following_steps_charged(void) {
    /* step 0 saves 10 us itself, steps 1 and 2 (not split) lose 6 us each in split runs; step 3 splits again and
     * its own loss is not step 0's */
    const double split[] = {40000, 16000, 16000, 90000};
    const double serial[] = {50000, 10000, 10000, 50000};
    const bool splits[] = {true, false, false, true};
    bool keep[4];
    ET_CHECK(et_split_keep(4, split, serial, splits, keep) == 0);
    ET_CHECK(!keep[0]);
    /* with only one following step charged, step 0 nets 4 us = 8 %: still under the 10 % margin */
    const double split2[] = {40000, 16000, 10000, 90000};
    ET_CHECK(et_split_keep(4, split2, serial, splits, keep) == 0);
    /* followers that did not pay: step 0 kept; step 3's loss is not charged to it */
    const double split3[] = {40000, 10000, 10000, 90000};
    ET_CHECK(et_split_keep(4, split3, serial, splits, keep) == 1);
    ET_CHECK(keep[0] && !keep[3]);
}

static void test_margins(void) {
    const bool splits[] = {true};
    bool keep[1];
    /* 5 % faster: under the relative margin */
    ET_CHECK(et_split_keep(1, (double[]){95000}, (double[]){100000}, splits, keep) == 0);
    /* 15 % faster: kept */
    ET_CHECK(et_split_keep(1, (double[]){85000}, (double[]){100000}, splits, keep) == 1);
    /* 40 % of a 2 us step is 0.8 us: under the absolute floor */
    ET_CHECK(et_split_keep(1, (double[]){1200}, (double[]){2000}, splits, keep) == 0);
    /* 40 % of a 5 us step is 2 us: kept */
    ET_CHECK(et_split_keep(1, (double[]){3000}, (double[]){5000}, splits, keep) == 1);
}

static void test_median_and_choose(void) {
    const double serial[ET_SPLIT_RUNS] = {100, 100, 100, 100, 100};
    ET_CHECK(fabs(et_split_median_ratio(ET_SPLIT_RUNS, (double[]){90, 91, 92, 93, 94}, serial) - 0.92) < 1e-12);
    /* one slow pair (a preempted run) does not move the median past the others */
    ET_CHECK(fabs(et_split_median_ratio(ET_SPLIT_RUNS, (double[]){90, 300, 90, 91, 90}, serial) - 0.90) < 1e-12);
    ET_CHECK(isinf(et_split_median_ratio(ET_SPLIT_RUNS, (double[]){90, 90, 0, 90, 90}, serial)));
    ET_CHECK(isinf(et_split_median_ratio(0, serial, serial)));
    ET_CHECK(et_split_choose(0.90, 0.95) == ET_SPLIT_MODELLED);
    ET_CHECK(et_split_choose(0.95, 0.90) == ET_SPLIT_MIXED);
    ET_CHECK(et_split_choose(0.90, 0.90) == ET_SPLIT_MIXED);
    ET_CHECK(et_split_choose(0.98, 0.99) == ET_SPLIT_SERIAL); /* 2 %: within the margin */
    ET_CHECK(et_split_choose(1.20, INFINITY) == ET_SPLIT_SERIAL);
    ET_CHECK(et_split_choose(0.80, INFINITY) == ET_SPLIT_MODELLED);
}

/* Drives the schedule: a serial run right after a split one takes switch_penalty times longer (the data and
 * weights crossing back from the other core); the warm runs take modelled_ns each (at most ET_SPLIT_WARM_MAX_RUNS of them here);
 * step_split / step_serial are the step times of split and serial runs, and each mode's whole run takes
 * modelled_ns, mixed_ns or serial_ns. Returns the number of runs to the decision. */
static int drive_switch(et_split_state *s, const bool *posted, const double *step_split, const double *step_serial,
                        double modelled_ns, double mixed_ns, double serial_ns, double switch_penalty) {
    int runs = 0;
    et_split_mode last = ET_SPLIT_MODELLED;
    while (!s->decided && runs < 10 * ET_SPLIT_WARM_MAX_RUNS) {
        const et_split_mode m = et_split_next_mode(s);
        if (runs == 0)
            ET_CHECK(m == ET_SPLIT_MODELLED);
        double whole = m == ET_SPLIT_MIXED ? mixed_ns : m == ET_SPLIT_MODELLED ? modelled_ns : serial_ns;
        whole *= m == ET_SPLIT_SERIAL && last != ET_SPLIT_SERIAL ? switch_penalty : 1.0;
        et_split_record(s, m, m == ET_SPLIT_SERIAL ? step_serial : step_split, posted, whole);
        last = m;
        runs++;
    }
    return runs;
}

static int drive(et_split_state *s, const bool *posted, const double *step_split, const double *step_serial,
                 double modelled_ns, double mixed_ns, double serial_ns) {
    return drive_switch(s, posted, step_split, step_serial, modelled_ns, mixed_ns, serial_ns, 1.0);
}

static void test_schedule(void) {
    const bool posted[] = {true, false, true};
    const double split[] = {50000, 5000, 200000}, serial[] = {100000, 5000, 150000};
    et_split_state s;
    ET_REQUIRE(et_split_state_init(&s, 3));
    ET_CHECK(drive(&s, posted, split, serial, 100000, 80000, 100000) ==
             ET_SPLIT_WARM_MAX_RUNS + 4 * ET_SPLIT_RUNS * ET_SPLIT_BLOCK);
    ET_CHECK(s.final == ET_SPLIT_MIXED && s.kept == 1 && s.splitting == 2);
    ET_CHECK(et_split_step_pooled(&s, s.final, 0) && !et_split_step_pooled(&s, s.final, 1) &&
             !et_split_step_pooled(&s, s.final, 2));
    ET_CHECK(et_split_next_mode(&s) == ET_SPLIT_MIXED);
    et_split_state_free(&s);

    /* neither the mixed plan nor the modelled one was faster as a whole: serial */
    ET_REQUIRE(et_split_state_init(&s, 3));
    ET_CHECK(drive(&s, posted, split, serial, 100000, 99000, 100000) ==
             ET_SPLIT_WARM_MAX_RUNS + 4 * ET_SPLIT_RUNS * ET_SPLIT_BLOCK);
    ET_CHECK(s.final == ET_SPLIT_SERIAL && s.kept == 0);
    ET_CHECK(!et_split_step_pooled(&s, s.final, 0));
    et_split_state_free(&s);

    /* the modelled plan's whole runs beat the mixed plan's: every split kept */
    ET_REQUIRE(et_split_state_init(&s, 3));
    ET_CHECK(drive(&s, posted, split, serial, 70000, 80000, 100000) ==
             ET_SPLIT_WARM_MAX_RUNS + 4 * ET_SPLIT_RUNS * ET_SPLIT_BLOCK);
    ET_CHECK(s.final == ET_SPLIT_MODELLED && s.kept == 2);
    ET_CHECK(et_split_step_pooled(&s, s.final, 0) && et_split_step_pooled(&s, s.final, 2));
    et_split_state_free(&s);

    /* no step faster split: no verify runs; serial, or modelled when its whole runs were faster */
    const double slow[] = {120000, 5000, 200000};
    ET_REQUIRE(et_split_state_init(&s, 3));
    ET_CHECK(drive(&s, posted, slow, serial, 100000, 80000, 100000) ==
             ET_SPLIT_WARM_MAX_RUNS + 2 * ET_SPLIT_RUNS * ET_SPLIT_BLOCK);
    ET_CHECK(s.final == ET_SPLIT_SERIAL);
    et_split_state_free(&s);
    ET_REQUIRE(et_split_state_init(&s, 3));
    ET_CHECK(drive(&s, posted, slow, serial, 80000, 80000, 100000) ==
             ET_SPLIT_WARM_MAX_RUNS + 2 * ET_SPLIT_RUNS * ET_SPLIT_BLOCK);
    ET_CHECK(s.final == ET_SPLIT_MODELLED);
    et_split_state_free(&s);

    /* the warm runs last ET_SPLIT_WARM_NS: 4 runs of 50 ms, then the compare and verify runs */
    ET_REQUIRE(et_split_state_init(&s, 3));
    ET_CHECK(drive(&s, posted, split, serial, 50e6, 80000, 100000) == 4 + 4 * ET_SPLIT_RUNS * ET_SPLIT_BLOCK);
    ET_CHECK(s.warm_runs == 4 && s.final == ET_SPLIT_MIXED);
    et_split_state_free(&s);

    /* the first serial run after a split one pays for the switch (here 1.5x): only the last run of a block is
     * compared, so a modelled plan 5 % slower than serial in steady state is not chosen for that cost */
    ET_REQUIRE(et_split_state_init(&s, 3));
    drive_switch(&s, posted, slow, serial, 105000, 105000, 100000, 1.5);
    ET_CHECK(s.final == ET_SPLIT_SERIAL);
    et_split_state_free(&s);

    /* nothing splits as modelled (a tiny model): decided serial after its first run */
    ET_REQUIRE(et_split_state_init(&s, 3));
    ET_CHECK(drive(&s, (bool[]){false, false, false}, split, serial, 80000, 80000, 100000) == 1);
    ET_CHECK(s.final == ET_SPLIT_SERIAL && s.splitting == 0);
    et_split_state_free(&s);
}

int main(void) {
    ET_RUN(test_keep_faster_only);
    ET_RUN(test_following_steps_charged);
    ET_RUN(test_margins);
    ET_RUN(test_median_and_choose);
    ET_RUN(test_schedule);
    return et_test_done();
}
