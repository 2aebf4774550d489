/* strmap.h: a string -> int map (open addressing, FNV-1a) for name lookups such as tensor name -> value index.
 * Keys are borrowed: the caller keeps them alive as long as the map. */
#ifndef ET_UTIL_STRMAP_H
#define ET_UTIL_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct et_strmap {
    const char **keys;
    int *vals;
    size_t cap, count;
} et_strmap;

void et_strmap_init(et_strmap *m);
/* Inserts or replaces; returns false on out-of-memory. */
bool et_strmap_put(et_strmap *m, const char *key, int val);
/* Returns the value, or -1 when absent. */
int et_strmap_get(const et_strmap *m, const char *key);
void et_strmap_free(et_strmap *m);

#endif
