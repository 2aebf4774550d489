/* table_csv.c: RFC 4180 CSV: one header line, CRLF line ends, a field quoted when it holds a comma, a quote, a
 * line break or leading/trailing space, quotes doubled inside. Every column is written (machine-only ones too);
 * numbers at full precision, missing values as empty fields, booleans as true/false. Titles and notes are not
 * part of CSV's data model and are left out. */
#include <math.h>
#include <string.h>

#include "db/table.h"

static void field(FILE *out, const char *s) {
    size_t n = strlen(s);
    bool quote = n > 0 && (s[0] == ' ' || s[n - 1] == ' ');
    for (const char *p = s; *p && !quote; p++)
        quote = *p == ',' || *p == '"' || *p == '\r' || *p == '\n';
    if (!quote) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

bool et_table_write_csv(const et_table *t, FILE *out) {
    int nc = et_table_n_cols(t), nr = et_table_n_rows(t);
    char buf[1100];
    for (int c = 0; c < nc; c++) {
        const et_table_col *k = et_table_col_at(t, c);
        if (k->unit[0])
            snprintf(buf, sizeof buf, "%s (%s)", k->header, k->unit);
        else
            snprintf(buf, sizeof buf, "%s", k->header);
        if (c)
            fputc(',', out);
        field(out, buf);
    }
    fputs("\r\n", out);
    for (int r = 0; r < nr; r++) {
        for (int c = 0; c < nc; c++) {
            if (c)
                fputc(',', out);
            const char *text = et_table_text_at(t, r, c);
            if (text) {
                field(out, text);
                continue;
            }
            double v = et_table_num_at(t, r, c);
            if (isnan(v))
                continue;
            if (et_table_col_at(t, c)->kind == ET_COL_BOOL)
                fputs(v != 0 ? "true" : "false", out);
            else {
                et_table_num_machine(v, buf, sizeof buf);
                fputs(buf, out);
            }
        }
        fputs("\r\n", out);
    }
    return !ferror(out);
}
