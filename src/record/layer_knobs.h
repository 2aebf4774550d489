/* layer_knobs.h: per-layer overrides of the knobs. A run's knobs hold them as canonical text
 * (et_knobs.layers), so they travel with the knobs through copies, the tune caches' keys, the database and
 * `show`, and two runs with different overrides never compare equal.
 *
 * One override per line, in order; a later line wins for the keys it sets:
 *
 *     # comment
 *     <layer name or glob> key=value [key=value ...]
 *
 * keys: bits (32 16 8 7 6 5 4 3 2), act-bits (32 8), prune (0 .. 0.95), method (unstructured global nm channel),
 * recover (none bias full). The name is a weight layer's node name (bench --layers lists them), or an fnmatch(3)
 * glob; names with spaces cannot be named. The canonical text is the same form, keys in that order, '\n' between
 * lines, no comments. On the command line `--layer NAME:key=value,key=value` is one line. */
#ifndef ET_RECORD_LAYER_KNOBS_H
#define ET_RECORD_LAYER_KNOBS_H

#include <stdbool.h>
#include <stddef.h>

#include "record/knobs.h"
#include "util/status.h"

enum { ET_LAYER_PATTERN_BYTES = 128, ET_MAX_LAYER_OVERRIDES = 64 };

typedef enum {
    ET_LK_BITS = 1 << 0,
    ET_LK_ACT_BITS = 1 << 1,
    ET_LK_PRUNE = 1 << 2,
    ET_LK_METHOD = 1 << 3,
    ET_LK_RECOVER = 1 << 4,
} et_layer_key;

typedef struct et_layer_override {
    char pattern[ET_LAYER_PATTERN_BYTES];
    unsigned set; /* et_layer_key bits: the keys this line sets */
    int weight_bits, act_bits;
    float prune_ratio;
    et_prune_method prune_method;
    et_recover recover;
} et_layer_override;

/* Appends the overrides of a `--layer NAME:key=value,...` flag. ET_E_USAGE with one line naming the flag, the
 * key or the value otherwise (k unchanged). */
et_status et_knobs_add_layer_spec(et_knobs *k, const char *spec, et_err *err);

/* Appends the overrides of a --layers-config file (format above). ET_E_IO when it cannot be read, ET_E_USAGE
 * naming FILE:LINE and the key or value that is wrong (k unchanged). */
et_status et_knobs_load_layers_config(et_knobs *k, const char *path, et_err *err);

/* Parses k->layers into out (at most max). Returns the count; -1 (with err) when the text is not canonical
 * (a database written by hand). */
int et_knobs_layer_overrides(const et_knobs *k, et_layer_override *out, int max, et_err *err);

/* Makes o (o->pattern a layer's exact name; o->set the keys it sets) that layer's one exact-name line: any line
 * naming exactly o->pattern is dropped and, when o->set is not 0, o is appended last (so it wins over globs);
 * o->set 0 only removes. Other lines keep their order. ET_E_USAGE naming the layer when the overrides would not fit
 * (k unchanged). The workbench's layers view edits a layer this way. */
et_status et_knobs_set_layer(et_knobs *k, const et_layer_override *o, et_err *err);

/* True when k carries per-layer overrides. */
bool et_knobs_has_layers(const et_knobs *k);

/* True when pattern (a name or an fnmatch(3) glob) names the layer `name`. */
bool et_layer_pattern_matches(const char *pattern, const char *name);

/* The knobs that layer `name` runs with: k with every matching override applied in order (layers text empty).
 * *set receives the keys some override set for it, *named whether an override names it exactly (not by a
 * glob): such a layer is compressed even when it is the first or last layer. */
et_knobs et_knobs_for_layer(const et_knobs *k, const et_layer_override *ov, int n, const char *name, unsigned *set,
                            bool *named);

/* What the overrides change against the model-wide knobs, one "; "-separated item per line, e.g.
 * "conv1: bits 4 (model 8), prune 0.5 (model 0)"; "" without overrides. Returns buf. */
char *et_knobs_layers_describe(const et_knobs *k, char *buf, size_t len);

#endif
