/* augment.c: flips and shifts of image inputs (augment.h). */
#include "train/augment.h"

#include <string.h>

et_augment et_augment_pick(uint64_t key) {
    uint64_t z = key + 0x9E3779B97F4A7C15ull; /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (et_augment){.flip = (int)(z & 1), .dx = (int)((z >> 8) % 5) - 2, .dy = (int)((z >> 16) % 5) - 2};
}

static int64_t clamp(int64_t v, int64_t n) { return v < 0 ? 0 : v >= n ? n - 1 : v; }

void et_augment_image(float *x, int64_t channels, int64_t h, int64_t w, et_augment a, float *scratch) {
    for (int64_t c = 0; c < channels; c++) {
        float *plane = x + c * h * w;
        memcpy(scratch, plane, (size_t)(h * w) * sizeof *scratch);
        for (int64_t y = 0; y < h; y++) {
            const float *row = scratch + clamp(y - a.dy, h) * w;
            for (int64_t xx = 0; xx < w; xx++) {
                int64_t sx = clamp(xx - a.dx, w);
                plane[y * w + xx] = row[a.flip ? w - 1 - sx : sx];
            }
        }
    }
}
