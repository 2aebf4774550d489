/* test_field_delta.c: text field editing and path completion; the current-vs-baseline rows (ratios say
 * which way is better, deltas carry their sign and unit, missing values are n/a). */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "et_test.h"
#include "ui/delta.h"
#include "ui/fake_ui.h"

static void type(et_field *f, const char *s) {
    for (const char *p = s; *p; p++)
        et_field_key(f, (unsigned char)*p);
}

static void test_editing(void) {
    et_field f;
    et_field_set(&f, "");
    type(&f, "model.onnx");
    ET_CHECK_STR(f.text, "model.onnx");
    et_field_key(&f, ET_KEY_HOME);
    type(&f, "a/");
    ET_CHECK_STR(f.text, "a/model.onnx");
    et_field_key(&f, ET_KEY_END);
    et_field_key(&f, ET_KEY_BACKSPACE);
    ET_CHECK_STR(f.text, "a/model.onn");
    et_field_key(&f, 0xe9); /* é: two bytes, one character */
    ET_CHECK_INT(f.len, 13);
    et_field_key(&f, ET_KEY_LEFT);
    ET_CHECK_INT(f.cursor, 11);
    et_field_key(&f, ET_KEY_DELETE);
    ET_CHECK_STR(f.text, "a/model.onn");
    et_field_key(&f, ET_KEY_CTRL_W); /* the word before the cursor, up to the slash */
    ET_CHECK_STR(f.text, "a/");
    et_field_key(&f, ET_KEY_CTRL_U);
    ET_CHECK_STR(f.text, "");
    ET_CHECK(!et_field_key(&f, ET_KEY_ENTER)); /* left to the dialog */
    ET_CHECK(!et_field_key(&f, ET_KEY_TAB));
}

static void test_draw_scrolls_to_the_cursor(void) {
    et_canvas c;
    ET_REQUIRE(et_canvas_init(&c, 6, 1, true));
    et_field f;
    et_field_set(&f, "abcdefghij");
    et_field_draw(&f, &c, 0, 0, 6, true);
    char *s = et_canvas_to_string(&c);
    ET_CHECK_STR(s, "fghij\n"); /* the cursor cell after 'j' is the last column */
    free(s);
    ET_CHECK_INT(et_canvas_at(&c, 5, 0)->role, ET_ROLE_SELECTED);
    et_canvas_free(&c);
}

static void touch(const char *path) {
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
}

static void test_complete(void) {
    char dir[] = "/tmp/et_complete_XXXXXX";
    ET_REQUIRE(mkdtemp(dir) != NULL);
    char p[256];
    snprintf(p, sizeof p, "%s/resnet18.onnx", dir), touch(p);
    snprintf(p, sizeof p, "%s/resnet50.onnx", dir), touch(p);
    snprintf(p, sizeof p, "%s/.hidden.onnx", dir), touch(p);
    snprintf(p, sizeof p, "%s/models", dir), mkdir(p, 0777);
    et_field f;
    et_completion m;
    snprintf(p, sizeof p, "%s/res", dir);
    et_field_set(&f, p);
    ET_CHECK_INT(et_field_complete_path(&f, &m), 2);
    snprintf(p, sizeof p, "%s/resnet", dir);
    ET_CHECK_STR(f.text, p); /* the shared prefix */
    ET_CHECK_STR(m.names[0], "resnet18.onnx");
    ET_CHECK_STR(m.names[1], "resnet50.onnx");
    type(&f, "5");
    ET_CHECK_INT(et_field_complete_path(&f, &m), 1);
    snprintf(p, sizeof p, "%s/resnet50.onnx", dir);
    ET_CHECK_STR(f.text, p);
    snprintf(p, sizeof p, "%s/mo", dir);
    et_field_set(&f, p);
    ET_CHECK_INT(et_field_complete_path(&f, &m), 1);
    snprintf(p, sizeof p, "%s/models/", dir); /* a directory gets its slash */
    ET_CHECK_STR(f.text, p);
    snprintf(p, sizeof p, "%s/", dir);
    et_field_set(&f, p);
    ET_CHECK_INT(et_field_complete_path(&f, &m), 3); /* not the hidden file */
    snprintf(p, sizeof p, "%s/zz", dir);
    et_field_set(&f, p);
    ET_CHECK_INT(et_field_complete_path(&f, &m), 0);
    ET_CHECK_STR(f.text, p); /* unchanged */
    snprintf(p, sizeof p, "rm -rf %s", dir);
    ET_CHECK(system(p) == 0);
}

static const et_delta_row *find(const et_delta_row *rows, int n, const char *metric) {
    for (int i = 0; i < n; i++)
        if (strcmp(rows[i].metric, metric) == 0)
            return &rows[i];
    return NULL;
}

static void test_delta_rows(void) {
    et_result base, cur;
    et_result_init(&base);
    et_result_init(&cur);
    fake_ui_result(&base, 0);
    fake_ui_result(&cur, 1);
    et_delta_row rows[ET_DELTA_MAX_ROWS];
    int n = et_delta_rows(&cur, &base, true, rows, ET_DELTA_MAX_ROWS);
    const et_delta_row *p50 = find(rows, n, "p50");
    ET_REQUIRE(p50 != NULL);
    char want[64];
    snprintf(want, sizeof want, "%.2fx faster", base.latency.p50_ms / cur.latency.p50_ms);
    ET_CHECK_STR(p50->change, want);
    ET_CHECK_INT(p50->verdict, 1);
    ET_CHECK(p50->delta[0] == '-'); /* faster: the latency went down */
    const et_delta_row *w = find(rows, n, "size");
    ET_REQUIRE(w != NULL);
    ET_CHECK(strstr(w->change, "smaller") != NULL && w->verdict == 1);
    const et_delta_row *acc = find(rows, n, "accuracy");
    ET_REQUIRE(acc != NULL);
    ET_CHECK_STR(acc->change, "-1.6 pp");
    ET_CHECK_INT(acc->verdict, -1);
    const et_delta_row *top1 = find(rows, n, "top-1");
    ET_REQUIRE(top1 != NULL);
    ET_CHECK_STR(top1->base, "100.0 %"); /* the baseline agrees with itself */
    /* the other way round: everything worse */
    n = et_delta_rows(&base, &cur, false, rows, ET_DELTA_MAX_ROWS);
    p50 = find(rows, n, "p50");
    ET_REQUIRE(p50 != NULL);
    ET_CHECK(strstr(p50->change, "slower") != NULL && p50->verdict == -1 && p50->delta[0] == '+');
    ET_CHECK(find(rows, n, "p90") == NULL); /* secondary metrics only when full */
    /* a run against itself: the same */
    n = et_delta_rows(&base, &base, false, rows, ET_DELTA_MAX_ROWS);
    ET_CHECK_STR(find(rows, n, "p50")->change, "same");
    ET_CHECK_INT(find(rows, n, "p50")->verdict, 0);
    /* missing power and no baseline: n/a, never 0 */
    cur.power.status = ET_AVAIL_UNSUPPORTED;
    n = et_delta_rows(&cur, NULL, false, rows, ET_DELTA_MAX_ROWS);
    ET_CHECK_STR(find(rows, n, "energy/inf")->cur, "n/a");
    ET_CHECK_STR(find(rows, n, "p50")->base, "n/a");
    ET_CHECK_STR(find(rows, n, "p50")->change, "n/a");
    et_result_free(&base);
    et_result_free(&cur);
}

int main(void) {
    ET_RUN(test_editing);
    ET_RUN(test_draw_scrolls_to_the_cursor);
    ET_RUN(test_complete);
    ET_RUN(test_delta_rows);
    return et_test_done();
}
