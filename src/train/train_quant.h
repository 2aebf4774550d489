/* train_quant.h: where quantization-aware training fake-quantizes 8-bit activations (train_quant.c), used by
 * the network build (tnet.c) node by node. Without act_bits 8 every call is the identity. */
#ifndef ET_TRAIN_TRAIN_QUANT_H
#define ET_TRAIN_TRAIN_QUANT_H

#include "train/tnet.h"

typedef struct et_train_quant et_train_quant;

/* Starts the walk over the nodes (*out NULL when nothing is fake-quantized). ET_E_NOMEM. */
et_status et_train_quant_begin(et_tnet *n, et_train_quant **out, et_err *err);
void et_train_quant_end(et_train_quant *q);

/* The value a step reads in place of graph value v (its fake-quantized copy when there is one). */
int et_train_quant_input(const et_train_quant *q, int v);
/* y is an alias of x (Reshape...): it is quantized when x is. */
void et_train_quant_alias(et_train_quant *q, int x, int y);
/* Before node k's step: fake-quantizes the input of a quantized layer that is not on a grid yet. */
et_status et_train_quant_before(et_train_quant *q, int k, et_err *err);
/* After node k's steps: fake-quantizes its output where the int8 graph would quantize it. */
et_status et_train_quant_after(et_train_quant *q, int k, et_err *err);

#endif
