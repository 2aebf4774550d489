/* f32-igemm-pack.c: packing OIHW weights into the igemm panel layout (see f32-igemm.h). */
#include "engine/kernels/f32-igemm/f32-igemm.h"

#include "util/mem.h"

size_t et_f32_igemm_packed_floats(size_t nr, size_t n, size_t ks, size_t kc) {
    return et_round_up(n, nr) * (ks * kc + 1);
}

void et_f32_igemm_pack_oihw(size_t nr, size_t n, size_t ks, size_t kc, const float *w, const float *bias,
                            float *packed) {
    for (size_t n0 = 0; n0 < n; n0 += nr) {
        for (size_t j = 0; j < nr; j++)
            *packed++ = (n0 + j < n && bias) ? bias[n0 + j] : 0.0f;
        for (size_t t = 0; t < ks; t++)
            for (size_t ci = 0; ci < kc; ci++)
                for (size_t j = 0; j < nr; j++)
                    *packed++ = n0 + j < n ? w[((n0 + j) * kc + ci) * ks + t] : 0.0f;
    }
}
