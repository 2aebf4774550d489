/* knobs.c: defaults, validation and names for et_knobs. */
#include "record/knobs.h"

#include <stdio.h>
#include <string.h>

static const char *const gran_names[] = {
#define ET_X(e, s) s,
    ET_GRANULARITY_LIST(ET_X)
#undef ET_X
};
static const char *const prune_names[] = {
#define ET_X(e, s) s,
    ET_PRUNE_METHOD_LIST(ET_X)
#undef ET_X
};
static const char *const clip_names[] = {
#define ET_X(e, s) s,
    ET_CLIP_LIST(ET_X)
#undef ET_X
};
static const char *const recover_names[] = {
#define ET_X(e, s) s,
    ET_RECOVER_LIST(ET_X)
#undef ET_X
};
static const char *const calib_method_names[] = {
#define ET_X(e, s) s,
    ET_CALIB_METHOD_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof recover_names / sizeof recover_names[0] == ET_RECOVER_COUNT, "recover names");
_Static_assert(sizeof calib_method_names / sizeof calib_method_names[0] == ET_CALIB_METHOD_COUNT, "calib names");
_Static_assert(sizeof clip_names / sizeof clip_names[0] == ET_CLIP_COUNT, "clip names");
_Static_assert(sizeof gran_names / sizeof gran_names[0] == ET_GRAN_COUNT, "granularity names");
_Static_assert(sizeof prune_names / sizeof prune_names[0] == ET_PRUNE_COUNT, "prune method names");

et_knobs et_knobs_default(void) {
    return (et_knobs){.weight_bits = 32,
                      .act_bits = 32,
                      .granularity = ET_GRAN_CHANNEL,
                      .symmetric = true,
                      .prune_ratio = 0.0f,
                      .prune_method = ET_PRUNE_UNSTRUCTURED,
                      .nm_n = 2,
                      .nm_m = 4,
                      .threads = 1,
                      .quantize_all = false,
                      .clip = ET_CLIP_MINMAX,
                      .recover = ET_RECOVER_NONE,
                      .calib_method = ET_CALIB_MINMAX};
}

bool et_knobs_is_fp32(const et_knobs *k) {
    return k->weight_bits == 32 && k->act_bits == 32 && k->prune_ratio == 0.0f && k->layers[0] == '\0';
}

et_status et_knobs_validate(const et_knobs *k, et_err *err) {
    bool bits_ok = false;
#define ET_X(b) bits_ok |= k->weight_bits == (b);
    ET_WEIGHT_BITS_LIST(ET_X)
#undef ET_X
    if (!bits_ok)
        return et_fail(err, ET_E_USAGE, "--bits %d: weight bits must be one of 32 16 8 7 6 5 4 3 2", k->weight_bits);
    if (k->act_bits != 32 && k->act_bits != 8)
        return et_fail(err, ET_E_USAGE, "--act-bits %d: activation bits must be 32 or 8", k->act_bits);
    if (k->act_bits == 8 && k->weight_bits > 8)
        return et_fail(err, ET_E_USAGE, "--act-bits 8 needs integer weights: use --bits 8 or fewer (got %d)",
                       k->weight_bits);
    if (!(k->prune_ratio >= 0.0f && k->prune_ratio <= 0.95f))
        return et_fail(err, ET_E_USAGE, "--prune %g: the ratio must be between 0 and 0.95", (double)k->prune_ratio);
    if ((unsigned)k->prune_method >= ET_PRUNE_COUNT || (unsigned)k->granularity >= ET_GRAN_COUNT)
        return et_fail(err, ET_E_USAGE, "invalid prune method or granularity");
    if (k->prune_method == ET_PRUNE_NM && !(k->nm_n >= 1 && k->nm_m >= 2 && k->nm_n < k->nm_m && k->nm_m <= 16))
        return et_fail(err, ET_E_USAGE, "--nm %d:%d: need 1 <= N < M <= 16, e.g. 2:4", k->nm_n, k->nm_m);
    if ((unsigned)k->clip >= ET_CLIP_COUNT)
        return et_fail(err, ET_E_USAGE, "invalid weight clipping method");
    if (k->act_bits == 8 && !k->symmetric)
        return et_fail(err, ET_E_USAGE,
                       "--asymmetric with --act-bits 8: the int8 kernels take symmetric weights (zero point 0); "
                       "use --symmetric, or --act-bits 32 for asymmetric weights");
    if ((unsigned)k->recover >= ET_RECOVER_COUNT)
        return et_fail(err, ET_E_USAGE, "invalid recovery mode");
    if ((unsigned)k->calib_method >= ET_CALIB_METHOD_COUNT)
        return et_fail(err, ET_E_USAGE, "invalid calibration method");
    if (k->threads < 1 || k->threads > 256)
        return et_fail(err, ET_E_USAGE, "--threads %d: must be between 1 and 256", k->threads);
    /* per-layer overrides (k->layers) are parsed and checked against the model by tune (tune_layers.c) */
    if (memchr(k->layers, '\0', sizeof k->layers) == NULL)
        return et_fail(err, ET_E_USAGE, "per-layer overrides are not terminated");
    return ET_OK;
}

const char *et_granularity_name(et_granularity g) { return (unsigned)g < ET_GRAN_COUNT ? gran_names[g] : "?"; }
const char *et_prune_method_name(et_prune_method m) { return (unsigned)m < ET_PRUNE_COUNT ? prune_names[m] : "?"; }
const char *et_clip_name(et_clip c) { return (unsigned)c < ET_CLIP_COUNT ? clip_names[c] : "?"; }
int et_clip_parse(const char *s) {
    for (int i = 0; i < ET_CLIP_COUNT; i++)
        if (strcmp(s, clip_names[i]) == 0)
            return i;
    return -1;
}
const char *et_recover_name(et_recover r) { return (unsigned)r < ET_RECOVER_COUNT ? recover_names[r] : "?"; }
const char *et_calib_method_name(et_calib_method m) {
    return (unsigned)m < ET_CALIB_METHOD_COUNT ? calib_method_names[m] : "?";
}
int et_recover_parse(const char *s) {
    for (int i = 0; i < ET_RECOVER_COUNT; i++)
        if (strcmp(s, recover_names[i]) == 0)
            return i;
    return -1;
}
int et_calib_method_parse(const char *s) {
    for (int i = 0; i < ET_CALIB_METHOD_COUNT; i++)
        if (strcmp(s, calib_method_names[i]) == 0)
            return i;
    return -1;
}
int et_granularity_parse(const char *s) {
    for (int i = 0; i < ET_GRAN_COUNT; i++)
        if (strcmp(s, gran_names[i]) == 0)
            return i;
    return -1;
}
int et_prune_method_parse(const char *s) {
    for (int i = 0; i < ET_PRUNE_COUNT; i++)
        if (strcmp(s, prune_names[i]) == 0)
            return i;
    return -1;
}

char *et_knobs_describe(const et_knobs *k, char *buf, size_t len) {
    char prune[64] = "no pruning";
    if (k->prune_ratio > 0.0f) {
        if (k->prune_method == ET_PRUNE_NM)
            snprintf(prune, sizeof prune, "prune %d:%d", k->nm_n, k->nm_m);
        else
            snprintf(prune, sizeof prune, "prune %.0f%% %s", k->prune_ratio * 100.0,
                     et_prune_method_name(k->prune_method));
    }
    char recover[32] = "";
    if (k->recover != ET_RECOVER_NONE)
        snprintf(recover, sizeof recover, ", recover %s", et_recover_name(k->recover));
    char calib[32] = "";
    if (k->act_bits == 8 && k->calib_method != ET_CALIB_MINMAX)
        snprintf(calib, sizeof calib, " %s", et_calib_method_name(k->calib_method));
    char layers[48] = "";
    if (k->layers[0]) {
        int n = 1;
        for (const char *p = k->layers; *p; p++)
            n += *p == '\n';
        snprintf(layers, sizeof layers, ", %d per-layer override%s", n, n == 1 ? "" : "s");
    }
    snprintf(buf, len, "w%d a%d%s %s %s%s, %s%s, %d thread%s%s", k->weight_bits, k->act_bits, calib,
             et_granularity_name(k->granularity), k->symmetric ? "sym" : "asym",
             k->clip == ET_CLIP_PERCENTILE ? " pct" : "", prune, recover, k->threads, k->threads == 1 ? "" : "s",
             layers);
    return buf;
}
