/* err.c: filling et_err records. */
#include "util/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

et_status et_fail(et_err *err, et_status status, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

void et_err_prefix(et_err *err, const char *fmt, ...) {
    if (!err)
        return;
    char prefix[ET_ERR_MSG_MAX], old[ET_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s%s", prefix, old);
}

static const int exit_codes[] = {
#define ET_X(name, code, text) code,
    ET_STATUS_LIST(ET_X)
#undef ET_X
};
static const char *const texts[] = {
#define ET_X(name, code, text) text,
    ET_STATUS_LIST(ET_X)
#undef ET_X
};
_Static_assert(sizeof exit_codes / sizeof exit_codes[0] == ET_STATUS_COUNT, "one exit code per status");

int et_status_exit_code(et_status status) { return (unsigned)status < ET_STATUS_COUNT ? exit_codes[status] : 1; }

const char *et_status_text(et_status status) {
    return (unsigned)status < ET_STATUS_COUNT ? texts[status] : "unknown status";
}
