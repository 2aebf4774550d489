/* dataset.c: evaluation and calibration sets streamed from .npy files (see dataset.h). */
#include "bench/dataset.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/npy.h"
#include "record/result.h"

typedef struct ds_file {
    char *path;
    et_dtype dtype;
    et_shape shape;
    size_t data_offset, data_bytes;
    int64_t rows;      /* samples in this file (after et_dataset_fit) */
    int64_t first_row; /* index of its first sample in the whole set */
} ds_file;

struct et_dataset {
    char path[ET_PATH_MAX];
    int n_files;
    ds_file *files;
    int64_t total; /* samples in the whole set */
    size_t sample_bytes;
    bool per_file;   /* each file is one sample (a batch-dim model) */
    int64_t *labels; /* n_labels, or NULL */
    int64_t n_labels;
    char labels_name[ET_PATH_MAX];
    int64_t limit;
    uint64_t seed;
    int64_t count;    /* samples used */
    int64_t *subset;  /* count indices into the whole set when a subset is used, else NULL */
    et_npy_file open; /* the file read last, kept open */
    int open_index;
    char describe[ET_PATH_MAX + 256];
};

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool ends_with(const char *s, const char *tail) {
    size_t l = strlen(s), t = strlen(tail);
    return l >= t && strcmp(s + l - t, tail) == 0;
}

/* Every *.npy in dir but labels.npy, sorted bytewise: names into *out (freed by the caller). */
static et_status list_dir(const char *dir, char ***out, int *n_out, et_err *err) {
    DIR *d = opendir(dir);
    if (!d)
        return et_fail(err, errno == EACCES ? ET_E_PERMISSION : ET_E_IO, "%s: cannot open the folder: %s", dir,
                       strerror(errno));
    char **names = NULL;
    int n = 0, cap = 0;
    et_status st = ET_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strlen(e->d_name) < 5 || !ends_with(e->d_name, ".npy") || strcmp(e->d_name, "labels.npy") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **grown = realloc(names, (size_t)cap * sizeof *grown);
            if (!grown) {
                st = et_fail(err, ET_E_NOMEM, "out of memory listing %s", dir);
                break;
            }
            names = grown;
        }
        if (!(names[n] = strdup(e->d_name))) {
            st = et_fail(err, ET_E_NOMEM, "out of memory listing %s", dir);
            break;
        }
        n++;
    }
    closedir(d);
    if (st == ET_OK && n == 0)
        st = et_fail(err, ET_E_INPUT, "%s: no .npy files in the folder", dir);
    if (st != ET_OK) {
        for (int i = 0; i < n; i++)
            free(names[i]);
        free(names);
        return st;
    }
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    *out = names;
    *n_out = n;
    return ET_OK;
}

/* labels.txt: one integer per line; blank lines (a trailing newline) are ignored. */
static et_status read_labels_txt(et_dataset *d, const char *path, et_err *err) {
    FILE *f = fopen(path, "r");
    if (!f)
        return et_fail(err, ET_E_IO, "%s: cannot read the labels: %s", path, strerror(errno));
    int64_t cap = 1024, n = 0, line_no = 0;
    int64_t *labels = malloc((size_t)cap * sizeof *labels);
    char line[256];
    et_status st = labels ? ET_OK : et_fail(err, ET_E_NOMEM, "out of memory reading %s", path);
    while (st == ET_OK && fgets(line, sizeof line, f)) {
        line_no++;
        char *p = line, *end;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\n' || *p == '\r' || *p == '\0')
            continue;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
            end++;
        if (end == p || *end != '\0' || errno || v < 0 || v > INT32_MAX) {
            st = et_fail(err, ET_E_INPUT, "%s: line %lld is not a class index (one integer >= 0 per line)", path,
                         (long long)line_no);
            break;
        }
        if (n == cap) {
            cap *= 2;
            int64_t *grown = realloc(labels, (size_t)cap * sizeof *grown);
            if (!grown) {
                st = et_fail(err, ET_E_NOMEM, "out of memory reading %s", path);
                break;
            }
            labels = grown;
        }
        labels[n++] = v;
    }
    fclose(f);
    if (st != ET_OK) {
        free(labels);
        return st;
    }
    d->labels = labels;
    d->n_labels = n;
    return ET_OK;
}

/* labels.npy: integers, shape N or N x 1. */
static et_status read_labels_npy(et_dataset *d, const char *path, et_err *err) {
    et_npy t;
    et_status st = et_npy_read(path, &t, err);
    if (st != ET_OK)
        return st;
    bool is_int = t.dtype == ET_DT_I8 || t.dtype == ET_DT_U8 || t.dtype == ET_DT_I16 || t.dtype == ET_DT_U16 ||
                  t.dtype == ET_DT_I32 || t.dtype == ET_DT_U32 || t.dtype == ET_DT_I64 || t.dtype == ET_DT_U64;
    char sb[96];
    if (!is_int || !(t.shape.rank == 1 || (t.shape.rank == 2 && t.shape.dim[1] == 1))) {
        st = et_fail(err, ET_E_INPUT, "%s: %s %s; labels must be integers of shape N (or N x 1)", path,
                     et_dtype_name(t.dtype), et_shape_str(&t.shape, sb, sizeof sb));
        et_npy_free(&t);
        return st;
    }
    int64_t n = t.shape.dim[0];
    d->labels = malloc((size_t)(n ? n : 1) * sizeof *d->labels);
    if (!d->labels) {
        et_npy_free(&t);
        return et_fail(err, ET_E_NOMEM, "out of memory reading %s", path);
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t v = et_dtype_load_i64(t.dtype, t.data, (size_t)i);
        if (v < 0 || v > INT32_MAX) {
            et_npy_free(&t);
            return et_fail(err, ET_E_INPUT, "%s: label %lld is %lld; class indices are integers >= 0", path,
                           (long long)i, (long long)v);
        }
        d->labels[i] = v;
    }
    d->n_labels = n;
    et_npy_free(&t);
    return ET_OK;
}

static bool exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}

static et_status read_labels(et_dataset *d, const char *labels_path, bool is_dir, et_err *err) {
    char txt[ET_PATH_MAX + 16], npy[ET_PATH_MAX + 16];
    const char *path = labels_path;
    if (!path && is_dir) {
        snprintf(txt, sizeof txt, "%s/labels.txt", d->path);
        snprintf(npy, sizeof npy, "%s/labels.npy", d->path);
        bool has_txt = exists(txt), has_npy = exists(npy);
        if (has_txt && has_npy)
            return et_fail(err, ET_E_INPUT, "%s: both labels.txt and labels.npy; keep one", d->path);
        path = has_txt ? txt : has_npy ? npy : NULL;
    }
    if (!path)
        return ET_OK; /* no labels: fidelity without accuracy */
    snprintf(d->labels_name, sizeof d->labels_name, "%s", path);
    return ends_with(path, ".npy") ? read_labels_npy(d, path, err) : read_labels_txt(d, path, err);
}

void et_dataset_free(et_dataset *d) {
    if (!d)
        return;
    et_npy_close(&d->open);
    for (int i = 0; i < d->n_files; i++)
        free(d->files[i].path);
    free(d->files);
    free(d->labels);
    free(d->subset);
    free(d);
}

et_status et_dataset_open(const et_dataset_options *opt, et_dataset **out, et_err *err) {
    *out = NULL;
    et_dataset *d = calloc(1, sizeof *d);
    if (!d)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    d->open.fd = -1;
    d->open_index = -1;
    d->limit = opt->limit;
    d->seed = opt->seed;
    snprintf(d->path, sizeof d->path, "%s", opt->path);
    struct stat sb;
    et_status st = ET_OK;
    char **names = NULL;
    int n = 0;
    if (stat(opt->path, &sb) != 0) {
        st = et_fail(err, ET_E_IO, "%s: cannot read: %s (check the path)", opt->path, strerror(errno));
        goto fail;
    }
    bool is_dir = S_ISDIR(sb.st_mode);
    if (is_dir) {
        if ((st = list_dir(opt->path, &names, &n, err)) != ET_OK)
            goto fail;
    } else {
        if (!ends_with(opt->path, ".npy")) {
            st = et_fail(err, ET_E_INPUT, "%s: give a folder of .npy files or one .npy file", opt->path);
            goto fail;
        }
        names = malloc(sizeof *names);
        if (!names || !(names[0] = strdup(opt->path))) {
            free(names);
            names = NULL;
            st = et_fail(err, ET_E_NOMEM, "out of memory");
            goto fail;
        }
        n = 1;
    }
    d->files = calloc((size_t)n, sizeof *d->files);
    if (!d->files) {
        st = et_fail(err, ET_E_NOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        ds_file *f = &d->files[i];
        size_t len = strlen(opt->path) + strlen(names[i]) + 2;
        if (!(f->path = malloc(len))) {
            st = et_fail(err, ET_E_NOMEM, "out of memory");
            goto fail;
        }
        if (is_dir)
            snprintf(f->path, len, "%s/%s", opt->path, names[i]);
        else
            snprintf(f->path, len, "%s", names[i]);
        d->n_files = i + 1;
        et_npy_file h;
        if ((st = et_npy_open(f->path, &h, err)) != ET_OK)
            goto fail;
        f->dtype = h.dtype;
        f->shape = h.shape;
        f->data_offset = h.data_offset;
        f->data_bytes = h.data_bytes;
        et_npy_close(&h);
        const ds_file *first = &d->files[0];
        bool same = f->dtype == first->dtype && f->shape.rank == first->shape.rank;
        for (int k = 1; same && k < f->shape.rank; k++)
            same = f->shape.dim[k] == first->shape.dim[k];
        if (!same) {
            char a[96], b[96];
            st = et_fail(err, ET_E_INPUT, "%s: %s %s, but %s is %s %s; every file of a set holds the same sample shape",
                         f->path, et_dtype_name(f->dtype), et_shape_str(&f->shape, a, sizeof a), first->path,
                         et_dtype_name(first->dtype), et_shape_str(&first->shape, b, sizeof b));
            goto fail;
        }
        if (f->shape.rank == 0) {
            st = et_fail(err, ET_E_INPUT, "%s: a scalar; a sample is a tensor of the model input's shape", f->path);
            goto fail;
        }
    }
    if (!opt->no_labels && (st = read_labels(d, opt->labels_path, is_dir, err)) != ET_OK)
        goto fail;
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    *out = d;
    return ET_OK;
fail:
    for (int i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    et_dataset_free(d);
    return st;
}

/* Does dim match a declared dim (< 0: anything)? */
static bool dim_fits(int64_t declared, int64_t dim) { return declared < 0 || declared == dim; }

/* xorshift64*: the subset's generator (the same on every machine). */
static uint64_t next_random(uint64_t *x) {
    *x ^= *x >> 12, *x ^= *x << 25, *x ^= *x >> 27;
    return *x * 0x2545F4914F6CDD1Dull;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The seeded subset: a partial Fisher-Yates shuffle of 0..total-1, the first `count` kept, sorted. */
static et_status draw_subset(et_dataset *d, et_err *err) {
    free(d->subset);
    d->subset = NULL;
    d->count = d->total;
    if (d->limit <= 0 || d->limit >= d->total)
        return ET_OK;
    int64_t *all = malloc((size_t)d->total * sizeof *all);
    if (!all)
        return et_fail(err, ET_E_NOMEM, "out of memory drawing a subset of %s", d->path);
    for (int64_t i = 0; i < d->total; i++)
        all[i] = i;
    uint64_t x = d->seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    for (int64_t i = 0; i < d->limit; i++) {
        int64_t j = i + (int64_t)(next_random(&x) % (uint64_t)(d->total - i));
        int64_t t = all[i];
        all[i] = all[j];
        all[j] = t;
    }
    qsort(all, (size_t)d->limit, sizeof *all, cmp_i64);
    d->subset = all; /* only the first `limit` are read */
    d->count = d->limit;
    return ET_OK;
}

et_status et_dataset_fit(et_dataset *d, const char *input_name, et_dtype dtype, const et_shape *declared,
                         et_shape *sample, et_err *err) {
    const ds_file *first = &d->files[0];
    const et_shape *fs = &first->shape;
    char a[96], b[96];
    if (first->dtype != dtype && !(dtype == ET_DT_BF16 && first->dtype == ET_DT_U16))
        return et_fail(err, ET_E_INPUT, "%s: %s %s, but the model's input '%s' is %s %s", first->path,
                       et_dtype_name(first->dtype), et_shape_str(fs, a, sizeof a), input_name, et_dtype_name(dtype),
                       et_shape_str(declared, b, sizeof b));
    et_shape s = *declared;
    bool fits = false;
    d->per_file = false;
    if (fs->rank == declared->rank + 1) { /* N x declared */
        fits = true;
        for (int k = 0; k < declared->rank; k++) {
            fits &= dim_fits(declared->dim[k], fs->dim[k + 1]);
            s.dim[k] = fs->dim[k + 1];
        }
    } else if (fs->rank == declared->rank && declared->rank > 0 && declared->dim[0] <= 1) { /* N x declared[1:] */
        fits = true;
        s.dim[0] = 1;
        for (int k = 1; k < declared->rank; k++) {
            fits &= dim_fits(declared->dim[k], fs->dim[k]);
            s.dim[k] = fs->dim[k];
        }
    } else if (fs->rank == declared->rank) { /* one sample per file (a fixed batch > 1) */
        fits = true;
        d->per_file = true;
        for (int k = 0; k < declared->rank; k++) {
            fits &= dim_fits(declared->dim[k], fs->dim[k]);
            s.dim[k] = fs->dim[k];
        }
        for (int i = 1; fits && i < d->n_files; i++)
            if (d->files[i].shape.dim[0] != fs->dim[0]) {
                first = &d->files[i];
                fs = &first->shape;
                fits = false;
            }
    }
    if (!fits) {
        et_shape batch = *declared;
        char c[96];
        if (batch.rank > 0 && batch.dim[0] <= 1) {
            batch.dim[0] = 1;
            et_shape_str(&batch, c, sizeof c);
            char *x = strchr(c, 'x');
            return et_fail(err, ET_E_INPUT,
                           "%s: %s %s, but the model's input '%s' is %s %s; give one sample per file (%s) or a batch "
                           "along the first dim (N%s)",
                           first->path, et_dtype_name(first->dtype), et_shape_str(fs, a, sizeof a), input_name,
                           et_dtype_name(dtype), et_shape_str(declared, b, sizeof b), c, x ? x : "");
        }
        return et_fail(err, ET_E_INPUT,
                       "%s: %s %s, but the model's input '%s' is %s %s; give one sample per file or a batch of "
                       "samples along a new first dim",
                       first->path, et_dtype_name(first->dtype), et_shape_str(fs, a, sizeof a), input_name,
                       et_dtype_name(dtype), et_shape_str(declared, b, sizeof b));
    }
    int64_t numel = et_shape_numel(&s);
    if (numel < 0)
        return et_fail(err, ET_E_INPUT, "%s: cannot tell the sample shape of input '%s'", first->path, input_name);
    d->sample_bytes = (size_t)numel * et_dtype_size(first->dtype);
    d->total = 0;
    for (int i = 0; i < d->n_files; i++) {
        ds_file *f = &d->files[i];
        f->rows = d->per_file ? 1 : f->shape.dim[0];
        f->first_row = d->total;
        d->total += f->rows;
    }
    if (d->total == 0)
        return et_fail(err, ET_E_INPUT, "%s: holds no samples (every batch is empty)", d->path);
    if (d->labels && d->n_labels != d->total)
        return et_fail(err, ET_E_INPUT,
                       "%s: %lld labels for %lld samples; one label per sample, in file-name order (rows in order "
                       "within a batched file)",
                       d->labels_name, (long long)d->n_labels, (long long)d->total);
    et_status st = draw_subset(d, err);
    if (st != ET_OK)
        return st;
    char *p = d->describe;
    size_t len = sizeof d->describe;
    int w;
    if (d->subset)
        w = snprintf(p, len, "%s (seeded subset of %lld of %lld samples, seed %llu; %d file%s", d->path,
                     (long long)d->count, (long long)d->total, (unsigned long long)d->seed, d->n_files,
                     d->n_files == 1 ? "" : "s");
    else
        w = snprintf(p, len, "%s (%d file%s", d->path, d->n_files, d->n_files == 1 ? "" : "s");
    if (w > 0 && (size_t)w < len && d->labels) {
        const char *slash = strrchr(d->labels_name, '/');
        w += snprintf(p + w, len - (size_t)w, ", labels from %s", slash ? slash + 1 : d->labels_name);
    }
    if (w > 0 && (size_t)w < len)
        snprintf(p + w, len - (size_t)w, ")");
    *sample = s;
    return ET_OK;
}

int64_t et_dataset_count(const et_dataset *d) { return d->count; }
int64_t et_dataset_total(const et_dataset *d) { return d->total; }
size_t et_dataset_sample_bytes(const et_dataset *d) { return d->sample_bytes; }
bool et_dataset_has_labels(const et_dataset *d) { return d->labels != NULL; }
const char *et_dataset_path(const et_dataset *d) { return d->path; }
const char *et_dataset_describe(const et_dataset *d) { return d->describe[0] ? d->describe : d->path; }

static int64_t global_index(const et_dataset *d, int64_t i) { return d->subset ? d->subset[i] : i; }

int64_t et_dataset_label(const et_dataset *d, int64_t i) {
    if (!d->labels || i < 0 || i >= d->count)
        return -1;
    return d->labels[global_index(d, i)];
}

et_status et_dataset_read(et_dataset *d, int64_t i, void *dst, et_err *err) {
    if (i < 0 || i >= d->count)
        return et_fail(err, ET_E_RUNTIME, "%s: sample %lld of %lld", d->path, (long long)i, (long long)d->count);
    int64_t r = global_index(d, i);
    int lo = 0, hi = d->n_files - 1; /* the last file whose first row is <= r */
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (d->files[mid].first_row <= r)
            lo = mid;
        else
            hi = mid - 1;
    }
    const ds_file *f = &d->files[lo];
    if (d->open_index != lo) {
        et_npy_close(&d->open);
        d->open_index = -1;
        et_status st = et_npy_open(f->path, &d->open, err);
        if (st != ET_OK)
            return st;
        if (d->open.data_bytes != f->data_bytes || d->open.data_offset != f->data_offset) {
            et_npy_close(&d->open);
            return et_fail(err, ET_E_INPUT, "%s: the file changed while in use; measure again", f->path);
        }
        d->open_index = lo;
    }
    return et_npy_read_at(&d->open, f->path, (size_t)(r - f->first_row) * d->sample_bytes, dst, d->sample_bytes, err);
}
