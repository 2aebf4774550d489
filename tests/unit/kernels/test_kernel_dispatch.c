/* test_kernel_dispatch.c: the two things every kernel family shares (dispatch.h, precondition.h).
 *
 *   1. One dispatch style: each family's table ends at scalar, and et_<family>_config_get() returns the first
 *      entry whose requirement this CPU and ISA path allow (qc8-gemm: and that is exact for the weight width), so
 *      EDGETUNE_ISA=scalar gives scalar everywhere.
 *   2. Preconditions: a kernel called outside its contract stops the process with a message that names the
 *      kernel and the broken condition (checked in a child process per call), and a call inside it does not. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/kernels/f32-dwconv/f32-dwconv.h"
#include "engine/kernels/f32-gemm/f32-gemm.h"
#include "engine/kernels/f32-igemm/f32-igemm.h"
#include "engine/kernels/f32-pool/f32-pool.h"
#include "engine/kernels/f32-spmm/f32-spmm.h"
#include "engine/kernels/f32-vbinary/f32-vbinary.h"
#include "engine/kernels/f32-vunary/f32-vunary.h"
#include "engine/kernels/f32-winograd/f32-winograd.h"
#include "engine/kernels/qc8-dwconv/qc8-dwconv.h"
#include "engine/kernels/qc8-gemm/qc8-gemm.h"
#include "engine/kernels/qs8-vadd/qs8-vadd.h"
#include "engine/kernels/qs8-gavgpool/qs8-gavgpool.h"
#include "engine/kernels/qs8-vcvt/qs8-vcvt.h"
#include "engine/kernels/qs8-vmul/qs8-vmul.h"
#include "engine/kernels/x32-zip/x32-zip.h"
#include "engine/kernels/x8-lut/x8-lut.h"
#include "kernel_test.h"

/* The pick of one family's table: the entry config_get returned is the first selected one, the last is scalar. */
static void check_pick(const char *family, const void *table, size_t count, size_t entry_bytes, size_t req_offset,
                       const void *got) {
    et_kreq reqs[16];
    ET_REQUIRE(count >= 1 && count <= 16);
    for (size_t i = 0; i < count; i++)
        memcpy(&reqs[i], (const char *)table + i * entry_bytes + req_offset, sizeof reqs[i]);
    ET_CHECK_MSG(reqs[count - 1] == ET_KREQ_SCALAR, "%s: the table does not end at scalar", family);
    size_t want = count - 1;
    for (size_t i = 0; i + 1 < count; i++)
        if (et_kreq_selected(reqs[i])) {
            want = i;
            break;
        }
    const size_t index = (size_t)((const char *)got - (const char *)table) / entry_bytes;
    ET_CHECK_MSG(index == want, "%s: config_get returned entry %zu, the first allowed is %zu", family, index, want);
    if (et_cpu_isa_get() == ET_ISA_SCALAR)
        ET_CHECK_MSG(reqs[index] == ET_KREQ_SCALAR, "%s: the scalar path picked %s", family, et_kreq_name(reqs[index]));
}

#define CHECK_FAMILY(family, type, configs_fn, get_call)                       \
    do {                                                                       \
        size_t n_;                                                             \
        const type *t_ = configs_fn(&n_);                                      \
        check_pick(family, t_, n_, sizeof *t_, offsetof(type, req), get_call); \
    } while (0)

static void test_every_family_picks_the_first_allowed(void) {
    CHECK_FAMILY("f32-gemm", et_f32_gemm_config, et_f32_gemm_configs, et_f32_gemm_config_get());
    CHECK_FAMILY("f32-igemm", et_f32_igemm_config, et_f32_igemm_configs, et_f32_igemm_config_get());
    CHECK_FAMILY("f32-dwconv", et_f32_dwconv_config, et_f32_dwconv_configs, et_f32_dwconv_config_get());
    CHECK_FAMILY("f32-pool", et_f32_pool_config, et_f32_pool_configs, et_f32_pool_config_get());
    CHECK_FAMILY("f32-spmm", et_f32_spmm_config, et_f32_spmm_configs, et_f32_spmm_config_get());
    CHECK_FAMILY("f32-vbinary", et_f32_vbinary_config, et_f32_vbinary_configs, et_f32_vbinary_config_get());
    CHECK_FAMILY("f32-vunary", et_f32_vunary_config, et_f32_vunary_configs, et_f32_vunary_config_get());
    CHECK_FAMILY("f32-winograd", et_f32_wino_config, et_f32_wino_configs, et_f32_wino_config_get());
    CHECK_FAMILY("qc8-dwconv", et_qdwconv_config, et_qdwconv_configs, et_qdwconv_config_get());
    CHECK_FAMILY("qs8-vadd", et_qs8_vadd_config, et_qs8_vadd_configs, et_qs8_vadd_config_get());
    CHECK_FAMILY("x8-lut", et_x8_lut_config, et_x8_lut_configs, et_x8_lut_config_get());
    CHECK_FAMILY("qs8-vmul", et_qs8_vmul_config, et_qs8_vmul_configs, et_qs8_vmul_config_get());
    CHECK_FAMILY("qs8-gavgpool", et_qs8_gavgpool_config, et_qs8_gavgpool_configs, et_qs8_gavgpool_config_get());
    CHECK_FAMILY("qs8-vcvt", et_qs8_vcvt_config, et_qs8_vcvt_configs, et_qs8_vcvt_config_get());
    CHECK_FAMILY("x32-zip3", et_x32_zip3_config, et_x32_zip3_configs, et_x32_zip3_config_get());
}

/* qc8-gemm walks its table the same way, with one more condition: exact for the weight width. */
static void test_qgemm_picks_the_first_allowed_for_each_width(void) {
    size_t n;
    const et_qgemm_config *t = et_qgemm_configs(&n);
    ET_REQUIRE(n >= 1 && t[n - 1].req == ET_KREQ_SCALAR && t[n - 1].max_weight_bits == 8);
    for (int bits = 2; bits <= 8; bits++) {
        size_t want = n - 1;
        for (size_t i = 0; i + 1 < n; i++)
            if (t[i].max_weight_bits >= bits && et_kreq_selected(t[i].req)) {
                want = i;
                break;
            }
        ET_CHECK_MSG(et_qgemm_config_get(bits) == &t[want], "qc8-gemm %d-bit: got %s, want %s", bits,
                     et_qgemm_config_get(bits)->gemm_name, t[want].gemm_name);
    }
}

static void test_requirements(void) {
    ET_CHECK(et_kreq_runnable(ET_KREQ_SCALAR) && et_kreq_selected(ET_KREQ_SCALAR));
    for (int r = 0; r < ET_KREQ_COUNT; r++) {
        ET_CHECK(strcmp(et_kreq_name((et_kreq)r), "?") != 0);
        ET_CHECK(!et_kreq_selected((et_kreq)r) || et_kreq_runnable((et_kreq)r)); /* selected implies runnable */
        ET_CHECK(!et_kreq_runnable((et_kreq)r) || et_cpu_can_run(et_kreq_isa((et_kreq)r)));
    }
    ET_CHECK_STR(et_kreq_name(ET_KREQ_COUNT), "?");
    ET_CHECK(et_kreq_isa(ET_KREQ_AVX512VNNI) == ET_ISA_AVX512 && et_kreq_isa(ET_KREQ_NEONDOT) == ET_ISA_NEONDOT);
}

/* --- preconditions: one call per child process ---------------------------------------------------------- */
static float fbuf[4096], fout[4096];
static int8_t qout[4096];
static int32_t qbuf[4096]; /* 4-byte aligned stand-in for packed weights */

typedef enum {
    CALL_GEMM_OK,
    CALL_GEMM_MR0,
    CALL_GEMM_MR_BIG,
    CALL_GEMM_NC0,
    CALL_IGEMM_OFFSET,
    CALL_QGEMM_KC,
    CALL_QGEMM_W,
    CALL_DWCONV_9P_TAPS,
    CALL_VUNARY_OP,
    CALL_PAD_ROWS
} call_kind;

static void call(call_kind kind) {
    const et_f32_gemm_config *g = et_f32_gemm_config_get();
    const et_f32_igemm_config *ig = et_f32_igemm_config_get();
    const et_qgemm_config *q = et_qgemm_config_get(8);
    const et_f32_minmax_params clamp = {-INFINITY, INFINITY};
    et_qs8_requant_params rp;
    et_qs8_requant_params_init(&rp, 0, -128, 127, 0.0f, 0);
    const float *rows[64];
    for (size_t i = 0; i < 64; i++)
        rows[i] = fbuf;
    switch (kind) {
    case CALL_GEMM_OK: g->ukernel(g->mr, g->nr, 4, fbuf, 4, fbuf, fout, g->nr, &clamp); break;
    case CALL_GEMM_MR0: g->ukernel(0, g->nr, 4, fbuf, 4, fbuf, fout, g->nr, &clamp); break;
    case CALL_GEMM_MR_BIG: g->ukernel(g->mr + 1, g->nr, 4, fbuf, 4, fbuf, fout, g->nr, &clamp); break;
    case CALL_GEMM_NC0: g->ukernel(1, 0, 4, fbuf, 4, fbuf, fout, g->nr, &clamp); break;
    case CALL_IGEMM_OFFSET: ig->ukernel(1, 1, 4, 1, rows, fbuf, fout, ig->nr, 2, fbuf, &clamp); break;
    case CALL_QGEMM_KC: q->gemm(1, 1, q->kr + 1, qbuf, 64, qbuf, qout, 16, NULL, 0, &rp); break;
    case CALL_QGEMM_W: q->gemm(1, 1, q->kr, qbuf, 64, (const char *)qbuf + 1, qout, 16, NULL, 0, &rp); break;
    case CALL_DWCONV_9P_TAPS: {
        size_t n;
        const et_f32_dwconv_config *d = et_f32_dwconv_configs(&n);
        for (size_t i = 0; i < n; i++)
            if (d[i].ukernel_9p && et_kreq_runnable(d[i].req)) {
                d[i].ukernel_9p(1, 1, 4, rows, fbuf, fout, 4, 1, 0, fbuf, &clamp);
                _exit(0);
            }
        fprintf(stderr, "no 9-tap depthwise kernel here\n");
        _exit(3);
    }
    case CALL_VUNARY_OP: {
        const et_f32_unary_params up = {0, 6, 0, 0};
        et_f32_vunary_config_get()->ukernel(ET_UNARY_COUNT, 8, fbuf, fout, &up);
        break;
    }
    case CALL_PAD_ROWS: et_qs8_vcvt_config_get()->pad_rows(ET_QA_U8, 1, 8, qout, 8, qbuf, 4); break;
    }
}

/* Runs call(kind) in a child; returns its stderr (static buffer) and sets *aborted when it died of SIGABRT. */
static const char *run_child(call_kind kind, int *aborted) {
    static char text[1024];
    text[0] = 0;
    *aborted = 0;
    int fds[2];
    if (pipe(fds) != 0)
        return text;
    fflush(stderr);
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        call(kind);
        _exit(0);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t got;
    while (len + 1 < sizeof text && (got = read(fds[0], text + len, sizeof text - 1 - len)) > 0)
        len += (size_t)got;
    text[len] = 0;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    *aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
    return text;
}

static void expect_stop(call_kind kind, const char *kernel, const char *condition) {
    int aborted;
    const char *err = run_child(kind, &aborted);
    ET_CHECK_MSG(aborted, "%s: a call breaking `%s` did not stop the process (stderr: %s)", kernel, condition, err);
    ET_CHECK_MSG(strstr(err, "edgetune: bug: ") && strstr(err, kernel) && strstr(err, condition),
                 "%s: the message does not name the kernel and `%s`: %s", kernel, condition, err);
}

static void test_preconditions_stop_bad_calls(void) {
    int aborted;
    const char *err = run_child(CALL_GEMM_OK, &aborted);
    ET_CHECK_MSG(!aborted && err[0] == 0, "a valid GEMM call stopped: %s", err);
    const char *gemm = et_f32_gemm_config_get()->name; /* "f32-gemm-6x16-avx2": the symbol has the tile */
    char sym[64];
    snprintf(sym, sizeof sym, "ukernel_%s", strchr(strchr(gemm, '-') + 1, '-') + 1); /* "ukernel_6x16-avx2" */
    *strrchr(sym, '-') = 0;                                                          /* "ukernel_6x16" */
    expect_stop(CALL_GEMM_MR0, sym, "mr >= 1");
    expect_stop(CALL_GEMM_MR_BIG, sym, "mr <= ");
    expect_stop(CALL_GEMM_NC0, sym, "nc >= 1");
    expect_stop(CALL_IGEMM_OFFSET, "igemm_ukernel", "a_offset % sizeof(float) == 0");
    if (et_qgemm_config_get(8)->kr > 1)
        expect_stop(CALL_QGEMM_KC, "gemm_ukernel", "kc % ");
    expect_stop(CALL_QGEMM_W, "gemm_ukernel", "(uintptr_t)w % 4 == 0");
    err = run_child(CALL_DWCONV_9P_TAPS, &aborted);
    if (!strstr(err, "no 9-tap"))
        expect_stop(CALL_DWCONV_9P_TAPS, "dwconv_ukernel_9p", "ks == (9)");
    expect_stop(CALL_VUNARY_OP, "vunary_ukernel", "(unsigned)op < ET_UNARY_COUNT");
    expect_stop(CALL_PAD_ROWS, "pad_rows_ukernel", "y_stride >= n");
}

int main(void) {
    ET_RUN(test_requirements);
    ET_RUN(test_every_family_picks_the_first_allowed);
    ET_RUN(test_qgemm_picks_the_first_allowed_for_each_width);
    ET_RUN(test_preconditions_stop_bad_calls);
    return et_test_done();
}
