/* test_train_store.c: training records in the run database (db/train_store.c): saved with a run, replaced as the
 * job stores it again after each epoch, loaded back field by field (fractions not measured stay "not measured"),
 * absent for a bench run, gone with their run, and carried along by import with the run's new id. */
#include "db/db_internal.h"
#include "db_test_util.h"
#include "et_test.h"
#include "fake_runs.h"

static char dir[512];

static void fill(et_train_record *t, int epochs) {
    et_train_record_init(t);
    t->kind = ET_TRAIN_DISTILL;
    snprintf(t->parent_path, sizeof t->parent_path, "/models/teacher.onnx");
    snprintf(t->parent_sha256, sizeof t->parent_sha256, "%064d", 1);
    snprintf(t->student_path, sizeof t->student_path, "/models/student.onnx");
    snprintf(t->output_path, sizeof t->output_path, "/out/trained.onnx");
    snprintf(t->output_sha256, sizeof t->output_sha256, "%064d", 2);
    snprintf(t->data_path, sizeof t->data_path, "/data/train");
    snprintf(t->data_sha256, sizeof t->data_sha256, "%064d", 3);
    t->data_samples = 10000;
    snprintf(t->settings, sizeof t->settings, "adamw lr 0.001");
    snprintf(t->schedule, sizeof t->schedule, "gradual");
    t->epochs = 3, t->batch = 64, t->seconds = 12.5;
    t->acc_fp32 = 0.9165, t->acc_before = 0.41, t->acc_after = 0.9105, t->agree_before = 0.43, t->agree_after = -1;
    for (int e = 0; e < epochs; e++) {
        et_train_epoch ep = {.epoch = e + 1,
                             .steps = 157,
                             .samples = 10000,
                             .loss = 1.0 / (e + 1),
                             .kd = 0.5,
                             .ce = 0.0,
                             .train_agree = 0.8,
                             .train_acc = -1,
                             .eval_agree = 0.9,
                             .eval_acc = 0.88,
                             .lr = 1e-3,
                             .sparsity = 0.8,
                             .seconds = 4.0,
                             .samples_per_s = 2500};
        et_train_record_add_epoch(t, &ep);
    }
}

static void test_round_trip(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/a.db", dir);
    et_db *db = NULL;
    et_err e = {0};
    ET_REQUIRE(et_db_open(path, ET_DB_WRITE, &db, &e) == ET_OK);
    et_result r;
    et_result_init(&r);
    et_fake_result(&r, 3, NULL);
    int64_t id = 0, other = 0;
    ET_REQUIRE(et_db_save_run(db, &r, &id, &e) == ET_OK);
    et_fake_result(&r, 4, NULL);
    ET_REQUIRE(et_db_save_run(db, &r, &other, &e) == ET_OK);
    et_train_record t, back;
    fill(&t, 1);
    ET_REQUIRE(et_db_save_train(db, id, &t, &e) == ET_OK);
    et_train_record_free(&t);
    fill(&t, 3); /* stored again after more epochs: replaced */
    ET_REQUIRE(et_db_save_train(db, id, &t, &e) == ET_OK);
    et_train_record_init(&back);
    bool found = false;
    ET_REQUIRE(et_db_load_train(db, id, &back, &found, &e) == ET_OK && found);
    ET_CHECK_INT(back.kind, ET_TRAIN_DISTILL);
    ET_CHECK_STR(back.student_path, "/models/student.onnx");
    ET_CHECK_STR(back.output_sha256, t.output_sha256);
    ET_CHECK_STR(back.schedule, "gradual");
    ET_CHECK_INT(back.data_samples, 10000);
    ET_CHECK_NEAR(back.acc_after, 0.9105, 1e-12);
    ET_CHECK(back.agree_after < 0);
    ET_CHECK_INT(back.n_epochs, 3);
    ET_CHECK_NEAR(back.epoch[2].loss, 1.0 / 3, 1e-12);
    ET_CHECK(back.epoch[1].train_acc < 0 && back.epoch[1].eval_acc == 0.88);
    ET_REQUIRE(et_db_load_train(db, other, &back, &found, &e) == ET_OK);
    ET_CHECK(!found && back.n_epochs == 0);
    ET_CHECK_INT(et_db_save_train(db, 9999, &t, &e), ET_E_INPUT);
    /* import into a fresh database: the record follows its run */
    char path2[600];
    snprintf(path2, sizeof path2, "%s/b.db", dir);
    et_db *db2 = NULL;
    ET_REQUIRE(et_db_open(path2, ET_DB_WRITE, &db2, &e) == ET_OK);
    et_fake_result(&r, 5, NULL);
    int64_t first = 0;
    ET_REQUIRE(et_db_save_run(db2, &r, &first, &e) == ET_OK);
    et_import_stats is;
    ET_REQUIRE(et_db_import(db2, path, &is, &e) == ET_OK);
    ET_CHECK_INT(is.runs_added, 2);
    int64_t moved = 0;
    char uuid[40];
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db->sql, "SELECT uuid FROM runs WHERE id = ?1", -1, &st, NULL);
    sqlite3_bind_int64(st, 1, id);
    ET_REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    et_db_col_text(st, 0, uuid, sizeof uuid);
    sqlite3_finalize(st);
    ET_REQUIRE(et_db_find_run(db2, uuid, &moved, &e) == ET_OK);
    ET_CHECK(moved != id);
    ET_REQUIRE(et_db_load_train(db2, moved, &back, &found, &e) == ET_OK && found);
    ET_CHECK_INT(back.n_epochs, 3);
    ET_CHECK_STR(back.data_sha256, t.data_sha256);
    /* deleting the run deletes its training record */
    ET_REQUIRE(et_db_delete_run(db, id, &e) == ET_OK);
    ET_REQUIRE(et_db_load_train(db, id, &back, &found, &e) == ET_OK);
    ET_CHECK(!found);
    et_train_record_free(&t);
    et_train_record_free(&back);
    et_result_free(&r);
    et_db_close(db);
    et_db_close(db2);
}

int main(void) {
    et_tmpdir(dir, sizeof dir);
    ET_RUN(test_round_trip);
    et_rmtree(dir);
    return et_test_done();
}
