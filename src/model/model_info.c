/* model_info.c: op histogram and weight bytes. */
#include "model/model_info.h"

#include <stdlib.h>
#include <string.h>

static int by_count(const void *a, const void *b) {
    const et_op_count *x = a, *y = b;
    if (x->count != y->count)
        return y->count - x->count;
    return strcmp(x->op_type, y->op_type);
}

int et_graph_op_histogram(const et_graph *g, et_op_count *out, int max) {
    int n = 0;
    et_op_count *all = calloc((size_t)g->n_nodes + 1, sizeof *all);
    if (!all)
        return 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const et_node *nd = &g->nodes[i];
        if (nd->dead)
            continue;
        int k = 0;
        while (k < n && strcmp(all[k].op_type, nd->op_type) != 0)
            k++;
        if (k == n)
            all[n++] = (et_op_count){nd->op_type, 0};
        all[k].count++;
    }
    qsort(all, (size_t)n, sizeof *all, by_count);
    memcpy(out, all, (size_t)(n < max ? n : max) * sizeof *all);
    free(all);
    return n;
}

int64_t et_graph_weight_bytes(const et_graph *g) {
    int64_t total = 0;
    for (int i = 0; i < g->n_values; i++) {
        const et_value *v = &g->values[i];
        if (v->kind == ET_VAL_CONST && v->n_consumers > 0 && et_dtype_is_float(v->dtype))
            total += (int64_t)v->nbytes;
    }
    return total;
}
