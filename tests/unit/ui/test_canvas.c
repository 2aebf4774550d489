/* test_canvas.c: the text grid: clipping, UTF-8 decoding, what becomes '?', ASCII fallback glyphs, boxes,
 * roles and the text dump the golden screens use. */
#include <locale.h>

#include "et_test.h"
#include "ui/canvas.h"
#include "ui/widgets.h"

static char row(const et_canvas *c, int x, int y) { return (char)et_canvas_at(c, x, y)->cp; }

static void test_text_clips(void) {
    et_canvas c;
    ET_REQUIRE(et_canvas_init(&c, 10, 3, false));
    ET_CHECK_INT(et_canvas_text(&c, 7, 0, 100, ET_ROLE_VALUE, "abcdef"), 3); /* right edge */
    ET_CHECK(row(&c, 9, 0) == 'c');
    ET_CHECK_INT(et_canvas_text(&c, 0, 1, 2, ET_ROLE_VALUE, "abcdef"), 2); /* max_w */
    ET_CHECK(row(&c, 2, 1) == ' ');
    ET_CHECK_INT(et_canvas_text(&c, 0, 7, 5, ET_ROLE_VALUE, "off"), 0 * 0 + 3); /* below: clipped, no crash */
    ET_CHECK(et_canvas_at(&c, 0, 7) == NULL);
    et_canvas_text(&c, -2, 2, 10, ET_ROLE_VALUE, "xyz"); /* left of the grid */
    ET_CHECK(row(&c, 0, 2) == 'z');
    ET_CHECK_INT(et_canvas_at(&c, 0, 2)->role, ET_ROLE_VALUE);
    et_canvas_free(&c);
}

static void test_fit_and_right(void) {
    et_canvas c;
    ET_REQUIRE(et_canvas_init(&c, 12, 2, true));
    ET_CHECK_INT(et_canvas_text_fit(&c, 0, 0, 5, ET_ROLE_NORMAL, "abcdefgh"), 5);
    char *s = et_canvas_to_string(&c);
    ET_CHECK(strncmp(s, "abcd~\n", 6) == 0); /* ASCII ellipsis */
    free(s);
    ET_CHECK_INT(et_canvas_text_right(&c, 0, 1, 12, ET_ROLE_NORMAL, "42 ms"), 7);
    ET_CHECK(row(&c, 11, 1) == 's' && row(&c, 7, 1) == '4');
    et_canvas_free(&c);
}

static void test_utf8_and_replacement(void) {
    et_canvas c;
    ET_REQUIRE(et_canvas_init(&c, 20, 2, false));
    /* é is one column; a control byte, invalid UTF-8 and a wide CJK character become '?' */
    ET_CHECK_INT(et_canvas_text(&c, 0, 0, 20, ET_ROLE_NORMAL, "\xc3\xa9\x01\xff\xe4\xb8\xad."), 5);
    ET_CHECK_INT(et_canvas_at(&c, 0, 0)->cp, 0xe9);
    ET_CHECK_INT(et_canvas_at(&c, 1, 0)->cp, '?');
    ET_CHECK_INT(et_canvas_at(&c, 2, 0)->cp, '?');
    ET_CHECK_INT(et_canvas_at(&c, 3, 0)->cp, '?');
    ET_CHECK_INT(et_canvas_at(&c, 4, 0)->cp, '.');
    ET_CHECK_INT(et_text_width("\xc3\xa9t\xc3\xa9"), 3);
    et_canvas_free(&c);
    /* the same text on an ASCII canvas: only ASCII survives */
    ET_REQUIRE(et_canvas_init(&c, 20, 1, true));
    et_canvas_text(&c, 0, 0, 20, ET_ROLE_NORMAL,
                   "\xc3\xa9"
                   "a");
    ET_CHECK_INT(et_canvas_at(&c, 0, 0)->cp, '?');
    ET_CHECK_INT(et_canvas_at(&c, 1, 0)->cp, 'a');
    et_canvas_free(&c);
}

static void test_box_ascii_and_utf8(void) {
    et_canvas c;
    ET_REQUIRE(et_canvas_init(&c, 8, 3, true));
    et_canvas_box(&c, (et_rect){0, 0, 8, 3}, ET_ROLE_BORDER, "Hi", ET_ROLE_PANEL);
    char *s = et_canvas_to_string(&c);
    ET_CHECK_STR(s, "+ Hi --+\n|      |\n+------+\n");
    free(s);
    et_canvas_free(&c);
    ET_REQUIRE(et_canvas_init(&c, 4, 2, false));
    et_canvas_box(&c, (et_rect){0, 0, 4, 2}, ET_ROLE_BORDER, NULL, ET_ROLE_PANEL);
    s = et_canvas_to_string(&c);
    ET_CHECK_STR(s, "\u250c\u2500\u2500\u2510\n\u2514\u2500\u2500\u2518\n");
    free(s);
    /* every glyph has an ASCII form that is ASCII */
    c.ascii = true;
    for (int g = 0; g < ET_G_COUNT; g++) {
        const char *t = et_canvas_glyph_text(&c, (et_glyph)g);
        for (const char *p = t; *p; p++)
            ET_CHECK((unsigned char)*p < 0x80);
    }
    et_canvas_free(&c);
}

static void test_roles_and_resize(void) {
    et_canvas c;
    ET_REQUIRE(et_canvas_init(&c, 5, 1, false));
    et_canvas_text(&c, 0, 0, 5, ET_ROLE_GOOD, "abc");
    et_canvas_set_role(&c, 1, 0, 10, ET_ROLE_SELECTED);
    ET_CHECK_INT(et_canvas_at(&c, 0, 0)->role, ET_ROLE_GOOD);
    ET_CHECK_INT(et_canvas_at(&c, 1, 0)->role, ET_ROLE_SELECTED);
    ET_CHECK_INT(et_canvas_at(&c, 4, 0)->role, ET_ROLE_SELECTED);
    ET_CHECK(et_canvas_at(&c, 1, 0)->cp == 'b');
    ET_REQUIRE(et_canvas_resize(&c, 3, 2));
    ET_CHECK(c.w == 3 && c.h == 2 && et_canvas_at(&c, 0, 0)->cp == ' ');
    ET_CHECK(strcmp(et_role_name(ET_ROLE_BAD), "worse than the baseline") == 0);
    et_canvas_free(&c);
}

static void test_sparkline_and_histogram(void) {
    et_canvas c;
    ET_REQUIRE(et_canvas_init(&c, 8, 3, true));
    const double v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    ET_CHECK_INT(et_w_sparkline(&c, 0, 0, 4, ET_ROLE_GRAPH, v, 10, 7, 10), 4); /* the last 4 values */
    ET_CHECK(row(&c, 0, 0) == '_' && row(&c, 3, 0) == '#');                    /* lowest and highest level */
    /* all values in the first bin: a full bar there, nothing elsewhere */
    const double same[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    et_w_histogram(&c, (et_rect){0, 1, 8, 2}, ET_ROLE_GRAPH, same, 10, 1, 2);
    ET_CHECK(row(&c, 0, 1) == '#' && row(&c, 0, 2) == '#');
    ET_CHECK(row(&c, 7, 2) == ' ');
    et_canvas_free(&c);
}

int main(void) {
    setlocale(LC_CTYPE, "C.UTF-8");
    ET_RUN(test_text_clips);
    ET_RUN(test_fit_and_right);
    ET_RUN(test_utf8_and_replacement);
    ET_RUN(test_box_ascii_and_utf8);
    ET_RUN(test_roles_and_resize);
    ET_RUN(test_sparkline_and_histogram);
    return et_test_done();
}
