/* qs8-winograd-config.c: the int8 Winograd kernels this build has, best first (dispatch.h), and the weight
 * transform and packing, done once per convolution at create. There is no NEON entry: on aarch64 only the scalar
 * kernels exist, and the operator (qconv2d.c) never chooses this path on them by itself. */
#include "engine/kernels/qs8-winograd/qs8-winograd.h"

#include <string.h>

static const et_qs8_wino_config configs[] = {
#if defined(__x86_64__)
    {et_qs8_wino_input_2x2__avx2, et_qs8_wino_gemm_6x16c2__avx2, et_qs8_wino_output_2x2__avx2, "qs8-winograd-2x2-avx2",
     ET_KREQ_AVX2},
#endif
    {et_qs8_wino_input_2x2__scalar, et_qs8_wino_gemm_6x16c2__scalar, et_qs8_wino_output_2x2__scalar,
     "qs8-winograd-2x2-scalar", ET_KREQ_SCALAR},
};

const et_qs8_wino_config *et_qs8_wino_config_get(void) { return &configs[ET_KREQ_PICK(configs)]; }

const et_qs8_wino_config *et_qs8_wino_configs(size_t *count) {
    *count = ET_KREQ_COUNT_OF(configs);
    return configs;
}

size_t et_qs8_wino_packed_elems(size_t c, size_t k) {
    const size_t kc = (c + 1) & ~(size_t)1, panels = (k + ET_QS8_WINO_NR - 1) / ET_QS8_WINO_NR;
    return panels * kc * ET_QS8_WINO_NR;
}

/* 2G for F(2, 3), 4 x 3: G (Lavin & Gray) has halves; twice it is integer. */
static const int32_t g2x[4][3] = {{2, 0, 0}, {1, 1, 1}, {1, -1, 1}, {0, 0, 2}};

void et_qs8_wino_pack_weights(size_t c, size_t k, const int8_t *weights, int16_t *out) {
    const size_t kc = (c + 1) & ~(size_t)1, per_pos = et_qs8_wino_packed_elems(c, k);
    memset(out, 0, ET_QS8_WINO_POSITIONS * per_pos * sizeof *out);
    for (size_t co = 0; co < k; co++)
        for (size_t ci = 0; ci < c; ci++) {
            const int8_t *g = weights + (co * c + ci) * 9;
            int32_t tmp[4][3]; /* (2G) g */
            for (size_t i = 0; i < 4; i++)
                for (size_t j = 0; j < 3; j++)
                    tmp[i][j] = g2x[i][0] * g[0 * 3 + j] + g2x[i][1] * g[1 * 3 + j] + g2x[i][2] * g[2 * 3 + j];
            const size_t panel = co / ET_QS8_WINO_NR, j16 = co % ET_QS8_WINO_NR;
            for (size_t i = 0; i < 4; i++)
                for (size_t j = 0; j < 4; j++) {
                    const int32_t u = tmp[i][0] * g2x[j][0] + tmp[i][1] * g2x[j][1] + tmp[i][2] * g2x[j][2];
                    int16_t *pos = out + (i * 4 + j) * per_pos + panel * kc * ET_QS8_WINO_NR;
                    pos[(ci & ~(size_t)1) * ET_QS8_WINO_NR + 2 * j16 + (ci & 1)] = (int16_t)u; /* |u| <= 1143 */
                }
        }
}
