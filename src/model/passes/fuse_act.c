/* fuse_act.c: activations fused into the Conv or Gemm that produces their input.
 * The kernels apply node->act to each output tile while it is still in registers or cache. */
#include <math.h>
#include <string.h>

#include "engine/op.h"
#include "model/passes.h"

static bool fusable_producer(const et_node *p) {
    return (p->op == ET_OP_CONV || p->op == ET_OP_GEMM) && p->act.kind == ET_ACT_NONE && !p->dead;
}

/* The activation a node computes, when it is one we fuse. Clip needs constant bounds. */
static bool activation_of(const et_graph *g, const et_node *n, et_activation *act) {
    memset(act, 0, sizeof *act);
    switch (n->op) {
    case ET_OP_RELU: act->kind = ET_ACT_RELU; return true;
    case ET_OP_SIGMOID: act->kind = ET_ACT_SIGMOID; return true;
    case ET_OP_TANH: act->kind = ET_ACT_TANH; return true;
    case ET_OP_HARD_SWISH: act->kind = ET_ACT_HARD_SWISH; return true;
    case ET_OP_LEAKY_RELU:
        act->kind = ET_ACT_LEAKY_RELU;
        act->alpha = et_node_attr_float(n, "alpha", 0.01f);
        return true;
    case ET_OP_HARD_SIGMOID:
        act->kind = ET_ACT_HARD_SIGMOID;
        act->alpha = et_node_attr_float(n, "alpha", 0.2f);
        act->beta = et_node_attr_float(n, "beta", 0.5f);
        return true;
    case ET_OP_CLIP: {
        act->kind = ET_ACT_CLIP;
        act->alpha = -INFINITY;
        act->beta = INFINITY;
        if (g->opset < 11) {
            act->alpha = et_node_attr_float(n, "min", -INFINITY);
            act->beta = et_node_attr_float(n, "max", INFINITY);
            return true;
        }
        float v;
        int r = et_op_const_floats(g, n, 1, &v, 1);
        if (r == -2 || r == -3 || r == 0)
            return false;
        if (r == 1)
            act->alpha = v;
        r = et_op_const_floats(g, n, 2, &v, 1);
        if (r == -2 || r == -3 || r == 0)
            return false;
        if (r == 1)
            act->beta = v;
        return true;
    }
    default: return false;
    }
}

static void absorb(et_graph *g, et_node *prod, et_node *act_node, const et_activation *act) {
    prod->act = *act;
    prod->outputs[0] = act_node->outputs[0];
    act_node->dead = true;
    et_graph_count_uses(g);
}

et_status et_pass_fuse_activations(et_graph *g, et_err *err) {
    et_graph_count_uses(g);
    bool changed = false;
    for (int i = 0; i < g->n_nodes; i++) {
        et_node *n = &g->nodes[i];
        if (n->dead || n->n_inputs < 1 || n->inputs[0] < 0 || n->outputs[0] < 0)
            continue;
        const et_value *x = &g->values[n->inputs[0]];
        if (x->producer < 0 || x->is_output || g->values[n->outputs[0]].dtype != ET_DT_F32)
            continue;
        et_node *prod = &g->nodes[x->producer];
        et_activation act;
        if (x->n_consumers == 1 && fusable_producer(prod) && activation_of(g, n, &act)) {
            absorb(g, prod, n, &act);
            changed = true;
            continue;
        }
        /* x * HardSigmoid(x) (alpha 1/6, beta 0.5) is HardSwish: the form older exporters write */
        if (n->op == ET_OP_MUL && n->n_inputs == 2 && n->inputs[1] >= 0) {
            for (int side = 0; side < 2; side++) {
                int x_v = n->inputs[side], h_v = n->inputs[1 - side];
                const et_value *xv = &g->values[x_v], *hv = &g->values[h_v];
                if (xv->producer < 0 || hv->producer < 0 || hv->n_consumers != 1 || xv->n_consumers != 2 ||
                    xv->is_output)
                    continue;
                et_node *hs = &g->nodes[hv->producer], *px = &g->nodes[xv->producer];
                if (hs->op != ET_OP_HARD_SIGMOID || hs->inputs[0] != x_v || !fusable_producer(px))
                    continue;
                float a = et_node_attr_float(hs, "alpha", 0.2f), b = et_node_attr_float(hs, "beta", 0.5f);
                if (fabsf(a - 1.0f / 6.0f) > 1e-6f || fabsf(b - 0.5f) > 1e-6f)
                    continue;
                act = (et_activation){.kind = ET_ACT_HARD_SWISH};
                hs->dead = true;
                absorb(g, px, n, &act);
                changed = true;
                break;
            }
        }
    }
    return changed ? et_graph_compact(g, err) : ET_OK;
}
