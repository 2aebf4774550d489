/* npy.h: numpy's .npy tensor files (format 1.0/2.0/3.0, little-endian, C order): the tensor format of the
 * command line (--input, --output-dir, --eval, --calib). */
#ifndef ET_MODEL_NPY_H
#define ET_MODEL_NPY_H

#include "model/graph.h"

typedef struct et_npy {
    et_dtype dtype;
    et_shape shape;
    void *data; /* owned, 64-byte aligned; free with et_npy_free */
    size_t nbytes;
} et_npy;

/* Reads a .npy file. ET_E_IO when unreadable, ET_E_INPUT naming the path and the problem (not an .npy file,
 * big-endian, Fortran order, an unsupported dtype such as object arrays, a size that does not match). */
et_status et_npy_read(const char *path, et_npy *out, et_err *err);
/* Writes a .npy (format 1.0) atomically: a temporary file renamed over `path`, so a failure leaves no half file.
 * bfloat16 is written as uint16 holding the bits (numpy has no bfloat16; ONNX's own test data does the same). */
et_status et_npy_write(const char *path, et_dtype dtype, const et_shape *shape, const void *data, et_err *err);
void et_npy_free(et_npy *t);

/* A .npy file opened for reading parts of its data (one row of a batched data set, N x ...) without loading the
 * rest: the header is parsed and the file size checked against the shape at open. */
typedef struct et_npy_file {
    int fd;
    et_dtype dtype;
    et_shape shape;
    size_t data_offset; /* where the elements start in the file */
    size_t data_bytes;
} et_npy_file;

/* Opens and checks path (errors as et_npy_read's). Close it with et_npy_close. */
et_status et_npy_open(const char *path, et_npy_file *out, et_err *err);
/* Reads n data bytes starting offset bytes into the data into dst. ET_E_INPUT for a range past the end,
 * ET_E_IO when reading fails; path is only for the message. */
et_status et_npy_read_at(const et_npy_file *f, const char *path, size_t offset, void *dst, size_t n, et_err *err);
/* Closes the file; a closed (fd -1) file is fine. */
void et_npy_close(et_npy_file *f);

#endif
