/* dce.c: removing pass-through and unused nodes. */
#include "model/passes.h"

/* Identity, and Dropout without a used mask output, forward their input. */
static bool is_passthrough(const et_graph *g, const et_node *n) {
    if (n->op == ET_OP_IDENTITY)
        return true;
    if (n->op == ET_OP_DROPOUT) /* inference: Dropout is the identity (training_mode is a constant false) */
        return n->n_outputs < 2 || n->outputs[1] < 0 || g->values[n->outputs[1]].n_consumers == 0;
    return false;
}

et_status et_pass_dce(et_graph *g, et_err *err) {
    et_graph_count_uses(g);
    for (int i = 0; i < g->n_nodes; i++) {
        et_node *n = &g->nodes[i];
        if (n->dead || !is_passthrough(g, n) || n->n_inputs < 1 || n->inputs[0] < 0 || n->outputs[0] < 0)
            continue;
        int in = n->inputs[0], out = n->outputs[0];
        /* Keep the node when it connects a graph input straight to an output: the plan needs a step there. */
        if (g->values[out].is_output && g->values[in].kind == ET_VAL_INPUT)
            continue;
        if (g->values[out].is_output) {
            /* the output name must survive: the graph output keeps pointing at `out`, produced by the input's
             * producer instead */
            int prod = g->values[in].producer;
            if (prod < 0 || g->values[in].n_consumers != 1 || g->values[in].is_output)
                continue;
            et_node *pn = &g->nodes[prod];
            for (int k = 0; k < pn->n_outputs; k++)
                if (pn->outputs[k] == in)
                    pn->outputs[k] = out;
            n->dead = true;
            et_graph_count_uses(g);
            continue;
        }
        et_graph_replace_uses(g, out, in);
        n->dead = true;
        et_graph_count_uses(g);
    }
    /* unused nodes, repeatedly from the back (a reverse walk suffices in topological order) */
    et_graph_count_uses(g);
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        et_node *n = &g->nodes[i];
        if (n->dead)
            continue;
        bool used = false;
        for (int k = 0; k < n->n_outputs; k++)
            if (n->outputs[k] >= 0 && g->values[n->outputs[k]].n_consumers > 0)
                used = true;
        if (!used) {
            n->dead = true;
            for (int k = 0; k < n->n_inputs; k++)
                if (n->inputs[k] >= 0)
                    g->values[n->inputs[k]].n_consumers--;
        }
    }
    return et_graph_compact(g, err);
}
