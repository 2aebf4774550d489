/* table_write.c: a table written in a format: the writer for each format (table_*.c), to a stream, or atomically
 * to a path. Above the writers and the table model, so neither calls back up. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/table.h"

et_status et_table_write(const et_table *t, et_table_format f, FILE *out, et_err *err) {
    if (et_table_out_of_memory(t))
        return et_fail(err, ET_E_NOMEM, "out of memory building the table");
    bool ok = false;
    switch (f) {
    case ET_TABLE_TEXT: ok = et_table_write_text(t, out); break;
    case ET_TABLE_MD: ok = et_table_write_md(t, out); break;
    case ET_TABLE_CSV: ok = et_table_write_csv(t, out); break;
    case ET_TABLE_JSON: ok = et_table_write_json(t, out); break;
    case ET_TABLE_LATEX: ok = et_table_write_latex(t, out); break;
    case ET_TABLE_HTML: ok = et_table_write_html(t, out); break;
    default: return et_fail(err, ET_E_USAGE, "unknown table format %d", (int)f);
    }
    if (!ok || fflush(out) != 0 || ferror(out))
        return et_fail(err, ET_E_IO, "cannot write the %s table: %s", et_table_format_name(f), strerror(errno));
    return ET_OK;
}

et_status et_table_write_path(const et_table *t, et_table_format f, const char *path, et_err *err) {
    if (!path || strcmp(path, "-") == 0)
        return et_table_write(t, f, stdout, err);
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp)
        return et_fail(err, ET_E_NOMEM, "out of memory writing %s", path);
    snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return et_fail(err, e == EACCES || e == EROFS || e == EPERM ? ET_E_PERMISSION : ET_E_IO,
                       "cannot write %s: %s (the file was not changed)", path, strerror(e));
    }
    struct stat st;
    fchmod(fd, stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644); /* mkstemp makes 0600; a report is shared */
    FILE *out = fdopen(fd, "w");
    et_status s = out ? et_table_write(t, f, out, err) : et_fail(err, ET_E_IO, "cannot write %s", path);
    if (s == ET_OK && fsync(fileno(out)) != 0)
        s = et_fail(err, ET_E_IO, "cannot write %s: %s (the file was not changed)", path, strerror(errno));
    if (out ? fclose(out) != 0 : close(fd) != 0)
        s = s != ET_OK ? s
                       : et_fail(err, ET_E_IO, "cannot write %s: %s (the file was not changed)", path, strerror(errno));
    if (s == ET_OK && rename(tmp, path) != 0)
        s = et_fail(err, errno == EACCES ? ET_E_PERMISSION : ET_E_IO, "cannot write %s: %s (the file was not changed)",
                    path, strerror(errno));
    else if (s != ET_OK && err)
        et_err_prefix(err, "%s: ", path);
    if (s != ET_OK)
        unlink(tmp);
    free(tmp);
    return s;
}
