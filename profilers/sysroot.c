/* sysroot.c: openat-based access to /sys, /proc and /dev under one root (see sysroot.h).
 *
 * Every read opens, reads and closes: sysfs attributes are regenerated on open, hwmon files come and go, and a
 * fixture's file may be replaced by a test while a run is sampling it. The cost (a few microseconds) is paid in
 * the sampler thread and in start/stop, never in the timed loop. */
#include "profilers/sysroot.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *strip(const char *rel) {
    while (*rel == '/')
        rel++;
    return *rel ? rel : ".";
}

static void load_denied(et_sysroot *sr) {
    char text[2048];
    sr->n_denied = 0;
    int fd = openat(sr->fd, ".edgetune/denied", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return;
    text[n] = '\0';
    for (char *line = strtok(text, "\n"); line && sr->n_denied < ET_SYS_DENIED_MAX; line = strtok(NULL, "\n")) {
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#')
            continue;
        snprintf(sr->denied[sr->n_denied++], sizeof sr->denied[0], "%s", line);
    }
}

et_status et_sysroot_open(const char *path, et_sysroot *out, et_err *err) {
    memset(out, 0, sizeof *out);
    out->fd = -1;
    bool from_env = false;
    if (!path) {
        path = getenv("EDGETUNE_SYSROOT");
        from_env = path && *path;
        if (!from_env)
            path = "/";
    }
    int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return et_fail(err, ET_E_IO, "%s%s: %s; %s", from_env ? "EDGETUNE_SYSROOT=" : "sysroot ", path, strerror(errno),
                       from_env ? "unset EDGETUNE_SYSROOT or point it at a directory (e.g. fixtures/sysroot/rpi5)"
                                : "give an existing directory");
    struct stat a, b;
    out->fd = fd;
    out->is_real = fstat(fd, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    snprintf(out->path, sizeof out->path, "%s", path);
    if (!out->is_real)
        load_denied(out);
    return ET_OK;
}

void et_sysroot_close(et_sysroot *sr) {
    if (sr->fd >= 0)
        close(sr->fd);
    sr->fd = -1;
}

static bool denied(const et_sysroot *sr, const char *rel) {
    for (int i = 0; i < sr->n_denied; i++)
        if (fnmatch(sr->denied[i], rel, FNM_PATHNAME) == 0)
            return true;
    return false;
}

int et_sys_open(const et_sysroot *sr, const char *rel, int flags) {
    rel = strip(rel);
    if (sr->n_denied && denied(sr, rel))
        return -EACCES;
    int fd = openat(sr->fd, rel, flags | O_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

int et_sys_read(const et_sysroot *sr, const char *rel, char *buf, size_t cap) {
    if (cap == 0)
        return -EINVAL;
    buf[0] = '\0';
    int fd = et_sys_open(sr, rel, O_RDONLY);
    if (fd < 0)
        return fd;
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, buf + got, cap - 1 - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            return -e;
        }
        if (n == 0 || (got += (size_t)n) >= cap - 1)
            break;
    }
    close(fd);
    buf[got] = '\0';
    /* device-tree strings end with NUL: keep text up to the first one */
    size_t len = strlen(buf);
    while (len > 0 && isspace((unsigned char)buf[len - 1]))
        buf[--len] = '\0';
    if (got == 0)
        return -ENODATA;
    return (int)len;
}

int et_sys_read_i64(const et_sysroot *sr, const char *rel, int64_t *out) {
    char buf[64];
    int n = et_sys_read(sr, rel, buf, sizeof buf);
    if (n < 0)
        return n;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(buf, &end, 0);
    if (end == buf || errno)
        return -EINVAL;
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end && *end != '\n')
        return -EINVAL;
    *out = v;
    return 0;
}

int et_sys_read_double(const et_sysroot *sr, const char *rel, double *out) {
    char buf[64];
    int n = et_sys_read(sr, rel, buf, sizeof buf);
    if (n < 0)
        return n;
    char *end = NULL;
    double v = strtod(buf, &end);
    if (end == buf)
        return -EINVAL;
    *out = v;
    return 0;
}

int et_sys_write(const et_sysroot *sr, const char *rel, const char *text) {
    int fd = et_sys_open(sr, rel, O_WRONLY);
    if (fd < 0)
        return fd;
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    int e = n < 0 ? errno : 0;
    close(fd);
    if (n < 0)
        return -e;
    return (size_t)n == len ? 0 : -EIO;
}

int et_sys_access(const et_sysroot *sr, const char *rel) {
    rel = strip(rel);
    if (sr->n_denied && denied(sr, rel))
        return -EACCES;
    return faccessat(sr->fd, rel, F_OK, 0) == 0 ? 0 : -errno;
}

bool et_sys_is_chardev(const et_sysroot *sr, const char *rel) {
    struct stat st;
    return fstatat(sr->fd, strip(rel), &st, 0) == 0 && S_ISCHR(st.st_mode);
}

/* Compares names so that embedded numbers order by value: cpu2 < cpu10, intel-rapl:0 < intel-rapl:0:1. */
static int natural_cmp(const void *pa, const void *pb) {
    const char *a = pa, *b = pb;
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            char *ea, *eb;
            unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
            if (x != y)
                return x < y ? -1 : 1;
            a = ea, b = eb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        a++, b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int et_sys_list(const et_sysroot *sr, const char *dir, const char *prefix, char (*names)[ET_SYS_NAME_MAX], int max) {
    int fd = et_sys_open(sr, dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return fd;
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return -e;
    }
    size_t plen = prefix ? strlen(prefix) : 0;
    int total = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (plen && strncmp(e->d_name, prefix, plen) != 0)
            continue;
        if (strlen(e->d_name) >= ET_SYS_NAME_MAX)
            continue;
        if (total < max)
            snprintf(names[total], ET_SYS_NAME_MAX, "%s", e->d_name);
        total++;
    }
    closedir(d);
    qsort(names, (size_t)(total < max ? total : max), ET_SYS_NAME_MAX, natural_cmp);
    return total;
}

static const char *find_key(const char *text, const char *key) {
    size_t klen = strlen(key);
    for (const char *line = text; line && *line;) {
        if (strncmp(line, key, klen) == 0) {
            const char *c = line + klen;
            while (*c == ' ' || *c == '\t')
                c++;
            if (*c == ':')
                return c + 1;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return NULL;
}

bool et_text_field_i64(const char *text, const char *key, int64_t *out) {
    const char *v = find_key(text, key);
    if (!v)
        return false;
    char *end;
    long long x = strtoll(v, &end, 0);
    if (end == v)
        return false;
    *out = x;
    return true;
}

bool et_text_field_str(const char *text, const char *key, char *out, size_t cap) {
    const char *v = find_key(text, key);
    if (!v || cap == 0)
        return false;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strcspn(v, "\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, v, n);
    out[n] = '\0';
    while (n > 0 && isspace((unsigned char)out[n - 1]))
        out[--n] = '\0';
    return true;
}

int et_cpu_list_parse(const char *text, bool *mask, int max_cpus) {
    if (mask)
        memset(mask, 0, (size_t)max_cpus * sizeof *mask);
    int count = 0;
    const char *p = text;
    while (*p && *p != '\n') {
        char *end;
        long lo = strtol(p, &end, 10);
        if (end == p || lo < 0)
            return -1;
        long hi = lo;
        p = end;
        if (*p == '-') {
            hi = strtol(p + 1, &end, 10);
            if (end == p + 1 || hi < lo)
                return -1;
            p = end;
        }
        for (long c = lo; c <= hi; c++) {
            if (mask && c < max_cpus)
                mask[c] = true;
            count++;
        }
        if (*p == ',')
            p++;
        else if (*p && *p != '\n')
            return -1;
    }
    return count;
}

const char *et_errno_name(int errnum) {
    switch (errnum) {
    case 0: return "OK";
    case ENOENT: return "ENOENT";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case ENOSYS: return "ENOSYS";
    case E2BIG: return "E2BIG";
    case ESRCH: return "ESRCH";
    case ENODATA: return "ENODATA";
    case EIO: return "EIO";
    case ENOTDIR: return "ENOTDIR";
    case EAGAIN: return "EAGAIN";
    case EINTR: return "EINTR";
    default: return "errno";
    }
}
