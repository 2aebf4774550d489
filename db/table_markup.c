/* table_markup.c: the two markup writers. LaTeX: a booktabs table (\usepackage{booktabs} in the preamble) in a
 * table float with the title as caption and the notes below, every special character escaped, ratios with
 * $\times$. HTML: a small well-formed HTML5 document (it also parses as XML) with one <table>: <caption>,
 * <thead>, <tbody>; number cells carry their exact value in data-value; text is escaped (& < > " '). */
#include <math.h>
#include <string.h>

#include "db/table.h"

enum { CELL_MAX = 1024 };

static void latex_text(FILE *out, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '\\': fputs("\\textbackslash{}", out); break;
        case '{':
        case '}':
        case '&':
        case '%':
        case '$':
        case '#':
        case '_': fputc('\\', out), fputc(*s, out); break;
        case '~': fputs("\\textasciitilde{}", out); break;
        case '^': fputs("\\textasciicircum{}", out); break;
        case '<': fputs("\\textless{}", out); break;
        case '>': fputs("\\textgreater{}", out); break;
        case '\n':
        case '\r': fputc(' ', out); break;
        default: fputc(*s, out);
        }
    }
}

static void latex_cell(FILE *out, const et_table *t, int r, int c) {
    char buf[CELL_MAX];
    et_table_cell_human(t, r, c, buf, sizeof buf);
    const et_table_col *k = et_table_col_at(t, c);
    const char *s = buf;
    bool number = !et_table_text_at(t, r, c) && !isnan(et_table_num_at(t, r, c));
    if (number && (*s == '-' || *s == '+')) { /* a real minus sign, not a hyphen */
        fputs(*s == '-' ? "$-$" : "$+$", out);
        s++;
    }
    char *x = number && k->kind == ET_COL_RATIO ? strchr(s, 'x') : NULL;
    if (x) {
        *x = '\0';
        latex_text(out, s);
        fputs("$\\times$", out);
        latex_text(out, x + 1);
    } else {
        latex_text(out, s);
    }
}

bool et_table_write_latex(const et_table *t, FILE *out) {
    int nc = et_table_n_cols(t), nr = et_table_n_rows(t);
    char buf[CELL_MAX];
    fputs("% made by edgetune; needs \\usepackage{booktabs}\n\\begin{table}[htbp]\n  \\centering\n", out);
    if (et_table_title(t)) {
        fputs("  \\caption{", out);
        latex_text(out, et_table_title(t));
        fputs("}\n", out);
    }
    fputs("  \\begin{tabular}{", out);
    for (int c = 0; c < nc; c++)
        if (!et_table_col_at(t, c)->machine_only)
            fputc(et_table_col_at(t, c)->kind == ET_COL_TEXT ? 'l' : 'r', out);
    fputs("}\n    \\toprule\n", out);
    for (int r = -1; r < nr; r++) {
        fputs("    ", out);
        bool first = true;
        for (int c = 0; c < nc; c++) {
            const et_table_col *k = et_table_col_at(t, c);
            if (k->machine_only)
                continue;
            if (!first)
                fputs(" & ", out);
            first = false;
            if (r < 0) {
                et_table_header_human(k, buf, sizeof buf);
                latex_text(out, buf);
            } else {
                latex_cell(out, t, r, c);
            }
        }
        fputs(" \\\\\n", out);
        if (r < 0)
            fputs("    \\midrule\n", out);
    }
    fputs("    \\bottomrule\n  \\end{tabular}\n", out);
    for (int i = 0; i < et_table_n_notes(t); i++) {
        fputs(i == 0 ? "  \\par\\smallskip\n" : "", out);
        fputs("  {\\footnotesize ", out);
        latex_text(out, et_table_note(t, i));
        fputs("}\\par\n", out);
    }
    fputs("\\end{table}\n", out);
    return !ferror(out);
}

static void html_text(FILE *out, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
                fputc(' ', out); /* control characters are not allowed in HTML or XML text */
            else
                fputc(*s, out);
        }
    }
}

bool et_table_write_html(const et_table *t, FILE *out) {
    int nc = et_table_n_cols(t), nr = et_table_n_rows(t);
    char buf[CELL_MAX];
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>", out);
    html_text(out, et_table_title(t) ? et_table_title(t) : "edgetune");
    fputs("</title>\n<style>table{border-collapse:collapse}th,td{padding:2px 8px}td.num{text-align:right}"
          "thead th{border-bottom:1px solid}</style>\n</head>\n<body>\n",
          out);
    if (et_table_html_figures(t))
        fputs(et_table_html_figures(t), out); /* the report's pictures: already HTML */
    fputs("<table>\n", out);
    if (et_table_title(t)) {
        fputs("<caption>", out);
        html_text(out, et_table_title(t));
        fputs("</caption>\n", out);
    }
    fputs("<thead>\n<tr>", out);
    for (int c = 0; c < nc; c++) {
        const et_table_col *k = et_table_col_at(t, c);
        if (k->machine_only)
            continue;
        et_table_header_human(k, buf, sizeof buf);
        fputs("<th scope=\"col\" data-key=\"", out);
        html_text(out, k->key);
        fputs("\">", out);
        html_text(out, buf);
        fputs("</th>", out);
    }
    fputs("</tr>\n</thead>\n<tbody>\n", out);
    for (int r = 0; r < nr; r++) {
        fputs("<tr>", out);
        for (int c = 0; c < nc; c++) {
            const et_table_col *k = et_table_col_at(t, c);
            if (k->machine_only)
                continue;
            et_table_cell_human(t, r, c, buf, sizeof buf);
            double v = et_table_num_at(t, r, c);
            if (et_table_text_at(t, r, c) || k->kind == ET_COL_TEXT) {
                fputs("<td>", out);
            } else if (isnan(v)) {
                fputs("<td class=\"num na\">", out);
            } else {
                char num[64];
                et_table_num_machine(v, num, sizeof num);
                fprintf(out, "<td class=\"num\" data-value=\"%s\">", num);
            }
            html_text(out, buf);
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
    for (int i = 0; i < et_table_n_notes(t); i++) {
        fputs("<p class=\"note\">", out);
        html_text(out, et_table_note(t, i));
        fputs("</p>\n", out);
    }
    fputs("</body>\n</html>\n", out);
    return !ferror(out);
}
