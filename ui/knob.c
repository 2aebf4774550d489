/* knob.c: the workbench's knob rows: names, value texts, whether a knob applies to the current setting, and
 * stepping through each knob's values. The value lists are record/knobs.h's X-macros (weight and activation bits,
 * granularity, prune method, recovery, activation calibration); the prune ratio steps by 5 % from 0 to 95 %,
 * threads from 1 to the cores. */
#include <math.h>
#include <stdio.h>

#include "ui/ui.h"

static const char *const knob_names[] = {
#define ET_X(e, s) s,
    ET_KNOB_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof knob_names / sizeof knob_names[0] == ET_KNOB_COUNT, "knob names");

#define ET_X(b) b,
static const int weight_bits[] = {ET_WEIGHT_BITS_LIST(ET_X)};
static const int act_bits[] = {ET_ACT_BITS_LIST(ET_X)};
#undef ET_X
enum { N_WEIGHT_BITS = sizeof weight_bits / sizeof weight_bits[0], N_ACT_BITS = sizeof act_bits / sizeof act_bits[0] };

/* N:M patterns offered (README.md, Design: Tune: 2:4 and 1:4). */
static const int nm_patterns[][2] = {{2, 4}, {1, 4}};
enum { N_NM = sizeof nm_patterns / sizeof nm_patterns[0], PRUNE_STEPS = 19 /* 0 .. 95 % by 5 % */ };

const char *et_knob_name(et_knob_id k) { return (unsigned)k < ET_KNOB_COUNT ? knob_names[k] : "?"; }

static bool quantized(const et_knobs *k) { return k->weight_bits < 32 || k->act_bits < 32; }

void et_knob_value(const et_knobs *k, et_knob_id id, char *buf, size_t len) {
    switch (id) {
    case ET_KNOB_WEIGHT_BITS:
        snprintf(buf, len, k->weight_bits == 32 ? "32 fp32" : k->weight_bits == 16 ? "16 fp16" : "%d", k->weight_bits);
        break;
    case ET_KNOB_ACT_BITS: snprintf(buf, len, k->act_bits == 32 ? "32 fp32" : "%d", k->act_bits); break;
    case ET_KNOB_GRANULARITY: snprintf(buf, len, "%s", et_granularity_name(k->granularity)); break;
    case ET_KNOB_SYMMETRIC: snprintf(buf, len, "%s", k->symmetric ? "yes" : "no"); break;
    case ET_KNOB_PRUNE_RATIO: snprintf(buf, len, "%.0f %%", (double)k->prune_ratio * 100.0); break;
    case ET_KNOB_PRUNE_METHOD: snprintf(buf, len, "%s", et_prune_method_name(k->prune_method)); break;
    case ET_KNOB_NM: snprintf(buf, len, "%d:%d", k->nm_n, k->nm_m); break;
    case ET_KNOB_THREADS: snprintf(buf, len, "%d", k->threads); break;
    case ET_KNOB_QUANTIZE_ALL: /* the first and last layer: kept fp32 (default) or quantized too */
        snprintf(buf, len, "%s", k->quantize_all ? "quantized" : "fp32");
        break;
    case ET_KNOB_RECOVER: snprintf(buf, len, "%s", et_recover_name(k->recover)); break;
    case ET_KNOB_CALIB_METHOD: snprintf(buf, len, "%s", et_calib_method_name(k->calib_method)); break;
    default: snprintf(buf, len, "?"); break;
    }
}

bool et_knob_applies(const et_knobs *k, et_knob_id id) {
    switch (id) {
    case ET_KNOB_GRANULARITY:
    case ET_KNOB_SYMMETRIC: return k->weight_bits < 16;
    case ET_KNOB_QUANTIZE_ALL: return quantized(k);
    case ET_KNOB_PRUNE_METHOD: return k->prune_ratio > 0.0f;
    case ET_KNOB_NM: return k->prune_ratio > 0.0f && k->prune_method == ET_PRUNE_NM;
    case ET_KNOB_RECOVER: return quantized(k) || k->prune_ratio > 0.0f;
    case ET_KNOB_CALIB_METHOD: return k->act_bits == 8;
    default: return true;
    }
}

static int index_of(const int *list, int n, int v) {
    for (int i = 0; i < n; i++)
        if (list[i] == v)
            return i;
    return 0;
}

/* Steps an index within [0, n): false at either end. */
static bool step(int *i, int n, int dir) {
    int next = *i + dir;
    if (next < 0 || next >= n)
        return false;
    *i = next;
    return true;
}

bool et_knob_step(et_knobs *k, et_knob_id id, int dir, int max_threads) {
    int i;
    switch (id) {
    case ET_KNOB_WEIGHT_BITS:
        /* right (+1) goes along the list as record/knobs.h orders it: 32, 16, 8, ... 2 (more compression) */
        i = index_of(weight_bits, N_WEIGHT_BITS, k->weight_bits);
        if (!step(&i, N_WEIGHT_BITS, dir))
            return false;
        k->weight_bits = weight_bits[i];
        return true;
    case ET_KNOB_ACT_BITS:
        i = index_of(act_bits, N_ACT_BITS, k->act_bits);
        if (!step(&i, N_ACT_BITS, dir))
            return false;
        k->act_bits = act_bits[i];
        return true;
    case ET_KNOB_GRANULARITY:
        i = (int)k->granularity;
        if (!step(&i, ET_GRAN_COUNT, dir))
            return false;
        k->granularity = (et_granularity)i;
        return true;
    case ET_KNOB_SYMMETRIC:
        if (k->symmetric == (dir < 0))
            return false;
        k->symmetric = dir < 0;
        return true;
    case ET_KNOB_PRUNE_RATIO:
        i = (int)lround((double)k->prune_ratio * 20.0);
        if (!step(&i, PRUNE_STEPS + 1, dir))
            return false;
        k->prune_ratio = (float)i / 20.0f;
        return true;
    case ET_KNOB_PRUNE_METHOD:
        i = (int)k->prune_method;
        if (!step(&i, ET_PRUNE_COUNT, dir))
            return false;
        k->prune_method = (et_prune_method)i;
        return true;
    case ET_KNOB_NM:
        for (i = 0; i < N_NM - 1; i++)
            if (nm_patterns[i][0] == k->nm_n && nm_patterns[i][1] == k->nm_m)
                break;
        if (!step(&i, N_NM, dir))
            return false;
        k->nm_n = nm_patterns[i][0], k->nm_m = nm_patterns[i][1];
        return true;
    case ET_KNOB_THREADS:
        i = k->threads - 1;
        if (!step(&i, max_threads > 0 ? max_threads : 1, dir))
            return false;
        k->threads = i + 1;
        return true;
    case ET_KNOB_QUANTIZE_ALL:
        if (k->quantize_all == (dir > 0))
            return false;
        k->quantize_all = dir > 0;
        return true;
    case ET_KNOB_RECOVER:
        i = (int)k->recover;
        if (!step(&i, ET_RECOVER_COUNT, dir))
            return false;
        k->recover = (et_recover)i;
        return true;
    case ET_KNOB_CALIB_METHOD:
        i = (int)k->calib_method;
        if (!step(&i, ET_CALIB_METHOD_COUNT, dir))
            return false;
        k->calib_method = (et_calib_method)i;
        return true;
    default: return false;
    }
}
