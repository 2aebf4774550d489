/* nn_util.c: window geometry, checked attribute reading, auto_pad and convolution operand checks (see
 * nn_util.h).
 *
 * Every size that reaches a kernel loop is checked here first: attribute values are bounded by ATTR_LIMIT
 * (2^30), so sums and products of a dimension (< 2^62 elements, guaranteed by shape inference) with a few of
 * them cannot overflow int64. */
#include "engine/nodes/nn_util.h"

#include <string.h>

#define ATTR_LIMIT ((int64_t)1 << 30)

et_status et_attr_ints_checked(const et_node *n, const char *name, int count, int64_t def, int64_t lo, int64_t hi,
                               int64_t *out, et_err *err) {
    int got = 0;
    const int64_t *v = et_node_attr_ints(n, name, &got);
    if (!v) {
        for (int i = 0; i < count; i++)
            out[i] = def;
        return ET_OK;
    }
    if (got != count)
        return et_op_fail(err, n, "attribute %s has %d values; expected %d", name, got, count);
    for (int i = 0; i < count; i++) {
        if (v[i] < lo || v[i] > hi)
            return et_op_fail(err, n, "attribute %s[%d] = %lld is outside [%lld, %lld]", name, i, (long long)v[i],
                              (long long)lo, (long long)hi);
        out[i] = v[i];
    }
    return ET_OK;
}

et_status et_auto_pad_of(const et_node *n, et_auto_pad *out, et_err *err) {
    const char *ap = et_node_attr_string(n, "auto_pad", "NOTSET");
    static const char *const names[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
    if (!*ap) {
        *out = ET_PAD_NOTSET;
        return ET_OK;
    }
    for (int i = 0; i < 4; i++)
        if (strcmp(ap, names[i]) == 0) {
            *out = (et_auto_pad)i;
            return ET_OK;
        }
    return et_op_fail(err, n, "auto_pad '%s' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", ap);
}

et_status et_conv_check_operands(const et_node *n, const et_value *x, const et_value *w, const et_value *b, int64_t m,
                                 et_err *err) {
    if (x->dtype != ET_DT_F32 || w->dtype != ET_DT_F32 || (b && b->dtype != ET_DT_F32))
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "element type %s is not supported (float32 only)",
                           et_dtype_name(x->dtype != ET_DT_F32 ? x->dtype : w->dtype));
    if (w->shape.rank != x->shape.rank || x->shape.rank < 3)
        return et_op_fail(err, n, "weights have rank %d and input rank %d; expected equal ranks >= 3", w->shape.rank,
                          x->shape.rank);
    if (et_shape_numel(&w->shape) <= 0)
        return et_op_fail(err, n, "the weights are empty");
    int ns = x->shape.rank - 2, kc = 0;
    const int64_t *ks = et_node_attr_ints(n, "kernel_shape", &kc);
    if (ks) {
        if (kc != ns)
            return et_op_fail(err, n, "kernel_shape has %d values; expected %d", kc, ns);
        for (int i = 0; i < ns; i++)
            if (ks[i] != w->shape.dim[2 + i])
                return et_op_fail(err, n, "kernel_shape[%d] = %lld differs from the weights' %lld", i, (long long)ks[i],
                                  (long long)w->shape.dim[2 + i]);
    }
    if (b && m >= 0 && (b->shape.rank != 1 || b->shape.dim[0] != m))
        return et_op_fail(err, n, "bias must be a vector of %lld values", (long long)m);
    return ET_OK;
}

et_status et_window_init(const et_node *n, const et_shape *x, const int64_t *kernel, bool ceil_mode, et_window *w,
                         et_err *err) {
    memset(w, 0, sizeof *w);
    if (x->rank < 3)
        return et_op_fail(err, n, "input has rank %d; expected N x C x spatial dims (rank >= 3)", x->rank);
    int ns = x->rank - 2;
    if (ns > ET_WIN_MAX_SP)
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "%d spatial dimensions; at most %d are supported", ns,
                           ET_WIN_MAX_SP);
    w->n_sp = ns;
    int64_t strides[ET_WIN_MAX_SP], dil[ET_WIN_MAX_SP], pads[2 * ET_WIN_MAX_SP];
    et_status st;
    if ((st = et_attr_ints_checked(n, "strides", ns, 1, 1, ATTR_LIMIT, strides, err)) != ET_OK ||
        (st = et_attr_ints_checked(n, "dilations", ns, 1, 1, ATTR_LIMIT, dil, err)) != ET_OK ||
        (st = et_attr_ints_checked(n, "pads", 2 * ns, 0, 0, ATTR_LIMIT, pads, err)) != ET_OK)
        return st;
    et_auto_pad mode;
    if ((st = et_auto_pad_of(n, &mode, err)) != ET_OK)
        return st;
    int off = ET_WIN_MAX_SP - ns;
    for (int i = 0; i < ET_WIN_MAX_SP; i++)
        w->in[i] = w->out[i] = w->k[i] = w->stride[i] = w->dil[i] = 1;
    for (int i = 0; i < ns; i++) {
        int d = off + i;
        int64_t in = x->dim[2 + i], k = kernel[i];
        if (in < 0)
            return et_op_fail(err, n, "spatial dimension %d of the input is unknown", i);
        if (k < 1 || k > ATTR_LIMIT)
            return et_op_fail(err, n, "kernel size %lld in dimension %d is invalid", (long long)k, i);
        int64_t ek = dil[i] * (k - 1) + 1, s = strides[i];
        int64_t p0 = pads[i], p1 = pads[ns + i], out;
        if (mode == ET_PAD_SAME_UPPER || mode == ET_PAD_SAME_LOWER) {
            out = (in + s - 1) / s;
            int64_t total = (out - 1) * s + ek - in;
            if (total < 0)
                total = 0;
            p0 = mode == ET_PAD_SAME_UPPER ? total / 2 : total - total / 2;
            p1 = total - p0;
        } else {
            if (mode == ET_PAD_VALID)
                p0 = p1 = 0;
            int64_t span = in + p0 + p1 - ek;
            if (span < 0)
                return et_op_fail(err, n,
                                  "kernel extent %lld in dimension %d is larger than the padded input (%lld + %lld "
                                  "+ %lld)",
                                  (long long)ek, i, (long long)in, (long long)p0, (long long)p1);
            out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
            if (ceil_mode && out > 1 && (out - 1) * s >= in + p0)
                out--; /* the last window would start in the end padding (PyTorch's rule) */
        }
        if (out < 1)
            return et_op_fail(err, n, "output size in dimension %d would be %lld", i, (long long)out);
        w->in[d] = in, w->out[d] = out, w->k[d] = k, w->stride[d] = s, w->dil[d] = dil[i];
        w->pad0[d] = p0, w->pad1[d] = p1;
    }
    return ET_OK;
}

et_status et_act_check(const et_node *n, et_err *err) {
    if ((unsigned)n->act.kind >= ET_ACT_COUNT)
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "unknown fused activation %d", (int)n->act.kind);
    return ET_OK;
}
