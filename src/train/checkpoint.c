/* checkpoint.c: writing and reading training checkpoints (checkpoint.h).
 *
 * Layout (little-endian, as the devices edgetune runs on): "EDGETUNE-CKPT\n" + version (u32), the tag (u32
 * length + bytes), the trainer state (fixed-width fields), the epoch history, the uuid of the run that wrote it
 * (u32 length + bytes; version 2 on: a version-1 file reads as written by no stored run), the parameters (name,
 * numel, master values, mask, optimizer slots), the optimizer's step count, the buffers (name, numel, values), the
 * activation ranges, then the SHA-256 of all of the above. The whole file is built in memory (checkpoints are
 * the size of the weights and optimizer state, a few MB for edge models) and checked before anything is
 * changed on reading. */
#include "train/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/sha256.h"
#include "util/words_diff.h"

static const char magic[] = "EDGETUNE-CKPT\n";
enum { VERSION = 2, MAGIC_LEN = sizeof magic - 1 };

/* ---- a growing buffer --------------------------------------------------------------------------------------- */

typedef struct wbuf {
    unsigned char *p;
    size_t len, cap;
    bool failed;
} wbuf;

static void put(wbuf *b, const void *data, size_t n) {
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = (b->cap + n) * 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) {
            b->failed = true;
            return;
        }
        b->p = q, b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}
static void put_u32(wbuf *b, uint32_t v) { put(b, &v, sizeof v); }
static void put_i64(wbuf *b, int64_t v) { put(b, &v, sizeof v); }
static void put_f64(wbuf *b, double v) { put(b, &v, sizeof v); }
static void put_str(wbuf *b, const char *s) {
    put_u32(b, (uint32_t)strlen(s));
    put(b, s, strlen(s));
}

typedef struct rbuf {
    const unsigned char *p;
    size_t len, at;
    bool bad;
} rbuf;

static const void *get(rbuf *r, size_t n) {
    if (r->bad || n > r->len - r->at) {
        r->bad = true;
        return NULL;
    }
    const void *q = r->p + r->at;
    r->at += n;
    return q;
}
static uint32_t get_u32(rbuf *r) {
    uint32_t v = 0;
    const void *q = get(r, sizeof v);
    if (q)
        memcpy(&v, q, sizeof v);
    return v;
}
static int64_t get_i64(rbuf *r) {
    int64_t v = 0;
    const void *q = get(r, sizeof v);
    if (q)
        memcpy(&v, q, sizeof v);
    return v;
}
static double get_f64(rbuf *r) {
    double v = 0;
    const void *q = get(r, sizeof v);
    if (q)
        memcpy(&v, q, sizeof v);
    return v;
}
/* A length-prefixed string compared with want (NULL: skipped); false when it differs. */
static bool get_str_is(rbuf *r, const char *want, char *copy, size_t copy_len) {
    uint32_t n = get_u32(r);
    const char *s = get(r, n);
    if (!s)
        return false;
    if (copy)
        snprintf(copy, copy_len, "%.*s", (int)n, s);
    return !want || (strlen(want) == n && memcmp(s, want, n) == 0);
}

/* ---- the state ---------------------------------------------------------------------------------------------- */

static void put_state(wbuf *b, const et_train_state *s) {
    put_i64(b, s->epochs_done), put_i64(b, s->step_in_epoch), put_i64(b, s->global_step);
    put_f64(b, s->first_loss), put_f64(b, s->sum_loss), put_f64(b, s->sum_kd), put_f64(b, s->sum_ce);
    put_f64(b, s->sum_seconds);
    put_i64(b, s->sum_samples), put_i64(b, s->sum_agree), put_i64(b, s->sum_correct), put_i64(b, s->sum_labelled);
    put_u32(b, (uint32_t)s->n_history);
    for (int i = 0; i < s->n_history; i++) {
        const et_epoch_record *e = &s->history[i];
        put_i64(b, e->epoch), put_i64(b, e->steps), put_i64(b, e->samples);
        const double f[] = {e->loss,     e->kd, e->ce,       e->train_agree, e->train_acc,    e->eval_agree,
                            e->eval_acc, e->lr, e->sparsity, e->seconds,     e->samples_per_s};
        for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
            put_f64(b, f[k]);
    }
    put_str(b, s->run_uuid);
}

static void get_state(rbuf *r, uint32_t version, et_train_state *s) {
    memset(s, 0, sizeof *s);
    s->epochs_done = (int)get_i64(r), s->step_in_epoch = get_i64(r), s->global_step = get_i64(r);
    s->first_loss = get_f64(r), s->sum_loss = get_f64(r), s->sum_kd = get_f64(r), s->sum_ce = get_f64(r);
    s->sum_seconds = get_f64(r);
    s->sum_samples = get_i64(r), s->sum_agree = get_i64(r), s->sum_correct = get_i64(r);
    s->sum_labelled = get_i64(r);
    uint32_t n = get_u32(r);
    if (n > ET_TRAIN_MAX_EPOCHS) {
        r->bad = true;
        return;
    }
    s->n_history = (int)n;
    for (uint32_t i = 0; i < n; i++) {
        et_epoch_record *e = &s->history[i];
        e->epoch = (int)get_i64(r), e->steps = get_i64(r), e->samples = get_i64(r);
        double *f[] = {&e->loss,     &e->kd, &e->ce,       &e->train_agree, &e->train_acc,    &e->eval_agree,
                       &e->eval_acc, &e->lr, &e->sparsity, &e->seconds,     &e->samples_per_s};
        for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
            *f[k] = get_f64(r);
    }
    if (version >= 2)
        get_str_is(r, NULL, s->run_uuid, sizeof s->run_uuid);
}

/* ---- writing ------------------------------------------------------------------------------------------------ */

static void encode(wbuf *b, const char *tag, et_tnet *net, et_optim *opt, const et_train_state *st) {
    put(b, magic, MAGIC_LEN);
    put_u32(b, VERSION);
    put_str(b, tag ? tag : "");
    put_state(b, st);
    put_u32(b, (uint32_t)et_tnet_n_params(net));
    put_u32(b, (uint32_t)et_optim_slots(opt));
    for (int i = 0; i < et_tnet_n_params(net); i++) {
        et_tparam *p = et_tnet_param(net, i);
        put_str(b, p->name);
        put_i64(b, p->numel);
        put(b, p->w, (size_t)p->numel * sizeof(float));
        put_u32(b, p->mask != NULL);
        if (p->mask)
            put(b, p->mask, (size_t)p->numel);
        for (int s = 0; s < et_optim_slots(opt); s++)
            put(b, et_optim_state(opt, i, s), (size_t)p->numel * sizeof(float));
    }
    put_i64(b, *et_optim_steps(opt));
    put_u32(b, (uint32_t)et_tnet_n_buffers(net));
    for (int i = 0; i < et_tnet_n_buffers(net); i++) {
        et_tbuffer *t = et_tnet_buffer(net, i);
        put_str(b, t->name);
        put_i64(b, t->numel);
        put(b, t->data, (size_t)t->numel * sizeof(float));
    }
    put_u32(b, (uint32_t)et_tnet_n_act_ranges(net));
    for (int i = 0; i < et_tnet_n_act_ranges(net); i++)
        put(b, et_tnet_act_range(net, i), 2 * sizeof(float));
    uint8_t sum[32];
    et_sha256 h;
    et_sha256_init(&h);
    et_sha256_update(&h, b->p, b->failed ? 0 : b->len);
    et_sha256_final(&h, sum);
    put(b, sum, sizeof sum);
}

static et_status write_file(const char *path, const wbuf *b, et_err *err) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return et_fail(err, errno == EACCES ? ET_E_PERMISSION : ET_E_IO, "checkpoint %s: cannot write: %s", path,
                       strerror(errno));
    size_t done = 0;
    while (done < b->len) {
        ssize_t w = write(fd, b->p + done, b->len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    int e = done == b->len ? 0 : (errno ? errno : ENOSPC);
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        return et_fail(err, ET_E_IO, "checkpoint %s: write failed: %s (the previous checkpoint is unchanged)", path,
                       strerror(e));
    }
    return ET_OK;
}

et_status et_checkpoint_write(const char *path, const char *tag, et_tnet *net, et_optim *opt, const et_train_state *st,
                              et_err *err) {
    wbuf b = {0};
    encode(&b, tag, net, opt, st);
    et_status s = b.failed ? et_fail(err, ET_E_NOMEM, "out of memory writing checkpoint %s", path)
                           : write_file(path, &b, err);
    free(b.p);
    return s;
}

/* ---- reading ------------------------------------------------------------------------------------------------ */

static et_status read_file(const char *path, unsigned char **data, size_t *len, et_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return et_fail(err, ET_E_IO, "checkpoint %s: cannot read: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    unsigned char *p = malloc(cap);
    while (p) {
        size_t r = fread(p + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        unsigned char *q = realloc(p, cap * 2);
        if (!q) {
            free(p);
            p = NULL;
        }
        p = q, cap *= 2;
    }
    bool failed = ferror(f);
    fclose(f);
    if (!p || failed) {
        free(p);
        return et_fail(err, p ? ET_E_IO : ET_E_NOMEM, "checkpoint %s: cannot read it", path);
    }
    *data = p, *len = n;
    return ET_OK;
}

static et_status bad(const char *path, const char *what, et_err *err) {
    return et_fail(err, ET_E_INPUT, "checkpoint %s: %s; train without --resume to start over", path, what);
}

/* Checks the parameters against the network (names, sizes, slots) without changing anything. */
/* The refusal of a checkpoint tagged for other settings: only the words that differ when the two tags line up
 * (a long tag would hide them), both whole tags otherwise. Returns ET_E_INPUT. */
static et_status other_settings(const char *path, const char *was, const char *now, et_err *err) {
    char a[256], b[256];
    if (et_words_diff(was, now, a, b, sizeof a))
        return et_fail(err, ET_E_INPUT,
                       "checkpoint %s was made for other settings (%s, where these have %s); train without --resume "
                       "to start over, or give the same model, knobs, data and settings",
                       path, a, b);
    return et_fail(err, ET_E_INPUT,
                   "checkpoint %s was made for other settings (%s), not these (%s); train without --resume to start "
                   "over, or give the same model, knobs, data and settings",
                   path, was, now);
}

static bool params_fit(rbuf r, et_tnet *net, et_optim *opt) {
    if (get_u32(&r) != (uint32_t)et_tnet_n_params(net) || get_u32(&r) != (uint32_t)et_optim_slots(opt))
        return false;
    for (int i = 0; i < et_tnet_n_params(net) && !r.bad; i++) {
        et_tparam *p = et_tnet_param(net, i);
        if (!get_str_is(&r, p->name, NULL, 0) || get_i64(&r) != p->numel)
            return false;
        get(&r, (size_t)p->numel * sizeof(float));
        if (get_u32(&r))
            get(&r, (size_t)p->numel);
        get(&r, (size_t)p->numel * sizeof(float) * (size_t)et_optim_slots(opt));
    }
    return !r.bad;
}

static void load_params(rbuf *r, et_tnet *net, et_optim *opt, et_err *err) {
    get_u32(r), get_u32(r);
    for (int i = 0; i < et_tnet_n_params(net); i++) {
        et_tparam *p = et_tnet_param(net, i);
        get_str_is(r, NULL, NULL, 0);
        get_i64(r);
        memcpy(p->w, get(r, (size_t)p->numel * sizeof(float)), (size_t)p->numel * sizeof(float));
        if (get_u32(r))
            et_tnet_set_mask(net, i, get(r, (size_t)p->numel), err);
        else
            et_tnet_set_mask(net, i, NULL, err);
        for (int s = 0; s < et_optim_slots(opt); s++)
            memcpy(et_optim_state(opt, i, s), get(r, (size_t)p->numel * sizeof(float)),
                   (size_t)p->numel * sizeof(float));
    }
    *et_optim_steps(opt) = get_i64(r);
}

et_status et_checkpoint_read(const char *path, const char *tag, et_tnet *net, et_optim *opt, et_train_state *st,
                             et_err *err) {
    unsigned char *data = NULL;
    size_t len = 0;
    et_status s = read_file(path, &data, &len, err);
    if (s != ET_OK)
        return s;
    uint8_t sum[32];
    et_sha256 h;
    et_sha256_init(&h);
    et_sha256_update(&h, data, len >= 32 ? len - 32 : 0);
    et_sha256_final(&h, sum);
    rbuf r = {.p = data, .len = len >= 32 ? len - 32 : 0};
    char other[1024] = ""; /* the tag the file was made for (train_job.c writes up to 1 KiB) */
    uint32_t version = 0;
    const void *m = get(&r, MAGIC_LEN);
    if (len < 32 + MAGIC_LEN || !m || memcmp(m, magic, MAGIC_LEN) != 0)
        s = bad(path, "not an edgetune checkpoint", err);
    else if (memcmp(sum, data + len - 32, 32) != 0)
        s = bad(path, "damaged (its checksum does not match)", err);
    else if ((version = get_u32(&r)) < 1 || version > VERSION)
        s = bad(path, "written by another version of edgetune", err);
    else if (!get_str_is(&r, tag ? tag : "", other, sizeof other))
        s = other_settings(path, other, tag ? tag : "", err);
    et_train_state *tmp = s == ET_OK ? malloc(sizeof *tmp) : NULL;
    if (s == ET_OK && !tmp)
        s = et_fail(err, ET_E_NOMEM, "out of memory reading checkpoint %s", path);
    if (s == ET_OK) {
        get_state(&r, version, tmp);
        if (r.bad || !params_fit(r, net, opt))
            s = bad(path, "made for a network with other parameters", err);
    }
    if (s == ET_OK) {
        load_params(&r, net, opt, err);
        uint32_t nb = get_u32(&r);
        for (uint32_t i = 0; i < nb && i < (uint32_t)et_tnet_n_buffers(net) && !r.bad; i++) {
            et_tbuffer *b = et_tnet_buffer(net, (int)i);
            get_str_is(&r, NULL, NULL, 0);
            int64_t n = get_i64(&r);
            const void *q = get(&r, (size_t)n * sizeof(float));
            if (q && n == b->numel)
                memcpy(b->data, q, (size_t)n * sizeof(float));
        }
        uint32_t na = get_u32(&r);
        for (uint32_t i = 0; i < na && i < (uint32_t)et_tnet_n_act_ranges(net) && !r.bad; i++) {
            const void *q = get(&r, 2 * sizeof(float));
            if (q)
                memcpy(et_tnet_act_range(net, (int)i), q, 2 * sizeof(float));
        }
        et_tnet_act_ranges_changed(net);
        et_tnet_weights_changed(net);
        *st = *tmp;
    }
    free(tmp);
    free(data);
    return s;
}
