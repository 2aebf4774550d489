/* status.h: status codes and the error record every fallible function fills.
 *
 * Functions that can fail return et_status and take an `et_err *err` last. On failure they write one line into
 * err->msg that names the thing (file, byte offset, node, flag) and says what to do, and return the code; on
 * success they leave err untouched. `err` may be NULL when the caller does not want the text.
 * The codes map to the CLI's exit codes: bad usage or bad input -> 2, failure while running -> 1. */
#ifndef ET_UTIL_STATUS_H
#define ET_UTIL_STATUS_H

#include <stddef.h>

/* X(name, exit_code, short description) */
#define ET_STATUS_LIST(X)                                                               \
    X(ET_OK, 0, "ok")                                                                   \
    X(ET_E_USAGE, 2, "bad usage")         /* wrong flag or value */                     \
    X(ET_E_INPUT, 2, "bad input")         /* malformed file, model or database */       \
    X(ET_E_UNSUPPORTED, 2, "unsupported") /* valid, but not something edgetune does */  \
    X(ET_E_IO, 2, "i/o error")            /* cannot read/write a path the user named */ \
    X(ET_E_PERMISSION, 2, "permission denied")                                          \
    X(ET_E_NOMEM, 1, "out of memory")                                                   \
    X(ET_E_RUNTIME, 1, "runtime failure") /* failed while running */                    \
    X(ET_E_CANCELLED, 1, "cancelled")     /* stopped on request (knob change, signal) */

typedef enum {
#define ET_X(name, code, text) name,
    ET_STATUS_LIST(ET_X)
#undef ET_X
        ET_STATUS_COUNT
} et_status;

enum { ET_ERR_MSG_MAX = 512 };

typedef struct et_err {
    et_status status;
    char msg[ET_ERR_MSG_MAX];
} et_err;

/* Records status and a printf-formatted message into err (when not NULL); returns status, so that
 * `return et_fail(err, ET_E_INPUT, "%s: truncated at byte %zu", path, off);` reads naturally. */
et_status et_fail(et_err *err, et_status status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefixes the message already in err with a printf-formatted context ("model.onnx: " + msg). */
void et_err_prefix(et_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The process exit code for a status (0, 1 or 2). */
int et_status_exit_code(et_status status);

/* A static, human-readable name for a status. */
const char *et_status_text(et_status status);

#endif
