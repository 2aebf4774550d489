/* qc8-gemm-pack.c: packing quantized weights into the panel layout of the qc8/qc4 GEMM kernels (see
 * qc8-gemm.h). Runs once per weight when an operator is created, so it favours clarity over speed. */
#include <assert.h>
#include <string.h>

#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "util/mem.h"

static size_t w_bits(const et_qgemm_config *cfg) {
    switch (cfg->w_format) {
    case ET_QW_S16: return 16;
    case ET_QW_S4: return 4;
    default: return 8;
    }
}

size_t et_qgemm_kc_padded(const et_qgemm_config *cfg, size_t kc) { return et_round_up(kc, cfg->kr); }

/* Weight bytes of one panel, rounded up to 4 so that the next panel's int32 bias stays aligned; 0 on overflow. */
static size_t panel_weight_bytes(const et_qgemm_config *cfg, size_t ks, size_t kc) {
    size_t blocks = 0, bytes = 0;
    if (kc > SIZE_MAX / 2 || !et_mul_size(ks, et_qgemm_kc_padded(cfg, kc) / cfg->kr, &blocks) ||
        !et_mul_size(blocks, cfg->nr * cfg->kr * w_bits(cfg) / 8, &bytes) || bytes > SIZE_MAX / 2)
        return 0;
    return et_round_up(bytes, 4);
}

size_t et_qgemm_panel_bytes(const et_qgemm_config *cfg, size_t ks, size_t kc) {
    return cfg->nr * (sizeof(int32_t) + sizeof(float)) + panel_weight_bytes(cfg, ks, kc);
}

size_t et_qgemm_packed_bytes(const et_qgemm_config *cfg, size_t n, size_t ks, size_t kc) {
    size_t total = 0;
    if (panel_weight_bytes(cfg, ks, kc) == 0 || n > SIZE_MAX / 2 ||
        !et_mul_size((n + cfg->nr - 1) / cfg->nr, et_qgemm_panel_bytes(cfg, ks, kc), &total))
        return 0;
    return total;
}

void et_qgemm_pack(const et_qgemm_config *cfg, size_t n, size_t ks, size_t kc, const int8_t *w, size_t w_stride_n,
                   size_t w_stride_t, size_t w_stride_k, const int32_t *bias, const float *scale, int32_t a_zero_point,
                   void *packed) {
    const size_t nr = cfg->nr, kr = cfg->kr, kcp = et_qgemm_kc_padded(cfg, kc), block = nr * kr;
    const int64_t zp = (int64_t)a_zero_point + et_qa_format_shift(cfg->a_format);
    const size_t weight_bytes = panel_weight_bytes(cfg, ks, kc);
    uint8_t *out = packed;
    for (size_t n0 = 0; n0 < n; n0 += nr) {
        int32_t *b = (int32_t *)(void *)out;
        for (size_t j = 0; j < nr; j++) {
            int64_t sum = 0;
            if (n0 + j < n)
                for (size_t t = 0; t < ks; t++)
                    for (size_t i = 0; i < kc; i++)
                        sum += w[(n0 + j) * w_stride_n + t * w_stride_t + i * w_stride_k];
            const int64_t v = (n0 + j < n && bias ? bias[n0 + j] : 0) - zp * sum;
            b[j] = n0 + j < n ? (int32_t)v : 0;
        }
        out += nr * sizeof(int32_t);
        uint8_t *const weights_start = out;
        for (size_t t = 0; t < ks; t++)
            for (size_t k0 = 0; k0 < kcp; k0 += kr) {
                int8_t e[64 * 16]; /* one block in element order */
                assert(block <= sizeof e);
                for (size_t j = 0; j < nr; j++)
                    for (size_t r = 0; r < kr; r++) {
                        const size_t col = n0 + j, i = k0 + r;
                        e[j * kr + r] = col < n && i < kc ? w[col * w_stride_n + t * w_stride_t + i * w_stride_k] : 0;
                    }
                switch (cfg->w_format) {
                case ET_QW_S8:
                    memcpy(out, e, block);
                    out += block;
                    break;
                case ET_QW_S16:
                    for (size_t x = 0; x < block; x++) {
                        const int16_t v = e[x];
                        memcpy(out + 2 * x, &v, sizeof v);
                    }
                    out += 2 * block;
                    break;
                case ET_QW_S4:
                    for (size_t x = 0; x < block / 2; x++)
                        out[x] = (uint8_t)(((uint8_t)e[x] & 15u) | ((uint8_t)e[x + block / 2] << 4));
                    out += block / 2;
                    break;
                default: break;
                }
            }
        while (out < weights_start + weight_bytes)
            *out++ = 0;
        float *s = (float *)(void *)out;
        for (size_t j = 0; j < nr; j++)
            s[j] = n0 + j < n ? scale[n0 + j] : 0.0f;
        out += nr * sizeof(float);
    }
}
