/* test_obq.c: recovery's numeric core against references: the Cholesky factor (chol.c) against its definition,
 * the GPTQ / SparseGPT walk (obq.c) against fixtures/recovery/, written in numpy from the papers' algorithms by
 * fixtures/gen/recovery_ref.py (the U = chol(H^-1) form; edgetune uses H = R R^T), and the least-squares refit
 * of channel pruning against its closed form; exact OBS masks (obs_exact.c) by what they must satisfy: the count,
 * N:M groups, the least-squares refit of what is kept, an error no larger than SparseGPT's. */
#include <math.h>

#include "engine/threadpool.h"
#include "et_test.h"
#include "model/npy.h"
#include "tune/chol.h"
#include "tune/obq.h"
#include "tune/obs_exact.h"
#include "tune/qmath.h"

static const char *src_dir(void) {
    const char *d = getenv("ET_SOURCE_DIR");
    return d ? d : ET_SOURCE_DIR;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double rnd(void) { /* uniform in [-1, 1) */
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 4503599627370496.0 - 1.0;
}

/* a = X X^T + eps I for n random samples: symmetric positive definite. */
static double *random_spd(int64_t d, int64_t n, double eps) {
    double *x = malloc((size_t)(d * n) * sizeof *x), *a = calloc((size_t)(d * d), sizeof *a);
    for (int64_t i = 0; i < d * n; i++)
        x[i] = rnd();
    for (int64_t i = 0; i < d; i++)
        for (int64_t j = 0; j < d; j++) {
            double s = 0;
            for (int64_t k = 0; k < n; k++)
                s += x[i * n + k] * x[j * n + k];
            a[i * d + j] = s + (i == j ? eps : 0.0);
        }
    free(x);
    return a;
}

static void check_chol(int64_t d, et_threadpool *pool) {
    double *a = random_spd(d, d + 7, 1e-3);
    double *r = malloc((size_t)(d * d) * sizeof *r);
    memcpy(r, a, (size_t)(d * d) * sizeof *r);
    ET_REQUIRE(et_chol_upper_rev(r, d, pool));
    double worst = 0, scale = 0;
    for (int64_t i = 0; i < d; i++) {
        scale = fmax(scale, fabs(a[i * d + i]));
        for (int64_t j = 0; j < d; j++) {
            if (j < i)
                ET_CHECK(r[i * d + j] == 0.0); /* upper triangular */
            double s = 0;
            for (int64_t k = 0; k < d; k++)
                s += r[i * d + k] * r[j * d + k];
            worst = fmax(worst, fabs(s - a[i * d + j]));
        }
    }
    ET_CHECK_MSG(worst <= 1e-10 * scale, "d %lld: |R R^T - A| %.3g (scale %.3g)", (long long)d, worst, scale);
    free(a), free(r);
}

static void test_chol(void) {
    et_err err = {0};
    et_threadpool *pool = et_threadpool_create(2, &err);
    const int64_t sizes[] = {1, 2, 7, 63, 64, 65, 150, 211};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        check_chol(sizes[i], NULL);
        check_chol(sizes[i], pool);
    }
    /* not positive definite: refused, and left as it was (so that dampening can be added and tried again) */
    double bad[9] = {1, 2, 0, 2, 1, 0, 0, 0, 1}, copy[9];
    memcpy(copy, bad, sizeof bad);
    ET_CHECK(!et_chol_upper_rev(bad, 3, NULL));
    ET_CHECK(memcmp(bad, copy, sizeof bad) == 0);
    int64_t big = 150; /* fails late, after several blocks */
    double *a = random_spd(big, 20, 0.0), *keep = malloc((size_t)(big * big) * sizeof *keep);
    memcpy(keep, a, (size_t)(big * big) * sizeof *keep);
    ET_CHECK(!et_chol_upper_rev(a, big, pool));
    ET_CHECK(memcmp(a, keep, (size_t)(big * big) * sizeof *keep) == 0);
    for (int64_t i = 0; i < big; i++)
        a[i * big + i] += 1.0;
    ET_CHECK(et_chol_upper_rev(a, big, pool));
    free(a), free(keep);
    double nan_m[4] = {1, 0, 0, NAN};
    ET_CHECK(!et_chol_upper_rev(nan_m, 2, NULL));
    et_threadpool_destroy(pool);
}

typedef struct ref_case {
    char name[64], mask[16];
    int rows, d, bits, qmin, qmax, nm_n, nm_m, block;
    long long prune_count;
    double damp, err;
} ref_case;

static bool load(const char *name, const char *what, et_npy *out) {
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/recovery/%s.%s.npy", src_dir(), name, what);
    et_err err = {0};
    if (et_npy_read(path, out, &err) != ET_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return false;
    }
    return true;
}

/* The dampened Hessian's factor as recover.c makes it: dead inputs get H_jj = 1 and zero weights, then
 * damp * mean(diag) on the diagonal. */
static double *factor(const double *h, float *w, int rows, int d, double damp) {
    double *r = malloc((size_t)d * (size_t)d * sizeof *r);
    memcpy(r, h, (size_t)d * (size_t)d * sizeof *r);
    double mean = 0;
    for (int j = 0; j < d; j++) {
        if (r[j * d + j] == 0.0) {
            r[j * d + j] = 1.0;
            for (int i = 0; i < rows; i++)
                w[i * d + j] = 0.0f;
        }
        mean += r[j * d + j];
    }
    mean /= d;
    for (int j = 0; j < d; j++)
        r[j * d + j] += damp * mean;
    if (!et_chol_upper_rev(r, d, NULL)) {
        free(r);
        return NULL;
    }
    return r;
}

static void run_case(const ref_case *c, et_threadpool *pool) {
    et_npy W = {0}, H = {0}, S = {0}, Z = {0}, Q = {0}, M = {0};
    ET_REQUIRE(load(c->name, "W", &W) && load(c->name, "H", &H) && load(c->name, "scale", &S) &&
               load(c->name, "zp", &Z) && load(c->name, "Q", &Q));
    ET_REQUIRE(W.dtype == ET_DT_F32 && H.dtype == ET_DT_F64 && S.dtype == ET_DT_F32 && Z.dtype == ET_DT_I32);
    int rows = c->rows, d = c->d;
    float *w = malloc((size_t)rows * (size_t)d * sizeof *w), *w0 = malloc((size_t)rows * (size_t)d * sizeof *w0);
    memcpy(w, W.data, W.nbytes);
    double *r = factor(H.data, w, rows, d, c->damp);
    ET_REQUIRE(r);
    memcpy(w0, w, (size_t)rows * (size_t)d * sizeof *w0);
    et_obq_config cfg =
        {.quant = {.bits = c->bits, .qmin = c->qmin, .qmax = c->qmax, .scale = S.data, .zero_point = Z.data},
         .block = c->block};
    if (strcmp(c->mask, "adaptive") == 0) {
        cfg.mask = ET_OBQ_MASK_ADAPTIVE;
        cfg.prune_count = c->prune_count;
    } else if (strcmp(c->mask, "nm") == 0) {
        cfg.mask = ET_OBQ_MASK_NM;
        cfg.nm_n = c->nm_n, cfg.nm_m = c->nm_m;
    } else if (strcmp(c->mask, "fixed") == 0) {
        ET_REQUIRE(load(c->name, "mask", &M));
        cfg.mask = ET_OBQ_MASK_FIXED;
        cfg.fixed = M.data;
    }
    double e_run = 0;
    et_err err = {0};
    ET_REQUIRE(et_obq_run(w, rows, d, r, d, &cfg, pool, &e_run, &err) == ET_OK);
    /* the result against the reference: on the same grid point almost everywhere (a rounding tie computed in
     * float here and in double there may go either way, and shifts what follows a little) */
    const float *q = Q.data;
    double wmax = 0;
    for (int i = 0; i < rows * d; i++)
        wmax = fmax(wmax, fabs(w0[i]));
    int differ = 0, zeros = 0, ref_zeros = 0;
    for (int i = 0; i < rows * d; i++) {
        differ += fabsf(w[i] - q[i]) > 1e-3 * wmax;
        zeros += w[i] == 0.0f;
        ref_zeros += q[i] == 0.0f;
    }
    if (getenv("ET_TEST_VERBOSE"))
        fprintf(stderr, "%s: %d of %d differ, error %.6g vs reference %.6g\n", c->name, differ, rows * d, e_run,
                c->err);
    ET_CHECK_MSG(differ <= rows * d / 100, "%s: %d of %d weights differ from the reference", c->name, differ, rows * d);
    if (cfg.mask != ET_OBQ_MASK_NONE)
        ET_CHECK_MSG(abs(zeros - ref_zeros) <= rows * d / 100, "%s: %d zeros, reference %d", c->name, zeros, ref_zeros);
    if (cfg.mask == ET_OBQ_MASK_ADAPTIVE && cfg.quant.bits == 0)
        ET_CHECK_MSG(zeros >= c->prune_count, "%s: %d zeros for %lld pruned", c->name, zeros, c->prune_count);
    /* the error it reports is the dampened output error of what it returns, and matches the reference's */
    float *dw = malloc((size_t)rows * (size_t)d * sizeof *dw);
    for (int i = 0; i < rows * d; i++)
        dw[i] = w0[i] - w[i];
    double e_check = et_obq_error(dw, rows, d, r, d, pool);
    ET_CHECK_MSG(fabs(e_check - e_run) <= 1e-3 * e_check, "%s: reported error %.6g, recomputed %.6g", c->name, e_run,
                 e_check);
    ET_CHECK_MSG(fabs(e_run - c->err) <= 0.005 * c->err, "%s: error %.6g, reference %.6g", c->name, e_run, c->err);
    /* and it is below round-to-nearest / magnitude pruning on the same problem */
    if (cfg.mask == ET_OBQ_MASK_NONE) {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < d; j++) {
                float s = ((const float *)S.data)[i], inv = 1.0f / s;
                int32_t z = ((const int32_t *)Z.data)[i];
                long v = lrintf(w0[i * d + j] * inv) + z;
                v = v < c->qmin ? c->qmin : v > c->qmax ? c->qmax : v;
                dw[i * d + j] = w0[i * d + j] - s * (float)(v - z);
            }
        double e_rtn = et_obq_error(dw, rows, d, r, d, pool);
        ET_CHECK_MSG(e_run < e_rtn, "%s: GPTQ %.6g not below rounding %.6g", c->name, e_run, e_rtn);
    }
    if (cfg.mask == ET_OBQ_MASK_FIXED) {
        /* masked columns first: the walk is then the least-squares refit of the kept columns */
        const uint8_t *m = M.data;
        int *perm = malloc((size_t)d * sizeof *perm), np = 0;
        for (int j = 0; j < d; j++)
            if (m[j])
                perm[np++] = j;
        int n_masked = np;
        for (int j = 0; j < d; j++)
            if (!m[j])
                perm[np++] = j;
        const double *h = H.data;
        double *hp = malloc((size_t)d * (size_t)d * sizeof *hp), mean = 0;
        for (int j = 0; j < d; j++)
            mean += h[j * d + j];
        mean /= d;
        for (int a = 0; a < d; a++)
            for (int b = 0; b < d; b++)
                hp[a * d + b] = h[perm[a] * d + perm[b]] + (a == b ? c->damp * mean : 0.0);
        ET_REQUIRE(et_chol_upper_rev(hp, d, NULL));
        float *wp = malloc((size_t)rows * (size_t)d * sizeof *wp);
        uint8_t *mp = malloc((size_t)rows * (size_t)d);
        for (int i = 0; i < rows; i++)
            for (int a = 0; a < d; a++) {
                wp[i * d + a] = w0[i * d + perm[a]];
                mp[i * d + a] = a < n_masked;
            }
        et_obq_config lsq = {.mask = ET_OBQ_MASK_FIXED, .fixed = mp, .block = 16};
        ET_REQUIRE(et_obq_run(wp, rows, d, hp, d, &lsq, NULL, NULL, &err) == ET_OK);
        et_npy L = {0};
        ET_REQUIRE(load(c->name, "lsq", &L));
        const float *ref = L.data; /* rows x kept, kept columns in ascending order */
        double worst = 0, big = 0;
        for (int i = 0; i < rows; i++)
            for (int a = n_masked; a < d; a++) {
                worst = fmax(worst, fabs(wp[i * d + a] - ref[i * (d - n_masked) + (a - n_masked)]));
                big = fmax(big, fabs(ref[i * (d - n_masked) + (a - n_masked)]));
            }
        ET_CHECK_MSG(worst <= 1e-3 * big, "%s: least-squares refit off by %.3g (largest weight %.3g)", c->name, worst,
                     big);
        for (int i = 0; i < rows * n_masked; i++)
            ET_CHECK(wp[(i / n_masked) * d + i % n_masked] == 0.0f);
        et_npy_free(&L);
        free(perm), free(hp), free(wp), free(mp);
    }
    free(w), free(w0), free(r), free(dw);
    et_npy_free(&W), et_npy_free(&H), et_npy_free(&S), et_npy_free(&Z), et_npy_free(&Q), et_npy_free(&M);
}

static void test_reference_cases(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/recovery/cases.txt", src_dir());
    FILE *f = fopen(path, "r");
    ET_REQUIRE(f);
    et_err err = {0};
    et_threadpool *pool = et_threadpool_create(2, &err);
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        ref_case c = {0};
        if (sscanf(line, "%63s %d %d %d %d %d %15s %lld %d %d %d %lf %lf", c.name, &c.rows, &c.d, &c.bits, &c.qmin,
                   &c.qmax, c.mask, &c.prune_count, &c.nm_n, &c.nm_m, &c.block, &c.damp, &c.err) != 13)
            continue;
        run_case(&c, n % 2 ? pool : NULL);
        n++;
    }
    fclose(f);
    ET_CHECK(n >= 8);
    et_threadpool_destroy(pool);
}

/* The same problem with 1 and 2 threads and with different blocks gives the same bits (1 vs 2 threads) and the
 * same result up to rounding (block sizes reorder sums). */
static void test_deterministic(void) {
    int rows = 37, d = 150;
    double *h = random_spd(d, 200, 1e-2);
    float *w = malloc((size_t)rows * d * sizeof *w), *a = malloc((size_t)rows * d * sizeof *a),
          *b = malloc((size_t)rows * d * sizeof *b);
    float *scale = malloc((size_t)rows * sizeof *scale);
    int32_t *zp = calloc((size_t)rows, sizeof *zp);
    for (int i = 0; i < rows * d; i++)
        w[i] = (float)rnd();
    for (int i = 0; i < rows; i++)
        scale[i] = 1.0f / 7.0f;
    ET_REQUIRE(et_chol_upper_rev(h, d, NULL));
    et_err err = {0};
    et_threadpool *pool = et_threadpool_create(2, &err);
    et_obq_config cfg = {.quant = {.bits = 4, .qmin = -7, .qmax = 7, .scale = scale, .zero_point = zp},
                         .mask = ET_OBQ_MASK_ADAPTIVE,
                         .prune_count = rows * d / 2};
    memcpy(a, w, (size_t)rows * d * sizeof *a);
    memcpy(b, w, (size_t)rows * d * sizeof *b);
    double ea, eb;
    ET_CHECK(et_obq_run(a, rows, d, h, d, &cfg, NULL, &ea, &err) == ET_OK);
    ET_CHECK(et_obq_run(b, rows, d, h, d, &cfg, pool, &eb, &err) == ET_OK);
    ET_CHECK(memcmp(a, b, (size_t)rows * d * sizeof *a) == 0);
    ET_CHECK(ea == eb);
    int zeros = 0;
    for (int i = 0; i < rows * d; i++)
        zeros += a[i] == 0.0f;
    ET_CHECK_MSG(zeros >= rows * d / 2, "%d zeros, want %d", zeros, rows * d / 2);
    et_threadpool_destroy(pool);
    free(h), free(w), free(a), free(b), free(scale), free(zp);
}

/* The refit of what a mask keeps is the least-squares optimum: (H (W' - W))_j = 0 for every kept weight j. */
static double kept_gradient(const float *res, const float *w, int64_t rows, int64_t d, const double *h) {
    double worst = 0;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < d; j++) {
            if (res[r * d + j] == 0.0f)
                continue;
            double g = 0;
            for (int64_t k = 0; k < d; k++)
                g += h[j * d + k] * ((double)res[r * d + k] - (double)w[r * d + k]);
            worst = fmax(worst, fabs(g) / h[j * d + j]);
        }
    return worst;
}

static double error_of(const float *res, const float *w, int64_t rows, int64_t d, const double *r) {
    float *dw = malloc((size_t)(rows * d) * sizeof *dw);
    for (int64_t i = 0; i < rows * d; i++)
        dw[i] = w[i] - res[i];
    double e = et_obq_error(dw, rows, d, r, d, NULL);
    free(dw);
    return e;
}

static void test_obs_exact(void) {
    int64_t rows = 13, d = 24, n = rows * d;
    double *h = random_spd(d, 60, 1e-2), *r = malloc((size_t)(d * d) * sizeof *r);
    memcpy(r, h, (size_t)(d * d) * sizeof *r);
    ET_REQUIRE(et_chol_upper_rev(r, d, NULL));
    float *w = malloc((size_t)n * sizeof *w), *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b),
          *s = malloc((size_t)n * sizeof *s);
    uint8_t *ma = malloc((size_t)n), *mb = malloc((size_t)n);
    for (int64_t i = 0; i < n; i++)
        w[i] = (float)rnd();
    et_err err = {0};
    et_threadpool *pool = et_threadpool_create(2, &err);
    for (int pass = 0; pass < 2; pass++) { /* unstructured 60 %, then 2:4 */
        memcpy(a, w, (size_t)n * sizeof *a), memcpy(b, w, (size_t)n * sizeof *b), memcpy(s, w, (size_t)n * sizeof *s);
        et_obq_config sparsegpt = {.mask = pass ? ET_OBQ_MASK_NM : ET_OBQ_MASK_ADAPTIVE,
                                   .prune_count = n * 6 / 10,
                                   .nm_n = 2,
                                   .nm_m = 4};
        if (pass == 0) {
            ET_REQUIRE(et_obs_prune(a, rows, d, r, n * 6 / 10, ma, NULL, &err) == ET_OK);
            ET_REQUIRE(et_obs_prune(b, rows, d, r, n * 6 / 10, mb, pool, &err) == ET_OK);
        } else {
            ET_REQUIRE(et_obs_prune_nm(a, rows, d, r, 2, 4, d, ma, NULL, &err) == ET_OK);
            ET_REQUIRE(et_obs_prune_nm(b, rows, d, r, 2, 4, d, mb, pool, &err) == ET_OK);
        }
        ET_REQUIRE(et_obq_run(s, rows, d, r, d, &sparsegpt, NULL, NULL, &err) == ET_OK);
        ET_CHECK_MSG(memcmp(a, b, (size_t)n * sizeof *a) == 0 && memcmp(ma, mb, (size_t)n) == 0,
                     "1 and 2 threads differ");
        int64_t zeros = 0;
        for (int64_t i = 0; i < n; i++) {
            zeros += ma[i];
            ET_CHECK(!ma[i] || a[i] == 0.0f);
        }
        if (pass == 0) {
            ET_CHECK_MSG(zeros == n * 6 / 10, "%lld zeros, want %lld", (long long)zeros, (long long)(n * 6 / 10));
        } else {
            for (int64_t g = 0; g < n / 4; g++)
                ET_CHECK(ma[4 * g] + ma[4 * g + 1] + ma[4 * g + 2] + ma[4 * g + 3] == 2);
        }
        double grad = kept_gradient(a, w, rows, d, h);
        ET_CHECK_MSG(grad <= 1e-4, "pass %d: kept weights off the least-squares optimum by %.3g", pass, grad);
        double ea = error_of(a, w, rows, d, r), es = error_of(s, w, rows, d, r);
        ET_CHECK_MSG(ea <= es, "pass %d: exact OBS error %.6g above SparseGPT's %.6g", pass, ea, es);
    }
    /* the shares: the cheapest steps first, each row's in order */
    double cost[6] = {1, 5, 9, 2, 3, 4};
    int64_t count[2];
    et_obs_share(cost, 2, 3, 3, count);
    ET_CHECK(count[0] == 1 && count[1] == 2);
    ET_CHECK(et_obs_exact_fits(64, 288) && !et_obs_exact_fits(64, 576) && !et_obs_exact_fits(1, 2000));
    et_threadpool_destroy(pool);
    free(h), free(r), free(w), free(a), free(b), free(s), free(ma), free(mb);
}

int main(void) {
    ET_RUN(test_chol);
    ET_RUN(test_reference_cases);
    ET_RUN(test_deterministic);
    ET_RUN(test_obs_exact);
    return et_test_done();
}
