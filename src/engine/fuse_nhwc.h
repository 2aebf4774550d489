/* fuse_nhwc.h: residual-add, activation and int8-output (et.Quantize) fusion into et.ConvNhwc, table activations into
 * et.QConvNhwc, run by the planner after the layout pass. */
#ifndef ET_ENGINE_FUSE_NHWC_H
#define ET_ENGINE_FUSE_NHWC_H

#include "model/graph.h"

/* Rewrites g in place; ET_E_NOMEM on allocation failure. */
et_status et_fuse_nhwc(et_graph *g, et_err *err);

#endif
