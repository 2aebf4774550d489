/* npy.h: numpy's .npy tensor files (format 1.0/2.0/3.0, little-endian, C order): the tensor format of the
 * command line (--input, --output-dir, --eval, --calib). */
#ifndef ET_MODEL_NPY_H
#define ET_MODEL_NPY_H

#include "model/graph.h"

typedef struct et_npy {
    et_dtype dtype;
    et_shape shape;
    void *data;    /* owned, 64-byte aligned; free with et_npy_free */
    size_t nbytes;
} et_npy;

/* Reads a .npy file. ET_E_IO when unreadable, ET_E_INPUT naming the path and the problem (not an .npy file,
 * big-endian, Fortran order, an unsupported dtype such as object arrays, a size that does not match). */
et_status et_npy_read(const char *path, et_npy *out, et_err *err);
/* Writes a .npy (format 1.0) atomically: a temporary file renamed over `path`, so a failure leaves no half file. */
et_status et_npy_write(const char *path, et_dtype dtype, const et_shape *shape, const void *data, et_err *err);
void et_npy_free(et_npy *t);

#endif
