/* qfc.c: the quantized fully-connected operator (see qfc.h): a GEMM-layout quantized 1x1 convolution whose
 * "pixels" are the rows. */
#include "engine/operators/qfc.h"

#include <stdlib.h>

#include "engine/operators/qconv2d.h"

struct et_qfully_connected {
    et_qconv2d_nhwc *conv;
};

et_status et_qfully_connected_create(const et_qfully_connected_params *params, const int8_t *weights,
                                     const float *w_scale, const int32_t *bias, et_qfully_connected **out,
                                     et_err *err) {
    *out = NULL;
    if (!params)
        return et_fail(err, ET_E_INPUT, "quantized fully-connected layer created without parameters");
    et_qconv2d_nhwc_params p = {0};
    p.in_channels = params->in_features;
    p.out_channels = params->out_features;
    p.input_pixel_stride = params->input_stride;
    p.output_pixel_stride = params->output_stride;
    p.x_scale = params->x_scale, p.x_zp = params->x_zp;
    p.y_scale = params->y_scale, p.y_zp = params->y_zp;
    p.clamp = params->clamp, p.qmin = params->qmin, p.qmax = params->qmax;
    p.weight_bits = params->weight_bits;
    et_qfully_connected *op = calloc(1, sizeof *op);
    if (!op)
        return et_fail(err, ET_E_NOMEM, "out of memory creating a quantized fully-connected layer");
    const size_t so = params->weights_kn ? 1 : params->in_features;
    const size_t si = params->weights_kn ? params->out_features : 1;
    const et_status st = et_qconv2d_nhwc_create_gemm(&p, weights, so, si, w_scale, bias, &op->conv, err);
    if (st != ET_OK) {
        free(op);
        return st;
    }
    *out = op;
    return ET_OK;
}

void et_qfully_connected_destroy(et_qfully_connected *op) {
    if (!op)
        return;
    et_qconv2d_nhwc_destroy(op->conv);
    free(op);
}

et_status et_qfully_connected_setup(et_qfully_connected *op, size_t rows, const int8_t *input, int8_t *output,
                                    et_err *err) {
    if (rows == 0)
        return et_fail(err, ET_E_INPUT, "quantized fully-connected layer set up with 0 rows");
    return et_qconv2d_nhwc_setup(op->conv, 1, rows, 1, input, output, NULL, NULL, err);
}

et_status et_qfully_connected_run(et_qfully_connected *op, et_threadpool *pool, et_err *err) {
    return et_qconv2d_nhwc_run(op->conv, pool, err);
}

const char *et_qfully_connected_kernel_name(const et_qfully_connected *op) {
    return et_qconv2d_nhwc_kernel_name(op->conv);
}

size_t et_qfully_connected_packed_bytes(const et_qfully_connected *op) {
    return et_qconv2d_nhwc_packed_bytes(op->conv);
}

int et_qfully_connected_storage_bits(const et_qfully_connected *op) { return et_qconv2d_nhwc_storage_bits(op->conv); }
