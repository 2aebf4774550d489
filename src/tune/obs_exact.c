/* obs_exact.c: exact OBS masks for small layers (obs_exact.h).
 *
 * One row's walk, from H^-1 of the dampened Hessian and the row's weights w:
 *   q = argmin over the weights still there of w_q^2 / Hi_qq        (ties: the lower column)
 *   cost of the step = w_q^2 / Hi_qq
 *   w -= (w_q / Hi_qq) Hi[:, q]                                      (w_q becomes 0, the others refit)
 *   Hi -= Hi[:, q] Hi[q, :] / Hi_qq                                  (H^-1 of the remaining weights)
 * (the cost of a step is what the layer's output error grows by: the walk is greedy, one weight at a time)
 * The same walk twice gives the same steps, so the second pass only needs each row's count. */
#include "tune/obs_exact.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool et_obs_exact_fits(int64_t rows, int64_t d) {
    if (rows < 1 || d < 1 || d > 1024)
        return false;
    double work = (double)rows * (double)d * (double)d * (double)d / 3.0;
    return work <= (double)(1 << 29);
}

/* H^-1 = U^T U with U = R^-1 (R upper, H = R R^T). NULL on OOM. */
static double *inverse_of(const double *r, int64_t d) {
    double *u = calloc((size_t)(d * d), sizeof *u);
    double *hi = malloc((size_t)(d * d) * sizeof *hi);
    if (!u || !hi) {
        free(u), free(hi);
        return NULL;
    }
    for (int64_t c = 0; c < d; c++) { /* column c of U: R U[:, c] = e_c, back substitution */
        u[c * d + c] = 1.0 / r[c * d + c];
        for (int64_t i = c - 1; i >= 0; i--) {
            double t = 0.0;
            for (int64_t k = i + 1; k <= c; k++)
                t += r[i * d + k] * u[k * d + c];
            u[i * d + c] = -t / r[i * d + i];
        }
    }
    for (int64_t a = 0; a < d; a++)
        for (int64_t b = a; b < d; b++) {
            double t = 0.0;
            for (int64_t k = 0; k <= a; k++) /* U[k][a] is 0 below k > a */
                t += u[k * d + a] * u[k * d + b];
            hi[a * d + b] = hi[b * d + a] = t;
        }
    free(u);
    return hi;
}

typedef struct obs_job {
    float *w;
    int64_t rows, d;
    const double *hinv;
    double floor;   /* a diagonal of H^-1 below this is treated as exhausted (round-off) */
    double *cost;   /* trace pass: rows x d, the cost of each step */
    int64_t *count; /* final pass: per row, the steps to take */
    float *out;     /* final pass: the result (w is written only when every row succeeded) */
    uint8_t *mask;  /* final pass */
    /* N:M: column j is in group group[j], of which quota[g] weights go (NULL: no groups) */
    const int32_t *group, *quota;
    int64_t n_groups;
    bool failed; /* scratch could not be allocated */
} obs_job;

/* Walks row r for `steps` steps with scratch hi (d x d), x (d), idx (d), left (n_groups); costs into cost (may
 * be NULL). The weights still there are kept in the leading positions [0, m) of x and of hi (whose stride is d),
 * idx[k] being the column at position k: a removed weight swaps places with the last one, so that each step
 * updates an m x m block (about d^3 / 3 multiply-adds over a whole row). */
static void walk_row(const obs_job *J, int64_t r, int64_t steps, double *hi, double *x, int64_t *idx, int32_t *left,
                     double *cost) {
    int64_t d = J->d, m = d;
    memcpy(hi, J->hinv, (size_t)(d * d) * sizeof *hi);
    for (int64_t j = 0; j < d; j++) {
        x[j] = (double)J->w[r * d + j];
        idx[j] = j;
    }
    if (J->group)
        memcpy(left, J->quota, (size_t)J->n_groups * sizeof *left);
    for (int64_t t = 0; t < steps && m > 0; t++) {
        int64_t q = -1;
        double best = INFINITY;
        for (int64_t k = 0; k < m; k++) {
            if (J->group && left[J->group[idx[k]]] <= 0)
                continue;
            double dq = hi[k * d + k] > J->floor ? hi[k * d + k] : J->floor;
            double s = x[k] * x[k] / dq;
            if (q < 0 || s < best || (s == best && idx[k] < idx[q]))
                best = s, q = k;
        }
        if (q < 0)
            break; /* N:M: every group has its zeros */
        if (cost)
            cost[t] = best;
        if (J->group)
            left[J->group[idx[q]]]--;
        double dq = hi[q * d + q];
        if (dq > J->floor) {
            double f = x[q] / dq;
            const double *hq = hi + q * d;
            for (int64_t k = 0; k < m; k++)
                x[k] -= f * hq[k];
            for (int64_t a = 0; a < m; a++) {
                if (a == q || hq[a] == 0.0)
                    continue;
                double g = hq[a] / dq;
                double *ha = hi + a * d;
                for (int64_t b = 0; b < m; b++)
                    ha[b] -= g * hq[b];
            }
        }
        /* position q takes the last weight still there: its row, column, value and column index */
        m--;
        if (q != m) {
            memcpy(hi + q * d, hi + m * d, (size_t)m * sizeof *hi);
            for (int64_t a = 0; a < m; a++)
                hi[a * d + q] = hi[a * d + m];
            hi[q * d + q] = hi[m * d + m];
            x[q] = x[m];
            int64_t t2 = idx[q];
            idx[q] = idx[m];
            idx[m] = t2;
        }
    }
    if (!cost) {
        for (int64_t j = 0; j < d; j++) {
            J->out[r * d + j] = 0.0f;
            J->mask[r * d + j] = 1;
        }
        for (int64_t k = 0; k < m; k++) {
            J->out[r * d + idx[k]] = (float)x[k];
            J->mask[r * d + idx[k]] = 0;
        }
    }
}

static void run_rows(void *ctx, size_t b, size_t e) {
    obs_job *J = ctx;
    int64_t d = J->d;
    double *hi = malloc((size_t)(d * d) * sizeof *hi), *x = malloc((size_t)d * sizeof *x);
    int64_t *idx = malloc((size_t)d * sizeof *idx);
    int32_t *left = malloc((size_t)(J->n_groups + 1) * sizeof *left);
    if (!hi || !x || !idx || !left) {
        J->failed = true; /* a plain store: any writer says the same */
        free(hi), free(x), free(idx), free(left);
        return;
    }
    for (size_t r = b; r < e; r++) {
        if (J->cost)
            walk_row(J, (int64_t)r, d, hi, x, idx, left, J->cost + (int64_t)r * d);
        else
            walk_row(J, (int64_t)r, J->count[r], hi, x, idx, left, NULL);
    }
    free(hi), free(x), free(idx), free(left);
}

static void for_rows(obs_job *J, et_threadpool *pool) {
    if (pool && J->rows > 1)
        et_threadpool_parallel_for_chunked(pool, (size_t)J->rows, 1, run_rows, J);
    else
        run_rows(J, 0, (size_t)J->rows);
}

/* A binary heap of rows by the cost of their next step (ties: the lower row). */
typedef struct heap {
    int64_t *row, n;
    const double *cost;
    const int64_t *next;
    int64_t d;
} heap;

static double key_of(const heap *h, int64_t r) { return h->next[r] < h->d ? h->cost[r * h->d + h->next[r]] : INFINITY; }

static bool before(const heap *h, int64_t a, int64_t b) {
    double ka = key_of(h, a), kb = key_of(h, b);
    return ka < kb || (ka == kb && a < b);
}

static void sift_down(heap *h, int64_t i) {
    for (;;) {
        int64_t l = 2 * i + 1, m = i;
        if (l < h->n && before(h, h->row[l], h->row[m]))
            m = l;
        if (l + 1 < h->n && before(h, h->row[l + 1], h->row[m]))
            m = l + 1;
        if (m == i)
            return;
        int64_t t = h->row[i];
        h->row[i] = h->row[m];
        h->row[m] = t;
        i = m;
    }
}

static bool share_out(const double *cost, int64_t rows, int64_t d, int64_t prune_count, int64_t *count) {
    int64_t *row = malloc((size_t)rows * sizeof *row);
    if (!row)
        return false;
    heap h = {.row = row, .n = rows, .cost = cost, .next = count, .d = d};
    for (int64_t r = 0; r < rows; r++)
        count[r] = 0, row[r] = r;
    for (int64_t i = rows / 2 - 1; i >= 0; i--)
        sift_down(&h, i);
    for (int64_t k = 0; k < prune_count && h.n > 0; k++) {
        count[h.row[0]]++;
        sift_down(&h, 0);
    }
    free(row);
    return true;
}

void et_obs_share(const double *cost, int64_t rows, int64_t d, int64_t total, int64_t *count) {
    total = total < 0 ? 0 : total > rows * d ? rows * d : total;
    if (share_out(cost, rows, d, total, count))
        return;
    for (int64_t r = 0; r < rows; r++) /* no scratch: an even share */
        count[r] = total / rows + (r < total % rows);
}

static double floor_of(const double *hinv, int64_t d) {
    double mean = 0.0;
    for (int64_t j = 0; j < d; j++)
        mean += hinv[j * d + j];
    return 1e-12 * mean / (double)d;
}

et_status et_obs_costs(const float *w, int64_t rows, int64_t d, const double *r, double *cost, et_threadpool *pool,
                       et_err *err) {
    double *hinv = inverse_of(r, d);
    if (!hinv)
        return et_fail(err, ET_E_NOMEM, "out of memory choosing a pruning mask");
    obs_job J = {.w = (float *)w, .rows = rows, .d = d, .hinv = hinv, .floor = floor_of(hinv, d), .cost = cost};
    for_rows(&J, pool); /* reads w only */
    free(hinv);
    return J.failed ? et_fail(err, ET_E_NOMEM, "out of memory choosing a pruning mask") : ET_OK;
}

/* Both passes (or, with N:M groups, the second alone: every row takes its groups' quotas). */
static et_status prune(obs_job *J, const double *r, int64_t prune_count, et_threadpool *pool, et_err *err) {
    float *w = J->w;
    int64_t rows = J->rows, d = J->d;
    double *hinv = inverse_of(r, d);
    double *cost = malloc((size_t)(rows * d) * sizeof *cost);
    int64_t *count = malloc((size_t)rows * sizeof *count);
    float *out = malloc((size_t)(rows * d) * sizeof *out);
    et_status st = ET_OK;
    if (!hinv || !cost || !count || !out) {
        st = et_fail(err, ET_E_NOMEM, "out of memory choosing a pruning mask");
        goto done;
    }
    J->hinv = hinv, J->floor = floor_of(hinv, d);
    if (J->group) {
        int64_t steps = 0;
        for (int64_t g = 0; g < J->n_groups; g++)
            steps += J->quota[g];
        for (int64_t i = 0; i < rows; i++)
            count[i] = steps;
    } else {
        J->cost = cost;
        for_rows(J, pool);
        et_obs_share(cost, rows, d, prune_count, count);
    }
    if (!J->failed) {
        J->cost = NULL, J->count = count, J->out = out;
        for_rows(J, pool);
    }
    if (J->failed)
        st = et_fail(err, ET_E_NOMEM, "out of memory choosing a pruning mask");
    else
        memcpy(w, out, (size_t)(rows * d) * sizeof *w);
done:
    free(hinv), free(cost), free(count), free(out);
    return st;
}

et_status et_obs_prune(float *w, int64_t rows, int64_t d, const double *r, int64_t prune_count, uint8_t *mask,
                       et_threadpool *pool, et_err *err) {
    prune_count = prune_count < 0 ? 0 : prune_count > rows * d ? rows * d : prune_count;
    obs_job J = {.w = w, .rows = rows, .d = d, .mask = mask};
    return prune(&J, r, prune_count, pool, err);
}

et_status et_obs_prune_nm(float *w, int64_t rows, int64_t d, const double *r, int nm_n, int nm_m, int64_t segment,
                          uint8_t *mask, et_threadpool *pool, et_err *err) {
    segment = segment > 0 ? segment : d;
    int64_t per_seg = (segment + nm_m - 1) / nm_m, n_groups = (d / segment) * per_seg;
    int32_t *group = malloc((size_t)d * sizeof *group), *quota = calloc((size_t)n_groups + 1, sizeof *quota);
    if (!group || !quota || d % segment != 0 || nm_m < 1) {
        free(group), free(quota);
        return et_fail(err, d % segment ? ET_E_RUNTIME : ET_E_NOMEM, "cannot choose an N:M mask here");
    }
    for (int64_t j = 0; j < d; j++) { /* a last group of t < m columns keeps ceil(n t / m), as obq.c */
        int64_t in = j % segment, g = (j / segment) * per_seg + in / nm_m;
        int64_t t = segment - (in / nm_m) * nm_m < nm_m ? segment - (in / nm_m) * nm_m : nm_m;
        group[j] = (int32_t)g;
        quota[g] = (int32_t)(t - (nm_n * t + nm_m - 1) / nm_m);
    }
    obs_job J = {.w = w, .rows = rows, .d = d, .mask = mask, .group = group, .quota = quota, .n_groups = n_groups};
    et_status st = prune(&J, r, 0, pool, err);
    free(group), free(quota);
    return st;
}
