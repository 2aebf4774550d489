/* act_map.h: a node's fused activation (et_activation) expressed as the NHWC operators' clamp + post-op. */
#ifndef ET_ENGINE_NODES_ACT_MAP_H
#define ET_ENGINE_NODES_ACT_MAP_H

#include <stdbool.h>

#include "engine/kernels/params.h"
#include "model/graph.h"
#include "util/status.h"

typedef struct et_kernel_act {
    bool clamp;
    float out_min, out_max;
    bool post;
    et_unary_op post_op;
    et_f32_unary_params post_params;
} et_kernel_act;

/* Maps a's kind onto the kernels' clamp/post-op. ET_E_UNSUPPORTED naming node n for kinds the kernels lack. */
et_status et_act_to_kernel(const et_node *n, const et_activation *a, et_kernel_act *out, et_err *err);

#endif
