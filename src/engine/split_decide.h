/* split_decide.h: which steps of a plan keep their split over the thread pool, decided by timing runs.
 *
 * Threads that pay or stay out, by measurement: an operator's own estimate (et_threadpool_for_work) splits almost
 * every step, and on a 2-vCPU VM a split under ~20 us ran up to 2.4x slower, and the step after a split paid for
 * the data crossing cores. So a plan with a pool of more than one thread spends its first runs deciding:
 *
 *   warm                      runs as modelled, not compared, until they add up to ET_SPLIT_WARM_NS (at most
 *                             ET_SPLIT_WARM_MAX_RUNS runs; learns which steps split). At 2 threads on the session-14
 *                             VM a plan's first 100-150 ms ran 2-3x slower than later (fmnist_wide fp32 1.0 ms vs
 *                             0.32, ResNet-18 int8 11-16 ms vs 4.8, main's own bench at load 8), so deciding on its
 *                             first runs kept ResNet-18 int8 on one thread. A plan where no step splits is decided
 *                             serial after its first run.
 *   compare                   2 x ET_SPLIT_RUNS blocks of ET_SPLIT_BLOCK whole runs, alternately as modelled and
 *                             serial; the last run of a block is timed (every step and the whole run), the first
 *                             one absorbs the switch: a serial run right after a split one pulled the data and
 *                             weights back from the other core's cache and ran 10-30 % slower than serial runs in a
 *                             row (MobileNetV3-Small fp32, session 14), which made splitting look better than it
 *                             was. Then per step: keep the split where it was faster (et_split_keep)
 *   verify                    the same blocks, mixed (only the kept splits) and serial
 *   then                      of modelled (compare runs) and mixed (verify runs), the one whose whole runs were
 *                             fastest against the serial runs beside them (et_split_choose), if it beat serial by
 *                             ET_SPLIT_WHOLE_MARGIN; else every step serial. No kept split: the verify runs are
 *                             skipped and only modelled competes with serial.
 *
 * A run's steps are all in one mode, so the cost of data crossing cores lands in the run that caused it. Results do
 * not depend on the mode: kernels and the per-element order of every operator are the same split or not.
 * ET_SPLIT_RUNS = 5 (chosen, not tuned): per step the best of 5 runs, so one preempted run does not decide, and
 * the median of 5 whole-run pairs; the decision costs the warm time plus 40 runs (about 1.2 s for ResNet-50 at 2
 * threads, a quarter of a second for a small model), which a bench runs before its warm-up (bench.c).
 *
 * Who owns what: the state owns its arrays (et_split_state_free). The functions do not allocate after init. */
#ifndef ET_ENGINE_SPLIT_DECIDE_H
#define ET_ENGINE_SPLIT_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

enum { ET_SPLIT_RUNS = 5, ET_SPLIT_BLOCK = 2, ET_SPLIT_WARM_MAX_RUNS = 1000 };
#define ET_SPLIT_WARM_NS 200e6

/* A split is kept when it saves more than this share of the step's serial time and more than ET_SPLIT_MIN_NS. */
#define ET_SPLIT_KEEP_MARGIN 0.10
#define ET_SPLIT_MIN_NS 1000.0
/* A whole-run mode is chosen over serial when the median of its paired ratios to serial is below 1 - this. */
#define ET_SPLIT_WHOLE_MARGIN 0.03

/* Pure: the decision of one plan's steps from their best times (ns) over the compare runs as modelled (split_ns)
 * and serial (serial_ns), and whether each step handed work to the pool as modelled (splits). A splitting step is
 * charged the change of the non-splitting steps that follow it up to the next splitting step (they read what its
 * workers wrote: the crossing cost lands there). keep[i] = true where that charged gain is more than
 * ET_SPLIT_KEEP_MARGIN of the step's serial time and more than ET_SPLIT_MIN_NS. Returns how many it kept. */
int et_split_keep(int n_steps, const double *split_ns, const double *serial_ns, const bool *splits, bool *keep);

typedef enum { ET_SPLIT_SERIAL, ET_SPLIT_MODELLED, ET_SPLIT_MIXED } et_split_mode;

/* Pure: the median over `runs` (1 .. ET_SPLIT_RUNS) pairs of a_ns[i] / b_ns[i], whole runs timed alternately;
 * +infinity when runs is out of range or any time is <= 0 (such a mode never wins). */
double et_split_median_ratio(int runs, const double *a_ns, const double *b_ns);

/* Pure: the final mode from the median whole-run ratios to serial of modelled and mixed (+infinity when a mode was
 * not timed): the lower of the two when it is below 1 - ET_SPLIT_WHOLE_MARGIN (mixed on a tie: fewer splits),
 * else serial. */
et_split_mode et_split_choose(double modelled_ratio, double mixed_ratio);

typedef struct et_split_state {
    int n_steps;
    int run; /* 0 while warm, then 1 + the compare and verify runs recorded */
    int warm_runs;
    double warm_ns;
    bool decided; /* the decision is made: every further run uses `final` */
    et_split_mode final;
    int splitting; /* steps that split as modelled */
    int kept;      /* steps whose split was kept (0 when final is serial) */
    bool *splits, *keep;
    double *best_split, *best_serial;
    /* whole-run times: compare runs (modelled, serial), verify runs (mixed, serial) */
    double whole_modelled[ET_SPLIT_RUNS], whole_serial[ET_SPLIT_RUNS];
    double whole_mixed[ET_SPLIT_RUNS], whole_serial2[ET_SPLIT_RUNS];
} et_split_state;

/* Arrays for n_steps steps. false when out of memory (the plan then runs every step as modelled). */
bool et_split_state_init(et_split_state *s, int n_steps);
void et_split_state_free(et_split_state *s);

/* The mode of the next run. */
et_split_mode et_split_next_mode(const et_split_state *s);

/* Whether step i gets the pool in a run of `mode` (modelled: yes, serial: no, mixed: where kept). */
bool et_split_step_pooled(const et_split_state *s, et_split_mode mode, int i);

/* Records a run of `mode` (the mode et_split_next_mode gave): per step its time (ns) and whether it handed work to
 * the pool, and the whole run's time; advances the schedule and decides when the last run of a phase is in. */
void et_split_record(et_split_state *s, et_split_mode mode, const double *step_ns, const bool *posted, double whole_ns);

#endif
