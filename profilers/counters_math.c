/* counters_math.c: decoding perf read buffers and multiplexing scale. Pure functions, tested on fabricated
 * buffers (tests/unit/profilers/test_counters.c). */
#include <errno.h>
#include <string.h>

#include "profilers/counters.h"

int et_perf_parse_group(const void *buf, size_t n_bytes, const uint64_t *ids, int n, uint64_t *values, uint64_t *ena,
                        uint64_t *run) {
    for (int i = 0; i < n; i++)
        values[i] = 0;
    if (n_bytes < 3 * sizeof(uint64_t) || n_bytes % sizeof(uint64_t))
        return -EINVAL;
    uint64_t head[3];
    memcpy(head, buf, sizeof head);
    uint64_t nr = head[0];
    if (nr > ET_MAX_GROUP || n_bytes < (3 + 2 * nr) * sizeof(uint64_t))
        return -EINVAL;
    *ena = head[1];
    *run = head[2];
    int found = 0;
    const unsigned char *p = (const unsigned char *)buf + 3 * sizeof(uint64_t);
    for (uint64_t k = 0; k < nr; k++) {
        uint64_t vid[2];
        memcpy(vid, p + k * sizeof vid, sizeof vid);
        for (int i = 0; i < n; i++)
            if (ids[i] == vid[1]) {
                values[i] = vid[0];
                found++;
                break;
            }
    }
    return found == n ? 0 : -ENOENT;
}

int et_perf_parse_single(const void *buf, size_t n_bytes, uint64_t *value, uint64_t *ena, uint64_t *run) {
    if (n_bytes < 3 * sizeof(uint64_t))
        return -EINVAL;
    uint64_t v[3];
    memcpy(v, buf, sizeof v);
    *value = v[0], *ena = v[1], *run = v[2];
    return 0;
}

long double et_perf_scale(uint64_t raw, uint64_t ena, uint64_t run) {
    if (run == 0)
        return 0.0L;
    if (run >= ena)
        return (long double)raw;
    return (long double)raw * (long double)ena / (long double)run;
}
