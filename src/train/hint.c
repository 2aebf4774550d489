/* hint.c: hint points between a student and a teacher network, and the hint loss of a step (hint.h). */
#include "train/hint.h"

#include <stdlib.h>
#include <string.h>

#include "train/loss.h"
#include "train/tnet.h"

typedef struct hint_point {
    int s, t; /* value indices in the student and the teacher */
    int64_t channels, pixels;
} hint_point;

struct et_hints {
    et_tnet *student, *teacher;
    double weight;
    int n;
    hint_point *points;
};

/* The teacher's value named like the student's value v with the same shape, or -1. */
static int teacher_value(const et_tnet *t, const et_tval *v) {
    for (int i = 0; i < t->g->n_values; i++) {
        const et_tval *w = &t->values[i];
        if (!w->batched || !w->name || strcmp(w->name, v->name) != 0 || w->shape.rank != v->shape.rank)
            continue;
        for (int d = 0; d < v->shape.rank; d++)
            if (w->shape.dim[d] != v->shape.dim[d])
                return -1;
        return i;
    }
    return -1;
}

et_status et_hints_create(et_tnet *student, et_tnet *teacher, double weight, et_hints **out, et_err *err) {
    *out = NULL;
    if (student->n_inputs != teacher->n_inputs || teacher->opt.batch < student->opt.batch)
        return et_fail(err, ET_E_USAGE, "hints: the teacher network must take the student's inputs and batch");
    for (int i = 0; i < student->n_inputs; i++)
        if (et_tnet_input_numel(student, i) != et_tnet_input_numel(teacher, i))
            return et_fail(err, ET_E_USAGE, "hints: input %d of the student and the teacher differ", i);
    et_hints *h = calloc(1, sizeof *h);
    hint_point *p = calloc((size_t)student->n_steps + 1, sizeof *p);
    if (!h || !p) {
        free(h), free(p);
        return et_fail(err, ET_E_NOMEM, "out of memory for hint points");
    }
    *h = (et_hints){.student = student, .teacher = teacher, .weight = weight, .points = p};
    for (int k = 0; k < student->n_steps; k++) {
        const et_tstep *s = &student->steps[k];
        const et_tval *v = &student->values[s->out];
        if (s->out >= student->g->n_values || !v->batched || v->shape.rank != 4 || !v->needs_grad ||
            !et_tv(student, s->out)->grad)
            continue;
        bool is_output = false;
        for (int o = 0; o < student->n_outputs; o++)
            is_output |= et_tv(student, student->outputs[o]) == et_tv(student, s->out);
        int t = is_output ? -1 : teacher_value(teacher, v);
        if (t < 0)
            continue;
        hint_point hp = {.s = s->out, .t = t, .channels = v->shape.dim[1], .pixels = v->shape.dim[2] * v->shape.dim[3]};
        int j = 0; /* the point of this resolution so far is replaced: the last one counts */
        while (j < h->n && (student->values[h->points[j].s].shape.dim[2] != v->shape.dim[2] ||
                            student->values[h->points[j].s].shape.dim[3] != v->shape.dim[3]))
            j++;
        h->points[j] = hp;
        h->n += j == h->n;
    }
    for (int i = 0; i < h->n; i++)
        et_tv(student, h->points[i].s)->grad_seeded = true;
    *out = h;
    return ET_OK;
}

void et_hints_free(et_hints *h) {
    if (!h)
        return;
    for (int i = 0; i < h->n; i++)
        et_tv(h->student, h->points[i].s)->grad_seeded = false;
    free(h->points);
    free(h);
}

int et_hints_count(const et_hints *h) { return h ? h->n : 0; }

const char *et_hints_name(const et_hints *h, int i) { return h->student->values[h->points[i].s].name; }

et_status et_hints_apply(et_hints *h, int batch, double *loss, et_err *err) {
    *loss = 0.0;
    if (h->n == 0)
        return ET_OK;
    for (int i = 0; i < h->student->n_inputs; i++)
        memcpy(et_tnet_input(h->teacher, i), et_tnet_input(h->student, i),
               (size_t)(batch * et_tnet_input_numel(h->student, i)) * sizeof(float));
    et_status st = et_tnet_forward(h->teacher, batch, false, err);
    if (st != ET_OK)
        return st;
    const double w = h->weight / h->n;
    for (int i = 0; i < h->n; i++) {
        const hint_point *p = &h->points[i];
        *loss += w * et_loss_hint(et_tv_data(h->student, p->s), et_tv_data(h->teacher, p->t), batch, p->channels,
                                  p->pixels, w, et_tv(h->student, p->s)->grad);
    }
    return ET_OK;
}
