/* qdw_isa_ab.c: the int8 depthwise kernels of every vector config this CPU runs (qc8-dwconv-config.c: AVX-512 and
 * AVX2 on an AVX-512 machine) side by side on MobileNetV3-Small / V2 layer rows (16 pixels of 16-960 channels,
 * 3x3 and 5x5): instructions per call, or interleaved timings.
 *
 * kernel_ab.sh --callgrind compares one kernel across revisions, but valgrind (3.19 here) stops with SIGILL at the
 * first AVX-512 instruction, so it cannot count the AVX-512 kernels. This tool counts instructions by
 * single-stepping one call in a child process under ptrace (the kernels are leaf functions: what is counted is the
 * kernel plus a few instructions of the call, the same for every config). Linux x86-64 only.
 *
 * Usage: qdw_isa_ab [count|time]   (default count; time: the fastest of 30 interleaved blocks of 200 calls) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/kernels/qc8-dwconv/qc8-dwconv.h"
#include "util/mem.h"

typedef struct {
    size_t ch, ks;
    const char *what;
} dcase;

enum { PIXELS = 16, MAX_CFG = 4 };

static const dcase cases[] = {
    {16, 9, "v3s 16ch 3x3"},    {72, 9, "v3s 72ch 3x3"},    {88, 9, "v3s 88ch 3x3"},    {96, 25, "v3s 96ch 5x5"},
    {120, 25, "v3s 120ch 5x5"}, {144, 25, "v3s 144ch 5x5"}, {240, 25, "v3s 240ch 5x5"}, {288, 25, "v3s 288ch 5x5"},
    {576, 25, "v3s 576ch 5x5"}, {32, 9, "v2 32ch 3x3"},     {96, 9, "v2 96ch 3x3"},     {144, 9, "v2 144ch 3x3"},
    {192, 9, "v2 192ch 3x3"},   {384, 9, "v2 384ch 3x3"},   {576, 9, "v2 576ch 3x3"},   {960, 9, "v2 960ch 3x3"},
};

static int8_t *in, *zero, *out;
static void *packed[MAX_CFG];
static const void *ind[PIXELS * 25];
static et_qs8_requant_params rp;
static const et_qdwconv_config *cfg[MAX_CFG];
static size_t ncfg;

static void *xalloc(size_t bytes) {
    void *p = et_aligned_alloc(bytes + 64);
    if (!p) {
        fprintf(stderr, "qdw_isa_ab: out of memory\n");
        exit(1);
    }
    return p;
}

static void setup(const dcase *c) {
    int8_t *w = xalloc(c->ch * c->ks);
    int32_t *b = xalloc(c->ch * 4);
    float *s = xalloc(c->ch * 4);
    for (size_t i = 0; i < c->ch * c->ks; i++)
        w[i] = (int8_t)((int)(i * 7 % 255) - 127);
    for (size_t i = 0; i < c->ch; i++)
        b[i] = (int32_t)i, s[i] = 0.001f;
    for (size_t k = 0; k < ncfg; k++) {
        et_aligned_free(packed[k]);
        packed[k] = xalloc(et_qdwconv_packed_bytes(cfg[k], c->ch, c->ks));
        et_qdwconv_pack(cfg[k], c->ch, c->ks, w, b, s, 3, packed[k]);
    }
    for (size_t i = 0; i < PIXELS * c->ks; i++) /* neighbouring pixels share taps, as in a real row */
        ind[i] = in + (i % 40) * c->ch;
    et_aligned_free(w), et_aligned_free(b), et_aligned_free(s);
}

static void call(size_t k, const dcase *c) {
    const et_qdwconv_ukernel_fn fn = c->ks == 9 && cfg[k]->ukernel_9p ? cfg[k]->ukernel_9p : cfg[k]->ukernel;
    fn(c->ch, PIXELS, c->ks, ind, packed[k], out, c->ks, c->ch, 0, zero, NULL, 0, &rp);
}

/* Instructions from the child's first step to the int3 after one call of config k; -1 if tracing failed. */
static long count(size_t k, const dcase *c) {
    fflush(stdout);
    const pid_t p = fork();
    if (p < 0)
        return -1;
    if (p == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        call(k, c);
        __asm__ volatile("int3");
        _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
    long steps = 0;
    for (;;) {
        if (ptrace(PTRACE_SINGLESTEP, p, 0, 0) != 0 || waitpid(p, &st, 0) != p || !WIFSTOPPED(st)) {
            steps = -1;
            break;
        }
        struct user_regs_struct r;
        ptrace(PTRACE_GETREGS, p, 0, &r);
        if ((ptrace(PTRACE_PEEKTEXT, p, (void *)r.rip, 0) & 0xff) == 0xcc)
            break;
        steps++;
    }
    kill(p, SIGKILL);
    waitpid(p, &st, 0);
    return steps;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    const int timing = argc > 1 && strcmp(argv[1], "time") == 0;
    if (argc > 1 && !timing && strcmp(argv[1], "count") != 0) {
        fprintf(stderr, "qdw_isa_ab: unknown mode '%s'; use count or time\n", argv[1]);
        return 2;
    }
    size_t n;
    const et_qdwconv_config *all = et_qdwconv_configs(&n);
    for (size_t i = 0; i + 1 < n && ncfg < MAX_CFG; i++) /* the vector configs; scalar (last) is far slower */
        if (et_kreq_runnable(all[i].req))
            cfg[ncfg++] = &all[i];
    if (ncfg == 0) {
        fprintf(stderr, "qdw_isa_ab: this CPU runs no vector depthwise kernel\n");
        return 2;
    }
    in = xalloc(1 << 20), zero = xalloc(4096), out = xalloc(1 << 20);
    memset(in, 5, 1 << 20), memset(zero, 3, 4096);
    et_qs8_requant_params_init(&rp, 0, -128, 127, 0.0f, 0);
    printf("%s per call, %d pixels;", timing ? "ns (fastest block)" : "instructions", PIXELS);
    for (size_t k = 0; k < ncfg; k++)
        printf(" %s%s%s", cfg[k]->name_9p ? cfg[k]->name_9p : "", cfg[k]->name_9p ? "/" : "", cfg[k]->name);
    printf("; last column: first / second\n");
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const dcase *c = &cases[ci];
        double v[MAX_CFG];
        setup(c);
        if (timing) {
            for (size_t k = 0; k < ncfg; k++)
                v[k] = 1e30;
            for (int blk = 0; blk < 30; blk++)
                for (size_t k = 0; k < ncfg; k++) {
                    const double t0 = now_s();
                    for (int i = 0; i < 200; i++) {
                        call(k, c);
                        __asm__ volatile("" ::: "memory");
                    }
                    const double t = (now_s() - t0) / 200 * 1e9;
                    v[k] = t < v[k] ? t : v[k];
                }
        } else
            for (size_t k = 0; k < ncfg; k++)
                v[k] = (double)count(k, c);
        printf("%-14s", c->what);
        for (size_t k = 0; k < ncfg; k++)
            printf(" %9.0f", v[k]);
        if (ncfg > 1)
            printf("  %.2f", v[0] / v[1]);
        printf("\n");
    }
    return 0;
}
