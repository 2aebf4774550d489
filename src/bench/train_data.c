/* train_data.c: data sets as training sources (train_data.h). */
#include "bench/train_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/mem.h"
#include "util/sha256.h"

enum { SUBSET_SEED = 1 };

static et_status read_sample(void *ctx, int64_t i, float *const *dst, et_err *err) {
    et_train_data *d = ctx;
    if (d->cache) {
        memcpy(dst[0], d->cache + i * d->numel, (size_t)d->numel * sizeof(float));
        return ET_OK;
    }
    return et_dataset_read(d->set, i, dst[0], err);
}

static int64_t read_label(void *ctx, int64_t i) { return et_dataset_label(((et_train_data *)ctx)->set, i); }

const char *et_train_default_set(const char *model_path, const char *suffix, char *out, size_t len) {
    size_t l = strlen(model_path);
    size_t base = l > 5 && strcmp(model_path + l - 5, ".onnx") == 0 ? l - 5 : l;
    snprintf(out, len, "%.*s.%s", (int)base, model_path, suffix);
    struct stat st;
    return stat(out, &st) == 0 && S_ISDIR(st.st_mode) ? out : NULL;
}

/* Reads every sample in order: the hash, and the cache when there is one. */
static et_status hash_all(et_train_data *d, const char *what, et_err *err) {
    et_sha256 h;
    et_sha256_init(&h);
    float *row = d->row;
    for (int64_t i = 0; i < d->n; i++) {
        float *dst = d->cache ? d->cache + i * d->numel : row;
        et_status st = et_dataset_read(d->set, i, dst, err);
        if (st != ET_OK) {
            et_err_prefix(err, "%s: ", what);
            return st;
        }
        et_sha256_update(&h, dst, (size_t)d->numel * sizeof(float));
    }
    uint8_t sum[32];
    et_sha256_final(&h, sum);
    for (int i = 0; i < 32; i++)
        snprintf(d->sha256 + 2 * i, 3, "%02x", sum[i]);
    return ET_OK;
}

et_status et_train_data_open(et_train_data *d, const char *what, const char *path, const char *labels_path, bool labels,
                             int64_t limit, const et_graph *g, bool hash, et_err *err) {
    memset(d, 0, sizeof *d);
    if (g->n_inputs != 1)
        return et_fail(err, ET_E_UNSUPPORTED,
                       "%s: the model has %d inputs; training reads one data set into a "
                       "model's only input",
                       what, g->n_inputs);
    const et_value *in = &g->values[g->inputs[0]];
    if (in->dtype != ET_DT_F32)
        return et_fail(err, ET_E_UNSUPPORTED, "%s: the model's input '%s' is %s; training takes float32 inputs", what,
                       in->name, et_dtype_name(in->dtype));
    et_dataset_options o = {.path = path,
                            .labels_path = labels_path,
                            .no_labels = !labels,
                            .limit = limit,
                            .seed = SUBSET_SEED};
    et_status st = et_dataset_open(&o, &d->set, err);
    et_shape sample;
    if (st == ET_OK)
        st = et_dataset_fit(d->set, in->name, in->dtype, &in->shape, &sample, err);
    if (st != ET_OK) {
        if (!strstr(err->msg, path))
            et_err_prefix(err, "%s %s: ", what, path);
        et_train_data_free(d);
        return st;
    }
    d->n = et_dataset_count(d->set);
    d->numel = (int64_t)(et_dataset_sample_bytes(d->set) / sizeof(float));
    if (d->numel != et_shape_numel(&in->shape)) {
        et_train_data_free(d);
        return et_fail(err, ET_E_INPUT, "%s %s: samples of %lld values, the model's input '%s' takes %lld", what, path,
                       (long long)d->numel, in->name, (long long)et_shape_numel(&in->shape));
    }
    size_t bytes = (size_t)d->n * (size_t)d->numel * sizeof(float);
    if (bytes <= ET_TRAIN_DATA_CACHE_MAX_BYTES)
        d->cache = et_aligned_alloc(bytes ? bytes : 64);
    d->row = malloc((size_t)d->numel * sizeof(float));
    if (!d->row) {
        et_train_data_free(d);
        return et_fail(err, ET_E_NOMEM, "out of memory reading %s", path);
    }
    if (hash || d->cache) {
        if ((st = hash_all(d, what, err)) != ET_OK) {
            et_train_data_free(d);
            return st;
        }
    }
    snprintf(d->describe, sizeof d->describe, "%s%s", et_dataset_describe(d->set),
             d->cache ? "" : " (streamed from disk: larger than the memory budget)");
    d->src = (et_train_source){.n = d->n,
                               .read = read_sample,
                               .ctx = d,
                               .label = labels && et_dataset_has_labels(d->set) ? read_label : NULL};
    return ET_OK;
}

void et_train_data_free(et_train_data *d) {
    et_dataset_free(d->set);
    et_aligned_free(d->cache);
    free(d->row);
    memset(d, 0, sizeof *d);
}
