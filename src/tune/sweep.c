/* sweep.c: sweep grid expansion and Pareto marking (see sweep.h). */
#include "tune/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Splits a comma-separated list into items (at most max, each under 32 characters); -1 on a bad list. */
static int split(const char *s, char items[][32], int max) {
    int n = 0;
    const char *p = s;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0 || len >= 32 || n >= max)
            return -1;
        memcpy(items[n], p, len);
        items[n][len] = '\0';
        n++;
        if (!e)
            break;
        p = e + 1;
        if (!*p)
            return -1;
    }
    return n;
}

static bool parse_int(const char *s, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < -1000000 || v > 1000000)
        return false;
    *out = (int)v;
    return true;
}

et_status et_sweep_parse(const char *bits, const char *act_bits, const char *prune, const char *methods,
                         et_sweep_lists *l, et_err *err) {
    char items[32][32];
    int n;
    if (bits) {
        if ((n = split(bits, items, 16)) <= 0)
            return et_fail(err, ET_E_USAGE, "--bits '%s': expected a comma-separated list such as 32,8,4", bits);
        for (int i = 0; i < n; i++) {
            int b;
            bool ok = parse_int(items[i], &b);
            bool known = false;
#define ET_X(w) known |= b == (w);
            ET_WEIGHT_BITS_LIST(ET_X)
#undef ET_X
            if (!ok || !known)
                return et_fail(err, ET_E_USAGE, "--bits: '%s' is not one of 32 16 8 7 6 5 4 3 2", items[i]);
            l->bits[i] = b;
        }
        l->n_bits = n;
    }
    if (act_bits) {
        if ((n = split(act_bits, items, 2)) <= 0)
            return et_fail(err, ET_E_USAGE, "--act-bits '%s': expected 32, 8 or 32,8", act_bits);
        for (int i = 0; i < n; i++) {
            int b;
            if (!parse_int(items[i], &b) || (b != 32 && b != 8))
                return et_fail(err, ET_E_USAGE, "--act-bits: '%s' is not 32 or 8", items[i]);
            l->act_bits[i] = b;
        }
        l->n_act_bits = n;
    }
    if (prune) {
        if ((n = split(prune, items, 32)) <= 0)
            return et_fail(err, ET_E_USAGE, "--prune '%s': expected a comma-separated list such as 0,0.5,0.9", prune);
        for (int i = 0; i < n; i++) {
            char *end;
            double r = strtod(items[i], &end);
            if (end == items[i] || *end || !(r >= 0.0 && r <= 0.95))
                return et_fail(err, ET_E_USAGE, "--prune: '%s' is not a ratio between 0 and 0.95", items[i]);
            l->prune[i] = (float)r;
        }
        l->n_prune = n;
    }
    if (methods) {
        if ((n = split(methods, items, ET_PRUNE_COUNT)) <= 0)
            return et_fail(err, ET_E_USAGE, "--prune-method '%s': expected a list such as unstructured,nm,channel",
                           methods);
        for (int i = 0; i < n; i++) {
            int m = et_prune_method_parse(items[i]);
            if (m < 0)
                return et_fail(err, ET_E_USAGE, "--prune-method: '%s' is not unstructured, global, nm or channel",
                               items[i]);
            l->methods[i] = (et_prune_method)m;
        }
        l->n_methods = n;
    }
    return ET_OK;
}

et_status et_sweep_parse_recover(const char *recover, et_sweep_lists *l, et_err *err) {
    if (!recover)
        return ET_OK;
    char items[32][32];
    int n = split(recover, items, ET_RECOVER_COUNT);
    if (n <= 0)
        return et_fail(err, ET_E_USAGE, "--recover '%s': expected a list such as none,bias,full", recover);
    for (int i = 0; i < n; i++) {
        int r = et_recover_parse(items[i]);
        if (r < 0)
            return et_fail(err, ET_E_USAGE, "--recover: '%s' is not none, bias or full", items[i]);
        l->recover[i] = (et_recover)r;
    }
    l->n_recover = n;
    return ET_OK;
}

static bool same(const et_knobs *a, const et_knobs *b) {
    if (a->weight_bits != b->weight_bits || a->act_bits != b->act_bits || a->recover != b->recover ||
        strcmp(a->layers, b->layers) != 0) /* per-layer overrides */
        return false;
    bool pa = a->prune_ratio > 0.0f, pb = b->prune_ratio > 0.0f;
    if (pa != pb)
        return false;
    if (!pa)
        return true;
    if (a->prune_method != b->prune_method)
        return false;
    return a->prune_method == ET_PRUNE_NM || a->prune_ratio == b->prune_ratio;
}

int et_sweep_grid(const et_sweep_lists *l, const et_knobs *base, et_knobs *out, int max, et_err *err) {
    int n = 0;
    et_knobs k = *base;
    k.weight_bits = 32, k.act_bits = 32, k.prune_ratio = 0.0f, k.recover = ET_RECOVER_NONE;
    memset(k.layers, 0, sizeof k.layers); /* the pristine baseline: the points keep the per-layer overrides */
    out[n++] = k;                         /* the baseline */
    int nb = l->n_bits ? l->n_bits : 1, na = l->n_act_bits ? l->n_act_bits : 1;
    int np = l->n_prune ? l->n_prune : 1, nm = l->n_methods ? l->n_methods : 1;
    int nr = l->n_recover ? l->n_recover : 1;
    for (int a = 0; a < na; a++)
        for (int b = 0; b < nb; b++)
            for (int m = 0; m < nm; m++)
                for (int p = 0; p < np; p++)
                    for (int r = 0; r < nr; r++) {
                        k = *base;
                        k.weight_bits = l->n_bits ? l->bits[b] : base->weight_bits;
                        k.act_bits = l->n_act_bits ? l->act_bits[a] : base->act_bits;
                        k.prune_ratio = l->n_prune ? l->prune[p] : base->prune_ratio;
                        k.prune_method = l->n_methods ? l->methods[m] : base->prune_method;
                        k.recover = l->n_recover ? l->recover[r] : base->recover;
                        if (k.prune_ratio == 0.0f)
                            k.prune_method = ET_PRUNE_UNSTRUCTURED;
                        if (et_knobs_is_fp32(&k))
                            k.recover = ET_RECOVER_NONE; /* nothing compressed: nothing to recover */
                        if (k.act_bits == 8 && k.weight_bits > 8)
                            continue; /* int8 activations need integer weights */
                        if (et_knobs_validate(&k, NULL) != ET_OK)
                            continue;
                        bool dup = false;
                        for (int i = 0; i < n && !dup; i++)
                            dup = same(&out[i], &k);
                        if (dup)
                            continue;
                        if (n >= max) {
                            et_fail(err, ET_E_USAGE, "the sweep has more than %d points; shorten the lists", max);
                            return -1;
                        }
                        out[n++] = k;
                    }
    return n;
}
