/* mapped_file.h: a read-only memory mapping of a whole file. */
#ifndef ET_UTIL_MAPPED_FILE_H
#define ET_UTIL_MAPPED_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "util/status.h"

typedef struct et_mapped_file {
    const uint8_t *data; /* NULL for an empty file */
    size_t size;
} et_mapped_file;

/* Maps `path` read-only. ET_E_IO (missing, unreadable, a directory) with a line naming the path.
 * The mapping is released by et_mapped_file_close; an empty file maps to data == NULL, size 0. */
et_status et_mapped_file_open(const char *path, et_mapped_file *out, et_err *err);
void et_mapped_file_close(et_mapped_file *f);

#endif
