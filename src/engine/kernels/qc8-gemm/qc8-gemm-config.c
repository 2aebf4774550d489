/* qc8-gemm-config.c: the quantized GEMM/IGEMM kernels this build has, best first, and the choice for a weight
 * bit-width: the first config that this CPU and the chosen ISA path allow and that is exact for the width.
 * Narrow weights get the faster kernels: on AVX2, <= 4 bits the nibble-packed qc4 kernel, <= 7 bits vpmaddubsw
 * (u8 x s8 pairs cannot saturate int16 when |w| <= 63), 8 bits the exact vpmaddwd kernel.
 * <= 4 bits always takes the nibble-packed kernel, ahead of the dot-product ones (VNNI, NEON dot) that would run
 * it faster in an int8 container: a user picks 4 bits on an edge device for the memory, and the int8 container
 * deploys as much as 8 bits (measured on a Zen 5 with VNNI, demo.onnx w4a8: 9.13 MiB deployed, the same as w8a8;
 * tests/integration/deployed_memory.sh). The result then says "int4", not "int8 (simulated w4)". */
#include "engine/kernels/qc8-gemm/qc8-gemm.h"

#define CFG(fam, tile, isa, mr, nr, kr, af, wf, bits, req)                                                           \
    {                                                                                                                \
        et_##fam##_gemm_ukernel_##tile##__##isa, et_##fam##_igemm_ukernel_##tile##__##isa, mr, nr, kr, af, wf, bits, \
            req, #fam "-gemm-" #tile "-" #isa, #fam "-igemm-" #tile "-" #isa                                         \
    }

static const et_qgemm_config configs[] = {
#if defined(__x86_64__)
    CFG(qc4, 6x16c4, avx2, 6, 16, 4, ET_QA_U8, ET_QW_S4, 4, ET_KREQ_AVX2),
    CFG(qc8, 7x16c4, avx512vnni, 7, 16, 4, ET_QA_U8, ET_QW_S8, 8, ET_KREQ_AVX512VNNI),
    CFG(qc8, 6x16c4, avx2, 6, 16, 4, ET_QA_U8, ET_QW_S8, 7, ET_KREQ_AVX2),
    CFG(qc8, 6x16c2, avx2, 6, 16, 2, ET_QA_S16, ET_QW_S16, 8, ET_KREQ_AVX2),
#endif
#if defined(__aarch64__)
    CFG(qc4, 4x16, neon, 4, 16, 1, ET_QA_S8, ET_QW_S4, 4, ET_KREQ_NEON),
    CFG(qc8, 4x16c4, neondot, 4, 16, 4, ET_QA_S8, ET_QW_S8, 8, ET_KREQ_NEONDOT),
    CFG(qc8, 4x8, neon, 4, 8, 1, ET_QA_S8, ET_QW_S8, 8, ET_KREQ_NEON),
#endif
    CFG(qc4, 4x4, scalar, 4, 4, 1, ET_QA_S8, ET_QW_S4, 4, ET_KREQ_SCALAR),
    CFG(qc8, 4x4, scalar, 4, 4, 1, ET_QA_S8, ET_QW_S8, 8, ET_KREQ_SCALAR),
};

const et_qgemm_config *et_qgemm_configs(size_t *count) {
    *count = ET_KREQ_COUNT_OF(configs);
    return configs;
}

/* dispatch.h's walk with one more condition: the config must be exact for the weight width. */
const et_qgemm_config *et_qgemm_config_get(int weight_bits) {
    const size_t n = ET_KREQ_COUNT_OF(configs);
    for (size_t i = 0; i + 1 < n; i++)
        if (configs[i].max_weight_bits >= weight_bits && et_kreq_selected(configs[i].req))
            return &configs[i];
    return &configs[n - 1];
}
