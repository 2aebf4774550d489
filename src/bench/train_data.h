/* train_data.h: data sets as training sources (train_data.c): a dataset.h set fitted to the model's input, read
 * through src/train's et_train_source, held in memory when it fits (every epoch reads every sample), hashed in
 * file-name order (the run records which data it trained on). */
#ifndef ET_BENCH_TRAIN_DATA_H
#define ET_BENCH_TRAIN_DATA_H

#include "bench/dataset.h"
#include "train/trainer.h"

enum { ET_TRAIN_DATA_CACHE_MAX_BYTES = 512 << 20 };

typedef struct et_train_data {
    et_dataset *set;
    int64_t n;
    int64_t numel;   /* floats per sample */
    float *cache;    /* n x numel, or NULL when the set is larger than the budget (streamed) */
    float *row;      /* one sample's bytes when streaming */
    char sha256[65]; /* of the samples' float bytes in order ("" until hashed) */
    char describe[ET_PATH_MAX];
    et_train_source src;
} et_train_data;

/* Opens path as a set for the input `input` of g (float32 only), with labels from labels_path or the folder
 * (labels: false reads none); limit > 0 takes a seeded subset. With hash, reads every sample once (filling the
 * cache) and hashes them. `what` names the flag in messages ("--data"). Errors of dataset.h, ET_E_UNSUPPORTED
 * for a model with several inputs or a non-float input. The caller frees with et_train_data_free. */
et_status et_train_data_open(et_train_data *d, const char *what, const char *path, const char *labels_path, bool labels,
                             int64_t limit, const et_graph *g, bool hash, et_err *err);
void et_train_data_free(et_train_data *d);

/* <model path without .onnx>.<suffix>/ when that folder exists (the session's default for eval and calib), else
 * NULL; out holds the path. */
const char *et_train_default_set(const char *model_path, const char *suffix, char *out, size_t len);

#endif
