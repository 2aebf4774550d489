/* train_export.c: a training network's values back into a graph (et_tnet_export in train.h).
 *
 * The result is a clone of the graph the network was built from, with each parameter's master values (pruned
 * weights 0) and each buffer's (BatchNorm running statistics) in new data the clone owns. BatchNormalization
 * nodes stay as they are: the model loader folds them into the convolutions again when the file is loaded, so
 * the written model needs no folding of its own. */
#include <string.h>

#include "train/tnet.h"

static et_status replace(et_graph *g, int v, const float *data, int64_t numel, et_err *err) {
    size_t bytes = (size_t)numel * sizeof(float);
    float *copy = et_graph_alloc_data(g, bytes ? bytes : 1);
    if (!copy)
        return et_fail(err, ET_E_NOMEM, "out of memory writing the trained model");
    memcpy(copy, data, bytes);
    g->values[v].data = copy;
    g->values[v].nbytes = bytes;
    g->values[v].quant = NULL;
    return ET_OK;
}

et_graph *et_tnet_export(et_tnet *n, et_err *err) {
    if (et_tnet_refresh_weights(n, err) != ET_OK)
        return NULL;
    et_graph *g = et_graph_clone(n->g);
    if (!g) {
        et_fail(err, ET_E_NOMEM, "out of memory writing the trained model");
        return NULL;
    }
    for (int i = 0; i < n->n_params; i++)
        if (replace(g, n->params[i].value, n->params[i].w, n->params[i].numel, err) != ET_OK)
            goto fail;
    for (int i = 0; i < n->n_buffers; i++)
        if (replace(g, n->buffers[i].value, n->buffers[i].data, n->buffers[i].numel, err) != ET_OK)
            goto fail;
    return g;
fail:
    et_graph_free(g);
    return NULL;
}
