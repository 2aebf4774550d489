/* qs8-vcvt-x1-scalar.c: the portable conversion kernels, one element at a time (see qs8-vcvt.h); the oracle of
 * the SIMD ones. */
#include "engine/kernels/qs8-vcvt/qs8-vcvt.h"

void et_qs8_quantize_ukernel_x1__scalar(size_t n, const float *x, int8_t *y, const et_qs8_quantize_params *p) {
    ET_QS8_VCVT_REQUIRE();
    for (size_t i = 0; i < n; i++)
        y[i] = et_qs8_round_clamp(x[i] / p->scale, &p->out);
}

void et_qs8_dequantize_ukernel_x1__scalar(size_t n, const int8_t *x, float *y, const et_qs8_dequantize_params *p) {
    ET_QS8_VCVT_REQUIRE();
    for (size_t i = 0; i < n; i++)
        y[i] = (float)((int32_t)x[i] - p->zp) * p->scale;
}

void et_qs8_requantize_ukernel_x1__scalar(size_t n, const int8_t *x, int8_t *y, const et_qs8_requantize_params *p) {
    ET_QS8_VCVT_REQUIRE();
    for (size_t i = 0; i < n; i++)
        y[i] = et_qs8_round_clamp((float)((int32_t)x[i] - p->in_zp) * p->scale, &p->out);
}

void et_qs8_to_s16_ukernel_x1__scalar(size_t n, const int8_t *x, int16_t *y) {
    ET_QS8_VCVT_REQUIRE();
    for (size_t i = 0; i < n; i++)
        y[i] = x[i];
}

void et_qs8_to_u8_ukernel_x1__scalar(size_t n, const int8_t *x, uint8_t *y) {
    ET_QS8_VCVT_REQUIRE();
    for (size_t i = 0; i < n; i++)
        y[i] = (uint8_t)((uint8_t)x[i] ^ 0x80u);
}

void et_qs8_pad_rows_ukernel_x1__scalar(et_qa_format f, size_t rows, size_t n, const int8_t *x, size_t x_stride,
                                        void *y, size_t y_stride) {
    ET_QS8_PAD_ROWS_REQUIRE();
    for (size_t r = 0; r < rows; r++, x += x_stride)
        for (size_t i = 0; i < y_stride; i++) {
            const int8_t v = i < n ? x[i] : 0;
            if (f == ET_QA_S16)
                ((int16_t *)y)[r * y_stride + i] = v;
            else
                ((uint8_t *)y)[r * y_stride + i] = i < n && f == ET_QA_U8 ? (uint8_t)((uint8_t)v ^ 0x80u) : (uint8_t)v;
        }
}
