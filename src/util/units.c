/* units.c: human-readable numbers with units. */
#include "util/units.h"

#include <math.h>
#include <stdio.h>

char *et_fmt_bytes(char *buf, size_t len, double b) {
    static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (fabs(b) >= 1024.0 && i < 4)
        b /= 1024.0, i++;
    if (i == 0)
        snprintf(buf, len, "%.0f B", b);
    else
        snprintf(buf, len, fabs(b) < 10 ? "%.2f %s" : fabs(b) < 100 ? "%.1f %s" : "%.0f %s", b, u[i]);
    return buf;
}

char *et_fmt_count(char *buf, size_t len, double n) {
    static const char *const u[] = {"", " k", " M", " G", " T"};
    int i = 0;
    while (fabs(n) >= 1000.0 && i < 4)
        n /= 1000.0, i++;
    if (i == 0)
        snprintf(buf, len, "%.0f", n);
    else
        snprintf(buf, len, fabs(n) < 10 ? "%.2f%s" : fabs(n) < 100 ? "%.1f%s" : "%.0f%s", n, u[i]);
    return buf;
}

char *et_fmt_ms(char *buf, size_t len, double ms) {
    if (ms >= 1000.0)
        snprintf(buf, len, "%.3g s", ms / 1000.0);
    else if (ms >= 100.0)
        snprintf(buf, len, "%.1f ms", ms);
    else if (ms >= 1.0)
        snprintf(buf, len, "%.2f ms", ms);
    else
        snprintf(buf, len, "%.3f ms", ms);
    return buf;
}
