/* f32-winograd-config.c: the Winograd transforms this build has, best first (the GEMM between them is
 * f32-gemm's); et_f32_wino_config_get picks the first one this CPU and the chosen ISA path allow (dispatch.h),
 * scalar at worst. Also the kernel transform, done once per convolution in double precision. */
#include "engine/kernels/f32-winograd/f32-winograd.h"

static const et_f32_wino_config configs[] = {
#if defined(__x86_64__) /* the transforms are memory-bound: 8 lanes are enough, AVX-512 runs the AVX2 ones */
    {{et_f32_wino_input_2x2__avx2, et_f32_wino_input_4x4__avx2},
     {et_f32_wino_output_2x2__avx2, et_f32_wino_output_4x4__avx2},
     {"f32-winograd-2x2-avx2", "f32-winograd-4x4-avx2"},
     ET_KREQ_AVX2},
#endif
#if defined(__aarch64__)
    {{et_f32_wino_input_2x2__neon, et_f32_wino_input_4x4__neon},
     {et_f32_wino_output_2x2__neon, et_f32_wino_output_4x4__neon},
     {"f32-winograd-2x2-neon", "f32-winograd-4x4-neon"},
     ET_KREQ_NEON},
#endif
    {{et_f32_wino_input_2x2__scalar, et_f32_wino_input_4x4__scalar},
     {et_f32_wino_output_2x2__scalar, et_f32_wino_output_4x4__scalar},
     {"f32-winograd-2x2-scalar", "f32-winograd-4x4-scalar"},
     ET_KREQ_SCALAR},
};

const et_f32_wino_config *et_f32_wino_config_get(void) { return &configs[ET_KREQ_PICK(configs)]; }

const et_f32_wino_config *et_f32_wino_configs(size_t *count) {
    *count = ET_KREQ_COUNT_OF(configs);
    return configs;
}

/* G for F(2,3) and F(4,3), t x 3 (Lavin & Gray). */
static const double g2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
static const double g4[6][3] = {{1.0 / 4, 0, 0},
                                {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                {0, 0, 1}};

void et_f32_wino_kernel_transform(et_wino_tile f, const float *g, float *u, size_t u_stride) {
    const size_t t = et_wino_t(f);
    const double(*G)[3] = f == ET_WINO_F2 ? g2 : g4;
    double tmp[6][3]; /* G g */
    for (size_t i = 0; i < t; i++)
        for (size_t j = 0; j < 3; j++)
            tmp[i][j] = G[i][0] * g[0 * 3 + j] + G[i][1] * g[1 * 3 + j] + G[i][2] * g[2 * 3 + j];
    for (size_t i = 0; i < t; i++) /* (G g) G^T */
        for (size_t j = 0; j < t; j++)
            u[(i * t + j) * u_stride] = (float)(tmp[i][0] * G[j][0] + tmp[i][1] * G[j][1] + tmp[i][2] * G[j][2]);
}
