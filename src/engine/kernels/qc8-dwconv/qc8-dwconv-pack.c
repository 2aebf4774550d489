/* qc8-dwconv-pack.c: packing depthwise weights, bias and scales into channel tiles (see qc8-dwconv.h). */
#include "engine/kernels/qc8-dwconv/qc8-dwconv.h"

#include <string.h>

#include "util/mem.h"

/* Weight bytes of one tile (a multiple of 4). */
static size_t tile_weight_bytes(const et_qdwconv_config *cfg, size_t ks) {
    if (cfg->layout == ET_QDW_S16_PAIRS)
        return (ks + 1) / 2 * cfg->channel_tile * 2 * sizeof(int16_t);
    return et_round_up(ks * cfg->channel_tile, 4);
}

size_t et_qdwconv_packed_bytes(const et_qdwconv_config *cfg, size_t channels, size_t ks) {
    size_t total = 0;
    if (ks > SIZE_MAX / 64 || channels > SIZE_MAX / 2 ||
        !et_mul_size((channels + cfg->channel_tile - 1) / cfg->channel_tile,
                     cfg->channel_tile * 8 + tile_weight_bytes(cfg, ks), &total))
        return 0;
    return total;
}

/* The channel (within its tile) that lane x of the packed order holds. */
static size_t lane_channel(const et_qdwconv_config *cfg, size_t x) {
    if (cfg->layout != ET_QDW_S16_PAIRS)
        return x;
    /* the first half of the lanes: channels 8k..8k+3 (k = 0, 1, ...), the second half 8k+4..8k+7; for a tile of
     * 16: lanes 0-7 hold channels 0-3, 8-11, lanes 8-15 channels 4-7, 12-15 */
    const size_t half = x / (cfg->channel_tile / 2), l = x % (cfg->channel_tile / 2);
    return 8 * (l / 4) + l % 4 + 4 * half;
}

void et_qdwconv_pack(const et_qdwconv_config *cfg, size_t channels, size_t ks, const int8_t *w, const int32_t *bias,
                     const float *scale, int32_t a_zero_point, void *packed) {
    const size_t ct = cfg->channel_tile, wbytes = tile_weight_bytes(cfg, ks);
    uint8_t *out = packed;
    for (size_t c0 = 0; c0 < channels; c0 += ct) {
        int32_t *b = (int32_t *)(void *)out;
        float *s = (float *)(void *)(out + ct * sizeof(int32_t) + wbytes);
        for (size_t x = 0; x < ct; x++) {
            const size_t ch = c0 + lane_channel(cfg, x);
            int64_t sum = 0;
            if (ch < channels)
                for (size_t t = 0; t < ks; t++)
                    sum += w[ch * ks + t];
            b[x] = ch < channels ? (int32_t)((bias ? bias[ch] : 0) - (int64_t)a_zero_point * sum) : 0;
            s[x] = ch < channels ? scale[ch] : 0.0f;
        }
        uint8_t *wp = out + ct * sizeof(int32_t);
        memset(wp, 0, wbytes);
        if (cfg->layout == ET_QDW_S16_PAIRS) {
            int16_t *v = (int16_t *)(void *)wp;
            for (size_t t0 = 0; t0 < ks; t0 += 2)
                for (size_t x = 0; x < ct; x++) {
                    const size_t ch = c0 + lane_channel(cfg, x);
                    if (ch < channels) {
                        v[2 * x] = w[ch * ks + t0];
                        v[2 * x + 1] = t0 + 1 < ks ? w[ch * ks + t0 + 1] : 0;
                    }
                    if (x + 1 == ct)
                        v += 2 * ct;
                }
        } else {
            int8_t *v = (int8_t *)wp;
            for (size_t t = 0; t < ks; t++)
                for (size_t x = 0; x < ct; x++)
                    v[t * ct + x] = c0 + x < channels ? w[(c0 + x) * ks + t] : 0;
        }
        out += ct * (sizeof(int32_t) + sizeof(float)) + wbytes;
    }
}
