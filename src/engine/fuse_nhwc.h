/* fuse_nhwc.h: residual-add and activation fusion into et.ConvNhwc, table activations into et.QConvNhwc, run by the planner after the layout pass. */
#ifndef ET_ENGINE_FUSE_NHWC_H
#define ET_ENGINE_FUSE_NHWC_H

#include "model/graph.h"

/* Attributes of an et.QConvNhwc that an et.QLut was folded into: the scale and zero point of the int8
 * pre-activation value it requantizes to before its table (the node's output carries the table's). */
#define ET_TABLE_IN_SCALE "et_table_in_scale"
#define ET_TABLE_IN_ZP "et_table_in_zp"

/* Rewrites g in place; ET_E_NOMEM on allocation failure. */
et_status et_fuse_nhwc(et_graph *g, et_err *err);

#endif
