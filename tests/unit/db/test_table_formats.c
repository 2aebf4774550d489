/* test_table_formats.c: every export format is read back and checked: CSV with an RFC 4180 reader, JSON with a
 * strict parser, HTML as well-formed XML, LaTeX and Markdown by structure and escaping, the terminal table by
 * column alignment; numbers must come back exactly (machine formats) or as the human text (others). -o writes
 * atomically: a failed write leaves the old file as it was. */
#include "db/table.h"
#include "db_test_util.h"
#include "et_test.h"
#include "parse_back.h"

enum { C_RUN, C_UUID, C_LABEL, C_P50, C_SPEED, C_DELTA, C_BASE, C_N };

static const char *const labels[] = {
    "plain",
    "comma, \"quotes\" and\nnewline",
    "pipe | and $x_1^2$ & 100% #1 {a} ~ \\ <b>&amp;</b> 'q'",
    "unicode: Jetson Orin \xe2\x80\x94 \xce\x94 acc",
    " padded ",
};
enum { N_ROWS = 5 };
static const double p50[N_ROWS] = {12.5, 0.000123, 1234567.891, NAN, 3.14159265358979};
static const double speed[N_ROWS] = {1.0, 2.5, 0.4, NAN, 1.001};
static const double delta[N_ROWS] = {0.0, -0.4, 1.25, NAN, -0.001};

static et_table *make(bool ascii_only) {
    et_table *t = et_table_new("Compare: ResNet-50 -> MobileNetV3 & friends <test>");
    const et_table_col cols[C_N] = {
        [C_RUN] = {.key = "run", .header = "run", .kind = ET_COL_INT},
        [C_UUID] = {.key = "uuid", .header = "uuid", .kind = ET_COL_TEXT, .machine_only = true},
        [C_LABEL] = {.key = "label", .header = "label", .kind = ET_COL_TEXT},
        [C_P50] = {.key = "latency_p50_ms",
                   .header = "p50",
                   .unit = "ms",
                   .kind = ET_COL_REAL,
                   .decimals = 2,
                   .better = ET_BETTER_LOWER},
        [C_SPEED] = {.key = "speedup",
                     .header = "speed-up",
                     .unit = "x",
                     .kind = ET_COL_RATIO,
                     .decimals = 2,
                     .better = ET_BETTER_HIGHER,
                     .up_word = "faster",
                     .down_word = "slower"},
        [C_DELTA] =
            {.key = "accuracy_delta_pp", .header = "accuracy delta", .unit = "pp", .kind = ET_COL_DELTA, .decimals = 2},
        [C_BASE] = {.key = "baseline", .header = "base", .kind = ET_COL_BOOL},
    };
    for (int c = 0; c < C_N; c++)
        ET_CHECK_INT(et_table_add_col(t, &cols[c]), c);
    for (int r = 0; r < N_ROWS; r++) {
        ET_CHECK_INT(et_table_add_row(t), r);
        char u[40];
        snprintf(u, sizeof u, "uuid-%d", r);
        et_table_set_num(t, r, C_RUN, r + 10);
        et_table_set_text(t, r, C_UUID, u);
        et_table_set_text(t, r, C_LABEL, ascii_only ? (r == 3 ? "ascii" : "x") : labels[r]);
        et_table_set_num(t, r, C_P50, p50[r]);
        et_table_set_num(t, r, C_SPEED, speed[r]);
        et_table_set_num(t, r, C_DELTA, delta[r]);
        et_table_set_num(t, r, C_BASE, r == 0);
    }
    et_table_add_note(t, "baseline run 10 (marked) & 50%% <note>");
    return t;
}

/* Writes t in format f into a malloc'd string. */
static char *render(const et_table *t, et_table_format f) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    et_err e = {0};
    ET_CHECK_INT(et_table_write(t, f, m, &e), ET_OK);
    fclose(m);
    return buf;
}

static void test_human_cells(void) {
    et_table *t = make(false);
    char b[64];
    et_table_cell_human(t, 0, C_P50, b, sizeof b);
    ET_CHECK_STR(b, "12.50");
    et_table_cell_human(t, 1, C_P50, b, sizeof b);
    ET_CHECK_STR(b, "0.00012"); /* never "0.00" for a non-zero value */
    et_table_cell_human(t, 3, C_P50, b, sizeof b);
    ET_CHECK_STR(b, "n/a");
    et_table_cell_human(t, 1, C_SPEED, b, sizeof b);
    ET_CHECK_STR(b, "2.50x faster");
    et_table_cell_human(t, 2, C_SPEED, b, sizeof b);
    ET_CHECK_STR(b, "2.50x slower");
    et_table_cell_human(t, 4, C_SPEED, b, sizeof b);
    ET_CHECK_STR(b, "1.00x");
    et_table_cell_human(t, 1, C_DELTA, b, sizeof b);
    ET_CHECK_STR(b, "-0.40");
    et_table_cell_human(t, 2, C_DELTA, b, sizeof b);
    ET_CHECK_STR(b, "+1.25");
    et_table_cell_human(t, 0, C_BASE, b, sizeof b);
    ET_CHECK_STR(b, "yes");
    et_table_cell_human(t, 1, C_BASE, b, sizeof b);
    ET_CHECK_STR(b, "");
    ET_CHECK_INT(et_table_format_parse("latex"), ET_TABLE_LATEX);
    ET_CHECK_INT(et_table_format_parse("xml"), -1);
    et_table_free(t);
}

static void test_csv(void) {
    et_table *t = make(false);
    char *s = render(t, ET_TABLE_CSV);
    csv_doc d;
    ET_REQUIRE(csv_parse(s, &d));
    ET_CHECK_INT(d.n_rows, N_ROWS + 1);
    ET_CHECK_INT(d.n_cols[0], C_N);
    ET_CHECK_STR(d.cell[0][C_P50], "p50 (ms)");
    ET_CHECK_STR(d.cell[0][C_SPEED], "speed-up (x)");
    for (int r = 0; r < N_ROWS; r++) {
        ET_CHECK_INT(d.n_cols[r + 1], C_N);
        ET_CHECK_STR(d.cell[r + 1][C_LABEL], labels[r]);
        ET_CHECK_INT(strtol(d.cell[r + 1][C_RUN], NULL, 10), r + 10);
        const double *vals[] = {p50, speed, delta};
        const int cols[] = {C_P50, C_SPEED, C_DELTA};
        for (int k = 0; k < 3; k++) {
            if (isnan(vals[k][r]))
                ET_CHECK_STR(d.cell[r + 1][cols[k]], "");
            else
                ET_CHECK_MSG(strtod(d.cell[r + 1][cols[k]], NULL) == vals[k][r], "%s", d.cell[r + 1][cols[k]]);
        }
        ET_CHECK_STR(d.cell[r + 1][C_BASE], r == 0 ? "true" : "false");
    }
    csv_free(&d);
    free(s);
    et_table_free(t);
}

static void test_json(void) {
    et_table *t = make(false);
    char *s = render(t, ET_TABLE_JSON);
    js doc;
    ET_REQUIRE(js_parse(s, &doc));
    const js *title = js_get(&doc, "title"), *cols = js_get(&doc, "columns"), *rows = js_get(&doc, "rows"),
             *notes = js_get(&doc, "notes");
    ET_REQUIRE(title && cols && rows && notes);
    ET_CHECK_STR(title->str, "Compare: ResNet-50 -> MobileNetV3 & friends <test>");
    ET_CHECK_INT(cols->n, C_N);
    ET_CHECK_STR(js_get(&cols->items[C_P50], "unit")->str, "ms");
    ET_CHECK_STR(js_get(&cols->items[C_P50], "better")->str, "lower");
    ET_CHECK_STR(js_get(&cols->items[C_SPEED], "kind")->str, "ratio");
    ET_REQUIRE(rows->n == N_ROWS);
    for (int r = 0; r < N_ROWS; r++) {
        const js *row = &rows->items[r];
        ET_CHECK_STR(js_get(row, "label")->str, labels[r]);
        ET_CHECK_NEAR(js_get(row, "run")->num, r + 10, 0);
        const double *vals[] = {p50, speed, delta};
        const char *keys[] = {"latency_p50_ms", "speedup", "accuracy_delta_pp"};
        for (int k = 0; k < 3; k++) {
            const js *v = js_get(row, keys[k]);
            ET_REQUIRE(v);
            if (isnan(vals[k][r]))
                ET_CHECK(v->type == JS_NULL);
            else
                ET_CHECK(v->type == JS_NUM && v->num == vals[k][r]);
        }
        ET_CHECK(js_get(row, "baseline")->type == JS_BOOL && js_get(row, "baseline")->b == (r == 0));
    }
    ET_CHECK_INT(notes->n, 1);
    js_free(&doc);
    free(s);
    et_table_free(t);
}

static void test_html(void) {
    et_table *t = make(false);
    char *s = render(t, ET_TABLE_HTML);
    static char texts[200][256];
    int n = 0;
    const char *bad = xml_check(s, "td", texts, &n, 200);
    ET_CHECK_MSG(bad == NULL, "%s", bad);
    int visible = C_N - 1; /* uuid is machine-only */
    ET_REQUIRE(n == N_ROWS * visible);
    char want[256];
    for (int r = 0; r < N_ROWS; r++) {
        int k = 0;
        for (int c = 0; c < C_N; c++) {
            if (c == C_UUID)
                continue;
            et_table_cell_human(t, r, c, want, sizeof want);
            ET_CHECK_MSG(strcmp(texts[r * visible + k], want) == 0 ||
                             (c == C_LABEL && strchr(want, '\n')), /* control characters became spaces */
                         "row %d col %d: '%s' vs '%s'", r, c, texts[r * visible + k], want);
            k++;
        }
    }
    ET_CHECK(strstr(s, "&lt;b&gt;&amp;amp;&lt;/b&gt;") != NULL);
    ET_CHECK(strstr(s, "<caption>") != NULL && strstr(s, "uuid-0") == NULL);
    free(s);
    et_table_free(t);
}

static void test_latex(void) {
    et_table *t = make(false);
    char *s = render(t, ET_TABLE_LATEX);
    int rules = 0, rows = 0;
    for (const char *p = s; (p = strstr(p, "rule")); p++)
        rules++;
    ET_CHECK_INT(rules, 3);
    ET_CHECK(strstr(s, "\\toprule") && strstr(s, "\\midrule") && strstr(s, "\\bottomrule"));
    ET_CHECK(strstr(s, "\\begin{tabular}{rlrrrr}") != NULL);
    ET_CHECK(strstr(s, "pipe | and \\$x\\_1\\textasciicircum{}2\\$ \\& 100\\% \\#1 \\{a\\} \\textasciitilde{} "
                       "\\textbackslash{} \\textless{}b\\textgreater{}\\&amp;") != NULL);
    ET_CHECK(strstr(s, "2.50$\\times$ faster") != NULL);
    ET_CHECK(strstr(s, "$-$0.40") != NULL);
    /* each body line: visible-1 separators, all other & escaped */
    char *copy = strdup(s);
    for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
        size_t len = strlen(line);
        if (len < 3 || strcmp(line + len - 3, " \\\\") != 0)
            continue;
        rows++;
        int seps = 0;
        for (const char *p = line; (p = strstr(p, " & ")); p += 3)
            seps++;
        ET_CHECK_INT(seps, C_N - 2);
    }
    ET_CHECK_INT(rows, N_ROWS + 1);
    /* braces balance */
    int depth = 0, min = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            continue;
        }
        depth += *p == '{', depth -= *p == '}';
        min = depth < min ? depth : min;
    }
    ET_CHECK(depth == 0 && min == 0);
    free(copy), free(s);
    et_table_free(t);
}

static void test_markdown(void) {
    et_table *t = make(false);
    char *s = render(t, ET_TABLE_MD);
    char *copy = strdup(s);
    int lines = 0;
    for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] != '|')
            continue;
        lines++;
        int pipes = 0;
        for (const char *p = line; *p; p++)
            pipes += *p == '|' && (p == line || p[-1] != '\\');
        ET_CHECK_INT(pipes, C_N); /* visible columns + 1 */
    }
    ET_CHECK_INT(lines, N_ROWS + 2);
    ET_CHECK(strstr(s, "| ---: | --- | ---: | ---: |") != NULL);
    ET_CHECK(strstr(s, "pipe \\| and") != NULL);
    ET_CHECK(strstr(s, "Table: Compare") != NULL);
    free(copy), free(s);
    et_table_free(t);
}

static void test_terminal_alignment(void) {
    et_table *t = make(true);
    char *s = render(t, ET_TABLE_TEXT);
    char *lines[20];
    int n = 0;
    for (char *line = strtok(s, "\n"); line && n < 20; line = strtok(NULL, "\n"))
        lines[n++] = line;
    ET_REQUIRE(n >= N_ROWS + 3);
    /* line 0 title, 1 header, 2 rule: the rule's dash runs give the column spans */
    const char *rule = lines[2];
    int start[C_N], end[C_N], k = 0;
    for (int i = 0; rule[i] && k < C_N;) {
        if (rule[i] == '-') {
            start[k] = i;
            while (rule[i] == '-')
                i++;
            end[k++] = i;
        } else {
            i++;
        }
    }
    ET_REQUIRE(k == C_N - 1);
    for (int r = 0; r < N_ROWS; r++) {
        int col = 0;
        for (int c = 0; c < C_N; c++) {
            if (c == C_UUID)
                continue;
            char want[128], got[128];
            et_table_cell_human(t, r, c, want, sizeof want);
            const char *line = lines[3 + r];
            int len = (int)strlen(line), a = start[col], b = end[col] < len ? end[col] : len;
            snprintf(got, sizeof got, "%.*s", b > a ? b - a : 0, a < len ? line + a : "");
            /* trim */
            char *g = got;
            while (*g == ' ')
                g++;
            for (int i = (int)strlen(g) - 1; i >= 0 && g[i] == ' '; i--)
                g[i] = '\0';
            ET_CHECK_MSG(strcmp(g, want) == 0, "row %d col %d: '%s' vs '%s'", r, c, g, want);
            if (c != C_LABEL && want[0]) /* numbers end at the column's right edge */
                ET_CHECK(b == len || line[b - 1] != ' ');
            col++;
        }
        ET_CHECK(lines[3 + r][strlen(lines[3 + r]) - 1] != ' '); /* no trailing blanks */
    }
    ET_CHECK(strstr(lines[n - 1], "baseline run 10") != NULL);
    free(s);
    et_table_free(t);
}

static int write_in_readonly_dir(void *arg) {
    const char *path = arg;
    et_table *t = et_table_new("x");
    et_err e = {0};
    et_status s = et_table_write_path(t, ET_TABLE_CSV, path, &e);
    et_table_free(t);
    return s == ET_E_PERMISSION && strstr(e.msg, path) && strstr(e.msg, "not changed") ? 0 : 1;
}

static void test_write_path_atomic(void) {
    char dir[512], path[600], missing[700];
    et_tmpdir(dir, sizeof dir);
    chmod(dir, 0755);
    snprintf(path, sizeof path, "%s/report.csv", dir);
    et_write_file(path, "old contents\n", 13);
    et_table *t = make(false);
    et_err e = {0};
    ET_CHECK_INT(et_table_write_path(t, ET_TABLE_CSV, path, &e), ET_OK);
    size_t n;
    unsigned char *b = et_read_file(path, &n);
    char *want = render(t, ET_TABLE_CSV);
    ET_CHECK(b && n == strlen(want) && memcmp(b, want, n) == 0);
    struct stat st;
    stat(path, &st);
    ET_CHECK_INT(st.st_mode & 0777, 0644); /* the old file's mode, not mkstemp's 0600 */
    free(b);
    /* no temporary left behind */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", dir);
    ET_CHECK(system(cmd) == 0);
    snprintf(missing, sizeof missing, "%s/no/such/dir/x.csv", dir);
    ET_CHECK_INT(et_table_write_path(t, ET_TABLE_CSV, missing, &e), ET_E_IO);
    ET_CHECK(strstr(e.msg, missing) != NULL);
    /* a directory we may not write: the old file stays as it was */
    chmod(dir, 0555);
    ET_CHECK_INT(et_run_unprivileged(write_in_readonly_dir, path), 0);
    b = et_read_file(path, &n);
    ET_CHECK(b && n == strlen(want) && memcmp(b, want, n) == 0);
    free(b), free(want);
    chmod(dir, 0755);
    et_rmtree(dir);
    et_table_free(t);
}

int main(void) {
    ET_RUN(test_human_cells);
    ET_RUN(test_csv);
    ET_RUN(test_json);
    ET_RUN(test_html);
    ET_RUN(test_latex);
    ET_RUN(test_markdown);
    ET_RUN(test_terminal_alignment);
    ET_RUN(test_write_path_atomic);
    return et_test_done();
}
