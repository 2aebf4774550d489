/* inplace.c: which convolutions write into a Concat's output (see inplace.h). */
#include "engine/inplace.h"


/* Whether value v can be written in place by its producer: an fp32 et.ConvNhwc output that only the Concat
 * reads, once. */
static bool placeable(const et_graph *g, const et_node *concat, int v) {
    if (v < 0)
        return false;
    const et_value *val = &g->values[v];
    if (val->kind != ET_VAL_INTERMEDIATE || val->is_output || val->n_consumers != 1 || val->producer < 0 ||
        val->dtype != ET_DT_F32)
        return false;
    const et_node *p = &g->nodes[val->producer];
    if (p->op != ET_OP_CONV_NHWC || p->n_outputs != 1 || p->outputs[0] != v)
        return false;
    int uses = 0;
    for (int j = 0; j < concat->n_inputs; j++)
        uses += concat->inputs[j] == v;
    return uses == 1;
}

void et_inplace_concats(const et_graph *g, et_inplace *places, bool *noop) {
    for (int v = 0; v < g->n_values; v++)
        places[v] = (et_inplace){.into = -1};
    for (int i = 0; i < g->n_nodes; i++) {
        const et_node *n = &g->nodes[i];
        noop[i] = false;
        if (n->op != ET_OP_CONCAT || n->n_inputs < 2 || n->n_outputs != 1 || n->outputs[0] < 0)
            continue;
        const et_value *out = &g->values[n->outputs[0]];
        const int rank = out->shape.rank;
        int64_t axis = et_node_attr_int(n, "axis", 0);
        axis = axis < 0 ? axis + rank : axis;
        if (rank < 2 || axis != rank - 1 || out->dtype != ET_DT_F32 || out->kind != ET_VAL_INTERMEDIATE)
            continue;
        bool all = true;
        for (int j = 0; j < n->n_inputs && all; j++)
            all = placeable(g, n, n->inputs[j]);
        if (!all)
            continue;
        const int64_t total = out->shape.dim[rank - 1];
        int64_t offset = 0;
        for (int j = 0; j < n->n_inputs; j++) {
            const et_value *in = &g->values[n->inputs[j]];
            places[n->inputs[j]] = (et_inplace){n->outputs[0], offset * (int64_t)sizeof(float), total};
            offset += in->shape.dim[rank - 1];
        }
        noop[i] = true;
    }
}
