/* layer_knobs.c: parsing, canonical text and resolution of per-layer knob overrides (layer_knobs.h). */
#include "record/layer_knobs.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char key_help[] = "keys: bits, act-bits, prune, method, recover";

/* Parses one key=value (value NUL-terminated, key of key_len bytes) into o. `where` names the flag or FILE:LINE. */
static et_status parse_pair(const char *key, size_t key_len, const char *value, const char *where, et_layer_override *o,
                            et_err *err) {
#define KEY_IS(s) (key_len == strlen(s) && strncmp(key, s, key_len) == 0)
    char *end = NULL;
    if (KEY_IS("bits")) {
        long b = strtol(value, &end, 10);
        bool ok = false;
#define ET_X(v) ok |= b == (v);
        ET_WEIGHT_BITS_LIST(ET_X)
#undef ET_X
        if (!*value || *end || !ok)
            return et_fail(err, ET_E_USAGE, "%s: bits=%s: weight bits must be one of 32 16 8 7 6 5 4 3 2", where,
                           value);
        o->weight_bits = (int)b;
        o->set |= ET_LK_BITS;
    } else if (KEY_IS("act-bits")) {
        long b = strtol(value, &end, 10);
        if (!*value || *end || (b != 32 && b != 8))
            return et_fail(err, ET_E_USAGE, "%s: act-bits=%s: activation bits must be 32 or 8", where, value);
        o->act_bits = (int)b;
        o->set |= ET_LK_ACT_BITS;
    } else if (KEY_IS("prune")) {
        errno = 0;
        double r = strtod(value, &end);
        if (!*value || *end || errno || !(r >= 0.0 && r <= 0.95))
            return et_fail(err, ET_E_USAGE, "%s: prune=%s: the ratio must be between 0 and 0.95", where, value);
        o->prune_ratio = (float)r;
        o->set |= ET_LK_PRUNE;
    } else if (KEY_IS("method")) {
        int m = et_prune_method_parse(value);
        if (m < 0)
            return et_fail(err, ET_E_USAGE, "%s: method=%s: expected unstructured, global, nm or channel", where,
                           value);
        o->prune_method = (et_prune_method)m;
        o->set |= ET_LK_METHOD;
    } else if (KEY_IS("recover")) {
        int r = et_recover_parse(value);
        if (r < 0)
            return et_fail(err, ET_E_USAGE, "%s: recover=%s: expected none, bias or full", where, value);
        o->recover = (et_recover)r;
        o->set |= ET_LK_RECOVER;
    } else {
        return et_fail(err, ET_E_USAGE, "%s: unknown key '%.*s' (%s)", where, (int)key_len, key, key_help);
    }
#undef KEY_IS
    return ET_OK;
}

/* Parses the key=value items of `text`, separated by any of `seps`, into o. */
static et_status parse_pairs(const char *text, const char *seps, const char *where, et_layer_override *o, et_err *err) {
    const char *p = text;
    while (*p) {
        p += strspn(p, seps);
        if (!*p)
            break;
        size_t n = strcspn(p, seps);
        char item[160];
        if (n >= sizeof item)
            return et_fail(err, ET_E_USAGE, "%s: '%.40s...' is too long for key=value", where, p);
        memcpy(item, p, n);
        item[n] = '\0';
        char *eq = strchr(item, '=');
        if (!eq || eq == item)
            return et_fail(err, ET_E_USAGE, "%s: '%s': expected key=value (%s)", where, item, key_help);
        et_status st = parse_pair(item, (size_t)(eq - item), eq + 1, where, o, err);
        if (st != ET_OK)
            return st;
        p += n;
    }
    if (!o->set)
        return et_fail(err, ET_E_USAGE, "%s: no key=value for '%s' (%s)", where, o->pattern, key_help);
    return ET_OK;
}

static et_status set_pattern(et_layer_override *o, const char *name, size_t len, const char *where, et_err *err) {
    if (len == 0)
        return et_fail(err, ET_E_USAGE, "%s: a layer name or glob comes first", where);
    if (len >= sizeof o->pattern)
        return et_fail(err, ET_E_USAGE, "%s: layer name '%.40s...' is longer than %d bytes", where, name,
                       (int)sizeof o->pattern - 1);
    for (size_t i = 0; i < len; i++)
        if (isspace((unsigned char)name[i]) || name[i] == '=')
            return et_fail(err, ET_E_USAGE, "%s: layer name '%.*s' has a space or '='", where, (int)len, name);
    memcpy(o->pattern, name, len);
    o->pattern[len] = '\0';
    return ET_OK;
}

/* The canonical line of o, without a newline. */
static int canonical(const et_layer_override *o, char *buf, size_t len) {
    int w = snprintf(buf, len, "%s", o->pattern);
    if (o->set & ET_LK_BITS)
        w += snprintf(buf + w, len - (size_t)w, " bits=%d", o->weight_bits);
    if (o->set & ET_LK_ACT_BITS)
        w += snprintf(buf + w, len - (size_t)w, " act-bits=%d", o->act_bits);
    if (o->set & ET_LK_PRUNE)
        w += snprintf(buf + w, len - (size_t)w, " prune=%g", (double)o->prune_ratio);
    if (o->set & ET_LK_METHOD)
        w += snprintf(buf + w, len - (size_t)w, " method=%s", et_prune_method_name(o->prune_method));
    if (o->set & ET_LK_RECOVER)
        w += snprintf(buf + w, len - (size_t)w, " recover=%s", et_recover_name(o->recover));
    return w;
}

/* Appends o's canonical line to text (a copy of k->layers). */
static et_status append(char *text, const et_layer_override *o, const char *where, et_err *err) {
    int lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    if (text[0] && lines + 1 >= ET_MAX_LAYER_OVERRIDES)
        return et_fail(err, ET_E_USAGE, "%s: more than %d per-layer overrides", where, ET_MAX_LAYER_OVERRIDES);
    char line[512];
    canonical(o, line, sizeof line);
    size_t have = strlen(text), add = strlen(line) + (have ? 1 : 0);
    if (have + add >= ET_KNOBS_LAYERS_BYTES)
        return et_fail(err, ET_E_USAGE, "%s: the per-layer overrides exceed %d bytes; use globs to name layers", where,
                       ET_KNOBS_LAYERS_BYTES - 1);
    snprintf(text + have, ET_KNOBS_LAYERS_BYTES - have, "%s%s", have ? "\n" : "", line);
    return ET_OK;
}

et_status et_knobs_add_layer_spec(et_knobs *k, const char *spec, et_err *err) {
    char where[200];
    snprintf(where, sizeof where, "--layer '%.150s'", spec);
    const char *colon = strrchr(spec, ':');
    if (!colon)
        return et_fail(err, ET_E_USAGE, "%s: expected NAME:key=value[,key=value...], e.g. conv1:bits=4,prune=0.5",
                       where);
    et_layer_override o = {0};
    et_status st = set_pattern(&o, spec, (size_t)(colon - spec), where, err);
    if (st == ET_OK)
        st = parse_pairs(colon + 1, ",", where, &o, err);
    if (st == ET_OK)
        st = append(k->layers, &o, where, err);
    return st;
}

/* Parses one line of the file or of the canonical text ("" and comments: *got false). */
static et_status parse_line(char *line, const char *where, et_layer_override *o, bool *got, et_err *err) {
    *got = false;
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char *p = line + strspn(line, " \t\r");
    if (!*p || *p == '\n')
        return ET_OK;
    size_t n = strcspn(p, " \t\r\n");
    memset(o, 0, sizeof *o);
    et_status st = set_pattern(o, p, n, where, err);
    if (st == ET_OK && strchr(o->pattern, '=')) /* unreachable: set_pattern refuses '=' */
        st = et_fail(err, ET_E_USAGE, "%s: a layer name comes first", where);
    if (st == ET_OK)
        st = parse_pairs(p + n, " \t\r\n", where, o, err);
    *got = st == ET_OK;
    return st;
}

et_status et_knobs_load_layers_config(et_knobs *k, const char *path, et_err *err) {
    FILE *f = fopen(path, "r");
    if (!f)
        return et_fail(err, ET_E_IO, "--layers-config %s: cannot read it (%s)", path, strerror(errno));
    char text[ET_KNOBS_LAYERS_BYTES];
    memcpy(text, k->layers, sizeof text);
    char line[1024];
    int no = 0;
    et_status st = ET_OK;
    while (st == ET_OK && fgets(line, sizeof line, f)) {
        no++;
        char where[300];
        snprintf(where, sizeof where, "--layers-config %.200s:%d", path, no);
        if (!strchr(line, '\n') && !feof(f)) {
            st = et_fail(err, ET_E_USAGE, "%s: line longer than %d bytes", where, (int)sizeof line - 2);
            break;
        }
        et_layer_override o;
        bool got;
        st = parse_line(line, where, &o, &got, err);
        if (st == ET_OK && got)
            st = append(text, &o, where, err);
    }
    if (st == ET_OK && ferror(f))
        st = et_fail(err, ET_E_IO, "--layers-config %s: read error", path);
    fclose(f);
    if (st == ET_OK)
        memcpy(k->layers, text, sizeof text);
    return st;
}

int et_knobs_layer_overrides(const et_knobs *k, et_layer_override *out, int max, et_err *err) {
    int n = 0;
    const char *p = k->layers;
    while (*p) {
        size_t len = strcspn(p, "\n");
        char line[ET_KNOBS_LAYERS_BYTES];
        memcpy(line, p, len);
        line[len] = '\0';
        et_layer_override o;
        bool got;
        if (parse_line(line, "per-layer overrides", &o, &got, err) != ET_OK)
            return -1;
        if (got) {
            if (n >= max) {
                et_fail(err, ET_E_USAGE, "more than %d per-layer overrides", max);
                return -1;
            }
            out[n++] = o;
        }
        p += len;
        if (*p == '\n')
            p++;
    }
    return n;
}

bool et_knobs_has_layers(const et_knobs *k) { return k->layers[0] != '\0'; }

et_status et_knobs_set_layer(et_knobs *k, const et_layer_override *o, et_err *err) {
    et_layer_override ov[ET_MAX_LAYER_OVERRIDES];
    int n = et_knobs_layer_overrides(k, ov, ET_MAX_LAYER_OVERRIDES, err);
    if (n < 0)
        return ET_E_USAGE;
    /* every other line as it was, in order; the layer's own line (if any) leaves its place and comes last, so it
       wins over any glob that also matches the layer */
    char text[ET_KNOBS_LAYERS_BYTES] = "";
    char where[ET_LAYER_PATTERN_BYTES + 32];
    snprintf(where, sizeof where, "layer '%s'", o->pattern);
    for (int i = 0; i < n; i++) {
        if (strcmp(ov[i].pattern, o->pattern) == 0)
            continue;
        et_status st = append(text, &ov[i], where, err);
        if (st != ET_OK)
            return st;
    }
    if (o->set) {
        et_status st = append(text, o, where, err);
        if (st != ET_OK)
            return st;
    }
    memcpy(k->layers, text, sizeof text);
    return ET_OK;
}


bool et_layer_pattern_matches(const char *pattern, const char *name) {
    return strcmp(pattern, name) == 0 || fnmatch(pattern, name, 0) == 0;
}

et_knobs et_knobs_for_layer(const et_knobs *k, const et_layer_override *ov, int n, const char *name, unsigned *set,
                            bool *named) {
    et_knobs r = *k;
    memset(r.layers, 0, sizeof r.layers);
    unsigned s = 0;
    bool exact = false;
    for (int i = 0; i < n; i++) {
        const et_layer_override *o = &ov[i];
        if (!name || !et_layer_pattern_matches(o->pattern, name))
            continue;
        exact |= strcmp(o->pattern, name) == 0;
        s |= o->set;
        if (o->set & ET_LK_BITS)
            r.weight_bits = o->weight_bits;
        if (o->set & ET_LK_ACT_BITS)
            r.act_bits = o->act_bits;
        if (o->set & ET_LK_PRUNE)
            r.prune_ratio = o->prune_ratio;
        if (o->set & ET_LK_METHOD)
            r.prune_method = o->prune_method;
        if (o->set & ET_LK_RECOVER)
            r.recover = o->recover;
    }
    if (set)
        *set = s;
    if (named)
        *named = exact;
    return r;
}

char *et_knobs_layers_describe(const et_knobs *k, char *buf, size_t len) {
    if (len == 0)
        return buf;
    buf[0] = '\0';
    et_layer_override ov[ET_MAX_LAYER_OVERRIDES];
    int n = et_knobs_layer_overrides(k, ov, ET_MAX_LAYER_OVERRIDES, NULL);
    if (n < 0) {
        snprintf(buf, len, "(unreadable per-layer overrides)");
        return buf;
    }
    size_t w = 0;
    for (int i = 0; i < n && w + 1 < len; i++) {
        const et_layer_override *o = &ov[i];
        char item[512];
        int iw = snprintf(item, sizeof item, "%s:", o->pattern);
        const char *sep = " ";
#define ITEM(...)                                                         \
    do {                                                                  \
        iw += snprintf(item + iw, sizeof item - (size_t)iw, "%s", sep);   \
        iw += snprintf(item + iw, sizeof item - (size_t)iw, __VA_ARGS__); \
        sep = ", ";                                                       \
    } while (0)
        if (o->set & ET_LK_BITS)
            ITEM("bits %d (model %d)", o->weight_bits, k->weight_bits);
        if (o->set & ET_LK_ACT_BITS)
            ITEM("act-bits %d (model %d)", o->act_bits, k->act_bits);
        if (o->set & ET_LK_PRUNE)
            ITEM("prune %g (model %g)", (double)o->prune_ratio, (double)k->prune_ratio);
        if (o->set & ET_LK_METHOD)
            ITEM("method %s (model %s)", et_prune_method_name(o->prune_method), et_prune_method_name(k->prune_method));
        if (o->set & ET_LK_RECOVER)
            ITEM("recover %s (model %s)", et_recover_name(o->recover), et_recover_name(k->recover));
#undef ITEM
        int add = snprintf(buf + w, len - w, "%s%s", w ? "; " : "", item);
        if (add < 0 || (size_t)add >= len - w) {
            if (len > 4)
                snprintf(buf + len - 4, 4, "...");
            break;
        }
        w += (size_t)add;
    }
    return buf;
}
