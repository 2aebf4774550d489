/* train_show.c: the training section of `edgetune show` (report.h): lineage (parent, student, output file and
 * their hashes), the data set, settings, accuracies before and after with their drops against fp32, why training
 * stopped, and a line per epoch; as text and as a "training" member of show's JSON object. */
#include <math.h>
#include <stdio.h>

#include "db/report.h"
#include "util/json.h"

static const char *pct(double f, char *buf, size_t len) {
    if (f < 0)
        snprintf(buf, len, "n/a");
    else
        snprintf(buf, len, "%.2f %%", 100.0 * f);
    return buf;
}

/* "87.90 % (-3.75 pp against fp32)", or the accuracy alone when fp32's is unknown */
static const char *acc_drop(double acc, double fp32, char *buf, size_t len) {
    char a[32];
    if (acc < 0 || fp32 < 0)
        return pct(acc, buf, len);
    snprintf(buf, len, "%s (%+.2f pp against fp32)", pct(acc, a, sizeof a), 100.0 * (acc - fp32));
    return buf;
}

void et_db_show_train_text(const et_train_record *t, FILE *out) {
    char a[64], b[64], c[64];
    const bool distill = t->kind == ET_TRAIN_DISTILL;
    fprintf(out, "%-13s %s, %d of %d epochs, batch %d, %s schedule, %.1f s\n", "training", et_train_kind_name(t->kind),
            t->n_epochs, t->epochs, t->batch, t->schedule, t->seconds);
    fprintf(out, "%-13s %s: %s (sha256 %.16s)\n", "", distill ? "teacher" : "parent", t->parent_path, t->parent_sha256);
    if (distill)
        fprintf(out, "%-13s student: %s (sha256 %.16s)\n", "", t->student_path, t->student_sha256);
    if (t->output_path[0])
        fprintf(out, "%-13s output: %s (sha256 %.16s)\n", "", t->output_path, t->output_sha256);
    else
        fprintf(out, "%-13s output: none written\n", "");
    fprintf(out, "%-13s data: %s, %lld samples (sha256 %.16s), %s\n", "", t->data_path, (long long)t->data_samples,
            t->data_sha256, t->data_labels ? "labels used" : "no labels (distillation only)");
    fprintf(out, "%-13s settings: %s\n", "", t->settings);
    if (t->resumed_from[0])
        fprintf(out, "%-13s resumed from run %s\n", "", t->resumed_from);
    fprintf(out, "%-13s accuracy on %s: fp32 %s, %s %s, trained %s\n", "",
            t->eval_source[0] ? t->eval_source : "(no evaluation set)", pct(t->acc_fp32, a, sizeof a),
            distill ? "untrained student" : "knobs one-shot", acc_drop(t->acc_before, t->acc_fp32, b, sizeof b),
            acc_drop(t->acc_after, t->acc_fp32, c, sizeof c));
    if (t->agree_before >= 0 || t->agree_after >= 0)
        fprintf(out, "%-13s top-1 agreement with the fp32 %s: before %s, after %s\n", "", distill ? "teacher" : "model",
                pct(t->agree_before, a, sizeof a), pct(t->agree_after, b, sizeof b));
    if (t->stop_why[0])
        fprintf(out, "%-13s stopped: %s\n", "", t->stop_why);
    for (int i = 0; i < t->n_epochs; i++) {
        const et_train_epoch *e = &t->epoch[i];
        fprintf(out, "%-13s epoch %d: loss %.4f (distillation %.4f", "", e->epoch, e->loss, e->kd);
        if (e->ce > 0)
            fprintf(out, ", cross-entropy %.4f", e->ce);
        fprintf(out, "), eval accuracy %s, teacher agreement %s", pct(e->eval_acc, a, sizeof a),
                pct(e->eval_agree, b, sizeof b));
        if (e->sparsity > 0)
            fprintf(out, ", sparsity %.1f %%", 100.0 * e->sparsity);
        fprintf(out, ", lr %.3g, %lld steps, %.0f samples/s, %.1f s\n", e->lr, (long long)e->steps, e->samples_per_s,
                e->seconds);
    }
}

/* A fraction as a number, or null when not measured. */
static void json_frac(et_json *j, const char *key, double v) {
    if (v < 0 || isnan(v))
        et_json_null(j, key);
    else
        et_json_number(j, key, v);
}

void et_db_train_json(et_json *j, const et_train_record *t) {
    et_json_begin_object(j, "training");
    et_json_string(j, "kind", et_train_kind_name(t->kind));
    et_json_string(j, "parent_path", t->parent_path);
    et_json_string(j, "parent_sha256", t->parent_sha256);
    et_json_string(j, "student_path", t->student_path);
    et_json_string(j, "student_sha256", t->student_sha256);
    et_json_string(j, "output_path", t->output_path);
    et_json_string(j, "output_sha256", t->output_sha256);
    et_json_string(j, "data_path", t->data_path);
    et_json_string(j, "data_sha256", t->data_sha256);
    et_json_int(j, "data_samples", t->data_samples);
    et_json_bool(j, "data_labels", t->data_labels);
    et_json_string(j, "eval_source", t->eval_source);
    et_json_string(j, "resumed_from", t->resumed_from);
    et_json_string(j, "settings", t->settings);
    et_json_string(j, "schedule", t->schedule);
    et_json_int(j, "epochs", t->epochs);
    et_json_int(j, "epochs_completed", t->n_epochs);
    et_json_int(j, "batch", t->batch);
    et_json_number(j, "seconds", t->seconds);
    json_frac(j, "accuracy_fp32", t->acc_fp32);
    json_frac(j, "accuracy_before", t->acc_before);
    json_frac(j, "accuracy_after", t->acc_after);
    json_frac(j, "agreement_before", t->agree_before);
    json_frac(j, "agreement_after", t->agree_after);
    et_json_string(j, "stop_why", t->stop_why);
    et_json_begin_array(j, "epoch");
    for (int i = 0; i < t->n_epochs; i++) {
        const et_train_epoch *e = &t->epoch[i];
        et_json_begin_object(j, NULL);
        et_json_int(j, "epoch", e->epoch);
        et_json_int(j, "steps", e->steps);
        et_json_int(j, "samples", e->samples);
        et_json_number(j, "loss", e->loss);
        et_json_number(j, "kd", e->kd);
        et_json_number(j, "ce", e->ce);
        json_frac(j, "train_agreement", e->train_agree);
        json_frac(j, "train_accuracy", e->train_acc);
        json_frac(j, "eval_agreement", e->eval_agree);
        json_frac(j, "eval_accuracy", e->eval_acc);
        et_json_number(j, "lr", e->lr);
        json_frac(j, "sparsity", e->sparsity);
        et_json_number(j, "seconds", e->seconds);
        et_json_number(j, "samples_per_s", e->samples_per_s);
        et_json_end_object(j);
    }
    et_json_end_array(j);
    et_json_end_object(j);
}
