/* qops.h: what the quantized operators share (qconv.c defines these; qgemm.c and qadd.c use them). */
#ifndef ET_ENGINE_NODES_QOPS_H
#define ET_ENGINE_NODES_QOPS_H

#include "engine/op.h"

/* The fused activation of n as a real clamp range [lo, hi] (none: infinite). ET_E_UNSUPPORTED naming the node
 * for activations that are not a clamp (HardSwish, Sigmoid...): tune keeps those layers in float32. */
et_status et_qact_bounds(const et_node *n, float *lo, float *hi, et_err *err);

/* Reads the scales of input 0 (X), input 1 (W, per channel or per tensor, symmetric) and output 0 (Y) of n and
 * writes the requantization multipliers mult[out_c]. ET_E_INPUT naming the node when scales are missing. */
et_status et_qscales(const et_graph *g, const et_node *n, int64_t out_c, float *x_s, int32_t *x_zp, float *y_s,
                     int32_t *y_zp, float *mult, et_err *err);

/* Sets inst->precision from the weights' value bits and the bits the kernel stores them in (4: nibbles, 8 or
 * 16: int8 values): "int8", "int4", or "int8 (simulated w5)" when the values are narrower than their container. */
void et_qprecision(const et_graph *g, const et_node *n, et_op_inst *inst, int storage_bits);

#endif
