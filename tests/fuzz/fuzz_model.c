/* fuzz_model.c: libFuzzer target over the ONNX reader and the load passes (shape inference, constant folding,
 * dead-node removal, BatchNormalization folding, activation fusion). Every input must end in ET_OK or an error
 * status with a message: never a crash, an out-of-bounds access, a leak or a huge allocation (the sanitizers and
 * -rss_limit_mb check that). Inputs go through a memfd so the real mmap path is exercised.
 *
 *   ./build.sh fuzz [SECONDS]      (seed corpus: fixtures/models, fixtures/bad, tests/fuzz/seeds) */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int fd = -1;
    if (fd < 0)
        fd = memfd_create("fuzz.onnx", 0);
    if (fd < 0 || ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    et_model *m = NULL;
    et_err err = {0};
    if (et_model_load(path, NULL, &m, &err) == ET_OK) {
        et_model_free(m);
    } else if (err.msg[0] == '\0') {
        __builtin_trap(); /* every failure must say why */
    }
    /* and the reader alone, as `info` uses it on models it cannot run */
    et_load_options ro = {.read_only = true, .allow_unsupported = true};
    m = NULL;
    if (et_model_load(path, &ro, &m, &err) == ET_OK)
        et_model_free(m);
    return 0;
}
