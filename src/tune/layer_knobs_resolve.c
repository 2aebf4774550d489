/* layer_knobs_resolve.c: each weight layer's knobs under per-layer overrides, for the tune passes
 * (tune_internal.h). A leaf: the passes ask it, it asks none of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/tune_internal.h"

unsigned long long et_tune_layers_hash(const et_knobs *k) {
    if (!k->layers[0])
        return 0;
    unsigned long long h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)k->layers; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

unsigned long long et_tune_layers_prune_hash(const et_knobs *k) {
    unsigned long long h = 1469598103934665603ULL; /* FNV-1a over "pattern prune=.. method=..\n" lines */
    bool any = false;
    for (const char *line = k->layers; *line;) {
        size_t len = strcspn(line, "\n"), name = strcspn(line, " \n");
        bool named = false;
        for (const char *t = line + name; t < line + len;) {
            t += strspn(t, " ");
            size_t tl = strcspn(t, " \n");
            if (tl > 0 && (strncmp(t, "prune=", 6) == 0 || strncmp(t, "method=", 7) == 0)) {
                for (size_t i = 0; !named && i < name; i++)
                    h = (h ^ (unsigned char)line[i]) * 1099511628211ULL;
                named = true;
                for (size_t i = 0; i <= tl; i++) /* with the separator after it */
                    h = (h ^ (unsigned char)(i < tl ? t[i] : ' ')) * 1099511628211ULL;
            }
            t += tl;
        }
        if (named)
            h = (h ^ '\n') * 1099511628211ULL, any = true;
        line += len;
        line += *line == '\n';
    }
    return any ? h : 0;
}

void et_tune_layers_free(et_tune_ctx *c) {
    if (c->lk_name)
        for (int l = 0; l < c->n_lk; l++)
            free(c->lk_name[l]);
    free(c->lk_name);
    free(c->lk);
    c->lk_name = NULL;
    c->lk = NULL;
    c->n_lk = 0;
}

et_status et_tune_layers_resolve(et_tune_ctx *c) {
    et_tune_layers_free(c);
    c->lk = calloc((size_t)c->n_layers + 1, sizeof *c->lk);
    c->lk_name = calloc((size_t)c->n_layers + 1, sizeof *c->lk_name);
    if (!c->lk || !c->lk_name)
        return et_fail(c->err, ET_E_NOMEM, "out of memory resolving per-layer knobs");
    c->n_lk = c->n_layers;
    for (int l = 0; l < c->n_layers; l++) {
        const char *name = c->g->nodes[c->layers[l].node].name;
        bool named = false;
        c->lk[l] = et_knobs_for_layer(c->k, c->ov, c->n_ov, name, NULL, &named);
        if (named)
            c->keep[l] = false;
        if (!(c->lk_name[l] = strdup(name ? name : "")))
            return et_fail(c->err, ET_E_NOMEM, "out of memory resolving per-layer knobs");
    }
    return ET_OK;
}

int et_tune_layer_bits(const et_tune_ctx *c, const et_node *o) {
    if (c->lk && o->name)
        for (int l = 0; l < c->n_lk; l++)
            if (strcmp(c->lk_name[l], o->name) == 0)
                return c->lk[l].weight_bits;
    return c->k->weight_bits;
}
