/* precondition.c: what happens when a kernel's precondition fails (see precondition.h). */
#include "engine/kernels/precondition.h"

#include <stdio.h>
#include <stdlib.h>

void et_kernel_precondition_failed(const char *kernel, const char *condition) {
    fprintf(stderr, "edgetune: bug: %s called with %s false\n", kernel, condition);
    abort();
}
