/* load_given.c: loading a model for given input values, binding the ones planning needs (see passes.h).
 *
 * edgetune plans static shapes, so an input whose value defines a shape must be a constant when the model loads.
 * Which inputs those are is what the operators' shape inference finds out; rather than keep a second list of
 * "shape-defining input slots" that could drift from the operators, this tries: the model as given, then with
 * every small given input bound, then unbinds each one the model does not need. A model that loads as given
 * costs one load, as before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/passes.h"

/* Loads with the inputs marked in `bind_mask` bound and the others' shapes fixed from their data. */
static et_status load_with(const char *path, const et_load_options *opt, const et_input_binding *given, int n_given,
                           const bool *bind_mask, et_input_shape *shapes, et_input_binding *binds, et_model **out,
                           et_err *err) {
    int n_shapes = 0, n_binds = 0;
    for (int i = 0; i < opt->n_shapes; i++)
        shapes[n_shapes++] = opt->shapes[i];
    for (int k = 0; k < n_given; k++) {
        if (bind_mask[k]) {
            binds[n_binds++] = given[k];
            continue;
        }
        bool named = false;
        for (int i = 0; i < opt->n_shapes; i++)
            named |= strcmp(opt->shapes[i].name, given[k].name) == 0;
        if (!named)
            shapes[n_shapes++] = (et_input_shape){given[k].name, given[k].shape};
    }
    et_load_options o = *opt;
    o.shapes = shapes;
    o.n_shapes = n_shapes;
    return et_model_load_bound(path, &o, binds, n_binds, out, err);
}

et_status et_model_load_given(const char *path, const et_load_options *opt_in, const et_input_binding *given,
                              int n_given, bool *bound, char *note, size_t note_len, et_model **out, et_err *err) {
    *out = NULL;
    if (note && note_len)
        note[0] = '\0';
    et_load_options opt = opt_in ? *opt_in : (et_load_options){0};
    et_input_shape *shapes = calloc((size_t)(opt.n_shapes + n_given + 1), sizeof *shapes);
    et_input_binding *binds = calloc((size_t)(n_given + 1), sizeof *binds);
    bool *mask = calloc((size_t)(n_given + 1), sizeof *mask);
    if (!shapes || !binds || !mask) {
        free(shapes), free(binds), free(mask);
        return et_fail(err, ET_E_NOMEM, "out of memory");
    }
    et_err first = {0};
    et_status st = load_with(path, &opt, given, n_given, mask, shapes, binds, out, &first);
    if (st == ET_OK || st == ET_E_NOMEM || st == ET_E_IO || st == ET_E_PERMISSION)
        goto done;
    int n_candidates = 0;
    for (int k = 0; k < n_given; k++) {
        int64_t numel = et_shape_numel(&given[k].shape);
        mask[k] = numel >= 0 && numel <= ET_BIND_MAX_ELEMS;
        n_candidates += mask[k];
    }
    if (n_candidates == 0)
        goto done;
    et_err bound_err = {0};
    et_model *m = NULL;
    if (load_with(path, &opt, given, n_given, mask, shapes, binds, &m, &bound_err) != ET_OK) {
        first = bound_err; /* binding got further: its error is the one to fix */
        st = bound_err.status;
        goto done;
    }
    /* unbind what the model does not need, one at a time */
    for (int k = 0; k < n_given; k++) {
        if (!mask[k])
            continue;
        mask[k] = false;
        et_model *fewer = NULL;
        if (load_with(path, &opt, given, n_given, mask, shapes, binds, &fewer, NULL) == ET_OK) {
            et_model_free(m);
            m = fewer;
        } else {
            mask[k] = true;
        }
    }
    *out = m;
    st = ET_OK;
    if (note && note_len) {
        int n_bound = 0;
        for (int k = 0; k < n_given; k++)
            n_bound += mask[k];
        size_t at = (size_t)snprintf(note, note_len, "input%s", n_bound > 1 ? "s" : "");
        for (int k = 0, n = 0; k < n_given && at < note_len; k++)
            if (mask[k])
                at += (size_t)snprintf(note + at, note_len - at, "%s '%s'", n++ ? "," : "", given[k].name);
        if (at < note_len)
            snprintf(note + at, note_len - at,
                     " bound as constant%s before planning: the model needs %s value%s to "
                     "plan its shapes",
                     n_bound > 1 ? "s" : "", n_bound > 1 ? "their" : "its", n_bound > 1 ? "s" : "");
    }
done:
    if (bound)
        for (int k = 0; k < n_given; k++)
            bound[k] = st == ET_OK && mask[k];
    if (st != ET_OK && err)
        *err = first;
    free(shapes);
    free(binds);
    free(mask);
    return st;
}
