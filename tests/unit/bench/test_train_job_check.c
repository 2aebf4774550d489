/* test_train_job_check.c: what the training view's form refuses before a job starts (et_train_job_check), on the
 * fixture models: a distill student with other inputs (digits.onnx, 8x8, against fmnist_resnet's 28x28) is
 * refused naming it and both shapes; fmnist_mbv2 as the student passes; a resume without OUT.ckpt is refused,
 * and passes once the file exists (its settings are the job's to check); pruning knobs for distill are refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/train_job.h"
#include "et_test.h"

static char dir[64], out[128], models[1024];

static et_train_job_options distill(const char *student) {
    static char teacher[1200], st[1200];
    snprintf(teacher, sizeof teacher, "%s/fmnist_resnet.onnx", models);
    snprintf(st, sizeof st, "%s/%s", models, student);
    et_train_job_options o = et_train_job_options_default();
    o.kind = ET_TRAIN_DISTILL;
    o.model_path = teacher;
    o.student_path = st;
    o.data_path = models; /* not read by the check */
    o.out_path = out;
    return o;
}

static void test_student_shapes(void) {
    et_err err = {0};
    et_train_job_options o = distill("digits.onnx");
    ET_CHECK_INT(et_train_job_check(&o, &err), ET_E_INPUT);
    ET_CHECK(strstr(err.msg, "digits.onnx: its input 0 is 1x1x8x8, the teacher's 1x1x28x28") != NULL);
    ET_CHECK(strchr(err.msg, '\n') == NULL);
    o = distill("fmnist_mbv2.onnx");
    err = (et_err){0};
    ET_CHECK_INT(et_train_job_check(&o, &err), ET_OK);
    o = distill("no-such-student.onnx");
    ET_CHECK(et_train_job_check(&o, &err) != ET_OK);
    ET_CHECK(strstr(err.msg, "no-such-student.onnx") != NULL);
    o = distill("fmnist_mbv2.onnx");
    o.knobs.prune_ratio = 0.5f;
    ET_CHECK_INT(et_train_job_check(&o, &err), ET_E_USAGE);
    ET_CHECK(strstr(err.msg, "distill trains the student as it is") != NULL);
}

static void test_resume_needs_checkpoint(void) {
    et_err err = {0};
    char ckpt[256];
    et_train_job_options o = distill("fmnist_mbv2.onnx");
    o.resume = true;
    ET_CHECK(!et_train_job_checkpoint(out, ckpt, sizeof ckpt));
    ET_CHECK_INT(et_train_job_check(&o, &err), ET_E_USAGE);
    ET_CHECK(strstr(err.msg, "there is no checkpoint") != NULL && strstr(err.msg, ckpt) != NULL);
    FILE *f = fopen(ckpt, "w");
    ET_REQUIRE(f != NULL);
    fclose(f);
    ET_CHECK(et_train_job_checkpoint(out, ckpt, sizeof ckpt));
    err = (et_err){0};
    ET_CHECK_INT(et_train_job_check(&o, &err), ET_OK);
    unlink(ckpt);
}

int main(void) {
    const char *src = getenv("ET_SOURCE_DIR") ? getenv("ET_SOURCE_DIR") : ET_SOURCE_DIR;
    snprintf(models, sizeof models, "%s/fixtures/models", src);
    snprintf(dir, sizeof dir, "/tmp/et-jobcheck.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(out, sizeof out, "%s/out.onnx", dir);
    ET_RUN(test_student_shapes);
    ET_RUN(test_resume_needs_checkpoint);
    rmdir(dir);
    return et_test_done();
}
