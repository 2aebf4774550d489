/* matmul.c: fully-connected (a 1x1 convolution over rows, see conv2d.c) and dynamic matrix multiply. The dynamic
 * product runs in two parallel passes: pack B panels (batch x panels tasks), then multiply tiles of MR rows x
 * NR-multiple columns (batch x row tiles x column blocks tasks). */
#include "engine/operators/matmul.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/kernels/f32-gemm/f32-gemm.h"
#include "engine/operators/conv2d.h"
#include "engine/operators/task_grid.h"
#include "util/mem.h"

struct et_fully_connected {
    et_conv2d_nhwc *conv;
};

et_status et_fully_connected_create(const et_fully_connected_params *params, const float *weights, const float *bias,
                                    et_fully_connected **out, et_err *err) {
    *out = NULL;
    if (!params || !weights)
        return et_fail(err, ET_E_INPUT, "fully-connected layer created without %s", params ? "weights" : "parameters");
    if (params->in_features == 0 || params->out_features == 0)
        return et_fail(err, ET_E_INPUT, "fully-connected layer %zu -> %zu: sizes must be at least 1",
                       params->in_features, params->out_features);
    et_fully_connected *op = calloc(1, sizeof *op);
    if (!op)
        return et_fail(err, ET_E_NOMEM, "out of memory creating a fully-connected layer");
    et_conv2d_nhwc_params p = {0};
    p.in_channels = params->in_features;
    p.out_channels = params->out_features;
    p.kernel_h = p.kernel_w = 1;
    p.input_pixel_stride = params->input_stride;
    p.output_pixel_stride = params->output_stride;
    p.clamp = params->clamp;
    p.out_min = params->out_min;
    p.out_max = params->out_max;
    p.post = params->post;
    p.post_op = params->post_op;
    p.post_params = params->post_params;
    const size_t so = params->weights_kn ? 1 : params->in_features;
    const size_t si = params->weights_kn ? params->out_features : 1;
    const et_status st = et_conv2d_nhwc_create_gemm(&p, weights, so, si, bias, &op->conv, err);
    if (st != ET_OK) {
        free(op);
        return st;
    }
    *out = op;
    return ET_OK;
}

void et_fully_connected_destroy(et_fully_connected *op) {
    if (!op)
        return;
    et_conv2d_nhwc_destroy(op->conv);
    free(op);
}

et_status et_fully_connected_setup(et_fully_connected *op, size_t rows, const float *input, float *output,
                                   et_err *err) {
    if (rows == 0)
        return et_fail(err, ET_E_INPUT, "fully-connected layer set up with 0 rows");
    return et_conv2d_nhwc_setup(op->conv, 1, rows, 1, input, output, NULL, NULL, err);
}

et_status et_fully_connected_run(et_fully_connected *op, et_threadpool *pool, et_err *err) {
    return et_conv2d_nhwc_run(op->conv, pool, err);
}

const char *et_fully_connected_kernel_name(const et_fully_connected *op) {
    return et_conv2d_nhwc_kernel_name(op->conv);
}

size_t et_fully_connected_packed_bytes(const et_fully_connected *op) { return et_conv2d_nhwc_packed_bytes(op->conv); }

/* --- dynamic ---------------------------------------------------------------------------------------------- */


struct et_matmul_dynamic {
    et_matmul_dynamic_params p;
    const et_f32_gemm_config *gemm;
    et_f32_minmax_params clamp;
    float *own_scratch;
    size_t own_floats;
    /* setup */
    bool ready;
    size_t batch, m, k, n, a_bs, b_bs, c_bs, b_count, packed_floats, panels;
    const float *a, *b;
    float *c, *packed;
    et_task_grid grid;
};

et_status et_matmul_dynamic_create(const et_matmul_dynamic_params *params, et_matmul_dynamic **out, et_err *err) {
    *out = NULL;
    et_matmul_dynamic *op = calloc(1, sizeof *op);
    if (!op)
        return et_fail(err, ET_E_NOMEM, "out of memory creating a matrix multiply");
    if (params)
        op->p = *params;
    if (op->p.clamp && !(op->p.out_min <= op->p.out_max)) {
        const float lo = op->p.out_min, hi = op->p.out_max;
        free(op);
        return et_fail(err, ET_E_INPUT, "matrix multiply clamp [%g, %g] is empty", lo, hi);
    }
    op->clamp = op->p.clamp ? (et_f32_minmax_params){op->p.out_min, op->p.out_max}
                            : (et_f32_minmax_params){-INFINITY, INFINITY};
    op->gemm = et_f32_gemm_config_get();
    *out = op;
    return ET_OK;
}

void et_matmul_dynamic_destroy(et_matmul_dynamic *op) {
    if (!op)
        return;
    et_aligned_free(op->own_scratch);
    free(op);
}

size_t et_matmul_dynamic_scratch_bytes(const et_matmul_dynamic *op, size_t batch, size_t k, size_t n, bool b_shared) {
    return (b_shared ? 1 : batch) * et_f32_gemm_packed_floats(op->gemm->nr, n, k) * sizeof(float);
}

et_status et_matmul_dynamic_setup(et_matmul_dynamic *op, size_t batch, size_t m, size_t k, size_t n, const float *a,
                                  size_t a_batch_stride, const float *b, size_t b_batch_stride, float *c,
                                  size_t c_batch_stride, void *scratch, et_err *err) {
    op->ready = false;
    if (!a || !b || !c)
        return et_fail(err, ET_E_INPUT, "matrix multiply set up without %s", !a ? "A" : !b ? "B" : "C");
    if (batch == 0 || m == 0 || k == 0 || n == 0)
        return et_fail(err, ET_E_INPUT, "matrix multiply %zu x (%zu x %zu) . (%zu x %zu): sizes must be at least 1",
                       batch, m, k, k, n);
    op->b_count = b_batch_stride ? batch : 1;
    op->packed_floats = et_f32_gemm_packed_floats(op->gemm->nr, n, k);
    size_t total;
    if (!et_mul_size(op->b_count, op->packed_floats, &total) || total > SIZE_MAX / sizeof(float))
        return et_fail(err, ET_E_INPUT, "matrix multiply operands %zu x %zu are too large", k, n);
    if (!scratch) {
        if (total > op->own_floats) {
            float *grown = et_aligned_alloc(total * sizeof(float));
            if (!grown)
                return et_fail(err, ET_E_NOMEM, "out of memory for %zu bytes of packed B", total * sizeof(float));
            et_aligned_free(op->own_scratch);
            op->own_scratch = grown;
            op->own_floats = total;
        }
        scratch = op->own_scratch;
    }
    op->batch = batch, op->m = m, op->k = k, op->n = n;
    op->a_bs = a_batch_stride, op->b_bs = b_batch_stride, op->c_bs = c_batch_stride;
    op->a = a, op->b = b, op->c = c, op->packed = scratch;
    op->panels = (n + op->gemm->nr - 1) / op->gemm->nr;
    op->ready = true;
    return ET_OK;
}

static void pack_tasks(void *ctx, size_t begin, size_t end) {
    const et_matmul_dynamic *op = ctx;
    const size_t nr = op->gemm->nr;
    for (size_t t = begin; t < end; t++) {
        const size_t bi = t / op->panels, panel = t % op->panels, n0 = panel * nr;
        const size_t cols = op->n - n0 < nr ? op->n - n0 : nr;
        const float *b = op->b + bi * op->b_bs;
        /* element (column j, depth i): [k][n] -> b[i * n + j]; transposed [n][k] -> b[j * k + i] */
        const float *src = op->p.b_transposed ? b + n0 * op->k : b + n0;
        const size_t sn = op->p.b_transposed ? op->k : 1, sk = op->p.b_transposed ? 1 : op->n;
        et_f32_gemm_pack(nr, cols, op->k, src, sn, sk, NULL,
                         op->packed + bi * op->packed_floats + panel * (op->k + 1) * nr);
    }
}

static void multiply_tasks(void *ctx, size_t begin, size_t end) {
    const et_matmul_dynamic *op = ctx;
    const et_f32_gemm_config *cfg = op->gemm;
    const size_t mr = cfg->mr, nr = cfg->nr;
    for (size_t t = begin; t < end; t++) {
        size_t mt, nb, bi;
        et_task_grid_at(&op->grid, t, &mt, &nb, &bi);
        const size_t row0 = mt * mr, rows = op->m - row0 < mr ? op->m - row0 : mr;
        const size_t col0 = nb * op->grid.nc, cols = op->n - col0 < op->grid.nc ? op->n - col0 : op->grid.nc;
        const float *w = op->packed + (op->b_bs ? bi * op->packed_floats : 0) + col0 / nr * (op->k + 1) * nr;
        (rows == 1 ? cfg->ukernel1 : cfg->ukernel)(rows, cols, op->k, op->a + bi * op->a_bs + row0 * op->k, op->k, w,
                                                   op->c + bi * op->c_bs + row0 * op->n + col0, op->n, &op->clamp);
    }
}

et_status et_matmul_dynamic_run(et_matmul_dynamic *op, et_threadpool *pool, et_err *err) {
    if (!op->ready)
        return et_fail(err, ET_E_RUNTIME, "matrix multiply run before a successful setup");
    et_threadpool_parallel_for(pool, op->b_count * op->panels, pack_tasks, op);
    /* no weight-size blocking: B is packed per run into scratch, one product at a time */
    et_task_grid_gemm(&op->grid, op->m, op->gemm->mr, op->n, op->gemm->nr, op->batch, 0, 0,
                      (size_t)et_threadpool_size(pool));
    et_threadpool_parallel_for(pool, op->grid.tasks, multiply_tasks, op);
    return ET_OK;
}

const char *et_matmul_dynamic_kernel_name(const et_matmul_dynamic *op) { return op->gemm->name; }
