/* tune_cache.c: et_tune_cache, keyed blobs that calibrate.c and speed_guard.c reuse across knob changes (see
 * tune_cache.h). A linear list: a session holds a few dozen keys at most. */
#include "tune/tune_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cache_entry {
    char key[192];
    void *data;
    size_t bytes;
};

struct et_tune_cache {
    struct cache_entry *e;
    int n, cap;
};

et_tune_cache *et_tune_cache_new(void) { return calloc(1, sizeof(et_tune_cache)); }

void et_tune_cache_free(et_tune_cache *c) {
    if (!c)
        return;
    for (int i = 0; i < c->n; i++)
        free(c->e[i].data);
    free(c->e);
    free(c);
}

const void *et_tune_cache_get(const et_tune_cache *c, const char *key, size_t *bytes) {
    for (int i = 0; c && i < c->n; i++)
        if (strcmp(c->e[i].key, key) == 0) {
            if (bytes)
                *bytes = c->e[i].bytes;
            return c->e[i].data;
        }
    return NULL;
}

bool et_tune_cache_put(et_tune_cache *c, const char *key, const void *data, size_t bytes) {
    if (!c)
        return false;
    void *copy = malloc(bytes ? bytes : 1);
    if (!copy)
        return false;
    memcpy(copy, data, bytes);
    return et_tune_cache_put_owned(c, key, copy, bytes);
}

bool et_tune_cache_put_owned(et_tune_cache *c, const char *key, void *copy, size_t bytes) {
    if (!c) {
        free(copy);
        return false;
    }
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->e[i].key, key) == 0) {
            free(c->e[i].data);
            c->e[i].data = copy;
            c->e[i].bytes = bytes;
            return true;
        }
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 16;
        struct cache_entry *e = realloc(c->e, (size_t)cap * sizeof *e);
        if (!e) {
            free(copy);
            return false;
        }
        c->e = e;
        c->cap = cap;
    }
    snprintf(c->e[c->n].key, sizeof c->e[c->n].key, "%s", key);
    c->e[c->n].data = copy;
    c->e[c->n].bytes = bytes;
    c->n++;
    return true;
}

void et_tune_cache_trim(et_tune_cache *c, const char *prefix, size_t max_bytes, size_t incoming) {
    if (!c)
        return;
    size_t plen = strlen(prefix);
    for (;;) {
        size_t total = incoming;
        int oldest = -1;
        for (int i = 0; i < c->n; i++)
            if (strncmp(c->e[i].key, prefix, plen) == 0) {
                total += c->e[i].bytes;
                if (oldest < 0)
                    oldest = i; /* entries are kept in insertion order */
            }
        if (total <= max_bytes || oldest < 0)
            return;
        free(c->e[oldest].data);
        memmove(&c->e[oldest], &c->e[oldest + 1], (size_t)(c->n - oldest - 1) * sizeof c->e[0]);
        c->n--;
    }
}
