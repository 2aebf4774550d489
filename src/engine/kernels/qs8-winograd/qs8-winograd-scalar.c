/* qs8-winograd-scalar.c: the scalar int8 Winograd F(2x2, 3x3) kernels (qs8-winograd.h), the reference the vector
 * ones are tested against bit for bit. Sums run in uint32_t: they are defined modulo 2^32 (qs8-winograd.h says
 * why the final value is exact), where int32_t overflow would be undefined. */
#include "engine/kernels/qs8-winograd/qs8-winograd.h"

/* B^T of F(2, 3) on 4 values: [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. */
static void in1(const int32_t d[4], int32_t v[4]) {
    v[0] = d[0] - d[2];
    v[1] = d[1] + d[2];
    v[2] = d[2] - d[1];
    v[3] = d[1] - d[3];
}

void et_qs8_wino_input_2x2__scalar(size_t channels, size_t kc, const int8_t *const *d, int32_t x_zp, int16_t *v,
                                   size_t v_stride) {
    for (size_t c = 0; c < kc; c++) {
        int32_t x[16], tmp[16], col[4], tr[4];
        for (size_t i = 0; i < 16; i++)
            x[i] = c < channels ? (int32_t)d[i][c] - x_zp : 0;
        for (size_t j = 0; j < 4; j++) { /* columns, then rows */
            for (size_t i = 0; i < 4; i++)
                col[i] = x[i * 4 + j];
            in1(col, tr);
            for (size_t i = 0; i < 4; i++)
                tmp[i * 4 + j] = tr[i];
        }
        for (size_t i = 0; i < 4; i++) {
            in1(tmp + i * 4, tr);
            for (size_t j = 0; j < 4; j++)
                v[(i * 4 + j) * v_stride + c] = (int16_t)tr[j]; /* |tr| <= 1020 */
        }
    }
}

void et_qs8_wino_gemm_6x16c2__scalar(size_t mr, size_t nc, size_t kc, const int16_t *a, size_t a_stride,
                                     const int16_t *w, int32_t *c, size_t c_stride) {
    for (size_t col0 = 0; col0 < nc; col0 += ET_QS8_WINO_NR) {
        const int16_t *panel = w + col0 / ET_QS8_WINO_NR * (kc * ET_QS8_WINO_NR);
        const size_t n = nc - col0 < ET_QS8_WINO_NR ? nc - col0 : ET_QS8_WINO_NR;
        for (size_t r = 0; r < mr; r++)
            for (size_t j = 0; j < n; j++) {
                uint32_t acc = 0;
                for (size_t k = 0; k < kc; k += 2) {
                    const int16_t *wp = panel + k * ET_QS8_WINO_NR + 2 * j;
                    acc += (uint32_t)((int32_t)a[r * a_stride + k] * wp[0]);
                    acc += (uint32_t)((int32_t)a[r * a_stride + k + 1] * wp[1]);
                }
                c[r * c_stride + col0 + j] = (int32_t)acc;
            }
    }
}

/* A^T of F(2, 3) on 4 values: [1 1 1 0; 0 1 -1 -1]. */
static void out1(const uint32_t s[4], uint32_t y[2]) {
    y[0] = s[0] + s[1] + s[2];
    y[1] = s[1] - s[2] - s[3];
}

void et_qs8_wino_output_2x2__scalar(size_t channels, const int32_t *m, size_t m_stride, const int32_t *bias,
                                    const float *scale, int8_t *const *y, const int8_t *const *r,
                                    const et_qs8_requant_params *p) {
    for (size_t c = 0; c < channels; c++) {
        uint32_t col[4], tr[2], tmp[8], s[2];
        for (size_t j = 0; j < 4; j++) {
            for (size_t i = 0; i < 4; i++)
                col[i] = (uint32_t)m[(i * 4 + j) * m_stride + c];
            out1(col, tr);
            tmp[0 * 4 + j] = tr[0];
            tmp[1 * 4 + j] = tr[1];
        }
        for (size_t i = 0; i < 2; i++) {
            out1(tmp + i * 4, s);
            for (size_t j = 0; j < 2; j++) {
                int8_t *dst = y[i * 2 + j];
                if (!dst)
                    continue;
                const int32_t acc = (int32_t)s[j] / 4 + bias[c]; /* exact: the sum is 4 x the convolution */
                dst[c] = r ? et_qs8_requantize_residual(acc, scale[c], r[i * 2 + j][c], p)
                           : et_qs8_requantize(acc, scale[c], p);
            }
        }
    }
}
