/* layer_knobs_resolve.c: each weight layer's knobs under per-layer overrides, for the tune passes
 * (tune_internal.h). A leaf: the passes ask it, it asks none of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/tune_internal.h"
#include "util/fnv.h"

unsigned long long et_tune_layers_hash(const et_knobs *k) {
    if (!k->layers[0])
        return 0;
    return et_fnv64(ET_FNV64_INIT, k->layers, strlen(k->layers));
}

unsigned long long et_tune_layers_prune_hash(const et_knobs *k) {
    uint64_t h = ET_FNV64_INIT; /* FNV-1a over "pattern prune=.. method=..\n" lines */
    bool any = false;
    for (const char *line = k->layers; *line;) {
        size_t len = strcspn(line, "\n"), name = strcspn(line, " \n");
        bool named = false;
        for (const char *t = line + name; t < line + len;) {
            t += strspn(t, " ");
            size_t tl = strcspn(t, " \n");
            if (tl > 0 && (strncmp(t, "prune=", 6) == 0 || strncmp(t, "method=", 7) == 0)) {
                if (!named)
                    h = et_fnv64(h, line, name);
                named = true;
                h = et_fnv64(et_fnv64(h, t, tl), " ", 1); /* with the separator after it */
            }
            t += tl;
        }
        if (named)
            h = et_fnv64(h, "\n", 1), any = true;
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
