/* input_shapes.c: fixing the graph inputs' dims from --shape, defaults and bindings. */
#include <stdio.h>
#include <string.h>

#include "model/passes.h"

static et_status bind_input(et_graph *g, int slot, const et_input_binding *b, et_err *err) {
    int v = g->inputs[slot];
    et_value *val = &g->values[v];
    int64_t numel = et_shape_numel(&b->shape);
    size_t nbytes = (size_t)(numel > 0 ? numel : 0) * et_dtype_size(b->dtype);
    void *data = et_graph_alloc_data(g, nbytes ? nbytes : 1);
    if (!data)
        return et_fail(err, ET_E_NOMEM, "out of memory binding input '%s'", b->name);
    if (nbytes)
        memcpy(data, b->data, nbytes);
    val->kind = ET_VAL_CONST;
    val->dtype = b->dtype;
    val->shape = b->shape;
    val->data = data;
    val->nbytes = nbytes;
    memmove(&g->inputs[slot], &g->inputs[slot + 1], (size_t)(g->n_inputs - slot - 1) * sizeof(int));
    g->n_inputs--;
    return ET_OK;
}

et_status et_pass_input_shapes(et_graph *g, const et_input_shape *shapes, int n_shapes, const et_input_binding *bind,
                               int n_bind, et_err *err) {
    for (int s = 0; s < n_shapes; s++) {
        int slot = -1;
        for (int i = 0; i < g->n_inputs; i++)
            if (strcmp(g->values[g->inputs[i]].name, shapes[s].name) == 0)
                slot = i;
        if (slot < 0) {
            char names[256] = "";
            size_t at = 0;
            for (int i = 0; i < g->n_inputs && at < sizeof names; i++) {
                int w = snprintf(names + at, sizeof names - at, "%s'%s'", i ? ", " : "", g->values[g->inputs[i]].name);
                if (w > 0)
                    at += (size_t)w;
            }
            return et_fail(err, ET_E_USAGE, "--shape %s: the model has no input of that name (inputs: %s)",
                           shapes[s].name, names);
        }
        et_value *v = &g->values[g->inputs[slot]];
        if (v->shape.rank != shapes[s].shape.rank)
            return et_fail(err, ET_E_USAGE, "--shape %s: the model's input has %d dims, the flag gives %d", v->name,
                           v->shape.rank, shapes[s].shape.rank);
        for (int d = 0; d < v->shape.rank; d++)
            if (v->shape.dim[d] >= 0 && v->shape.dim[d] != shapes[s].shape.dim[d])
                return et_fail(err, ET_E_USAGE, "--shape %s: dim %d is fixed to %lld by the model, the flag gives %lld",
                               v->name, d, (long long)v->shape.dim[d], (long long)shapes[s].shape.dim[d]);
        v->shape = shapes[s].shape;
    }
    for (int b = 0; b < n_bind; b++) {
        int slot = -1;
        for (int i = 0; i < g->n_inputs; i++)
            if (strcmp(g->values[g->inputs[i]].name, bind[b].name) == 0)
                slot = i;
        if (slot < 0)
            return et_fail(err, ET_E_USAGE, "binding '%s': the model has no input of that name", bind[b].name);
        et_status st = bind_input(g, slot, &bind[b], err);
        if (st != ET_OK)
            return st;
    }
    for (int i = 0; i < g->n_inputs; i++) {
        et_value *v = &g->values[g->inputs[i]];
        if (v->dtype == ET_DT_UNDEFINED)
            return et_fail(err, ET_E_UNSUPPORTED,
                           "graph input '%s' is not a numeric tensor (sequence, map and optional types are not "
                           "supported)",
                           v->name);
        if (v->dtype == ET_DT_STRING)
            return et_fail(err, ET_E_UNSUPPORTED, "graph input '%s' holds strings; edgetune computes on numbers only",
                           v->name);
        for (int d = 0; d < v->shape.rank; d++) {
            if (v->shape.dim[d] >= 0)
                continue;
            if (d == 0) {
                v->shape.dim[0] = 1; /* batch defaults to 1 */
                continue;
            }
            /* a numeric example: the known dims, 1 for the batch, an image's 3x224x224 for an NCHW input */
            char dims[128] = "";
            size_t at = 0;
            for (int k = 0; k < v->shape.rank && at < sizeof dims; k++) {
                long long ex = v->shape.dim[k] >= 0           ? (long long)v->shape.dim[k]
                               : k == 0                       ? 1
                               : v->shape.rank == 4 && k == 1 ? 3
                               : v->shape.rank == 4           ? 224
                                                              : 32;
                int w = snprintf(dims + at, sizeof dims - at, "%s%lld", k ? "x" : "", ex);
                if (w > 0)
                    at += (size_t)w;
            }
            return et_fail(err, ET_E_USAGE,
                           "input '%s' dim %d%s%s%s is not fixed by the model; give the dims with --shape, e.g. "
                           "--shape %s=%s, or give --input or --eval files, whose shape fixes them",
                           v->name, d, v->dim_param[d] ? " ('" : "", v->dim_param[d] ? v->dim_param[d] : "",
                           v->dim_param[d] ? "')" : "", v->name, dims);
        }
        if (et_shape_numel(&v->shape) < 0 ||
            (size_t)et_shape_numel(&v->shape) * et_dtype_size(v->dtype) > ((size_t)16 << 30)) {
            char sb[128];
            return et_fail(err, ET_E_INPUT, "input '%s' would hold %s %s elements, more than edgetune accepts (16 GiB)",
                           v->name, et_shape_str(&v->shape, sb, sizeof sb), et_dtype_name(v->dtype));
        }
    }
    return ET_OK;
}
