/* train_record.c: lifetime of et_train_record and the names of training kinds. */
#include "record/train_record.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
#define ET_X(e, s) s,
    ET_TRAIN_KIND_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof kind_names / sizeof kind_names[0] == ET_TRAIN_KIND_COUNT, "training kind names");

const char *et_train_kind_name(et_train_kind k) { return (unsigned)k < ET_TRAIN_KIND_COUNT ? kind_names[k] : "?"; }

int et_train_kind_parse(const char *s) {
    for (int i = 0; i < ET_TRAIN_KIND_COUNT; i++)
        if (strcmp(s, kind_names[i]) == 0)
            return i;
    return -1;
}

void et_train_record_init(et_train_record *t) {
    memset(t, 0, sizeof *t);
    t->acc_fp32 = t->acc_before = t->acc_after = -1.0;
    t->agree_before = t->agree_after = -1.0;
}

void et_train_record_free(et_train_record *t) {
    free(t->epoch);
    t->epoch = NULL;
    t->n_epochs = 0;
}

bool et_train_record_add_epoch(et_train_record *t, const et_train_epoch *e) {
    et_train_epoch *p = realloc(t->epoch, (size_t)(t->n_epochs + 1) * sizeof *p);
    if (!p)
        return false;
    t->epoch = p;
    t->epoch[t->n_epochs++] = *e;
    return true;
}
