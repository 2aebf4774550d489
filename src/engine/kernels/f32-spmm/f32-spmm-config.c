/* f32-spmm-config.c: the sparse kernels this build has, best first, with their measured cost models;
 * et_f32_spmm_config_get picks the first one this CPU and the chosen ISA path allow (dispatch.h), scalar at worst. */
#include "engine/kernels/f32-spmm/f32-spmm.h"

#define CFG(isa, req, nnz32, nnz16, nnz8, pack_cost)                                                                   \
    {                                                                                                                  \
        {et_f32_spmm_ukernel_32x1__##isa, et_f32_spmm_ukernel_16x1__##isa, et_f32_spmm_ukernel_8x1__##isa},            \
            {et_f32_spmm_pack_32__##isa, et_f32_spmm_pack_16__##isa, et_f32_spmm_pack_8__##isa},                       \
            {"f32-spmm-32x1-" #isa, "f32-spmm-16x1-" #isa, "f32-spmm-8x1-" #isa}, req, {nnz32, nnz16, nnz8}, pack_cost \
    }

static const et_f32_spmm_config configs[] = {
#if defined(__x86_64__)
    /* Zen 3, fitted to the section-4 timings: MR 32 1.7, MR 16 2.4 (k 513..1024: xt in L2), MR 8 4; 14 per
     * packed or stored value */
    CFG(avx2, ET_KREQ_AVX2, 1.7f, 2.4f, 4.0f, 14.0f),
#endif
#if defined(__aarch64__)
    /* not measured on hardware yet (qemu only): the AVX2 figures */
    CFG(neon, ET_KREQ_NEON, 1.7f, 2.4f, 4.0f, 14.0f),
#endif
    CFG(scalar, ET_KREQ_SCALAR, 1.5f, 1.5f, 1.5f, 2.0f),
};

const et_f32_spmm_config *et_f32_spmm_config_get(void) { return &configs[ET_KREQ_PICK(configs)]; }

const et_f32_spmm_config *et_f32_spmm_configs(size_t *count) {
    *count = ET_KREQ_COUNT_OF(configs);
    return configs;
}

int et_f32_spmm_tile_for(size_t k) {
    for (int t = 0; t < ET_F32_SPMM_TILES; t++)
        if (k <= ET_F32_SPMM_XT_BYTES / ((32u >> t) * sizeof(float)))
            return t;
    return -1;
}
