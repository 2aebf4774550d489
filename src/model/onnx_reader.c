/* onnx_reader.c: ONNX ModelProto -> graph IR.
 *
 * Zero-copy where the format allows: raw_data and packed float data of initializers point into the mapping;
 * typed integer fields (varints) are decoded into graph-owned buffers. Every count and length is checked against
 * the bytes that hold it, and every tensor's byte size against its dims, so a hostile file can only produce an
 * error, never an out-of-bounds read or a huge allocation. Field numbers follow onnx.proto (IR version 8). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "model/pb.h"
#include "util/mem.h"

/* Tensors larger than this are refused: edge models are far smaller, and it bounds what a hostile dims field
 * can make us allocate. */
#define MAX_TENSOR_BYTES ((size_t)16 << 30)

typedef struct reader {
    et_model *m;
    et_graph *g;
    et_err *err;
} reader;

static et_status malformed(reader *r, size_t off, const char *what) {
    return et_fail(r->err, ET_E_INPUT, "%s: byte %zu: %s", r->m->name, off, what);
}

static char *dup_str(reader *r, const et_pb_field *f) {
    return et_arena_strndup(&r->g->arena, (const char *)f->data, f->len);
}

/* ---- tensors --------------------------------------------------------------------------------------------- */

typedef struct tensor_fields {
    et_const_tensor t;
    const char *name;
    int64_t dims[ET_MAX_RANK];
    const uint8_t *raw;
    size_t raw_len;
    bool has_raw;
    bool external;
    const char *ext_location;
    int64_t ext_offset, ext_length;
    size_t first_offset;
} tensor_fields;

static bool dtype_known(int64_t t) { return (t >= 1 && t <= 13) || t == 16; }

/* Decodes typed-field payloads (fields 4,5,7,10,11) into dst, which holds numel elements of dtype. */
static et_status decode_typed(reader *r, et_pb *pb, const tensor_fields *tf, void *dst, int64_t numel) {
    et_pb_field f;
    int64_t at = 0;
    int rc;
    et_pb it = *pb;
    while ((rc = et_pb_next(&it, &f, r->err)) > 0) {
        if (f.num != 4 && f.num != 5 && f.num != 7 && f.num != 10 && f.num != 11)
            continue;
        et_dtype dt = tf->t.dtype;
        if (f.num == 4 || f.num == 10) { /* float_data / double_data: fixed-width, packed or single */
            size_t w = f.num == 4 ? 4 : 8;
            const uint8_t *p = f.wire == ET_PB_LEN ? f.data : NULL;
            size_t n = f.wire == ET_PB_LEN ? f.len / w : 1;
            if (f.wire == ET_PB_LEN && f.len % w)
                return malformed(r, f.offset, "packed float data is not a whole number of elements");
            for (size_t i = 0; i < n; i++, at++) {
                if (at >= numel)
                    return malformed(r, f.offset, "tensor has more typed values than its dims allow");
                uint64_t bits = 0;
                if (p)
                    for (size_t b = 0; b < w; b++)
                        bits |= (uint64_t)p[i * w + b] << (8 * b);
                else
                    bits = f.u64;
                double v;
                if (w == 4) {
                    uint32_t b32 = (uint32_t)bits;
                    float fv;
                    memcpy(&fv, &b32, 4);
                    v = fv;
                } else {
                    memcpy(&v, &bits, 8);
                }
                et_dtype_store(dt, dst, (size_t)at, v);
            }
        } else { /* int32_data / int64_data / uint64_data: varints, packed or single */
            /* a single varint has no data span: f.data is NULL, and NULL + 0 is undefined */
            const uint8_t *p = f.data, *pend = f.data ? f.data + f.len : NULL;
            bool single = f.wire != ET_PB_LEN;
            while (single || p < pend) {
                uint64_t u = f.u64;
                if (!single && !et_pb_read_varint(&p, pend, &u))
                    return malformed(r, f.offset, "malformed packed integers");
                if (at >= numel)
                    return malformed(r, f.offset, "tensor has more typed values than its dims allow");
                if (f.num == 5 && (dt == ET_DT_F16 || dt == ET_DT_BF16)) {
                    uint16_t h = (uint16_t)u; /* half-precision bits travel in int32_data */
                    memcpy((uint8_t *)dst + 2 * at, &h, 2);
                } else {
                    et_dtype_store_i64(dt, dst, (size_t)at, (int64_t)u);
                }
                at++;
                if (single)
                    break;
            }
        }
    }
    if (rc < 0)
        return ET_E_INPUT;
    if (at != numel)
        return et_fail(r->err, ET_E_INPUT, "%s: tensor '%s' has %lld values but its dims say %lld", r->m->name,
                       tf->name ? tf->name : "", (long long)at, (long long)numel);
    return ET_OK;
}

static et_status map_external(reader *r, const tensor_fields *tf, const uint8_t **data, size_t *size) {
    const char *loc = tf->ext_location;
    if (!loc || !*loc)
        return et_fail(r->err, ET_E_INPUT, "%s: tensor '%s' is external but has no location", r->m->name, tf->name);
    if (loc[0] == '/' || strstr(loc, "..") != NULL)
        return et_fail(r->err, ET_E_INPUT,
                       "%s: tensor '%s': external data location '%s' must be a relative path inside the model's "
                       "folder",
                       r->m->name, tf->name, loc);
    et_model *m = r->m;
    for (int i = 0; i < m->n_external; i++)
        if (strcmp(m->external_paths[i], loc) == 0) {
            *data = m->external[i].data;
            *size = m->external[i].size;
            return ET_OK;
        }
    char path[2048];
    const char *slash = strrchr(m->path, '/');
    if (slash)
        snprintf(path, sizeof path, "%.*s/%s", (int)(slash - m->path), m->path, loc);
    else
        snprintf(path, sizeof path, "%s", loc);
    et_mapped_file *ext = realloc(m->external, (size_t)(m->n_external + 1) * sizeof *ext);
    char **names = ext ? realloc(m->external_paths, (size_t)(m->n_external + 1) * sizeof *names) : NULL;
    if (ext)
        m->external = ext;
    if (names)
        m->external_paths = names;
    if (!ext || !names)
        return et_fail(r->err, ET_E_NOMEM, "out of memory");
    names[m->n_external] = strdup(loc);
    if (!names[m->n_external])
        return et_fail(r->err, ET_E_NOMEM, "out of memory");
    et_status st = et_mapped_file_open(path, &ext[m->n_external], r->err);
    if (st != ET_OK) {
        free(names[m->n_external]);
        et_err_prefix(r->err, "%s: tensor '%s' external data: ", m->name, tf->name);
        return st == ET_E_PERMISSION ? st : ET_E_INPUT;
    }
    *data = ext[m->n_external].data;
    *size = ext[m->n_external].size;
    m->n_external++;
    return ET_OK;
}

/* One external_data key/value entry (location, offset, length) of a TensorProto into tf. ET_E_INPUT when the
 * entry is malformed. */
static et_status read_external_entry(reader *r, et_pb *it, const et_pb_field *f, tensor_fields *tf) {
    et_pb kv = et_pb_sub(it, f);
    et_pb_field e;
    et_pb_field kf = {0}, vf = {0};
    bool hk = false, hv = false;
    int rc;
    while ((rc = et_pb_next(&kv, &e, r->err)) > 0) {
        if (e.num == 1 && e.wire == ET_PB_LEN)
            kf = e, hk = true;
        if (e.num == 2 && e.wire == ET_PB_LEN)
            vf = e, hv = true;
    }
    if (rc < 0)
        return ET_E_INPUT;
    if (hk && hv) {
        char v[1024];
        snprintf(v, sizeof v, "%.*s", (int)(vf.len < 1023 ? vf.len : 1023), (const char *)vf.data);
        if (kf.len == 8 && memcmp(kf.data, "location", 8) == 0) {
            tf->ext_location = et_arena_strdup(&r->g->arena, v);
        } else if (kf.len == 6 && memcmp(kf.data, "offset", 6) == 0) {
            tf->ext_offset = strtoll(v, NULL, 10);
        } else if (kf.len == 6 && memcmp(kf.data, "length", 6) == 0) {
            tf->ext_length = strtoll(v, NULL, 10);
        }
    }
    return ET_OK;
}

/* The fields of a TensorProto: dims, data type (8: strings), name, raw data, external data; *has_typed when a
 * typed data field (float_data, int32_data...) is present. */
static et_status read_tensor_fields(reader *r, et_pb pb, tensor_fields *tf, int64_t *dtype, int *rank,
                                    bool *has_typed) {
    et_pb_field f;
    int rc;
    et_pb it = pb;
    while ((rc = et_pb_next(&it, &f, r->err)) > 0) {
        switch (f.num) {
        case 1: /* dims */
            if (f.wire == ET_PB_LEN) {
                int64_t n = et_pb_count_varints(f.data, f.len);
                if (n < 0 || *rank + n > ET_MAX_RANK)
                    return malformed(r, f.offset, n < 0 ? "malformed dims" : "tensor has more than 8 dims");
                et_pb_read_varints(f.data, f.len, tf->dims + *rank, n);
                *rank += (int)n;
            } else if (f.wire == ET_PB_VARINT) {
                if (*rank >= ET_MAX_RANK)
                    return malformed(r, f.offset, "tensor has more than 8 dims");
                tf->dims[(*rank)++] = (int64_t)f.u64;
            }
            break;
        case 2: *dtype = (int64_t)f.u64; break;
        case 3: return malformed(r, f.offset, "segmented tensors are not supported");
        case 8:
            if (f.wire == ET_PB_LEN && !(tf->name = dup_str(r, &f)))
                return et_fail(r->err, ET_E_NOMEM, "out of memory");
            break;
        case 9:
            if (f.wire != ET_PB_LEN)
                return malformed(r, f.offset, "raw_data has the wrong wire type");
            tf->raw = f.data, tf->raw_len = f.len, tf->has_raw = true;
            break;
        case 4:
        case 5:
        case 7:
        case 10:
        case 11: *has_typed = true; break;
        case 6: *dtype = 8; break; /* string_data */
        case 13:                   /* external_data: key/value entries */
            if (f.wire == ET_PB_LEN && read_external_entry(r, &it, &f, tf) != ET_OK)
                return ET_E_INPUT;
            break;
        case 14: tf->external = f.u64 == 1; break;
        default: break;
        }
    }
    return rc < 0 ? ET_E_INPUT : ET_OK;
}

/* Sets tf->t's dtype, shape and byte size, refusing strings, unknown types, negative dims and sizes beyond
 * MAX_TENSOR_BYTES; *numel gets the element count. */
static et_status check_tensor_type(reader *r, tensor_fields *tf, int64_t dtype, int rank, int64_t *numel) {
    const char *tname = tf->name ? tf->name : "(unnamed)";
    if (dtype == 8)
        return et_fail(r->err, ET_E_UNSUPPORTED, "%s: tensor '%s' holds strings; edgetune computes on numbers only",
                       r->m->name, tname);
    if (!dtype_known(dtype))
        return et_fail(r->err, ET_E_INPUT, "%s: tensor '%s' has unknown data type %lld", r->m->name, tname,
                       (long long)dtype);
    tf->t.dtype = (et_dtype)dtype;
    tf->t.shape.rank = rank;
    for (int i = 0; i < rank; i++) {
        if (tf->dims[i] < 0)
            return et_fail(r->err, ET_E_INPUT, "%s: tensor '%s' has negative dim %lld", r->m->name, tname,
                           (long long)tf->dims[i]);
        tf->t.shape.dim[i] = tf->dims[i];
    }
    *numel = et_shape_numel(&tf->t.shape);
    size_t esize = et_dtype_size(tf->t.dtype), nbytes;
    if (*numel < 0 || !et_mul_size((size_t)*numel, esize, &nbytes) || nbytes > MAX_TENSOR_BYTES) {
        char sb[128];
        return et_fail(r->err, ET_E_INPUT,
                       "%s: tensor '%s' claims %s %s, beyond the 16 GiB edgetune accepts; the model is damaged",
                       r->m->name, tname, et_shape_str(&tf->t.shape, sb, sizeof sb), et_dtype_name(tf->t.dtype));
    }
    tf->t.nbytes = nbytes;
    return ET_OK;
}

/* tf->t.data: the external file's bytes, the raw data (both borrowed), or the typed fields decoded into graph
 * memory; each must hold exactly the bytes the dims need. */
static et_status bind_tensor_data(reader *r, et_pb *pb, tensor_fields *tf, int64_t numel, bool has_typed) {
    const char *tname = tf->name ? tf->name : "(unnamed)";
    size_t nbytes = tf->t.nbytes;
    if (tf->external) {
        const uint8_t *data = NULL;
        size_t size = 0;
        et_status st = map_external(r, tf, &data, &size);
        if (st != ET_OK)
            return st;
        int64_t len = tf->ext_length ? tf->ext_length : (int64_t)nbytes;
        if (tf->ext_offset < 0 || len != (int64_t)nbytes || (uint64_t)tf->ext_offset > size ||
            (uint64_t)len > size - (uint64_t)tf->ext_offset)
            return et_fail(r->err, ET_E_INPUT,
                           "%s: tensor '%s': external data (offset %lld, length %lld) does not fit '%s' (%zu bytes) "
                           "or its %zu-byte size",
                           r->m->name, tname, (long long)tf->ext_offset, (long long)len, tf->ext_location, size,
                           nbytes);
        tf->t.data = data ? data + tf->ext_offset : NULL;
        return ET_OK;
    }
    if (tf->has_raw) {
        if (tf->raw_len != nbytes)
            return et_fail(r->err, ET_E_INPUT, "%s: tensor '%s' has %zu bytes of raw data but its dims need %zu",
                           r->m->name, tname, tf->raw_len, nbytes);
        tf->t.data = tf->raw;
        return ET_OK;
    }
    if (!has_typed) {
        if (numel != 0)
            return et_fail(r->err, ET_E_INPUT, "%s: tensor '%s' has no data", r->m->name, tname);
        return ET_OK;
    }
    void *dst = et_graph_alloc_data(r->g, nbytes ? nbytes : 1);
    if (!dst)
        return et_fail(r->err, ET_E_NOMEM, "out of memory for tensor '%s' (%zu bytes)", tname, nbytes);
    tf->t.data = dst;
    return decode_typed(r, pb, tf, dst, numel);
}

/* Parses a TensorProto in pb into out (data borrowed or graph-owned). */
static et_status parse_tensor(reader *r, et_pb pb, tensor_fields *tf) {
    memset(tf, 0, sizeof *tf);
    tf->first_offset = (size_t)(pb.p - pb.base);
    int64_t dtype = 0, numel = 0;
    int rank = 0;
    bool has_typed = false;
    et_status st = read_tensor_fields(r, pb, tf, &dtype, &rank, &has_typed);
    if (st == ET_OK)
        st = check_tensor_type(r, tf, dtype, rank, &numel);
    if (st == ET_OK)
        st = bind_tensor_data(r, &pb, tf, numel, has_typed);
    return st;
}

/* ---- value info (graph inputs) --------------------------------------------------------------------------- */

static et_status parse_value_info(reader *r, et_pb pb, const char **name, et_dtype *dtype, et_shape *shape,
                                  const char **dim_param) {
    et_pb_field f;
    int rc;
    *name = NULL;
    *dtype = ET_DT_UNDEFINED;
    shape->rank = -1; /* unknown rank */
    while ((rc = et_pb_next(&pb, &f, r->err)) > 0) {
        if (f.num == 1 && f.wire == ET_PB_LEN) {
            if (!(*name = dup_str(r, &f)))
                return et_fail(r->err, ET_E_NOMEM, "out of memory");
        } else if (f.num == 2 && f.wire == ET_PB_LEN) { /* TypeProto */
            et_pb tp = et_pb_sub(&pb, &f);
            et_pb_field t;
            while ((rc = et_pb_next(&tp, &t, r->err)) > 0) {
                if (t.num != 1 || t.wire != ET_PB_LEN) /* only tensor_type */
                    continue;
                et_pb tt = et_pb_sub(&tp, &t);
                et_pb_field x;
                while ((rc = et_pb_next(&tt, &x, r->err)) > 0) {
                    if (x.num == 1 && x.wire == ET_PB_VARINT) {
                        *dtype = dtype_known((int64_t)x.u64) ? (et_dtype)x.u64 : ET_DT_UNDEFINED;
                    } else if (x.num == 2 && x.wire == ET_PB_LEN) { /* TensorShapeProto */
                        shape->rank = 0;
                        et_pb sp = et_pb_sub(&tt, &x);
                        et_pb_field d;
                        while ((rc = et_pb_next(&sp, &d, r->err)) > 0) {
                            if (d.num != 1 || d.wire != ET_PB_LEN)
                                continue;
                            if (shape->rank >= ET_MAX_RANK)
                                return malformed(r, d.offset, "input has more than 8 dims");
                            int k = shape->rank++;
                            shape->dim[k] = -1;
                            dim_param[k] = NULL;
                            et_pb dp = et_pb_sub(&sp, &d);
                            et_pb_field dv;
                            while ((rc = et_pb_next(&dp, &dv, r->err)) > 0) {
                                if (dv.num == 1 && dv.wire == ET_PB_VARINT)
                                    shape->dim[k] = (int64_t)dv.u64 >= 0 ? (int64_t)dv.u64 : -1;
                                else if (dv.num == 2 && dv.wire == ET_PB_LEN && !(dim_param[k] = dup_str(r, &dv)))
                                    return et_fail(r->err, ET_E_NOMEM, "out of memory");
                            }
                            if (rc < 0)
                                return ET_E_INPUT;
                        }
                        if (rc < 0)
                            return ET_E_INPUT;
                    }
                }
                if (rc < 0)
                    return ET_E_INPUT;
            }
            if (rc < 0)
                return ET_E_INPUT;
        }
    }
    return rc < 0 ? ET_E_INPUT : ET_OK;
}

/* ---- nodes and attributes -------------------------------------------------------------------------------- */

/* An attribute without its type field (older writers) takes the type of the value field it carries. */
static void imply_type(et_attr *a, int64_t type, et_attr_type t) {
    if (type < 0)
        a->type = t;
}

static et_status parse_attr(reader *r, et_pb pb, et_attr *a) {
    et_pb_field f;
    int rc;
    memset(a, 0, sizeof *a);
    int64_t type = -1;
    int n_ints = 0, n_floats = 0, n_strings = 0;
    et_pb it = pb;
    /* first pass: scalars and counts */
    while ((rc = et_pb_next(&it, &f, r->err)) > 0) {
        switch (f.num) {
        case 1:
            if (f.wire == ET_PB_LEN && !(a->name = dup_str(r, &f)))
                return et_fail(r->err, ET_E_NOMEM, "out of memory");
            break;
        case 20: type = (int64_t)f.u64; break;
        case 2: {
            uint32_t b = (uint32_t)f.u64;
            memcpy(&a->f, &b, 4);
            imply_type(a, type, ET_ATTR_FLOAT);
            break;
        }
        case 3:
            a->i = (int64_t)f.u64;
            imply_type(a, type, ET_ATTR_INT);
            break;
        case 4:
            if (f.wire == ET_PB_LEN) {
                if (!(a->s = dup_str(r, &f)))
                    return et_fail(r->err, ET_E_NOMEM, "out of memory");
                a->s_len = f.len;
                imply_type(a, type, ET_ATTR_STRING);
            }
            break;
        case 5:
            if (f.wire == ET_PB_LEN) {
                tensor_fields tf;
                et_status st = parse_tensor(r, et_pb_sub(&it, &f), &tf);
                if (st != ET_OK)
                    return st;
                a->t = tf.t;
                imply_type(a, type, ET_ATTR_TENSOR);
            }
            break;
        case 6: imply_type(a, type, ET_ATTR_GRAPH); break;
        case 7:
            n_floats += f.wire == ET_PB_LEN ? (int)(f.len / 4) : 1;
            imply_type(a, type, ET_ATTR_FLOATS);
            break;
        case 8: {
            int64_t n = f.wire == ET_PB_LEN ? et_pb_count_varints(f.data, f.len) : 1;
            if (n < 0 || n > (1 << 24))
                return malformed(r, f.offset, "malformed integer list attribute");
            n_ints += (int)n;
            imply_type(a, type, ET_ATTR_INTS);
            break;
        }
        case 9:
            n_strings++;
            imply_type(a, type, ET_ATTR_STRINGS);
            break;
        case 10: imply_type(a, type, ET_ATTR_TENSORS); break;
        case 11: imply_type(a, type, ET_ATTR_GRAPHS); break;
        case 21: return malformed(r, f.offset, "attribute references (functions) are not supported");
        default: break;
        }
    }
    if (rc < 0)
        return ET_E_INPUT;
    if (!a->name)
        return malformed(r, (size_t)(pb.p - pb.base), "attribute without a name");
    if (type >= 0)
        a->type = (et_attr_type)type;
    if (n_ints + n_floats + n_strings > 0) {
        int64_t *ints = n_ints ? et_arena_calloc(&r->g->arena, (size_t)n_ints, sizeof *ints) : NULL;
        float *floats = n_floats ? et_arena_calloc(&r->g->arena, (size_t)n_floats, sizeof *floats) : NULL;
        const char **strings = n_strings ? et_arena_calloc(&r->g->arena, (size_t)n_strings, sizeof *strings) : NULL;
        if ((n_ints && !ints) || (n_floats && !floats) || (n_strings && !strings))
            return et_fail(r->err, ET_E_NOMEM, "out of memory");
        int ki = 0, kf = 0, ks = 0;
        it = pb;
        while ((rc = et_pb_next(&it, &f, r->err)) > 0) {
            if (f.num == 7) {
                if (f.wire == ET_PB_LEN) {
                    for (size_t i = 0; i + 4 <= f.len; i += 4)
                        memcpy(&floats[kf++], f.data + i, 4);
                } else {
                    uint32_t b = (uint32_t)f.u64;
                    memcpy(&floats[kf++], &b, 4);
                }
            } else if (f.num == 8) {
                if (f.wire == ET_PB_LEN)
                    ki += (int)et_pb_read_varints(f.data, f.len, ints + ki, n_ints - ki);
                else
                    ints[ki++] = (int64_t)f.u64;
            } else if (f.num == 9 && f.wire == ET_PB_LEN) {
                if (!(strings[ks++] = dup_str(r, &f)))
                    return et_fail(r->err, ET_E_NOMEM, "out of memory");
            }
        }
        if (rc < 0)
            return ET_E_INPUT;
        a->ints = ints;
        a->floats = floats;
        a->strings = strings;
        a->n = a->type == ET_ATTR_INTS ? ki : a->type == ET_ATTR_FLOATS ? kf : ks;
    }
    return ET_OK;
}

/* Node parsing happens in two steps: outputs are created first for all nodes (so inputs can refer to values
 * produced later in the file), then inputs are resolved by name. */
typedef struct node_src {
    et_pb pb;
    size_t offset;
} node_src;

static et_status parse_node_outputs(reader *r, const node_src *src, int index) {
    et_pb pb = src->pb;
    et_pb_field f;
    int rc, n_in = 0, n_out = 0, n_attr = 0;
    const char *op_type = NULL, *domain = "", *name = NULL;
    while ((rc = et_pb_next(&pb, &f, r->err)) > 0) {
        if (f.wire != ET_PB_LEN)
            continue;
        if (f.num == 1)
            n_in++;
        else if (f.num == 2)
            n_out++;
        else if (f.num == 5)
            n_attr++;
        else if (f.num == 3 && !(name = dup_str(r, &f)))
            return et_fail(r->err, ET_E_NOMEM, "out of memory");
        else if (f.num == 4 && !(op_type = dup_str(r, &f)))
            return et_fail(r->err, ET_E_NOMEM, "out of memory");
        else if (f.num == 7 && !(domain = dup_str(r, &f)))
            return et_fail(r->err, ET_E_NOMEM, "out of memory");
    }
    if (rc < 0)
        return ET_E_INPUT;
    if (!op_type)
        return malformed(r, src->offset, "node without op_type");
    if (n_in > 4096 || n_out > 4096 || n_attr > 4096)
        return malformed(r, src->offset, "node with an absurd number of inputs, outputs or attributes");
    char auto_name[64];
    if (!name || !*name) {
        snprintf(auto_name, sizeof auto_name, "%.40s_%d", op_type, index);
        name = auto_name;
    }
    bool default_domain = !*domain || strcmp(domain, "ai.onnx") == 0;
    et_op op = default_domain ? et_op_from_onnx(op_type) : ET_OP_UNKNOWN;
    int *outs = calloc((size_t)(n_out ? n_out : 1), sizeof(int));
    if (!outs)
        return et_fail(r->err, ET_E_NOMEM, "out of memory");
    int k = 0;
    pb = src->pb;
    et_status st = ET_OK;
    while (st == ET_OK && (rc = et_pb_next(&pb, &f, r->err)) > 0) {
        if (f.num != 2 || f.wire != ET_PB_LEN)
            continue;
        if (f.len == 0) {
            outs[k++] = -1;
            continue;
        }
        char *oname = dup_str(r, &f);
        if (!oname) {
            st = et_fail(r->err, ET_E_NOMEM, "out of memory");
            break;
        }
        int v = et_graph_add_value(r->g, oname, ET_VAL_INTERMEDIATE, r->err);
        if (v < 0) {
            st = r->err ? r->err->status : ET_E_INPUT;
            et_err_prefix(r->err, "%s: node '%s': ", r->m->name, name);
            break;
        }
        outs[k++] = v;
    }
    if (st == ET_OK && rc < 0)
        st = ET_E_INPUT;
    if (st == ET_OK) {
        int idx = et_graph_add_node(r->g, op, name, NULL, 0, outs, n_out, r->err);
        if (idx < 0)
            st = ET_E_NOMEM;
        else {
            et_node *n = &r->g->nodes[idx];
            n->op_type = op_type;
            n->domain = domain;
            n->n_inputs = n_in; /* filled in resolve_node_inputs */
            n->inputs = et_arena_calloc(&r->g->arena, (size_t)(n_in ? n_in : 1), sizeof(int));
            n->attrs = n_attr ? et_arena_calloc(&r->g->arena, (size_t)n_attr, sizeof(et_attr)) : NULL;
            if (!n->inputs || (n_attr && !n->attrs))
                st = et_fail(r->err, ET_E_NOMEM, "out of memory");
            for (int a = 0; st == ET_OK && a < n_out; a++)
                if (outs[a] >= 0)
                    r->g->values[outs[a]].producer = idx;
        }
    }
    free(outs);
    return st;
}

static et_status resolve_node(reader *r, const node_src *src, int index) {
    et_node *n = &r->g->nodes[index];
    et_pb pb = src->pb;
    et_pb_field f;
    int rc, k = 0, na = 0;
    while ((rc = et_pb_next(&pb, &f, r->err)) > 0) {
        if (f.wire != ET_PB_LEN)
            continue;
        if (f.num == 1) {
            if (f.len == 0) {
                n->inputs[k++] = -1;
                continue;
            }
            char iname[512];
            snprintf(iname, sizeof iname, "%.*s", (int)(f.len < 511 ? f.len : 511), (const char *)f.data);
            int v = f.len < 511 ? et_graph_find_value(r->g, iname) : -1;
            if (v < 0)
                return et_fail(r->err, ET_E_INPUT,
                               "%s: node '%s' (%s) reads '%s', which no node, initializer or graph input defines "
                               "(missing initializer?)",
                               r->m->name, n->name, n->op_type, iname);
            n->inputs[k++] = v;
        } else if (f.num == 5) {
            et_status st = parse_attr(r, et_pb_sub(&pb, &f), &n->attrs[na]);
            if (st != ET_OK) {
                et_err_prefix(r->err, "node '%s': ", n->name);
                return st;
            }
            na++;
        }
    }
    if (rc < 0)
        return ET_E_INPUT;
    n->n_attrs = na;
    return ET_OK;
}

/* ---- graph and model ------------------------------------------------------------------------------------- */

typedef struct field_list {
    et_pb_field *items;
    int n, cap;
} field_list;

static bool push_field(field_list *l, const et_pb_field *f) {
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        et_pb_field *items = realloc(l->items, (size_t)cap * sizeof *items);
        if (!items)
            return false;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = *f;
    return true;
}

/* The GraphProto's repeated fields, collected before any is parsed (initializers and inputs must exist before
 * the nodes that use them are resolved). */
typedef struct graph_fields {
    field_list nodes, inits, inputs, outputs;
} graph_fields;

static et_status collect_graph_fields(reader *r, et_pb gpb, graph_fields *gf) {
    et_pb_field f;
    int rc;
    et_pb it = gpb;
    while ((rc = et_pb_next(&it, &f, r->err)) > 0) {
        if (f.wire != ET_PB_LEN)
            continue;
        bool ok = true;
        switch (f.num) {
        case 1: ok = push_field(&gf->nodes, &f); break;
        case 5: ok = push_field(&gf->inits, &f); break;
        case 11: ok = push_field(&gf->inputs, &f); break;
        case 12: ok = push_field(&gf->outputs, &f); break;
        case 15: return et_fail(r->err, ET_E_UNSUPPORTED, "%s: sparse initializers are not supported", r->m->name);
        default: break;
        }
        if (!ok)
            return et_fail(r->err, ET_E_NOMEM, "out of memory reading the graph");
    }
    return rc < 0 ? ET_E_INPUT : ET_OK;
}

/* Every initializer becomes a constant value. */
static et_status add_initializers(reader *r, et_pb gpb, const field_list *inits) {
    et_graph *g = r->g;
    for (int i = 0; i < inits->n; i++) {
        tensor_fields tf;
        et_status st = parse_tensor(r, et_pb_sub(&gpb, &inits->items[i]), &tf);
        if (st != ET_OK)
            return st;
        if (!tf.name || !*tf.name)
            return malformed(r, inits->items[i].offset, "initializer without a name");
        int v = et_graph_add_value(g, tf.name, ET_VAL_CONST, r->err);
        if (v < 0) {
            et_err_prefix(r->err, "%s: ", r->m->name);
            return ET_E_INPUT;
        }
        g->values[v].dtype = tf.t.dtype;
        g->values[v].shape = tf.t.shape;
        g->values[v].data = tf.t.data;
        g->values[v].nbytes = tf.t.nbytes;
    }
    return ET_OK;
}

/* Every graph input that is not also an initializer becomes an input value with its type and shape. */
static et_status add_inputs(reader *r, et_pb gpb, const field_list *inputs) {
    et_graph *g = r->g;
    for (int i = 0; i < inputs->n; i++) {
        const char *name, *dim_param[ET_MAX_RANK] = {0};
        et_dtype dt;
        et_shape sh;
        et_status st = parse_value_info(r, et_pb_sub(&gpb, &inputs->items[i]), &name, &dt, &sh, dim_param);
        if (st != ET_OK)
            return st;
        if (!name || !*name)
            return malformed(r, inputs->items[i].offset, "graph input without a name");
        if (et_graph_find_value(g, name) >= 0) /* older exporters list initializers as inputs too */
            continue;
        int v = et_graph_add_value(g, name, ET_VAL_INPUT, r->err);
        if (v < 0)
            return ET_E_INPUT;
        /* Non-numeric inputs (strings, sequences) are recorded and refused by et_pass_input_shapes, so that
         * reading (info, the operator check) still works on such models. */
        if (sh.rank < 0 && dt != ET_DT_UNDEFINED && dt != ET_DT_STRING)
            return et_fail(r->err, ET_E_INPUT, "%s: graph input '%s' has no shape; give one with --shape %s=DIMS",
                           r->m->name, name, name);
        if (sh.rank < 0)
            sh.rank = 0;
        g->values[v].dtype = dt;
        g->values[v].shape = sh;
        memcpy(g->values[v].dim_param, dim_param, sizeof dim_param);
        g->inputs[g->n_inputs++] = v;
    }
    return ET_OK;
}

/* The nodes: every node's outputs first (a node may use a value produced later in the file), then their inputs
 * and attributes. */
static et_status add_nodes(reader *r, et_pb gpb, const field_list *nodes) {
    node_src *srcs = calloc((size_t)(nodes->n ? nodes->n : 1), sizeof *srcs);
    if (!srcs)
        return et_fail(r->err, ET_E_NOMEM, "out of memory");
    et_status st = ET_OK;
    for (int i = 0; i < nodes->n && st == ET_OK; i++) {
        srcs[i].pb = et_pb_sub(&gpb, &nodes->items[i]);
        srcs[i].offset = nodes->items[i].offset;
        st = parse_node_outputs(r, &srcs[i], i);
    }
    for (int i = 0; i < nodes->n && st == ET_OK; i++)
        st = resolve_node(r, &srcs[i], i);
    free(srcs);
    return st;
}

/* The graph outputs: values some node (or an input, or an initializer) produced; at least one. */
static et_status add_outputs(reader *r, et_pb gpb, const field_list *outputs) {
    et_graph *g = r->g;
    for (int i = 0; i < outputs->n; i++) {
        const char *name, *dim_param[ET_MAX_RANK];
        et_dtype dt;
        et_shape sh;
        et_status st = parse_value_info(r, et_pb_sub(&gpb, &outputs->items[i]), &name, &dt, &sh, dim_param);
        if (st != ET_OK)
            return st;
        int v = name ? et_graph_find_value(g, name) : -1;
        if (v < 0)
            return et_fail(r->err, ET_E_INPUT, "%s: graph output '%s' is not produced by any node", r->m->name,
                           name ? name : "");
        g->outputs[g->n_outputs++] = v;
    }
    if (g->n_outputs == 0)
        return et_fail(r->err, ET_E_INPUT, "%s: the graph has no outputs", r->m->name);
    return ET_OK;
}

static et_status parse_graph(reader *r, et_pb gpb) {
    graph_fields gf = {0};
    et_status st = collect_graph_fields(r, gpb, &gf);
    if (st == ET_OK)
        st = add_initializers(r, gpb, &gf.inits);
    if (st == ET_OK) {
        et_graph *g = r->g;
        g->inputs = malloc((size_t)(gf.inputs.n + 1) * sizeof(int));
        g->outputs = malloc((size_t)(gf.outputs.n + 1) * sizeof(int));
        if (!g->inputs || !g->outputs)
            st = et_fail(r->err, ET_E_NOMEM, "out of memory");
    }
    if (st == ET_OK)
        st = add_inputs(r, gpb, &gf.inputs);
    if (st == ET_OK)
        st = add_nodes(r, gpb, &gf.nodes);
    if (st == ET_OK)
        st = add_outputs(r, gpb, &gf.outputs);
    free(gf.nodes.items), free(gf.inits.items), free(gf.inputs.items), free(gf.outputs.items);
    return st;
}

et_status et_onnx_read(et_model *m, et_err *err) {
    reader r = {m, NULL, err};
    if (!m->file.data || m->file.size == 0)
        return et_fail(err, ET_E_INPUT, "%s: the file is empty", m->name);
    et_pb pb = {m->file.data, m->file.data, m->file.data + m->file.size, m->name};
    et_pb_field f, graph = {0};
    int rc;
    bool have_graph = false;
    int64_t opset = -1;
    char producer[64] = "", version[64] = "";
    while ((rc = et_pb_next(&pb, &f, err)) > 0) {
        if (f.num == 1 && f.wire == ET_PB_VARINT) {
            m->ir_version = (int64_t)f.u64;
        } else if (f.num == 2 && f.wire == ET_PB_LEN) {
            snprintf(producer, sizeof producer, "%.*s", (int)(f.len < 63 ? f.len : 63), (const char *)f.data);
        } else if (f.num == 3 && f.wire == ET_PB_LEN) {
            snprintf(version, sizeof version, "%.*s", (int)(f.len < 63 ? f.len : 63), (const char *)f.data);
        } else if (f.num == 7 && f.wire == ET_PB_LEN) {
            graph = f;
            have_graph = true;
        } else if (f.num == 8 && f.wire == ET_PB_LEN) {
            et_pb os = et_pb_sub(&pb, &f);
            et_pb_field o;
            bool default_domain = true;
            int64_t ver = -1;
            while ((rc = et_pb_next(&os, &o, err)) > 0) {
                if (o.num == 1 && o.wire == ET_PB_LEN)
                    default_domain = o.len == 0 || (o.len == 7 && memcmp(o.data, "ai.onnx", 7) == 0);
                else if (o.num == 2 && o.wire == ET_PB_VARINT)
                    ver = (int64_t)o.u64;
            }
            if (rc < 0)
                return ET_E_INPUT;
            if (default_domain)
                opset = ver;
        }
    }
    if (rc < 0)
        return ET_E_INPUT;
    if (!have_graph)
        return et_fail(err, ET_E_INPUT, "%s: no graph found; is this an ONNX model file?", m->name);
    snprintf(m->producer, sizeof m->producer, "%s%s%s", producer, *version ? " " : "", version);
    m->graph = et_graph_new();
    if (!m->graph)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    r.g = m->graph;
    m->graph->opset = opset > 0 ? opset : 1;
    if (opset < 0 && m->ir_version >= 3)
        return et_fail(err, ET_E_INPUT, "%s: the model imports no default-domain opset", m->name);
    return parse_graph(&r, et_pb_sub(&pb, &graph));
}

et_status et_onnx_read_tensor(const uint8_t *data, size_t len, const char *what, et_graph *owner, et_const_tensor *out,
                              const char **name, et_err *err) {
    et_model tmp;
    memset(&tmp, 0, sizeof tmp);
    snprintf(tmp.name, sizeof tmp.name, "%s", what);
    reader r = {&tmp, owner, err};
    et_pb pb = {data, data, data + len, tmp.name};
    tensor_fields tf;
    et_status st = parse_tensor(&r, pb, &tf);
    if (tmp.n_external) { /* a lone tensor file has no folder of its own to resolve external data against */
        for (int i = 0; i < tmp.n_external; i++) {
            et_mapped_file_close(&tmp.external[i]);
            free(tmp.external_paths[i]);
        }
        free(tmp.external), free(tmp.external_paths);
        return et_fail(err, ET_E_INPUT, "%s: external data is not supported in a tensor file", what);
    }
    if (st != ET_OK)
        return st;
    *out = tf.t;
    if (name)
        *name = tf.name;
    return ET_OK;
}
