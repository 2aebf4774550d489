/* units.h: numbers for people: every formatted value carries its unit. Each returns buf. */
#ifndef ET_UTIL_UNITS_H
#define ET_UTIL_UNITS_H

#include <stddef.h>
#include <stdint.h>

char *et_fmt_bytes(char *buf, size_t len, double bytes); /* "512 B", "1.6 KiB", "4.9 MiB", "1.2 GiB" */
char *et_fmt_count(char *buf, size_t len, double n);     /* "950", "12.3 k", "1.23 M", "4.1 G" */
char *et_fmt_ms(char *buf, size_t len, double ms);       /* "0.512 ms", "12.3 ms", "1.23 s" */

#endif
