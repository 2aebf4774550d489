/* dialog_layer.c: the knobs of one layer, opened from the layers view (Enter on a weight layer). Each row is one
 * per-layer key (weight bits, activation bits, prune ratio, prune method): "model" while the model-wide knobs (or a
 * glob line) decide it, else the layer's own value. Left/Right step the value through the workbench's lists
 * (ui/knob.c), 0 gives the key back to the model, and every change goes to the worker at once, as a workbench knob
 * does, so the model's numbers move while the dialog is open (its last lines show them). The change is the
 * layer's exact-name line of the knobs' per-layer overrides (et_knobs_set_layer), so it is stored with the run and
 * shown by `show` and `compare` like a --layer flag. Enter or Esc closes. */
#include <stdio.h>
#include <string.h>

#include "record/layer_knobs.h"
#include "ui/ui.h"

typedef struct layer_row {
    const char *name;
    unsigned key;    /* et_layer_key */
    et_knob_id knob; /* the workbench knob whose value list it steps */
} layer_row;

static const layer_row rows[] = {
    {"weight bits", ET_LK_BITS, ET_KNOB_WEIGHT_BITS},
    {"activation bits", ET_LK_ACT_BITS, ET_KNOB_ACT_BITS},
    {"prune ratio", ET_LK_PRUNE, ET_KNOB_PRUNE_RATIO},
    {"prune method", ET_LK_METHOD, ET_KNOB_PRUNE_METHOD},
};
enum { N_ROWS = sizeof rows / sizeof rows[0] };

/* The layer's own line (o->set 0 when none) and the knobs it runs with. */
static et_knobs layer_state(const et_knobs *k, const char *name, et_layer_override *own) {
    memset(own, 0, sizeof *own);
    snprintf(own->pattern, sizeof own->pattern, "%s", name);
    et_layer_override ov[ET_MAX_LAYER_OVERRIDES];
    int n = et_knobs_layer_overrides(k, ov, ET_MAX_LAYER_OVERRIDES, NULL);
    for (int i = 0; i < n; i++)
        if (strcmp(ov[i].pattern, name) == 0)
            *own = ov[i];
    return et_knobs_for_layer(k, ov, n > 0 ? n : 0, name, NULL, NULL);
}

bool et_ui_layer_is_editable(const char *op) {
    static const char *const ops[] = {"Conv", "Gemm", "MatMul", "ConvTranspose"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(op, ops[i]) == 0)
            return true;
    return false;
}

void et_ui_layer_edit_open(et_ui *ui, const char *name) {
    snprintf(ui->layer_name, sizeof ui->layer_name, "%s", name);
    ui->layer_row = 0;
    ui->dialog = ET_DIALOG_LAYER;
}

/* The worker's state for the knobs with this layer's change: what the model does now. */
static void draw_outcome(const et_ui *ui, et_canvas *c, et_rect in, int y) {
    const et_worker_snapshot *s = &ui->snap;
    char line[ET_ERR_MSG_MAX + 64];
    et_role role = ET_ROLE_DIALOG;
    if (s->state == ET_WORKER_FAILED) {
        snprintf(line, sizeof line, "n/a: %s", s->error);
        role = ET_ROLE_ERROR;
    } else if (s->state != ET_WORKER_SETTLED || !s->have_current) {
        snprintf(line, sizeof line, "model: %s ...", et_worker_state_name(s->state));
        role = ET_ROLE_DIM;
    } else {
        const et_result *r = &s->current;
        int n = snprintf(line, sizeof line, "model: p50 %.3f ms", r->latency.p50_ms);
        if (r->fidelity.accuracy >= 0 && n > 0 && (size_t)n < sizeof line)
            n += snprintf(line + n, sizeof line - (size_t)n, ", accuracy %.2f %% (fp32 %.2f %%)",
                          r->fidelity.accuracy * 100.0, r->fidelity.baseline_accuracy * 100.0);
        if (n > 0 && (size_t)n < sizeof line)
            snprintf(line + n, sizeof line - (size_t)n, ", weights %.1f KiB stored",
                     (double)r->memory.weights_deploy_bytes / 1024.0);
        /* the layer's own step in the run */
        double total = 0;
        const et_layer_profile *l = NULL;
        for (int i = 0; i < r->n_layers; i++) {
            total += r->layers[i].time_ms;
            if (strcmp(r->layers[i].name, ui->layer_name) == 0)
                l = &r->layers[i];
        }
        if (l) {
            char mine[256];
            snprintf(mine, sizeof mine, "layer: %.4f ms per inference (%.1f %% of layer time), %s, %s", l->time_ms,
                     total > 0 ? l->time_ms / total * 100.0 : 0.0, l->precision, l->kernel);
            et_canvas_text_fit(c, in.x, y + 1, in.w, role, mine);
        }
    }
    et_canvas_text_fit(c, in.x, y, in.w, role, line);
}

static void draw(const et_ui *ui, et_canvas *c, et_rect area) {
    et_layer_override own;
    et_knobs lk = layer_state(&ui->knobs, ui->layer_name, &own);
    char title[ET_LAYER_PATTERN_BYTES + 16];
    snprintf(title, sizeof title, "Layer %s", ui->layer_name);
    et_rect in = et_ui_dialog_frame(c, area.w - 4 < 76 ? area.w - 4 : 76, N_ROWS + 7, title);
    for (int i = 0; i < N_ROWS; i++) {
        bool sel = i == ui->layer_row;
        char value[64], shown[96];
        et_knob_value(&lk, rows[i].knob, value, sizeof value);
        if (own.set & rows[i].key)
            snprintf(shown, sizeof shown, "%s", value);
        else
            snprintf(shown, sizeof shown, "model (%s)", value);
        et_canvas_text_fit(c, in.x, in.y + i, 2, ET_ROLE_KEY, sel ? ">" : " ");
        et_canvas_text_fit(c, in.x + 2, in.y + i, 20, sel ? ET_ROLE_SELECTED : ET_ROLE_DIALOG, rows[i].name);
        et_canvas_text_fit(c, in.x + 22, in.y + i, in.w - 22, sel ? ET_ROLE_SELECTED : ET_ROLE_DIALOG, shown);
    }
    et_canvas_text_fit(c, in.x, in.y + N_ROWS + 1, in.w, ET_ROLE_DIM,
                       "Up/Down row, Left/Right change (measured at once), 0 the model's value");
    draw_outcome(ui, c, in, in.y + N_ROWS + 3);
}

/* Writes own as the layer's line and sends the knobs to the worker; a refusal (too many overrides) goes to the
 * message line and the knobs stay as they were. */
static void apply(et_ui *ui, const et_layer_override *own) {
    et_err e = {0};
    if (et_knobs_set_layer(&ui->knobs, own, &e) != ET_OK) {
        et_ui_message(ui, true, "%s", e.msg);
        return;
    }
    if (ui->be && ui->be->set_knobs)
        ui->be->set_knobs(ui->be->ctx, &ui->knobs);
}

static unsigned key(et_ui *ui, et_action a, int k) {
    (void)k;
    et_layer_override own;
    et_knobs lk = layer_state(&ui->knobs, ui->layer_name, &own);
    const layer_row *r = &rows[ui->layer_row];
    switch (a) {
    case ET_DO_UP: ui->layer_row = (ui->layer_row + N_ROWS - 1) % N_ROWS; return ET_UI_REDRAW;
    case ET_DO_DOWN: ui->layer_row = (ui->layer_row + 1) % N_ROWS; return ET_UI_REDRAW;
    case ET_DO_LEFT:
    case ET_DO_RIGHT:
        if (!et_knob_step(&lk, r->knob, a == ET_DO_RIGHT ? 1 : -1, ui->max_threads))
            return ET_UI_REDRAW; /* at the end of the list */
        own.set |= r->key;
        own.weight_bits = lk.weight_bits;
        own.act_bits = lk.act_bits;
        own.prune_ratio = lk.prune_ratio;
        own.prune_method = lk.prune_method;
        apply(ui, &own);
        return ET_UI_REDRAW;
    case ET_DO_RESET:
        if (own.set & r->key) {
            own.set &= ~r->key;
            apply(ui, &own);
        }
        return ET_UI_REDRAW;
    case ET_DO_ENTER:
    case ET_DO_CANCEL:
    case ET_DO_QUIT: ui->dialog = ET_DIALOG_NONE; return ET_UI_REDRAW;
    default: return 0;
    }
}

static const et_footer_item footer[] = {{ET_DO_UP, "Row"},
                                        {ET_DO_LEFT, "Change"},
                                        {ET_DO_RESET, "Model"},
                                        {ET_DO_CANCEL, "Close"}};

const et_view et_dialog_layer = {.name = "layer",
                                 .draw = draw,
                                 .key = key,
                                 .footer = footer,
                                 .n_footer = sizeof footer / sizeof footer[0]};
