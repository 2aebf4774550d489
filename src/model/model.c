/* model.c: the load pipeline (see model.h). */
#include "model/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "model/passes.h"
#include "util/sha256.h"

bool et_parse_dims(const char *s, et_shape *shape) {
    shape->rank = 0;
    if (!s || !*s)
        return false;
    const char *p = s;
    while (*p) {
        if (shape->rank >= ET_MAX_RANK)
            return false;
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno || v < 0 || v > (1ll << 31))
            return false;
        shape->dim[shape->rank++] = v;
        p = end;
        if (*p == 'x' || *p == 'X' || *p == ',') {
            p++;
            if (!*p)
                return false;
        } else if (*p) {
            return false;
        }
    }
    return true;
}

static void drop(const et_mapped_file *f) {
    if (f->data && f->size)
        madvise((void *)f->data, f->size, MADV_DONTNEED); /* private read-only file pages: re-read on demand */
}

void et_model_drop_pages(et_model *m) {
    drop(&m->file);
    for (int i = 0; i < m->n_external; i++)
        drop(&m->external[i]);
}

void et_model_free(et_model *m) {
    if (!m)
        return;
    et_graph_free(m->graph);
    for (int i = 0; i < m->n_external; i++) {
        et_mapped_file_close(&m->external[i]);
        free(m->external_paths[i]);
    }
    free(m->external);
    free(m->external_paths);
    et_mapped_file_close(&m->file);
    free(m);
}

et_status et_model_load_bound(const char *path, const et_load_options *opt, const et_input_binding *bind, int n_bind,
                              et_model **out, et_err *err) {
    *out = NULL;
    et_load_options o = opt ? *opt : (et_load_options){0};
    et_model *m = calloc(1, sizeof *m);
    if (!m)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    snprintf(m->path, sizeof m->path, "%s", path);
    const char *slash = strrchr(path, '/');
    snprintf(m->name, sizeof m->name, "%s", slash ? slash + 1 : path);
    et_status st = et_mapped_file_open(path, &m->file, err);
    if (st != ET_OK)
        goto fail;
    m->file_bytes = m->file.size;
    if (m->file.size)
        et_sha256_hex(m->file.data, m->file.size, m->sha256);
    if ((st = et_onnx_read(m, err)) != ET_OK)
        goto fail;
    et_graph *g = m->graph;
    if ((st = et_pass_check_ops(g, m->name, !o.allow_unsupported, m->unsupported, sizeof m->unsupported, err)) != ET_OK)
        goto fail;
    if ((st = et_graph_toposort(g, err)) != ET_OK) {
        et_err_prefix(err, "%s: ", m->name);
        goto fail;
    }
    if (m->unsupported[0] || o.read_only) { /* info on a model we cannot run: stop after reading */
        *out = m;
        return ET_OK;
    }
    if ((st = et_pass_input_shapes(g, o.shapes, o.n_shapes, bind, n_bind, err)) != ET_OK ||
        (st = et_pass_infer_and_fold(g, err)) != ET_OK || (st = et_pass_dce(g, err)) != ET_OK) {
        if (st != ET_E_USAGE)
            et_err_prefix(err, "%s: ", m->name);
        goto fail;
    }
    if (!o.no_fusion && ((st = et_pass_fuse_pad(g, err)) != ET_OK || (st = et_pass_fold_batchnorm(g, err)) != ET_OK ||
                         (st = et_pass_fuse_activations(g, err)) != ET_OK)) {
        et_err_prefix(err, "%s: ", m->name);
        goto fail;
    }
    m->passes_done = true;
    *out = m;
    return ET_OK;
fail:
    et_model_free(m);
    return st;
}

et_status et_model_load(const char *path, const et_load_options *opt, et_model **out, et_err *err) {
    return et_model_load_bound(path, opt, NULL, 0, out, err);
}
