/* words_diff.c: where two settings strings differ (words_diff.h). */
#include "util/words_diff.h"

#include <stdio.h>
#include <string.h>

enum { MAX_WORDS = 256, MAX_RUNS = 3, LONG_WORD = 16, CUT_WORD = 12 };

typedef struct word {
    const char *p;
    int len;
} word;

/* Splits s on spaces into w; returns the count, or -1 past MAX_WORDS. */
static int split(const char *s, word *w) {
    int n = 0;
    while (*s) {
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        if (n == MAX_WORDS)
            return -1;
        const char *e = s;
        while (*e && *e != ' ')
            e++;
        w[n].p = s, w[n].len = (int)(e - s);
        n++;
        s = e;
    }
    return n;
}

static bool same(word a, word b) { return a.len == b.len && memcmp(a.p, b.p, (size_t)a.len) == 0; }

static bool says_nothing(word w) { return w.len == 1 && (w.p[0] == '|' || w.p[0] == '-'); }

/* Appends w (cut when long) to out, with a space before it unless it starts the run. */
static void append(char *out, size_t cap, word w, bool first) {
    size_t at = strlen(out);
    if (at + 1 >= cap)
        return;
    snprintf(out + at, cap - at, "%s%.*s%s", first ? "" : " ", w.len > LONG_WORD ? CUT_WORD : w.len, w.p,
             w.len > LONG_WORD ? "..." : "");
}

bool et_words_diff(const char *was, const char *now, char *was_out, char *now_out, size_t cap) {
    word a[MAX_WORDS], b[MAX_WORDS]; /* 8 KiB of stack */
    was_out[0] = now_out[0] = '\0';
    int n = split(was, a), m = split(now, b);
    if (n < 0 || n != m)
        return false;
    int runs = 0;
    for (int i = 0; i < n && runs < MAX_RUNS; i++) {
        if (same(a[i], b[i]))
            continue;
        if (runs) {
            strncat(was_out, ",", cap - strlen(was_out) - 1);
            strncat(now_out, ",", cap - strlen(now_out) - 1);
        }
        bool first = runs == 0;
        if (i > 0 && same(a[i - 1], b[i - 1]) && !says_nothing(a[i - 1])) {
            append(was_out, cap, a[i - 1], first);
            append(now_out, cap, b[i - 1], first);
            first = false;
        }
        for (; i < n && !same(a[i], b[i]); i++, first = false) {
            append(was_out, cap, a[i], first);
            append(now_out, cap, b[i], first);
        }
        runs++;
    }
    for (int i = 0; i < n && runs == MAX_RUNS; i++)
        if (!same(a[i], b[i])) { /* more than shown */
            strncat(was_out, ", ...", cap - strlen(was_out) - 1);
            strncat(now_out, ", ...", cap - strlen(now_out) - 1);
            break;
        }
    return runs > 0;
}
