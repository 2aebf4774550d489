/* qops.h: what the quantized operators share (qconv.c defines these; qgemm.c, qadd.c, qmul.c, qlut.c and qgap.c
 * use them). */
#ifndef ET_ENGINE_NODES_QOPS_H
#define ET_ENGINE_NODES_QOPS_H

#include <stddef.h>

#include "engine/op.h"

struct et_quant_info;

/* Attributes of an et.QConvNhwc that the planner folded an et.QLut into (fuse_nhwc.h): the scale and zero point of
 * the int8 pre-activation value it requantizes to before the table (the node's output carries the table's). */
#define ET_TABLE_IN_SCALE "et_table_in_scale"
#define ET_TABLE_IN_ZP "et_table_in_zp"

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

/* The start of the prepare of an int8 node with per-tensor scales (et.QAdd, et.QMul, et.QLut, et.QGap): the
 * quantization of inputs 0..n_in-1 into q[0..n_in) and of output 0 into q[n_in], each with one scale ("missing
 * per-tensor quantization scales" naming the node otherwise); the fused clamp as [*lo, *hi] (et_qact_bounds) when
 * lo is not NULL; then a zeroed block of `bytes` for the node's params in *block, which the caller owns (it becomes
 * inst->params). On error *block is NULL. */
et_status et_qnode_begin(const et_graph *g, const et_node *n, int n_in, const struct et_quant_info **q, float *lo,
                         float *hi, size_t bytes, void **block, et_err *err);

#endif
