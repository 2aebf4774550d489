/* dtype.c: element type table and scalar conversions. */
#include "model/dtype.h"

#include <math.h>
#include <string.h>

size_t et_dtype_size(et_dtype t) {
    switch (t) {
#define ET_X(e, n, s, b) \
    case e: return b;
        ET_DTYPE_LIST(ET_X)
#undef ET_X
    }
    return 0;
}

const char *et_dtype_name(et_dtype t) {
    switch (t) {
#define ET_X(e, n, s, b) \
    case e: return s;
        ET_DTYPE_LIST(ET_X)
#undef ET_X
    }
    return "unknown";
}

bool et_dtype_is_numeric(et_dtype t) { return t != ET_DT_STRING && et_dtype_size(t) != 0; }

bool et_dtype_is_float(et_dtype t) { return t == ET_DT_F32 || t == ET_DT_F16 || t == ET_DT_F64 || t == ET_DT_BF16; }

float et_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            int e = -1;
            do {
                e++;
                mant <<= 1;
            } while (!(mant & 0x400));
            bits = sign | (uint32_t)(127 - 15 - e) << 23 | (mant & 0x3ff) << 13;
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | mant << 13;
    } else {
        bits = sign | (exp + 127 - 15) << 23 | mant << 13;
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t et_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t exp = (x >> 23) & 0xff, mant = x & 0x7fffff;
    if (exp == 0xff) /* inf or nan (keep a quiet nan) */
        return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 | (mant >> 13) : 0));
    int e = (int)exp - 127 + 15;
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00);
    if (e <= 0) { /* subnormal or zero in half */
        if (e < -10)
            return (uint16_t)sign;
        mant |= 0x800000;
        int shift = 14 - e;
        uint32_t half = mant >> shift, rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | (uint32_t)e << 10 | mant >> 13;
    uint32_t rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1)))
        half++; /* may carry into the exponent, which is the correct rounding */
    return (uint16_t)half;
}

float et_bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t et_f32_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    if ((x & 0x7fffffff) > 0x7f800000)
        return (uint16_t)((x >> 16) | 0x40);
    x += 0x7fff + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

double et_dtype_load(et_dtype t, const void *data, size_t i) {
    const unsigned char *p = data;
    switch (t) {
    case ET_DT_F32: {
        float v;
        memcpy(&v, p + 4 * i, 4);
        return v;
    }
    case ET_DT_F64: {
        double v;
        memcpy(&v, p + 8 * i, 8);
        return v;
    }
    case ET_DT_F16: {
        uint16_t v;
        memcpy(&v, p + 2 * i, 2);
        return et_f16_to_f32(v);
    }
    case ET_DT_BF16: {
        uint16_t v;
        memcpy(&v, p + 2 * i, 2);
        return et_bf16_to_f32(v);
    }
    case ET_DT_U8: return p[i];
    case ET_DT_I8: return (int8_t)p[i];
    case ET_DT_BOOL: return p[i] ? 1.0 : 0.0;
    case ET_DT_U16: {
        uint16_t v;
        memcpy(&v, p + 2 * i, 2);
        return v;
    }
    case ET_DT_I16: {
        int16_t v;
        memcpy(&v, p + 2 * i, 2);
        return v;
    }
    case ET_DT_I32: {
        int32_t v;
        memcpy(&v, p + 4 * i, 4);
        return v;
    }
    case ET_DT_U32: {
        uint32_t v;
        memcpy(&v, p + 4 * i, 4);
        return v;
    }
    case ET_DT_I64: {
        int64_t v;
        memcpy(&v, p + 8 * i, 8);
        return (double)v;
    }
    case ET_DT_U64: {
        uint64_t v;
        memcpy(&v, p + 8 * i, 8);
        return (double)v;
    }
    default: return 0.0;
    }
}

static int64_t to_i64(double v) {
    if (isnan(v))
        return 0;
    if (v >= 9.2233720368547758e18)
        return INT64_MAX;
    if (v <= -9.2233720368547758e18)
        return INT64_MIN;
    return (int64_t)v;
}

void et_dtype_store(et_dtype t, void *data, size_t i, double v) {
    unsigned char *p = data;
    switch (t) {
    case ET_DT_F32: {
        float x = (float)v;
        memcpy(p + 4 * i, &x, 4);
        return;
    }
    case ET_DT_F64: memcpy(p + 8 * i, &v, 8); return;
    case ET_DT_F16: {
        uint16_t x = et_f32_to_f16((float)v);
        memcpy(p + 2 * i, &x, 2);
        return;
    }
    case ET_DT_BF16: {
        uint16_t x = et_f32_to_bf16((float)v);
        memcpy(p + 2 * i, &x, 2);
        return;
    }
    case ET_DT_BOOL: p[i] = v != 0.0; return;
    case ET_DT_U64: {
        uint64_t x = v >= 18446744073709551615.0 ? UINT64_MAX : v <= 0 || isnan(v) ? 0 : (uint64_t)v;
        memcpy(p + 8 * i, &x, 8);
        return;
    }
    default: et_dtype_store_i64(t, data, i, to_i64(v)); return;
    }
}

int64_t et_dtype_load_i64(et_dtype t, const void *data, size_t i) {
    const unsigned char *p = data;
    switch (t) {
    case ET_DT_I64: {
        int64_t v;
        memcpy(&v, p + 8 * i, 8);
        return v;
    }
    case ET_DT_U64: {
        uint64_t v;
        memcpy(&v, p + 8 * i, 8);
        return (int64_t)v;
    }
    case ET_DT_I32: {
        int32_t v;
        memcpy(&v, p + 4 * i, 4);
        return v;
    }
    case ET_DT_U32: {
        uint32_t v;
        memcpy(&v, p + 4 * i, 4);
        return v;
    }
    case ET_DT_I16: {
        int16_t v;
        memcpy(&v, p + 2 * i, 2);
        return v;
    }
    case ET_DT_U16: {
        uint16_t v;
        memcpy(&v, p + 2 * i, 2);
        return v;
    }
    case ET_DT_I8: return (int8_t)p[i];
    case ET_DT_U8: return p[i];
    case ET_DT_BOOL: return p[i] != 0;
    default: return to_i64(et_dtype_load(t, data, i));
    }
}

void et_dtype_store_i64(et_dtype t, void *data, size_t i, int64_t v) {
    unsigned char *p = data;
    switch (t) {
    case ET_DT_I64: memcpy(p + 8 * i, &v, 8); return;
    case ET_DT_U64: {
        uint64_t x = (uint64_t)v;
        memcpy(p + 8 * i, &x, 8);
        return;
    }
    case ET_DT_I32: {
        int32_t x = (int32_t)(uint32_t)v;
        memcpy(p + 4 * i, &x, 4);
        return;
    }
    case ET_DT_U32: {
        uint32_t x = (uint32_t)v;
        memcpy(p + 4 * i, &x, 4);
        return;
    }
    case ET_DT_I16: {
        int16_t x = (int16_t)(uint16_t)v;
        memcpy(p + 2 * i, &x, 2);
        return;
    }
    case ET_DT_U16: {
        uint16_t x = (uint16_t)v;
        memcpy(p + 2 * i, &x, 2);
        return;
    }
    case ET_DT_I8: p[i] = (unsigned char)(int8_t)(uint8_t)v; return;
    case ET_DT_U8: p[i] = (unsigned char)v; return;
    case ET_DT_BOOL: p[i] = v != 0; return;
    default: et_dtype_store(t, data, i, (double)v); return;
    }
}
