/* quantize_int8.c: full int8 (act-bits 8) in its three steps: activation ranges (calibrate.c), the speed guard's
 * choice of the layers that stay float32 (speed_guard.c), and the rewrite into int8 regions (qgraph.c). It sits
 * above all three, so the guard can build trial int8 graphs without the rewrite calling back into it. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tune/tune_internal.h"
#include "util/clock.h"

et_status et_tune_quantize_int8(et_tune_ctx *c, const et_calib_set *calib) {
    et_graph *g = c->g;
    const et_knobs *k = c->k;
    et_graph_count_uses(g);
    int nv = g->n_values, nn = g->n_nodes;
    float *lo = malloc(((size_t)nv + 1) * sizeof *lo), *hi = malloc(((size_t)nv + 1) * sizeof *hi);
    bool *cand = calloc((size_t)nn + 1, sizeof *cand);
    et_status st = ET_OK;
    if (!lo || !hi || !cand) {
        st = et_fail(c->err, ET_E_NOMEM, "out of memory quantizing the graph");
        goto done;
    }
    double t0 = et_clock_ms();
    if ((st = et_tune_calibrate(c, calib, lo, hi)) != ET_OK)
        goto done;
    c->rep->calib_ms = et_clock_ms() - t0;
    snprintf(c->rep->calib_source, sizeof c->rep->calib_source, "%s", calib && calib->source[0] ? calib->source : "?");
    int n_cand = 0;
    for (int l = 0; l < c->n_layers; l++)
        if (!c->keep[l] && (!c->int8_cand || c->int8_cand[c->layers[l].node])) {
            cand[c->layers[l].node] = true;
            n_cand++;
        }
    bool all_fp32 = false;
    if (k->force_int8 && n_cand > 0)
        et_tune_note(c, true, "--force-int8: no speed guard, int8 wherever possible");
    if (c->opt->speed_guard && !k->force_int8 && n_cand > 0 && !c->int8_cand) { /* recovery decided already */
        t0 = et_clock_ms();
        st = et_tune_speed_guard(c, cand, lo, hi, &all_fp32);
        c->rep->guard_ms = et_clock_ms() - t0;
        if (st != ET_OK)
            goto done;
    }
    int n_q = 0;
    if (!all_fp32 && (st = et_tune_build_int8(c, g, cand, lo, hi, true, &n_q)) != ET_OK)
        goto done;
    c->rep->n_quantized_layers = n_q;
    c->rep->n_fp32_layers = c->n_layers - n_q;
    et_tune_note(c, true, "calibration: %s (%d input%s)", c->rep->calib_source, calib ? calib->n_sets : 0,
                 calib && calib->n_sets == 1 ? "" : "s");
    if (n_q > 0 && k->weight_bits == 4) {
        et_tune_note(c, true, "4-bit weights packed two per byte (qc4 kernels; depthwise layers keep int8)");
    } else if (n_q > 0 && k->weight_bits != 8) {
        snprintf(c->rep->exec, sizeof c->rep->exec, "simulated");
        et_tune_note(c, true, "%d-bit weights run on %s kernels (values within +-%d)", k->weight_bits,
                     k->weight_bits < 4 ? "int4" : "int8", (1 << (k->weight_bits - 1)) - 1);
    }
done:
    free(lo), free(hi), free(cand);
    return st;
}
