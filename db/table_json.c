/* table_json.c: the JSON form of a table:
 *   {"title": "...", "columns": [{"key", "header", "unit", "kind", "better"}...],
 *    "rows": [{"<key>": value, ...}...], "notes": ["..."]}
 * Values are strings for text cells, numbers at full precision, true/false for booleans, null when missing
 * (JSON has no NaN). */
#include <math.h>

#include "db/table.h"
#include "util/json.h"

static const char *kind_name(et_col_kind k) {
    static const char *const names[] = {"text", "int", "real", "ratio", "delta", "bool"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static const char *better_name(et_better b) {
    return b == ET_BETTER_LOWER ? "lower" : b == ET_BETTER_HIGHER ? "higher" : NULL;
}

bool et_table_write_json(const et_table *t, FILE *out) {
    et_json j;
    et_json_init(&j, out, true);
    et_json_begin_object(&j, NULL);
    et_json_string(&j, "title", et_table_title(t));
    et_json_begin_array(&j, "columns");
    int nc = et_table_n_cols(t), nr = et_table_n_rows(t);
    for (int c = 0; c < nc; c++) {
        const et_table_col *k = et_table_col_at(t, c);
        et_json_begin_object(&j, NULL);
        et_json_string(&j, "key", k->key);
        et_json_string(&j, "header", k->header);
        et_json_string(&j, "unit", k->unit);
        et_json_string(&j, "kind", kind_name(k->kind));
        et_json_string(&j, "better", better_name(k->better));
        et_json_end_object(&j);
    }
    et_json_end_array(&j);
    et_json_begin_array(&j, "rows");
    for (int r = 0; r < nr; r++) {
        et_json_begin_object(&j, NULL);
        for (int c = 0; c < nc; c++) {
            const et_table_col *k = et_table_col_at(t, c);
            const char *text = et_table_text_at(t, r, c);
            double v = et_table_num_at(t, r, c);
            if (text)
                et_json_string(&j, k->key, text);
            else if (isnan(v))
                et_json_null(&j, k->key);
            else if (k->kind == ET_COL_BOOL)
                et_json_bool(&j, k->key, v != 0);
            else
                et_json_number(&j, k->key, v);
        }
        et_json_end_object(&j);
    }
    et_json_end_array(&j);
    et_json_begin_array(&j, "notes");
    for (int i = 0; i < et_table_n_notes(t); i++)
        et_json_string(&j, NULL, et_table_note(t, i));
    et_json_end_array(&j);
    et_json_end_object(&j);
    et_json_finish(&j);
    return !ferror(out);
}
