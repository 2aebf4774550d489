/* layout.h: the channels-last rewrite of a graph for the engine's fast kernels.
 *
 * ONNX tensors are NCHW. The engine's convolution and pooling kernels work on NHWC (channels last, so a pixel's
 * channels are contiguous and SIMD lanes run over channels, as XNNPACK does). This pass replaces Conv and pooling
 * nodes by channels-last internal operators, keeps tensors channels-last through operators that do not care
 * (elementwise, concat on channels, resize...), and inserts transposes only where an operator needs ONNX layout.
 * Graph inputs and outputs keep their ONNX layout. */
#ifndef ET_ENGINE_LAYOUT_H
#define ET_ENGINE_LAYOUT_H

#include "model/graph.h"

/* Rewrites g in place. Shapes of every value stay correct (physical shapes). ET_E_NOMEM on allocation failure. */
et_status et_layout_channels_last(et_graph *g, et_err *err);

#endif
