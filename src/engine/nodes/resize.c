/* resize.c: Resize (opsets 10, 11, 13) and Upsample (opsets 7, 9), N-d and separable.
 *
 * Modes nearest (nearest_mode round_prefer_floor / round_prefer_ceil / floor / ceil), linear and cubic
 * (cubic_coeff_a, exclude_outside); coordinate_transformation_mode half_pixel, pytorch_half_pixel,
 * align_corners, asymmetric, tf_half_pixel_for_nn and tf_crop_and_resize (roi, extrapolation_value). The output
 * size comes from `sizes` or from floor(input * scale); both must be constants (they define the shape).
 *
 * The arithmetic follows the ONNX reference implementation that produced the node tests: a coordinate is
 * mapped with the float scale (for align_corners the resized length is input * scale, not the rounded output
 * size), an output position takes 1 (nearest), 2 (linear) or 4 (cubic) input taps per dimension with indices
 * clamped to the edge, and exclude_outside drops taps outside the input and renormalises. Upsample and Resize-10
 * use asymmetric coordinates with their legacy nearest rule (floor when enlarging, ceil when shrinking, as ONNX
 * Runtime does).
 *
 * Taps are computed per dimension at run time into scratch (roi may be a runtime input). The output is walked
 * plane by plane over the last two dimensions, planes in parallel; the leading dimensions (batch, channels,
 * usually not resized) combine their taps per plane. Sums are in double; integer outputs round and saturate. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/nn_util.h"
#include "engine/nodes/nodes.h"

typedef enum { M_NEAREST, M_LINEAR, M_CUBIC } rmode;
typedef enum {
    C_HALF_PIXEL,
    C_PYTORCH_HALF_PIXEL,
    C_ALIGN_CORNERS,
    C_ASYMMETRIC,
    C_TF_HALF_PIXEL_NN,
    C_TF_CROP_AND_RESIZE
} ctm;
typedef enum { N_ROUND_PREFER_FLOOR, N_ROUND_PREFER_CEIL, N_FLOOR, N_CEIL, N_LEGACY } nmode;

#define SIZE_LIMIT ((double)((int64_t)1 << 40))

typedef struct tap {
    int64_t idx[4];
    double w[4];
    int n;
    bool outside; /* tf_crop_and_resize: this coordinate extrapolates */
} tap;

typedef struct params {
    int rank;
    int64_t in[ET_MAX_RANK], out[ET_MAX_RANK];
    double scale[ET_MAX_RANK];
    rmode mode;
    ctm coord;
    nmode nearest;
    double cubic_a, extrapolation;
    bool exclude_outside;
    int roi_input; /* -1: none */
    et_dtype dtype;
} params;

/* Reads the attributes of n into p (not the sizes). ET_E_INPUT / ET_E_UNSUPPORTED naming the node. */
static et_status parse_attrs(const et_graph *g, const et_node *n, params *p, et_err *err) {
    bool legacy = n->op == ET_OP_UPSAMPLE || g->opset < 11;
    const char *mode = et_node_attr_string(n, "mode", "nearest");
    if (strcmp(mode, "nearest") == 0)
        p->mode = M_NEAREST;
    else if (strcmp(mode, "linear") == 0 || strcmp(mode, "bilinear") == 0)
        p->mode = M_LINEAR;
    else if (strcmp(mode, "cubic") == 0 && !legacy)
        p->mode = M_CUBIC;
    else
        return et_op_fail(err, n, "mode '%s' is not nearest, linear or cubic", mode);
    p->coord = C_ASYMMETRIC;
    p->nearest = N_LEGACY;
    p->cubic_a = -0.75;
    p->roi_input = -1;
    if (legacy)
        return ET_OK;
    static const char *const coord_names[] = {"half_pixel", "pytorch_half_pixel",   "align_corners",
                                              "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"};
    static const char *const nearest_names[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    const char *c = et_node_attr_string(n, "coordinate_transformation_mode", "half_pixel");
    const char *nm = et_node_attr_string(n, "nearest_mode", "round_prefer_floor");
    int ci = -1, ni = -1;
    for (int i = 0; i < 6; i++)
        if (strcmp(c, coord_names[i]) == 0)
            ci = i;
    for (int i = 0; i < 4; i++)
        if (strcmp(nm, nearest_names[i]) == 0)
            ni = i;
    if (ci < 0)
        return et_op_fail(err, n, "coordinate_transformation_mode '%s' is unknown", c);
    if (ni < 0)
        return et_op_fail(err, n, "nearest_mode '%s' is unknown", nm);
    p->coord = (ctm)ci;
    p->nearest = (nmode)ni;
    p->cubic_a = et_node_attr_float(n, "cubic_coeff_a", -0.75f);
    p->exclude_outside = et_node_attr_int(n, "exclude_outside", 0) != 0;
    p->extrapolation = et_node_attr_float(n, "extrapolation_value", 0.0f);
    if (et_node_attr(n, "axes") || et_node_attr_int(n, "antialias", 0) != 0 ||
        strcmp(et_node_attr_string(n, "keep_aspect_ratio_policy", "stretch"), "stretch") != 0)
        return et_op_failx(err, ET_E_UNSUPPORTED, n,
                           "axes, antialias and keep_aspect_ratio_policy (opset 18) are "
                           "not supported");
    if (p->coord == C_TF_CROP_AND_RESIZE) {
        if (n->n_inputs < 2 || n->inputs[1] < 0)
            return et_op_fail(err, n, "tf_crop_and_resize needs the roi input");
        p->roi_input = 1;
    }
    return ET_OK;
}

/* Output sizes and scales of input shape x from the constant scales / sizes (or Upsample-7's attribute). */
static et_status parse_sizes(const et_graph *g, const et_node *n, const et_shape *x, params *p, et_err *err) {
    p->rank = x->rank;
    for (int i = 0; i < x->rank; i++)
        p->in[i] = x->dim[i];
    int scales_in = -1, sizes_in = -1;
    if (n->op == ET_OP_UPSAMPLE)
        scales_in = g->opset >= 9 ? 1 : -1;
    else if (g->opset < 11)
        scales_in = 1;
    else
        scales_in = 2, sizes_in = 3;
    float sc[ET_MAX_RANK];
    int64_t sz[ET_MAX_RANK];
    int n_sc = -1, n_sz = -1;
    if (scales_in < 0) {
        const float *a = et_node_attr_floats(n, "scales", &n_sc);
        if (!a)
            return et_op_fail(err, n, "the scales attribute is missing");
        for (int i = 0; i < n_sc && i < ET_MAX_RANK; i++)
            sc[i] = a[i];
    } else {
        n_sc = et_op_const_floats(g, n, scales_in, sc, ET_MAX_RANK);
        if (n_sc == -2)
            return et_op_fail_not_const(err, n, scales_in);
        if (n_sc == -3)
            return et_op_fail(err, n, "scales must be a float vector with one value per input dimension");
    }
    if (sizes_in >= 0) {
        n_sz = et_op_const_ints(g, n, sizes_in, sz, ET_MAX_RANK);
        if (n_sz == -2)
            return et_op_fail_not_const(err, n, sizes_in);
        if (n_sz == -3)
            return et_op_fail(err, n, "sizes must be an int64 vector with one value per input dimension");
    }
    bool use_sizes = n_sz > 0;
    if (use_sizes && n_sc > 0)
        return et_op_fail(err, n, "only one of scales and sizes may be given");
    if (use_sizes ? n_sz != x->rank : n_sc != x->rank)
        return et_op_fail(err, n, "%s has %d values for an input of rank %d", use_sizes ? "sizes" : "scales",
                          use_sizes ? n_sz : n_sc, x->rank);
    for (int i = 0; i < x->rank; i++) {
        if (use_sizes) {
            if (sz[i] < 0 || (double)sz[i] > SIZE_LIMIT)
                return et_op_fail(err, n, "sizes[%d] = %lld is invalid", i, (long long)sz[i]);
            p->out[i] = sz[i];
            p->scale[i] = p->in[i] > 0 ? (double)sz[i] / (double)p->in[i] : 1.0;
        } else {
            double s = sc[i], o = floor(s * (double)p->in[i]);
            if (!(s > 0) || !(o <= SIZE_LIMIT))
                return et_op_fail(err, n, "scales[%d] = %g is invalid", i, s);
            p->out[i] = (int64_t)o;
            p->scale[i] = s;
        }
    }
    return ET_OK;
}

static bool type_ok(et_dtype t) {
    return et_dtype_is_float(t) || t == ET_DT_I8 || t == ET_DT_U8 || t == ET_DT_I16 || t == ET_DT_U16 ||
           t == ET_DT_I32 || t == ET_DT_I64 || t == ET_DT_U32 || t == ET_DT_U64;
}

static et_status infer(et_graph *g, et_node *n, et_err *err) {
    et_status st = et_op_check_arity(n, 1, n->op == ET_OP_UPSAMPLE ? 2 : 4, 1, 1, err);
    if (st != ET_OK)
        return st;
    const et_value *x = et_node_cin(g, n, 0);
    if (!type_ok(x->dtype))
        return et_op_failx(err, ET_E_UNSUPPORTED, n, "element type %s is not supported", et_dtype_name(x->dtype));
    params p;
    memset(&p, 0, sizeof p);
    if ((st = parse_attrs(g, n, &p, err)) != ET_OK || (st = parse_sizes(g, n, &x->shape, &p, err)) != ET_OK)
        return st;
    if (p.roi_input >= 0) {
        const et_value *roi = et_node_cin(g, n, p.roi_input);
        if (!et_dtype_is_float(roi->dtype) || et_shape_numel(&roi->shape) != 2 * x->shape.rank)
            return et_op_fail(err, n, "roi must hold %d floats (starts, then ends)", 2 * x->shape.rank);
    }
    et_shape out = {.rank = x->shape.rank};
    for (int i = 0; i < out.rank; i++)
        out.dim[i] = p.out[i];
    et_op_set_output(g, n, 0, x->dtype, &out);
    return ET_OK;
}

/* ---- taps --------------------------------------------------------------------------------------------------- */

static double cubic_w(double s, double a) {
    s = fabs(s);
    if (s <= 1)
        return ((a + 2) * s - (a + 3)) * s * s + 1;
    if (s < 2)
        return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a;
    return 0;
}

static int64_t clampi(int64_t v, int64_t hi) { return v < 0 ? 0 : (v > hi ? hi : v); }

/* Taps of output index x in dimension d. roi: starts then ends (tf_crop_and_resize), else NULL. */
static void make_tap(const params *p, int d, int64_t xo, const double *roi, tap *t) {
    const double in = (double)p->in[d], s = p->scale[d], len = s * in, x = (double)xo;
    double xi;
    memset(t, 0, sizeof *t);
    switch (p->coord) {
    case C_HALF_PIXEL: xi = (x + 0.5) / s - 0.5; break;
    case C_PYTORCH_HALF_PIXEL: xi = len == 1.0 ? -0.5 : (x + 0.5) / s - 0.5; break;
    case C_ALIGN_CORNERS: xi = len == 1.0 ? 0.0 : x * (in - 1) / (len - 1); break;
    case C_TF_HALF_PIXEL_NN: xi = (x + 0.5) / s; break;
    case C_TF_CROP_AND_RESIZE: {
        double a = roi[d], b = roi[p->rank + d];
        xi = len == 1.0 ? (b - a) * (in - 1) / 2 : x * (b - a) * (in - 1) / (len - 1);
        xi += a * (in - 1);
        if (!(xi >= 0 && xi <= in - 1)) { /* also NaN from a NaN roi */
            t->outside = true;
            t->n = 1;
            t->w[0] = 1;
            return;
        }
        break;
    }
    default: xi = x / s; break;
    }
    const int64_t last = p->in[d] - 1;
    /* far outside the input every tap clamps to an edge anyway; keep the integer conversion defined */
    if (!(xi >= -4.0))
        xi = -4.0;
    if (xi > in + 4.0)
        xi = in + 4.0;
    const double fl = floor(xi), fr = xi - fl;
    const int64_t i0 = (int64_t)fl;
    if (p->mode == M_NEAREST) {
        int64_t k;
        if (fr == 0)
            k = i0;
        else
            switch (p->nearest) {
            case N_ROUND_PREFER_FLOOR: k = fr <= 0.5 ? i0 : i0 + 1; break;
            case N_ROUND_PREFER_CEIL: k = fr < 0.5 ? i0 : i0 + 1; break;
            case N_FLOOR: k = i0; break;
            case N_CEIL: k = i0 + 1; break;
            default: k = s < 1 ? (int64_t)ceil(xi) : (int64_t)xi; break; /* legacy: truncation */
            }
        t->n = 1;
        t->idx[0] = clampi(k, last);
        t->w[0] = 1;
        return;
    }
    int64_t first;
    if (p->mode == M_LINEAR) {
        t->n = 2;
        first = i0;
        t->w[0] = 1 - fr;
        t->w[1] = fr;
    } else {
        t->n = 4;
        first = i0 - 1;
        t->w[0] = cubic_w(fr + 1, p->cubic_a);
        t->w[1] = cubic_w(fr, p->cubic_a);
        t->w[2] = cubic_w(1 - fr, p->cubic_a);
        t->w[3] = cubic_w(2 - fr, p->cubic_a);
    }
    double sum = 0;
    for (int k = 0; k < t->n; k++) {
        int64_t idx = first + k;
        if (p->exclude_outside && (idx < 0 || idx > last))
            t->w[k] = 0;
        sum += t->w[k];
        t->idx[k] = clampi(idx, last);
    }
    if (p->exclude_outside && sum != 0)
        for (int k = 0; k < t->n; k++)
            t->w[k] /= sum;
    /* drop taps that contribute nothing (an unscaled dimension then has one tap), keeping at least one */
    int kept = 0;
    for (int k = 0; k < t->n; k++)
        if (t->w[k] != 0 || (k == t->n - 1 && kept == 0)) {
            t->idx[kept] = t->idx[k];
            t->w[kept++] = t->w[k];
        }
    t->n = kept;
}

/* ---- the walk ----------------------------------------------------------------------------------------------- */

typedef struct job {
    const params *p;
    const tap *const *taps; /* per dimension, out[d] entries */
    const void *x;
    void *y;
    int r;              /* rank, padded to >= 2 by the view below */
    bool any_outside_w; /* some tap of the last dimension extrapolates */
    bool single_w;      /* every tap of the last dimension is one input with weight 1 */
    int64_t in[ET_MAX_RANK], out[ET_MAX_RANK];
} job;

static inline double load(et_dtype t, const void *x, int64_t i) {
    return t == ET_DT_F32 ? (double)((const float *)x)[i] : et_dtype_load(t, x, (size_t)i);
}

static inline void store(et_dtype t, void *y, int64_t i, double v) {
    if (t == ET_DT_F32) {
        ((float *)y)[i] = (float)v;
        return;
    }
    if (!et_dtype_is_float(t)) { /* round and saturate */
        double lo, hi;
        switch (t) {
        case ET_DT_I8: lo = -128, hi = 127; break;
        case ET_DT_U8: lo = 0, hi = 255; break;
        case ET_DT_I16: lo = -32768, hi = 32767; break;
        case ET_DT_U16: lo = 0, hi = 65535; break;
        case ET_DT_I32: lo = -2147483648.0, hi = 2147483647.0; break;
        case ET_DT_U32: lo = 0, hi = 4294967295.0; break;
        case ET_DT_U64: lo = 0, hi = 1.8446744073709552e19; break;
        default: lo = -9.2233720368547758e18, hi = 9.2233720368547758e18; break;
        }
        v = nearbyint(v);
        v = v < lo ? lo : (v > hi ? hi : v);
        if (t == ET_DT_I64 || t == ET_DT_U64) {
            et_dtype_store_i64(t, y, (size_t)i, v >= 9.2233720368547758e18 ? INT64_MAX : (int64_t)v);
            return;
        }
    }
    et_dtype_store(t, y, (size_t)i, v);
}

/* Leading dims have at most 4 taps each (cubic), so 4^(ET_MAX_RANK - 2) combinations cover every case. */
enum { MAX_COMBOS = 4096 };
_Static_assert(ET_MAX_RANK <= 8, "MAX_COMBOS covers 4 taps in at most 6 leading dims");

/* Output value at (oh, ow) of a plane whose leading taps are the n_c combinations (input offset, weight). */
static inline double plane_value(const params *p, const void *x, const int64_t *c_off, const double *c_w, int n_c,
                                 const tap *a, const tap *b, int64_t iw_n) {
    double v = 0;
    const bool f32 = p->dtype == ET_DT_F32;
    for (int c = 0; c < n_c; c++)
        for (int ka = 0; ka < a->n; ka++) {
            const double wa = c_w[c] * a->w[ka];
            const int64_t row = c_off[c] + a->idx[ka] * iw_n;
            double sr = 0;
            if (f32)
                for (int kb = 0; kb < b->n; kb++)
                    sr += b->w[kb] * ((const float *)x)[row + b->idx[kb]];
            else
                for (int kb = 0; kb < b->n; kb++)
                    sr += b->w[kb] * load(p->dtype, x, row + b->idx[kb]);
            v += wa * sr;
        }
    return v;
}

static void planes(void *ctx, size_t begin, size_t end) {
    const job *j = ctx;
    const params *p = j->p;
    const int r = j->r, lead = r - 2;
    const int64_t iw_n = j->in[r - 1], oh_n = j->out[r - 2], ow_n = j->out[r - 1];
    const tap *th = j->taps[r - 2], *tw = j->taps[r - 1];
    int64_t in_stride[ET_MAX_RANK], s = 1;
    for (int d = r - 1; d >= 0; d--) {
        in_stride[d] = s;
        s *= j->in[d];
    }
    for (size_t pl = begin; pl < end; pl++) {
        /* the leading dims' taps of this plane, combined into (offset, weight) pairs */
        const tap *lt[ET_MAX_RANK];
        int64_t rest = (int64_t)pl, n_combos = 1;
        bool outside = false;
        for (int d = lead - 1; d >= 0; d--) {
            lt[d] = &j->taps[d][rest % j->out[d]];
            rest /= j->out[d];
            outside = outside || lt[d]->outside;
            n_combos *= lt[d]->n;
        }
        const int64_t y0 = (int64_t)pl * oh_n * ow_n;
        int64_t c_off[MAX_COMBOS];
        double c_w[MAX_COMBOS];
        int cnt[ET_MAX_RANK] = {0};
        for (int c = 0; c < n_combos; c++) {
            c_off[c] = 0;
            c_w[c] = 1;
            for (int d = 0; d < lead; d++) {
                c_off[c] += lt[d]->idx[cnt[d]] * in_stride[d];
                c_w[c] *= lt[d]->w[cnt[d]];
            }
            for (int d = lead - 1; d >= 0 && ++cnt[d] == lt[d]->n; d--)
                cnt[d] = 0;
        }
        for (int64_t oh = 0; oh < oh_n; oh++) {
            const tap *a = &th[oh];
            if (p->dtype == ET_DT_F32 && n_combos == 1 && !outside && !a->outside && !j->any_outside_w) {
                /* float32, one leading combination: rows straight from the input */
                float *yr = (float *)j->y + y0 + oh * ow_n;
                const float *x = (const float *)j->x + c_off[0];
                if (a->n == 1 && j->single_w) { /* nearest in both: a gather */
                    const float *xr = x + a->idx[0] * iw_n;
                    for (int64_t ow = 0; ow < ow_n; ow++)
                        yr[ow] = xr[tw[ow].idx[0]];
                    continue;
                }
                for (int64_t ow = 0; ow < ow_n; ow++) {
                    const tap *b = &tw[ow];
                    double v = 0;
                    for (int ka = 0; ka < a->n; ka++) {
                        const float *xr = x + a->idx[ka] * iw_n;
                        double sr = 0;
                        for (int kb = 0; kb < b->n; kb++)
                            sr += b->w[kb] * xr[b->idx[kb]];
                        v += a->w[ka] * sr;
                    }
                    yr[ow] = (float)(c_w[0] * v);
                }
                continue;
            }
            for (int64_t ow = 0; ow < ow_n; ow++) {
                const tap *b = &tw[ow];
                const bool ext = outside || a->outside || b->outside;
                store(p->dtype, j->y, y0 + oh * ow_n + ow,
                      ext ? p->extrapolation : plane_value(p, j->x, c_off, c_w, (int)n_combos, a, b, iw_n));
            }
        }
    }
}

static et_status run(const et_op_inst *inst, et_exec_ctx *ctx, et_err *err) {
    const params *p = inst->params;
    (void)err;
    if (p->rank == 0) {
        memcpy(inst->out[0].data, inst->in[0].data, et_dtype_size(p->dtype));
        return ET_OK;
    }
    if (et_shape_numel(&inst->out[0].shape) == 0)
        return ET_OK;
    /* taps per dimension, in scratch; a rank-1 input is viewed as 1 x W */
    double roi[2 * ET_MAX_RANK] = {0};
    if (p->roi_input >= 0) {
        const et_tensor *rt = &inst->in[p->roi_input];
        for (int i = 0; i < 2 * p->rank; i++)
            roi[i] = et_dtype_load(rt->dtype, rt->data, (size_t)i);
    }
    tap *all = ctx->scratch;
    const tap *taps[ET_MAX_RANK + 1];
    job j = {.p = p, .taps = taps, .x = inst->in[0].data, .y = inst->out[0].data};
    int shift = p->rank == 1 ? 1 : 0;
    j.r = p->rank + shift;
    static const tap unit = {.n = 1, .w = {1}};
    if (shift) {
        taps[0] = &unit;
        j.in[0] = j.out[0] = 1;
    }
    for (int d = 0; d < p->rank; d++) {
        taps[d + shift] = all;
        j.in[d + shift] = p->in[d];
        j.out[d + shift] = p->out[d];
        for (int64_t o = 0; o < p->out[d]; o++)
            make_tap(p, d, o, roi, all++);
    }
    j.single_w = true;
    for (int64_t o = 0; o < j.out[j.r - 1]; o++) {
        j.any_outside_w = j.any_outside_w || taps[j.r - 1][o].outside;
        j.single_w = j.single_w && taps[j.r - 1][o].n == 1 && taps[j.r - 1][o].w[0] == 1;
    }
    int64_t n_planes = 1;
    for (int d = 0; d < j.r - 2; d++)
        n_planes *= j.out[d];
    bool empty_in = false;
    for (int d = 0; d < p->rank; d++)
        empty_in = empty_in || p->in[d] == 0;
    if (empty_in) {
        /* nothing to read from: every output is the extrapolation value (or empty) */
        int64_t total = n_planes * j.out[j.r - 2] * j.out[j.r - 1];
        for (int64_t i = 0; i < total; i++)
            store(p->dtype, j.y, i, p->extrapolation);
        return ET_OK;
    }
    et_par_for(ctx->pool, (size_t)n_planes, planes, &j);
    return ET_OK;
}

static et_status prepare(const et_graph *g, const et_node *n, et_op_inst *inst, et_err *err) {
    params *p = calloc(1, sizeof *p);
    if (!p)
        return et_fail(err, ET_E_NOMEM, "out of memory");
    et_status st;
    if ((st = parse_attrs(g, n, p, err)) != ET_OK || (st = parse_sizes(g, n, &inst->in[0].shape, p, err)) != ET_OK) {
        free(p);
        return st;
    }
    p->dtype = inst->in[0].dtype;
    int64_t n_taps = 0;
    for (int d = 0; d < p->rank; d++)
        n_taps += p->out[d];
    if (et_shape_numel(&inst->out[0].shape) == 0)
        n_taps = 0; /* nothing to compute: run returns at once */
    inst->scratch_bytes = (size_t)n_taps * sizeof(tap);
    inst->params = p;
    inst->run = run;
    snprintf(inst->kernel, sizeof inst->kernel, "ref-%s",
             p->mode == M_NEAREST  ? "nearest"
             : p->mode == M_LINEAR ? "linear"
                                   : "cubic");
    return ET_OK;
}

const et_op_impl et_impl_resize = {infer, prepare};
