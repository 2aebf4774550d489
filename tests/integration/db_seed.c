/* db_seed.c: fills a run database with synthetic runs for the integration tests (until `bench` saves real ones).
 *
 *   db_seed DB demo                    a small history: resnet50 and mobilenet_v3 at several knobs on "pi5", two
 *                                      runs on "orin"; run ids 1..8 in that order
 *   db_seed DB many N SEED HOST        N runs with seeds SEED.. on HOST (100 samples each)
 *   db_seed DB forever SEED            saves runs with 5000 samples each until killed
 *   db_seed DB machine-id ID           sets the machine id of every host (what another device would have)
 * Exit 0 on success, 2 on a database error (its line on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_internal.h"
#include "fake_runs.h"

static int save(et_db *db, uint64_t seed, const et_fake_opts *o) {
    et_result r;
    et_result_init(&r);
    et_fake_result(&r, seed, o);
    et_err e = {0};
    et_status s = et_db_save_run(db, &r, NULL, &e);
    et_result_free(&r);
    if (s != ET_OK)
        fprintf(stderr, "db_seed: %s\n", e.msg);
    return s == ET_OK ? 0 : 2;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: db_seed DB demo|many N SEED HOST|forever SEED|machine-id ID\n");
        return 2;
    }
    et_db *db = NULL;
    et_err e = {0};
    if (et_db_open(argv[1], ET_DB_WRITE, &db, &e) != ET_OK) {
        fprintf(stderr, "db_seed: %s\n", e.msg);
        return 2;
    }
    int rc = 0;
    if (strcmp(argv[2], "demo") == 0) {
        const et_fake_opts o[] = {
            {.threads = 4},                                             /* 1 resnet fp32 */
            {.threads = 4, .weight_bits = 8, .act_bits = 8},            /* 2 */
            {.threads = 4, .weight_bits = 4, .prune = 0.3f},            /* 3 */
            {.threads = 4, .model = "mobilenet_v3.onnx", .base_ms = 2}, /* 4 */
            {.threads = 4,
             .model = "mobilenet_v3.onnx",
             .base_ms = 2,
             .weight_bits = 8,
             .act_bits = 8,
             .prune = 0.3f},                                                               /* 5 */
            {.threads = 1},                                                                /* 6 resnet fp32 1 thread */
            {.threads = 4, .host = "orin", .base_ms = 3},                                  /* 7 */
            {.threads = 4, .host = "orin", .base_ms = 3, .weight_bits = 8, .act_bits = 8}, /* 8 */
        };
        for (size_t i = 0; !rc && i < sizeof o / sizeof o[0]; i++)
            rc = save(db, i + 1, &o[i]);
    } else if (strcmp(argv[2], "many") == 0 && argc == 6) {
        int n = atoi(argv[3]);
        uint64_t seed = strtoull(argv[4], NULL, 10);
        for (int i = 0; !rc && i < n; i++)
            rc = save(db, seed + (uint64_t)i, &(et_fake_opts){.host = argv[5], .weight_bits = i % 2 ? 8 : 32});
    } else if (strcmp(argv[2], "forever") == 0 && argc == 4) {
        uint64_t seed = strtoull(argv[3], NULL, 10);
        printf("started\n");
        fflush(stdout);
        for (uint64_t i = 0; !rc; i++)
            rc = save(db, seed + i, &(et_fake_opts){.n_samples = 5000});
    } else if (strcmp(argv[2], "machine-id") == 0 && argc == 4) {
        char q[200];
        snprintf(q, sizeof q, "UPDATE hosts SET machine_id = '%.64s'", argv[3]);
        rc = et_db_exec(db, q, "setting machine ids", &e) == ET_OK ? 0 : 2;
    } else {
        fprintf(stderr, "db_seed: unknown scenario\n");
        rc = 2;
    }
    et_db_close(db);
    return rc;
}
