/* npy.c: .npy reading and writing. The header is a Python dict literal; we parse just the three keys numpy
 * writes ('descr', 'fortran_order', 'shape') and refuse anything else clearly. */
#include "model/npy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/mapped_file.h"
#include "util/mem.h"

static const struct {
    const char *descr;
    et_dtype dtype;
} descrs[] = {
    {"<f4", ET_DT_F32}, {"<f8", ET_DT_F64},  {"<f2", ET_DT_F16}, {"<i8", ET_DT_I64}, {"<i4", ET_DT_I32},
    {"<i2", ET_DT_I16}, {"|i1", ET_DT_I8},   {"<u8", ET_DT_U64}, {"<u4", ET_DT_U32}, {"<u2", ET_DT_U16},
    {"|u1", ET_DT_U8},  {"|b1", ET_DT_BOOL}, {"<i1", ET_DT_I8},  {"<u1", ET_DT_U8},  {"<b1", ET_DT_BOOL},
};

/* Finds the value text after 'key': in the header; NULL when absent. */
static const char *find_key(const char *h, const char *key) {
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(h, pat);
    if (!p) {
        snprintf(pat, sizeof pat, "\"%s\"", key);
        p = strstr(h, pat);
    }
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

/* Parses the header at d[0..size): dtype, shape and where the data starts. size is the whole file's size (the
 * data must fill the rest of it exactly); avail is how many bytes of it d holds (at least the header). */
static et_status parse_header(const uint8_t *d, size_t avail, size_t size, const char *path, et_dtype *dtype,
                              et_shape *shape, size_t *data_offset, size_t *data_bytes, et_err *err) {
    size_t hlen, hstart;
    if (size < 10 || avail < 10 || memcmp(d, "\x93NUMPY", 6) != 0)
        return et_fail(err, ET_E_INPUT, "%s: not a .npy file (save tensors with numpy.save)", path);
    int major = d[6];
    if (major == 1) {
        hlen = (size_t)d[8] | (size_t)d[9] << 8;
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (size < 12 || avail < 12)
            return et_fail(err, ET_E_INPUT, "%s: truncated .npy header", path);
        hlen = (size_t)d[8] | (size_t)d[9] << 8 | (size_t)d[10] << 16 | (size_t)d[11] << 24;
        hstart = 12;
    } else {
        return et_fail(err, ET_E_INPUT, "%s: .npy format version %d is not supported", path, major);
    }
    if (hlen > size - hstart || hlen > 65536 || hlen > avail - hstart)
        return et_fail(err, ET_E_INPUT, "%s: truncated .npy header", path);
    char *h = malloc(hlen + 1);
    if (!h)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    memcpy(h, d + hstart, hlen);
    h[hlen] = '\0';
    const char *descr = find_key(h, "descr"), *fortran = find_key(h, "fortran_order"), *shp = find_key(h, "shape");
    et_status st = ET_OK;
    if (!descr || !fortran || !shp) {
        st = et_fail(err, ET_E_INPUT, "%s: .npy header lacks descr, fortran_order or shape", path);
        goto done;
    }
    if (strncmp(fortran, "False", 5) != 0) {
        st = et_fail(err, ET_E_INPUT, "%s: Fortran-ordered array; save it with numpy.ascontiguousarray first", path);
        goto done;
    }
    *dtype = ET_DT_UNDEFINED;
    for (size_t i = 0; i < sizeof descrs / sizeof descrs[0]; i++) {
        size_t l = strlen(descrs[i].descr);
        if ((descr[0] == '\'' || descr[0] == '"') && strncmp(descr + 1, descrs[i].descr, l) == 0 &&
            descr[1 + l] == descr[0]) {
            *dtype = descrs[i].dtype;
            break;
        }
    }
    if (*dtype == ET_DT_UNDEFINED) {
        char shown[16];
        snprintf(shown, sizeof shown, "%.10s", descr);
        st = et_fail(err, ET_E_INPUT, "%s: element type %s is not supported (use little-endian numbers, e.g. float32)",
                     path, shown);
        goto done;
    }
    if (*shp != '(') {
        st = et_fail(err, ET_E_INPUT, "%s: malformed shape in the .npy header", path);
        goto done;
    }
    const char *p = shp + 1;
    shape->rank = 0;
    while (*p && *p != ')') {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == ')')
            break;
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno || v < 0 || shape->rank >= ET_MAX_RANK) {
            st = et_fail(err, ET_E_INPUT, "%s: malformed or unsupported shape in the .npy header (at most %d dims)",
                         path, ET_MAX_RANK);
            goto done;
        }
        shape->dim[shape->rank++] = v;
        p = end;
        while (*p == ' ' || *p == 'L')
            p++;
    }
    int64_t numel = et_shape_numel(shape);
    size_t es = et_dtype_size(*dtype), nbytes;
    if (numel < 0 || !et_mul_size((size_t)numel, es, &nbytes) || nbytes != size - hstart - hlen) {
        st = et_fail(err, ET_E_INPUT,
                     "%s: holds %zu data bytes but its shape needs %zu; the file is truncated or damaged", path,
                     size - hstart - hlen, numel < 0 ? (size_t)0 : nbytes);
        goto done;
    }
    *data_offset = hstart + hlen;
    *data_bytes = nbytes;
done:
    free(h);
    return st;
}

et_status et_npy_read(const char *path, et_npy *out, et_err *err) {
    memset(out, 0, sizeof *out);
    et_mapped_file f;
    et_status st = et_mapped_file_open(path, &f, err);
    if (st != ET_OK)
        return st;
    size_t off = 0, nbytes = 0;
    st = parse_header(f.data, f.size, f.size, path, &out->dtype, &out->shape, &off, &nbytes, err);
    if (st == ET_OK) {
        out->data = et_aligned_alloc(nbytes ? nbytes : 1);
        if (!out->data)
            st = et_fail(err, ET_E_NOMEM, "%s: out of memory (%zu bytes)", path, nbytes);
        else if (nbytes)
            memcpy(out->data, f.data + off, nbytes);
        out->nbytes = nbytes;
    }
    et_mapped_file_close(&f);
    if (st != ET_OK)
        et_npy_free(out);
    return st;
}

et_status et_npy_open(const char *path, et_npy_file *out, et_err *err) {
    memset(out, 0, sizeof *out);
    out->fd = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return et_fail(err, errno == EACCES ? ET_E_PERMISSION : ET_E_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return et_fail(err, ET_E_IO, "%s: not a regular file", path);
    }
    /* the header is at most 12 + 65536 bytes; read what there is of that */
    size_t size = (size_t)sb.st_size, want = size < 12 + 65536 ? size : 12 + 65536;
    uint8_t *head = malloc(want ? want : 1);
    if (!head) {
        close(fd);
        return et_fail(err, ET_E_NOMEM, "out of memory");
    }
    ssize_t got = want ? pread(fd, head, want, 0) : 0;
    et_status st = got < 0 ? et_fail(err, ET_E_IO, "%s: cannot read: %s", path, strerror(errno))
                           : parse_header(head, (size_t)got, size, path, &out->dtype, &out->shape, &out->data_offset,
                                          &out->data_bytes, err);
    free(head);
    if (st != ET_OK) {
        close(fd);
        return st;
    }
    out->fd = fd;
    return ET_OK;
}

et_status et_npy_read_at(const et_npy_file *f, const char *path, size_t offset, void *dst, size_t n, et_err *err) {
    if (offset > f->data_bytes || n > f->data_bytes - offset)
        return et_fail(err, ET_E_INPUT, "%s: reading bytes %zu..%zu of %zu data bytes", path, offset, offset + n,
                       f->data_bytes);
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(f->fd, (char *)dst + done, n - done, (off_t)(f->data_offset + offset + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return et_fail(err, ET_E_IO, "%s: read failed: %s", path, r < 0 ? strerror(errno) : "the file shrank");
        done += (size_t)r;
    }
    return ET_OK;
}

void et_npy_close(et_npy_file *f) {
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}

et_status et_npy_write(const char *path, et_dtype dtype, const et_shape *shape, const void *data, et_err *err) {
    const char *descr = NULL;
    if (dtype == ET_DT_BF16)
        descr = "<u2"; /* numpy has no bfloat16: the bits, as uint16 (what ONNX's own test data does) */
    for (size_t i = 0; !descr && i < sizeof descrs / sizeof descrs[0]; i++)
        if (descrs[i].dtype == dtype) {
            descr = descrs[i].descr;
            break;
        }
    if (!descr)
        return et_fail(err, ET_E_UNSUPPORTED, "%s: cannot write %s tensors as .npy", path, et_dtype_name(dtype));
    char dict[512];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < shape->rank; i++)
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%lld,%s", (long long)shape->dim[i],
                      i + 1 < shape->rank ? " " : "");
    n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64; /* numpy aligns the data to 64 bytes */
    size_t hlen = (size_t)n + pad + 1;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return et_fail(err, errno == EACCES ? ET_E_PERMISSION : ET_E_IO, "%s: cannot write: %s", path, strerror(errno));
    unsigned char head[10] =
        {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    size_t nbytes = (size_t)et_shape_numel(shape) * et_dtype_size(dtype);
    bool ok = fwrite(head, 1, 10, f) == 10 && fwrite(dict, 1, (size_t)n, f) == (size_t)n;
    for (size_t i = 0; ok && i < pad; i++)
        ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF && (nbytes == 0 || fwrite(data, 1, nbytes, f) == nbytes);
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return et_fail(err, ET_E_IO, "%s: write failed: %s", path, strerror(e));
    }
    return ET_OK;
}

void et_npy_free(et_npy *t) {
    et_aligned_free(t->data);
    t->data = NULL;
    t->nbytes = 0;
}
