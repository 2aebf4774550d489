/* dtype.h: element types, numbered as ONNX's TensorProto.DataType so reader values map directly. */
#ifndef ET_MODEL_DTYPE_H
#define ET_MODEL_DTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* X(enum, onnx number, name, bytes per element) */
#define ET_DTYPE_LIST(X)                  \
    X(ET_DT_UNDEFINED, 0, "undefined", 0) \
    X(ET_DT_F32, 1, "float32", 4)         \
    X(ET_DT_U8, 2, "uint8", 1)            \
    X(ET_DT_I8, 3, "int8", 1)             \
    X(ET_DT_U16, 4, "uint16", 2)          \
    X(ET_DT_I16, 5, "int16", 2)           \
    X(ET_DT_I32, 6, "int32", 4)           \
    X(ET_DT_I64, 7, "int64", 8)           \
    X(ET_DT_STRING, 8, "string", 0)       \
    X(ET_DT_BOOL, 9, "bool", 1)           \
    X(ET_DT_F16, 10, "float16", 2)        \
    X(ET_DT_F64, 11, "float64", 8)        \
    X(ET_DT_U32, 12, "uint32", 4)         \
    X(ET_DT_U64, 13, "uint64", 8)         \
    X(ET_DT_BF16, 16, "bfloat16", 2)

typedef enum {
#define ET_X(e, n, s, b) e = n,
    ET_DTYPE_LIST(ET_X)
#undef ET_X
} et_dtype;

/* Bytes per element; 0 for undefined, string and unknown numbers. */
size_t et_dtype_size(et_dtype t);
/* "float32", ...; "unknown" for numbers outside the list. */
const char *et_dtype_name(et_dtype t);
/* True for the types the engine can hold in tensors (every numeric type above; not string). */
bool et_dtype_is_numeric(et_dtype t);
bool et_dtype_is_float(et_dtype t); /* f16, bf16, f32, f64 */

/* Scalar conversions used by Cast and by the reader (IEEE half and bfloat16, round to nearest even). */
float et_f16_to_f32(uint16_t h);
uint16_t et_f32_to_f16(float f);
float et_bf16_to_f32(uint16_t h);
uint16_t et_f32_to_bf16(float f);

/* Reads element i of a typed buffer as double / writes a double with C conversion rules (saturating for
 * integers is NOT applied: this is the ONNX Cast behaviour of "undefined on overflow" made deterministic by
 * wrapping through int64). Used by generic (non-hot) paths: constant folding, casts, reference kernels. */
double et_dtype_load(et_dtype t, const void *data, size_t i);
void et_dtype_store(et_dtype t, void *data, size_t i, double v);
/* Same for exact 64-bit integer traffic (int64 shape arithmetic must not pass through double). */
int64_t et_dtype_load_i64(et_dtype t, const void *data, size_t i);
void et_dtype_store_i64(et_dtype t, void *data, size_t i, int64_t v);

#endif
