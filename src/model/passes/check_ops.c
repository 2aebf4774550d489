/* check_ops.c: one line listing every operator the engine does not implement. */
#include <stdio.h>
#include <string.h>

#include "engine/op.h"
#include "model/passes.h"

et_status et_pass_check_ops(const et_graph *g, const char *model_name, bool fail, char *list, size_t list_len,
                            et_err *err) {
    enum { MAX_KINDS = 64 };
    const char *kind[MAX_KINDS], *domain[MAX_KINDS];
    int count[MAX_KINDS], n_kinds = 0, extra = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const et_node *n = &g->nodes[i];
        if (n->op != ET_OP_UNKNOWN && et_op_impl_get(n->op))
            continue;
        int k = 0;
        for (; k < n_kinds; k++)
            if (strcmp(kind[k], n->op_type) == 0 && strcmp(domain[k], n->domain) == 0)
                break;
        if (k == n_kinds) {
            if (n_kinds == MAX_KINDS) {
                extra++;
                continue;
            }
            kind[k] = n->op_type, domain[k] = n->domain, count[k] = 0, n_kinds++;
        }
        count[k]++;
    }
    char buf[ET_ERR_MSG_MAX] = "";
    size_t at = 0;
    for (int k = 0; k < n_kinds && at < sizeof buf; k++) {
        bool dflt = !*domain[k] || strcmp(domain[k], "ai.onnx") == 0;
        int w = snprintf(buf + at, sizeof buf - at, "%s%s%s%s (%d node%s)", k ? ", " : "", dflt ? "" : domain[k],
                         dflt ? "" : ".", kind[k], count[k], count[k] == 1 ? "" : "s");
        if (w < 0)
            break;
        at += (size_t)w;
    }
    if (extra && at < sizeof buf)
        snprintf(buf + at, sizeof buf - at, " and %d more", extra);
    if (list)
        snprintf(list, list_len, "%s", buf);
    if (n_kinds && fail)
        return et_fail(err, ET_E_UNSUPPORTED, "%s: unsupported operators: %s", model_name, buf);
    return ET_OK;
}
