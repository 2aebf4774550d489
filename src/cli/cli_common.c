/* cli_common.c: error reporting and strict flag-value parsing shared by every subcommand. */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int et_cli_usage_error(const char *cmd, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "edgetune %s: %s; see 'edgetune %s --help'\n", cmd, msg, cmd);
    else
        fprintf(stderr, "edgetune: %s; see 'edgetune --help'\n", msg);
    return 2;
}

void et_cli_note(const char *note) {
    if (note && note[0])
        fprintf(stderr, "edgetune: %s\n", note);
}

int et_cli_report(const et_err *err) {
    fprintf(stderr, "edgetune: %s\n", err->msg[0] ? err->msg : et_status_text(err->status));
    return et_status_exit_code(err->status);
}

bool et_cli_parse_long(const char *cmd, const char *flag, const char *s, long min, long max, long *out) {
    char *end = NULL;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || v < min || v > max) {
        et_cli_usage_error(cmd, "%s '%s': expected a whole number from %ld to %ld", flag, s ? s : "", min, max);
        return false;
    }
    *out = v;
    return true;
}

bool et_cli_parse_double(const char *cmd, const char *flag, const char *s, double min, double max, double *out) {
    char *end = NULL;
    errno = 0;
    double v = s ? strtod(s, &end) : 0;
    if (!s || !*s || *end || errno || !isfinite(v) || v < min || v > max) {
        et_cli_usage_error(cmd, "%s '%s': expected a number from %g to %g", flag, s ? s : "", min, max);
        return false;
    }
    *out = v;
    return true;
}

bool et_cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    }
    return false;
}
