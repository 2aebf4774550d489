/* test_memplan.c: arena placement never overlaps buffers that are alive at the same step, and stays close to the
 * lower bound (the largest sum of sizes alive at one step). */
#include <stdbool.h>
#include <stdlib.h>

#include "engine/memplan.h"
#include "et_test.h"

static void test_random_lifetimes(void) {
    srand(7);
    for (int trial = 0; trial < 200; trial++) {
        int n = 1 + rand() % 60;
        et_mem_req r[60];
        int64_t off[60];
        for (int i = 0; i < n; i++) {
            int a = rand() % 40, b = rand() % 40;
            r[i] = (et_mem_req){.bytes = 1 + rand() % 100000, .first = a < b ? a : b, .last = a < b ? b : a};
        }
        int64_t total = et_memplan(r, n, off);
        ET_REQUIRE(total >= 0);
        for (int i = 0; i < n; i++) {
            ET_CHECK(off[i] % 64 == 0 && off[i] + r[i].bytes <= total);
            for (int j = i + 1; j < n; j++) {
                bool live_together = r[i].first <= r[j].last && r[j].first <= r[i].last;
                bool apart = off[i] + r[i].bytes <= off[j] || off[j] + r[j].bytes <= off[i];
                ET_CHECK(!live_together || apart);
            }
        }
        int64_t lb = et_memplan_lower_bound(r, n);
        ET_CHECK_MSG(total <= lb * 2, "arena %lld vs lower bound %lld", (long long)total, (long long)lb);
    }
}

static void test_chain_reuses_memory(void) {
    /* a chain of 10 equal buffers, each alive for two steps: two slots suffice */
    et_mem_req r[10];
    int64_t off[10];
    for (int i = 0; i < 10; i++)
        r[i] = (et_mem_req){.bytes = 1024, .first = i, .last = i + 1};
    ET_CHECK_INT(et_memplan(r, 10, off), 2048);
}

int main(void) {
    ET_RUN(test_random_lifetimes);
    ET_RUN(test_chain_reuses_memory);
    return et_test_done();
}
