/* qgraph.c: placeholder, replaced below */
#include "tune/tune_internal.h"
et_status et_tune_quantize_int8(et_tune_ctx *c, const et_calib_set *calib) {
    (void)calib;
    return et_fail(c->err, ET_E_UNSUPPORTED, "--act-bits 8 is not available yet");
}
