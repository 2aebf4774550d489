/* tune.c: knobs -> tuned graph. fp32 is the pristine graph itself (a clone); quantization and pruning are
 * added by the tune passes. */
#include "tune/tune.h"

#include <stdio.h>
#include <string.h>

#include "model/model_info.h"

et_status et_tune_apply(const et_graph *pristine, const et_knobs *k, const et_calib_set *calib, et_graph **out,
                        et_tune_report *rep, et_err *err) {
    *out = NULL;
    memset(rep, 0, sizeof *rep);
    snprintf(rep->exec, sizeof rep->exec, "native");
    et_status st = et_knobs_validate(k, err);
    if (st != ET_OK)
        return st;
    if (!et_knobs_is_fp32(k))
        return et_fail(err, ET_E_UNSUPPORTED, "quantization and pruning are not available in this build yet");
    (void)calib;
    et_graph *g = et_graph_clone(pristine);
    if (!g)
        return et_fail(err, ET_E_NOMEM, "out of memory deriving the tuned model");
    rep->weights_deploy_bytes = et_graph_weight_bytes(pristine);
    *out = g;
    return ET_OK;
}
