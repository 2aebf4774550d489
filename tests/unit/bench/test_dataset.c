/* test_dataset.c: evaluation sets of any size, always aligned.
 *
 * A 3,000-sample set made from the digits fixture's 360 labelled samples (each copy with its own seeded noise, so
 * no two samples are the same and some predictions change) must score exactly what its two halves score
 * together; the same files created in a shuffled order (another directory order) must give identical results;
 * the one-batched-.npy form with labels.npy must give them again. Label counts that differ from the sample count
 * and batched files of the wrong shape are errors. A model whose spatial dims are symbolic takes them from the
 * evaluation files, and without files says which numeric --shape to give. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/dataset.h"
#include "bench/session.h"
#include "et_test.h"
#include "model/npy.h"
#include "model/onnx_writer.h"

enum { N_DIGITS = 360, N_SET = 3000, SAMPLE = 64 };

static char tmp_root[256];
static float digits[N_DIGITS][SAMPLE];
static int digit_labels[N_DIGITS];

static void rm_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            rm_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static bool load_digits(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/models/digits.eval/labels.txt", ET_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    for (int i = 0; i < N_DIGITS; i++)
        if (fscanf(f, "%d", &digit_labels[i]) != 1) {
            fclose(f);
            return false;
        }
    fclose(f);
    for (int i = 0; i < N_DIGITS; i++) {
        snprintf(path, sizeof path, "%s/fixtures/models/digits.eval/input_%03d.npy", ET_SOURCE_DIR, i);
        et_npy t;
        if (et_npy_read(path, &t, NULL) != ET_OK || t.nbytes != sizeof digits[i])
            return false;
        memcpy(digits[i], t.data, sizeof digits[i]);
        et_npy_free(&t);
    }
    return true;
}

/* Sample k of the big set: digit k % 360 plus noise seeded by k. */
static void sample(int k, float *out) {
    uint64_t x = 0x9E3779B97F4A7C15ull * (uint64_t)(k + 1);
    for (int e = 0; e < SAMPLE; e++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        out[e] = digits[k % N_DIGITS][e] + (float)((double)(x >> 11) / 9007199254740992.0 - 0.5) * 1.2f;
    }
}

/* Writes samples [from, to) as one file each (names by global index) into dir, in `order` (NULL: ascending),
 * and labels.txt. */
static bool write_folder(const char *dir, int from, int to, const int *order) {
    if (mkdir(dir, 0700) != 0)
        return false;
    et_shape s = {4, {1, 1, 8, 8}};
    float x[SAMPLE];
    for (int i = from; i < to; i++) {
        int k = order ? order[i - from] : i;
        char p[1024];
        snprintf(p, sizeof p, "%s/sample_%05d.npy", dir, k);
        sample(k, x);
        if (et_npy_write(p, ET_DT_F32, &s, x, NULL) != ET_OK)
            return false;
    }
    char p[1024];
    snprintf(p, sizeof p, "%s/labels.txt", dir);
    FILE *f = fopen(p, "w");
    if (!f)
        return false;
    for (int k = from; k < to; k++)
        fprintf(f, "%d\n", digit_labels[k % N_DIGITS]);
    return fclose(f) == 0;
}

/* One batched file (N x 1 x 1 x 8 x 8, or N x 1 x 8 x 8 with batch_dim_merged) and labels.npy. */
static bool write_batched(const char *dir, bool merged) {
    if (mkdir(dir, 0700) != 0)
        return false;
    float *all = malloc((size_t)N_SET * SAMPLE * sizeof *all);
    int64_t *labels = malloc((size_t)N_SET * sizeof *labels);
    if (!all || !labels)
        return false;
    for (int k = 0; k < N_SET; k++) {
        sample(k, all + (size_t)k * SAMPLE);
        labels[k] = digit_labels[k % N_DIGITS];
    }
    et_shape s = merged ? (et_shape){4, {N_SET, 1, 8, 8}} : (et_shape){5, {N_SET, 1, 1, 8, 8}};
    et_shape ls = {1, {N_SET}};
    char p[1024], q[1024];
    snprintf(p, sizeof p, "%s/images.npy", dir);
    snprintf(q, sizeof q, "%s/labels.npy", dir);
    bool ok = et_npy_write(p, ET_DT_F32, &s, all, NULL) == ET_OK &&
              et_npy_write(q, ET_DT_I64, &ls, labels, NULL) == ET_OK;
    free(all);
    free(labels);
    return ok;
}

typedef struct measured {
    et_status st;
    char msg[ET_ERR_MSG_MAX];
    int64_t n;
    double accuracy, baseline_accuracy, cosine, top1;
} measured;

static measured measure(const char *model, const char *eval, const char *labels, int64_t limit, int bits) {
    measured m = {0};
    char model_path[1024];
    snprintf(model_path, sizeof model_path, "%s", model);
    et_session_options so = {.model_path = model_path, .eval_dir = eval, .labels_path = labels, .eval_limit = limit};
    et_session *s = NULL;
    et_err err = {0};
    et_knobs k = et_knobs_default();
    k.weight_bits = bits;
    et_fidelity_info fi = {0};
    if ((m.st = et_session_open(&so, &s, &err)) == ET_OK && (m.st = et_session_configure(s, &k, &err)) == ET_OK)
        m.st = et_session_fidelity(s, NULL, &fi, &err);
    snprintf(m.msg, sizeof m.msg, "%s", err.msg);
    if (m.st == ET_OK) {
        m.n = fi.n_inputs;
        m.accuracy = fi.accuracy;
        m.baseline_accuracy = fi.baseline_accuracy;
        m.cosine = fi.outputs[0].cosine;
        m.top1 = fi.outputs[0].top1_agreement;
    }
    et_fidelity_info_free(&fi);
    et_session_free(s);
    return m;
}

static char digits_model[1024];

static void test_halves_and_order(void) {
    char full[512], shuffled[512], h1[512], h2[512];
    snprintf(full, sizeof full, "%s/full", tmp_root);
    snprintf(shuffled, sizeof shuffled, "%s/shuffled", tmp_root);
    snprintf(h1, sizeof h1, "%s/half1", tmp_root);
    snprintf(h2, sizeof h2, "%s/half2", tmp_root);
    int *order = malloc(N_SET * sizeof *order);
    ET_REQUIRE(order);
    for (int i = 0; i < N_SET; i++)
        order[i] = i;
    uint64_t x = 12345;
    for (int i = N_SET - 1; i > 0; i--) { /* creation order shuffled: the directory lists entries another way */
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int j = (int)(x % (uint64_t)(i + 1)), t = order[i];
        order[i] = order[j], order[j] = t;
    }
    ET_REQUIRE(write_folder(full, 0, N_SET, NULL));
    ET_REQUIRE(write_folder(shuffled, 0, N_SET, order));
    ET_REQUIRE(write_folder(h1, 0, N_SET / 2, NULL));
    ET_REQUIRE(write_folder(h2, N_SET / 2, N_SET, NULL));
    free(order);
    for (int bits = 32; bits >= 4; bits -= 28) {
        measured a = measure(digits_model, full, NULL, 0, bits), b = measure(digits_model, shuffled, NULL, 0, bits);
        measured p = measure(digits_model, h1, NULL, 0, bits), q = measure(digits_model, h2, NULL, 0, bits);
        ET_REQUIRE(a.st == ET_OK && b.st == ET_OK && p.st == ET_OK && q.st == ET_OK);
        ET_CHECK_INT(a.n, N_SET);
        ET_CHECK_INT(p.n + q.n, N_SET);
        /* the noise makes it a real test: neither everything right nor chance */
        ET_CHECK_MSG(a.baseline_accuracy > 0.3 && a.baseline_accuracy < 0.97, "fp32 accuracy %.4f",
                     a.baseline_accuracy);
        long long whole = llround(a.accuracy * N_SET), parts = llround(p.accuracy * p.n) + llround(q.accuracy * q.n);
        ET_CHECK_INT(whole, parts);
        long long base_whole = llround(a.baseline_accuracy * N_SET),
                  base_parts = llround(p.baseline_accuracy * p.n) + llround(q.baseline_accuracy * q.n);
        ET_CHECK_INT(base_whole, base_parts);
        /* directory order changes nothing, bit for bit */
        ET_CHECK(a.accuracy == b.accuracy && a.baseline_accuracy == b.baseline_accuracy && a.cosine == b.cosine &&
                 a.top1 == b.top1);
        printf("  %d-bit weights: accuracy %.4f (fp32 %.4f) on %lld samples; halves %.4f + %.4f\n", bits, a.accuracy,
               a.baseline_accuracy, (long long)a.n, p.accuracy, q.accuracy);
        fflush(stdout);
        if (bits == 4)
            ET_CHECK(a.top1 < 1.0); /* 4-bit weights change some answers: the tuned pass is really compared */
    }
    /* the batched forms: one N x 1 x 1 x 8 x 8 file, one N x 1 x 8 x 8 file, and the file given alone */
    char b5[512], b4[512], file[600], labels[600];
    snprintf(b5, sizeof b5, "%s/batched5", tmp_root);
    snprintf(b4, sizeof b4, "%s/batched4", tmp_root);
    ET_REQUIRE(write_batched(b5, false));
    ET_REQUIRE(write_batched(b4, true));
    snprintf(file, sizeof file, "%s/images.npy", b4);
    snprintf(labels, sizeof labels, "%s/labels.npy", b4);
    measured a = measure(digits_model, full, NULL, 0, 4);
    measured c = measure(digits_model, b5, NULL, 0, 4), d = measure(digits_model, b4, NULL, 0, 4);
    measured e = measure(digits_model, file, labels, 0, 4);
    ET_REQUIRE(c.st == ET_OK && d.st == ET_OK && e.st == ET_OK);
    ET_CHECK(c.accuracy == a.accuracy && d.accuracy == a.accuracy && e.accuracy == a.accuracy);
    ET_CHECK(c.cosine == a.cosine && d.cosine == a.cosine && e.cosine == a.cosine);
    /* a seeded subset keeps each sample with its own label: same subset twice, and its size */
    measured s1 = measure(digits_model, full, NULL, 500, 32), s2 = measure(digits_model, b4, NULL, 500, 32);
    ET_REQUIRE(s1.st == ET_OK && s2.st == ET_OK);
    ET_CHECK_INT(s1.n, 500);
    ET_CHECK(s1.accuracy == s2.accuracy);
    ET_CHECK_MSG(fabs(s1.baseline_accuracy - a.baseline_accuracy) < 0.08, "subset %.3f vs all %.3f",
                 s1.baseline_accuracy, a.baseline_accuracy);
}

static void test_errors(void) {
    char dir[512], p[600];
    snprintf(dir, sizeof dir, "%s/mismatch", tmp_root);
    ET_REQUIRE(write_folder(dir, 0, 10, NULL));
    snprintf(p, sizeof p, "%s/labels.txt", dir);
    FILE *f = fopen(p, "a");
    ET_REQUIRE(f);
    fprintf(f, "3\n"); /* 11 labels for 10 samples */
    fclose(f);
    measured m = measure(digits_model, dir, NULL, 0, 32);
    ET_CHECK(m.st == ET_E_INPUT && strstr(m.msg, "11 labels for 10 samples"));
    /* both label files */
    snprintf(p, sizeof p, "%s/labels.npy", dir);
    et_shape ls = {1, {10}};
    int64_t lab[10] = {0};
    ET_REQUIRE(et_npy_write(p, ET_DT_I64, &ls, lab, NULL) == ET_OK);
    m = measure(digits_model, dir, NULL, 0, 32);
    ET_CHECK(m.st == ET_E_INPUT && strstr(m.msg, "both labels.txt and labels.npy"));
    /* a batched file of the wrong shape */
    char bad[512];
    snprintf(bad, sizeof bad, "%s/badshape", tmp_root);
    ET_REQUIRE(mkdir(bad, 0700) == 0);
    snprintf(p, sizeof p, "%s/x.npy", bad);
    float zeros[5 * 64] = {0};
    et_shape s = {3, {5, 8, 8}};
    ET_REQUIRE(et_npy_write(p, ET_DT_F32, &s, zeros, NULL) == ET_OK);
    m = measure(digits_model, bad, NULL, 0, 32);
    ET_CHECK_MSG(m.st == ET_E_INPUT && strstr(m.msg, "5x8x8") && strstr(m.msg, "Nx1x8x8"), "%s", m.msg);
    /* the streaming reader: a row in the middle, and past the end */
    et_npy_file nf;
    ET_REQUIRE(et_npy_open(p, &nf, NULL) == ET_OK);
    float row[64] = {1};
    ET_CHECK(et_npy_read_at(&nf, p, 64 * 4 * 2, row, sizeof row, NULL) == ET_OK && row[0] == 0.0f);
    ET_CHECK(et_npy_read_at(&nf, p, 64 * 4 * 5, row, 4, NULL) == ET_E_INPUT);
    et_npy_close(&nf);
}

/* digits.onnx with its spatial dims made symbolic, written next to the data. */
static bool write_symbolic(char *out, size_t len) {
    et_model *m = NULL;
    et_load_options ro = {.read_only = true};
    if (et_model_load(digits_model, &ro, &m, NULL) != ET_OK)
        return false;
    et_value *v = &m->graph->values[m->graph->inputs[0]];
    v->shape.dim[2] = v->shape.dim[3] = -1;
    v->dim_param[2] = "p2o.DynamicDimension.1";
    v->dim_param[3] = "p2o.DynamicDimension.2";
    snprintf(out, len, "%s/symbolic.onnx", tmp_root);
    bool ok = et_onnx_write(m->graph, out, "test", NULL, NULL) == ET_OK;
    et_model_free(m);
    return ok;
}

static void test_dims_from_files(void) {
    char model[600], eval[600];
    ET_REQUIRE(write_symbolic(model, sizeof model));
    et_session_options so = {.model_path = model};
    et_session *s = NULL;
    et_err err = {0};
    ET_CHECK(et_session_open(&so, &s, &err) == ET_E_USAGE);
    ET_CHECK_MSG(strstr(err.msg, "--shape input=1x1x224x224") && strstr(err.msg, "p2o.DynamicDimension.1"), "%s",
                 err.msg);
    et_session_free(s);
    s = NULL;
    snprintf(eval, sizeof eval, "%s/fixtures/models/digits.eval", ET_SOURCE_DIR);
    so.eval_dir = eval;
    ET_REQUIRE(et_session_open(&so, &s, &err) == ET_OK);
    const et_graph *g = et_session_model(s)->graph;
    char sb[64];
    ET_CHECK_STR(et_shape_str(&g->values[g->inputs[0]].shape, sb, sizeof sb), "1x1x8x8");
    et_session_free(s);
    s = NULL;
    /* a --shape that disagrees with the files */
    et_input_shape sh = {"input", {4, {1, 1, 16, 16}}};
    so.shapes = &sh;
    so.n_shapes = 1;
    ET_CHECK(et_session_open(&so, &s, &err) == ET_E_INPUT);
    ET_CHECK_MSG(strstr(err.msg, "1x1x8x8") && strstr(err.msg, "1x1x16x16"), "%s", err.msg);
    et_session_free(s);
}

int main(void) {
    snprintf(tmp_root, sizeof tmp_root, "%s/et-dataset-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp_root) || !load_digits()) {
        fprintf(stderr, "test_dataset: cannot make %s or read the digits fixture\n", tmp_root);
        return 1;
    }
    snprintf(digits_model, sizeof digits_model, "%s/fixtures/models/digits.onnx", ET_SOURCE_DIR);
    ET_RUN(test_halves_and_order);
    ET_RUN(test_errors);
    ET_RUN(test_dims_from_files);
    rm_tree(tmp_root);
    return et_test_done();
}
