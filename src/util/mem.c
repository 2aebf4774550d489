/* mem.c: aligned allocation. */
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

void *et_aligned_alloc(size_t bytes) {
    void *p = NULL;
    if (bytes == 0)
        bytes = ET_ALIGN;
    if (posix_memalign(&p, ET_ALIGN, et_round_up(bytes, ET_ALIGN)) != 0)
        return NULL;
    return p;
}

void *et_aligned_calloc(size_t bytes) {
    void *p = et_aligned_alloc(bytes);
    if (p)
        memset(p, 0, et_round_up(bytes ? bytes : ET_ALIGN, ET_ALIGN));
    return p;
}

void et_aligned_free(void *p) { free(p); }
