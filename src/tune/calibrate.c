/* calibrate.c: activation ranges for int8 quantization.
 *
 * The float32 graph as tuned so far (pruned, weights still float) runs on each calibration input with every
 * float activation made a graph output, and the min and max of each are kept (min/max calibration: the ranges
 * cover every calibration value, so nothing seen in calibration clips). The calibration inputs are --calib DIR
 * (.npy files), else the model's <name>.calib/ folder, else seeded random inputs; the report says which.
 *
 * Ranges depend only on the pruned float graph and the inputs, not on the bit-width, so they are cached per
 * pruning configuration: turning the bits knob does not calibrate again. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/plan.h"
#include "tune/tune_cache.h"
#include "tune/tune_internal.h"

/* Key of the ranges: everything that changes the float graph before quantization. */
static void calib_key(const et_tune_ctx *c, char *key, size_t len) {
    const et_knobs *k = c->k;
    snprintf(key, len, "calib|%d|%.6f|%d|%d:%d|%d|%d", c->g->n_values, (double)k->prune_ratio, (int)k->prune_method,
             k->nm_n, k->nm_m, k->quantize_all ? 1 : 0, k->prune_ratio > 0.0f ? 1 : 0);
}

static bool wanted(const et_graph *g, int v) {
    const et_value *val = &g->values[v];
    return val->kind != ET_VAL_CONST && val->dtype == ET_DT_F32 && (val->producer >= 0 || val->kind == ET_VAL_INPUT) &&
           et_shape_numel(&val->shape) > 0;
}

et_status et_tune_calibrate(et_tune_ctx *c, const et_calib_set *calib, float *lo, float *hi) {
    et_graph *g = c->g;
    int nv = g->n_values;
    for (int v = 0; v < nv; v++)
        lo[v] = NAN, hi[v] = NAN;
    char key[192];
    calib_key(c, key, sizeof key);
    size_t bytes = 0;
    const float *cached = et_tune_cache_get(c->opt->cache, key, &bytes);
    if (cached && bytes == 2 * (size_t)nv * sizeof(float)) {
        memcpy(lo, cached, (size_t)nv * sizeof(float));
        memcpy(hi, cached + nv, (size_t)nv * sizeof(float));
        return ET_OK;
    }
    if (!calib || calib->n_sets < 1 || calib->n_inputs != g->n_inputs)
        return et_fail(c->err, ET_E_INPUT, "int8 activations need calibration inputs (--calib DIR of .npy files)");

    et_graph_count_uses(g);
    et_graph *cg = et_graph_clone(g);
    int *outs = malloc(((size_t)nv + 1) * sizeof *outs);
    if (!cg || !outs) {
        et_graph_free(cg);
        free(outs);
        return et_fail(c->err, ET_E_NOMEM, "out of memory calibrating");
    }
    /* graph outputs first (as they are), then every other float activation */
    int n_out = 0;
    for (int i = 0; i < g->n_outputs; i++)
        outs[n_out++] = g->outputs[i];
    for (int v = 0; v < nv; v++)
        if (wanted(g, v) && !g->values[v].is_output)
            outs[n_out++] = v;
    free(cg->outputs);
    cg->outputs = outs;
    cg->n_outputs = n_out;
    et_graph_count_uses(cg);

    et_plan_options po = et_plan_options_default();
    po.threads = c->k->threads;
    et_plan *plan = NULL;
    et_status st = et_plan_create(cg, &po, &plan, c->err);
    if (st != ET_OK) {
        et_graph_free(cg);
        return st;
    }
    for (int s = 0; s < calib->n_sets && st == ET_OK; s++) {
        for (int i = 0; i < g->n_inputs; i++) {
            et_tensor *t = et_plan_input(plan, i);
            const et_npy *x = &calib->sets[s * calib->n_inputs + i];
            size_t need = (size_t)et_shape_numel(&t->shape) * et_dtype_size(t->dtype);
            if (x->nbytes != need || x->dtype != t->dtype) {
                st = et_fail(c->err, ET_E_INPUT, "calibration input %d of set %d does not match input '%s'", i, s,
                             et_plan_input_name(plan, i));
                break;
            }
            memcpy(t->data, x->data, need);
        }
        if (st != ET_OK || (st = et_plan_run(plan, NULL, c->err)) != ET_OK)
            break;
        for (int o = 0; o < n_out; o++) {
            int v = outs[o];
            if (!wanted(g, v))
                continue;
            const et_tensor *t = et_plan_output(plan, o);
            const float *d = t->data;
            int64_t n = et_shape_numel(&t->shape);
            float mn = INFINITY, mx = -INFINITY;
            for (int64_t e = 0; e < n; e++) {
                mn = d[e] < mn ? d[e] : mn;
                mx = d[e] > mx ? d[e] : mx;
            }
            if (isnan(lo[v]) || mn < lo[v])
                lo[v] = mn;
            if (isnan(hi[v]) || mx > hi[v])
                hi[v] = mx;
        }
    }
    et_plan_free(plan);
    et_graph_free(cg);
    if (st != ET_OK)
        return st;
    float *blob = malloc(2 * (size_t)nv * sizeof *blob);
    if (blob) {
        memcpy(blob, lo, (size_t)nv * sizeof *blob);
        memcpy(blob + nv, hi, (size_t)nv * sizeof *blob);
        et_tune_cache_put(c->opt->cache, key, blob, 2 * (size_t)nv * sizeof *blob);
        free(blob);
    }
    return ET_OK;
}
