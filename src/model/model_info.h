/* model_info.h: what `edgetune info` and the workbench header say about a model. */
#ifndef ET_MODEL_MODEL_INFO_H
#define ET_MODEL_MODEL_INFO_H

#include "model/model.h"

typedef struct et_op_count {
    const char *op_type; /* borrowed from the graph */
    int count;
} et_op_count;

/* Fills out[] with the graph's live nodes counted by op_type, most frequent first; returns the number of
 * distinct types (may exceed max: only max are written). */
int et_graph_op_histogram(const et_graph *g, et_op_count *out, int max);

/* Bytes of constant float data consumed by live nodes (the fp32 weights). */
int64_t et_graph_weight_bytes(const et_graph *g);

#endif
