/* session_inputs.c: the seeded inputs a session feeds where no file is given (see session_internal.h): the same
 * data on every run, so that two runs of one configuration measure the same thing. */
#include <string.h>

#include "bench/session_internal.h"
#include "util/mem.h"

/* Seeded data for a tensor of dtype x n elements: floats roughly N(0,1) (sum of uniforms), integers 0, bools
 * false. dst holds n elements. */
void et_session_random_fill(et_dtype dtype, int64_t n, uint64_t seed, void *dst) {
    if (!et_dtype_is_float(dtype)) {
        memset(dst, 0, (size_t)n * et_dtype_size(dtype));
        return;
    }
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int k = 0; k < 4; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            s += (double)(x >> 11) / 9007199254740992.0;
        }
        et_dtype_store(dtype, dst, (size_t)i, (s - 2.0) * 1.7320508);
    }
}

/* A zeroed tensor of v's type and shape. */
et_status et_session_empty_tensor(const et_value *v, et_npy *out, et_err *err) {
    out->dtype = v->dtype;
    out->shape = v->shape;
    out->nbytes = (size_t)et_shape_numel(&v->shape) * et_dtype_size(v->dtype);
    out->data = et_aligned_calloc(out->nbytes ? out->nbytes : 1);
    if (!out->data)
        return et_fail(err, ET_E_NOMEM, "out of memory for input '%s'", v->name);
    return ET_OK;
}

et_status et_session_random_tensor(const et_value *v, uint64_t seed, et_npy *out, et_err *err) {
    et_status st = et_session_empty_tensor(v, out, err);
    if (st == ET_OK)
        et_session_random_fill(v->dtype, et_shape_numel(&v->shape), seed, out->data);
    return st;
}

/* Seeds of the random evaluation and calibration sets (set k, input i). */
uint64_t et_session_random_set_seed(int k, int i, bool calib) {
    return 1000u + (uint64_t)k * 131u + (uint64_t)i + (calib ? 7919u : 0);
}
