/* step_saved.h: which plan steps a per-layer change moves, and the time it saves on them (sensitivity's
 * time_saved_ms). Changing one layer changes more steps than the one named as the layer: channel pruning shrinks
 * its whole channel group (every producer of a residual Add) and every reader of those channels (the next
 * convolution's input channels, the activations, Adds, pooling and conversions in between, a Gemm after a
 * Flatten); a bits change can add or drop Quantize/Dequantize steps around it. Which steps changed is decided from
 * the two plans' facts (name, operator, kernel, precision, MACs, activation elements, packed weight bytes), never
 * from their times: an unchanged step's time differs between two measurements by noise alone, and counting that
 * noise would swamp a small layer's saving, or hand a change that alters nothing (a channel ratio that the
 * rounding to multiples of 8 leaves whole, bits=8 on a w8 base) a saving that a search then picks for free.
 * Pure: no I/O, no session. */
#ifndef ET_BENCH_STEP_SAVED_H
#define ET_BENCH_STEP_SAVED_H

#include <stdbool.h>
#include <stdint.h>

#include "record/sensitivity.h"

/* One step of a configured plan, as et_plan_step_info reports it, with its measured time. */
typedef struct et_step_fact {
    char name[128];
    char kernel[96]; /* operator, kernel and precision: "Conv qc8-igemm-6x16c2-avx2 int8" */
    int64_t macs, act_elems, packed_bytes;
    double ms; /* per inference */
} et_step_fact;

/* Whether step i of a (of na) counts in a change from one plan to the other (b, of nb): b has no step of its name
 * (its k-th step of that name for a's k-th), or b's has other facts (kernel, MACs, activation elements, packed
 * weight bytes). */
bool et_step_changed(const et_step_fact *a, int na, int i, const et_step_fact *b, int nb);

/* How much faster the machine ran while `base` was profiled than while `point` was: the base's time on the steps
 * the change did not move over the point's time on them (the same work both times, so their ratio is the
 * machine's speed, e.g. a slow spell of a shared VM or another process's burst, not the change); 1 when those
 * steps are less than a fifth of the base's time (too little to tell). */
double et_step_speed(const et_step_fact *base, int n_base, const et_step_fact *point, int n_point);

/* The time the change from plan `base` to plan `point` saves per inference (ms; negative when slower): the base's
 * time on its changed steps minus the point's on its own (et_step_changed both ways), the point's taken at the
 * base's speed (et_step_speed: the unchanged steps are the clock, never counted as saved); 0 when no step
 * changed. */
double et_step_time_saved_ms(const et_step_fact *base, int n_base, const et_step_fact *point, int n_point);

/* Fills out (at most max; may be NULL with max 0) with what the point saves per base step it moved
 * (et_step_changed): the step's index in base, its base time and the base's time minus the paired point step's at
 * the base's speed (all of it when the point has none); and *time_saved_ms (may be NULL) with the whole saving, as
 * et_step_time_saved_ms, from the same et_step_speed (computed once for both).
 * Returns how many; 0 when more than max moved (none known: the saving then adds as a whole). */
int et_step_saves(const et_step_fact *base, int n_base, const et_step_fact *point, int n_point, et_sens_step_saved *out,
                  int max, double *time_saved_ms);

/* How much less several changes made together save than the sum of their time_saved_ms, from the steps two or more
 * of them moved (pts[i]->step_saves; NULL and points without them are skipped): on such a step each change keeps
 * a fraction 1 - saved / base of its time, and together they keep the product (work in proportion to MACs: a
 * convolution whose input channels lose a and output channels b does (1 - a)(1 - b) of its work, not 1 - a - b);
 * the sum of the parts minus base x (1 - the product), summed over those steps (ms, >= 0 when every part saves). */
double et_step_overlap_ms(const et_sens_point *const *pts, int n);

#endif
