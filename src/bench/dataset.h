/* dataset.h: an evaluation or calibration set on disk, read one sample at a time.
 *
 * A set is a folder of .npy files or one .npy file. A file holds one sample, or a batch of samples along its
 * first dim (N x ..., the form data sets usually come in). Samples are taken in file-name order (bytewise; every
 * .npy file of the folder but labels.npy), then in row order within a file: nothing depends on the order the
 * directory lists its entries in.
 *
 * Labels (accuracy): labels.txt (one integer per line) or labels.npy (integers, shape N or N x 1) in the folder,
 * or the file given as labels_path; one label per sample, in the order above. A count that differs from the
 * number of samples is an error, never a silent cut.
 *
 * A subset (limit > 0 and smaller than the set) is a seeded random choice of `limit` samples, kept in their
 * order, each with its own label; the description says so.
 *
 * Memory: only the file names, the headers' layout and the labels are held; et_dataset_read reads one sample's
 * bytes from its file (one file kept open between reads), so a set of any size streams. */
#ifndef ET_BENCH_DATASET_H
#define ET_BENCH_DATASET_H

#include <stdbool.h>
#include <stdint.h>

#include "model/graph.h"
#include "util/status.h"

typedef struct et_dataset et_dataset;

typedef struct et_dataset_options {
    const char *path;        /* a folder of .npy files, or one .npy file */
    const char *labels_path; /* NULL: labels.txt or labels.npy in the folder (none for a single file) */
    bool no_labels;          /* do not read labels (calibration needs none) */
    int64_t limit;           /* > 0: a seeded subset of this many samples when the set is larger */
    uint64_t seed;           /* of the subset */
} et_dataset_options;

/* Lists the files and reads their headers and the labels. ET_E_IO for a path that cannot be read, ET_E_INPUT for
 * a folder without .npy files, a damaged file, files of different types or shapes, unreadable labels, or both
 * labels.txt and labels.npy. The caller frees *out with et_dataset_free. */
et_status et_dataset_open(const et_dataset_options *opt, et_dataset **out, et_err *err);
void et_dataset_free(et_dataset *d);

/* Fits the files to a model input declared as dtype x declared (dims < 0 unknown), and fixes how they are read:
 *   rank + 1 dims                              N x declared: each row one sample
 *   same rank, declared dim 0 is 1 or unknown  N x declared[1:]: each row one sample of batch 1
 *   same rank, declared dim 0 > 1              each file one sample
 * *sample gets the shape of one sample, its unknown dims taken from the files. Checks the labels' count against
 * the samples and draws the subset. May be called again (e.g. with the final, fully known shape). ET_E_INPUT
 * naming the first file that does not fit and both shapes, or the labels file and both counts. */
et_status et_dataset_fit(et_dataset *d, const char *input_name, et_dtype dtype, const et_shape *declared,
                         et_shape *sample, et_err *err);

/* Samples used (the subset's size when there is one), and in the whole set. Valid after et_dataset_fit. */
int64_t et_dataset_count(const et_dataset *d);
int64_t et_dataset_total(const et_dataset *d);
/* Bytes of one sample. */
size_t et_dataset_sample_bytes(const et_dataset *d);
bool et_dataset_has_labels(const et_dataset *d);
/* Label of sample i (0 <= i < count); -1 without labels. */
int64_t et_dataset_label(const et_dataset *d, int64_t i);

/* Reads sample i into dst (et_dataset_sample_bytes bytes). ET_E_IO / ET_E_INPUT naming the file. */
et_status et_dataset_read(et_dataset *d, int64_t i, void *dst, et_err *err);

/* The path as given. */
const char *et_dataset_path(const et_dataset *d);
/* "DIR (3000 files, labels from labels.txt)", or "DIR (seeded subset of 500 of 10000 samples, seed 1; 1 file,
 * labels from labels.npy)". Valid after et_dataset_fit. */
const char *et_dataset_describe(const et_dataset *d);

#endif
