/* mapped_file.c: mmap a file read-only. */
#include "util/mapped_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

et_status et_mapped_file_open(const char *path, et_mapped_file *out, et_err *err) {
    out->data = NULL;
    out->size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return et_fail(err, e == EACCES ? ET_E_PERMISSION : ET_E_IO, "%s: cannot open: %s%s", path, strerror(e),
                       e == ENOENT ? " (check the path)" : "");
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return et_fail(err, ET_E_IO, "%s: not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return ET_OK;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED)
        return et_fail(err, ET_E_IO, "%s: cannot map the file: %s", path, strerror(e));
    out->data = p;
    out->size = (size_t)st.st_size;
    return ET_OK;
}

void et_mapped_file_close(et_mapped_file *f) {
    if (f->data)
        munmap((void *)f->data, f->size);
    f->data = NULL;
    f->size = 0;
}
