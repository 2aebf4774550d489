/* op_conv.c: Conv (2-D and 1-D; strided, dilated, padded, grouped) in training: forward and backward as GEMMs
 * on the engine's kernels (train_gemm.h), depthwise convolutions as taps over padded planes (op_dwconv.c).
 *
 * Layout is ONNX's NCHW. For one image and group, with cols the im2col matrix [Cin/g*kh*kw + 1][pixels] (the
 * extra row is ones, so the bias rides along as an extra column of the weights):
 *   forward   Y = [W | b] . cols                   A = the weights (as they lie, OIHW), packed = cols
 *   dX        dcols = W^T . dY, then col2im        A = W^T (transposed once per step), packed = dY
 *   dW, db    [dW | db]^T += cols . dY^T           A = cols (im2col rows), packed = dY^T
 * At stride 1, dX is instead the forward convolution of dY (padded by the kernel's reach less the pads) with the
 * flipped, transposed weights (c->tc, plan_transposed), run by the forward's own tasks: no col2im, and a product
 * cout_g kh kw deep instead of cout_g deep.
 * im2col and col2im walk each row of cols in runs along an output row (a zero fill or a contiguous copy), block
 * by block of pixels sized to stay in L2; the im2col rows are then packed by contiguous copies. A 1x1 stride-1
 * convolution without padding packs its input rows directly and writes dX without col2im. The weight
 * gradient's blocks gather the pixels of consecutive images, so that layers with small planes (4x4 at the end of
 * a classifier) still run products of a few hundred pixels deep.
 *
 * Convolutions run on the padded grid instead where it wastes few columns (use_grid): the input planes
 * zero-padded once per image (at stride s also split into their s x s phase planes), output pixel (oy, ox) at grid
 * position oy wp + ox of a row wp wide, so that every im2col row of a run of positions is ONE contiguous copy (no
 * run splitting at row ends, no bounds checks, no strided gathers: im2col was a third of an epoch of
 * fmnist_resnet, then its stride-2 layers' 10 %). The positions past a row's end (ox >= ow) are extra GEMM
 * columns: the forward drops them, the weight gradient sees zeros of dY there, col2im adds their zero dcols into
 * the padding. dX uses the grid only where it adds few panels (use_grid: not 4x4 planes). Where the ISA has tk's
 * gemm_boff (AVX2), the grid's forward products read the im2col rows in place (grid_boff) instead of packing them,
 * and with gemm_nt the weight gradient of large grids is dot products over the planes in place (dw_task_nt).
 *
 * Threads: the forward's tasks are (image, pixel block); dX's are images (col2im adds into neighbouring
 * pixels, so one image is one task); the weight gradient is summed per fixed chunk of images into its own
 * buffer and the chunks are added in order, so the result does not depend on how many threads ran. */
#include <stdlib.h>
#include <string.h>

#include "engine/nodes/nn_util.h"
#include "train/kernels/tk.h"
#include "train/op_conv.h"
#include "train/train_gemm.h"
#include "util/mem.h"

enum { WGRAD_CHUNKS = 8, BLOCK_BUDGET_FLOATS = 48 * 1024 };
/* dw_task_nt: images whose planes are side by side in one call of the dot-product kernel */
enum { NT_IMAGES = 4 };
/* the padded grid is used when its positions are at most NUM/DEN of the pixels */
enum { GRID_WASTE_NUM = 15, GRID_WASTE_DEN = 10 };

/* Copies n floats, 4 <= n <= 16, as two overlapping moves of 4 or 8 floats: the rows of the small planes (4x4 and
 * 7x7 outputs) are too short for a copy loop's setup (grid_rows was 7 % of an epoch of fmnist_resnet). */
static inline void copy_short(float *restrict d, const float *restrict s, size_t n) {
    if (n <= 8) {
        memcpy(d, s, 4 * sizeof *d);
        memcpy(d + n - 4, s + n - 4, 4 * sizeof *d);
    } else {
        memcpy(d, s, 8 * sizeof *d);
        memcpy(d + n - 8, s + n - 8, 8 * sizeof *d);
    }
}

static void free_geom(et_conv_geom *c) {
    if (c) {
        free_geom(c->tc);
        et_aligned_free(c->wa);
        et_aligned_free(c->wt);
        et_aligned_free(c->wacc);
        free(c->goff);
        free(c);
    }
}

static void release(et_tstep *s) { free_geom(s->state); }

/* ---- im2col by rows ----------------------------------------------------------------------------------------- */

/* The output columns [*lo, *hi] (inclusive; empty when *hi < *lo) whose input column ox * sw + base lies inside a
 * row of iw, for base = kx * dw - pl. */
static void valid_cols(const et_conv_geom *c, int64_t base, int64_t *lo, int64_t *hi) {
    *lo = base >= 0 ? 0 : (-base + c->sw - 1) / c->sw;
    *hi = c->iw - 1 - base < 0 ? -1 : (c->iw - 1 - base) / c->sw;
}

/* One row of cols: output columns [ox0, ox0 + len) of output row oy, for input row iy (may be outside) of one
 * channel plane xc, kernel column offset base (input column = ox * sw + base, valid for ox in [lo, hi]). d[ox]
 * receives output column ox. Plain loops over restrict pointers, so the compiler vectorises them; no library
 * call for runs of a dozen floats. */
static inline void im2col_run(const et_conv_geom *c, const float *restrict xc, int64_t iy, int64_t base, int64_t lo,
                              int64_t hi, int64_t ox0, int64_t len, float *restrict d) {
    const int64_t end = ox0 + len;
    int64_t a = ox0 > lo ? ox0 : lo, b = end - 1 < hi ? end - 1 : hi;
    if (iy < 0 || iy >= c->ih || b < a) {
        for (int64_t ox = ox0; ox < end; ox++)
            d[ox] = 0.0f;
        return;
    }
    const float *restrict xr = xc + iy * c->iw + base;
    for (int64_t ox = ox0; ox < a; ox++)
        d[ox] = 0.0f;
    if (c->sw == 1)
        for (int64_t ox = a; ox <= b; ox++)
            d[ox] = xr[ox];
    else
        for (int64_t ox = a; ox <= b; ox++)
            d[ox] = xr[ox * c->sw];
    for (int64_t ox = b + 1; ox < end; ox++)
        d[ox] = 0.0f;
}

/* Fills rows 0..kdim-1 of cols (row stride ld) with the im2col values of pixels [p0, p0+np) of one image's group
 * (x: its first input channel), and row kdim with ones. Walks each row's pixels in runs along an output row (no
 * division inside: the first pixel's row and column are found once), so that a run is a zero fill or a copy
 * instead of a bounds check per element. */
static void im2col_rows(const et_conv_geom *c, const float *x, size_t p0, size_t np, float *cols, size_t ld) {
    const int64_t oy_first = (int64_t)p0 / c->ow, ox_first = (int64_t)p0 % c->ow;
    for (int64_t ci = 0, r = 0; ci < c->cin_g; ci++)
        for (int64_t ky = 0; ky < c->kh; ky++)
            for (int64_t kx = 0; kx < c->kw; kx++, r++) {
                const float *xc = x + ci * c->ihw;
                const int64_t base = kx * c->dw - c->pl;
                int64_t lo, hi;
                valid_cols(c, base, &lo, &hi);
                float *dst = cols + (size_t)r * ld;
                int64_t oy = oy_first, ox0 = ox_first;
                for (size_t j = 0; j < np; oy++, ox0 = 0) {
                    const int64_t len = c->ow - ox0 < (int64_t)(np - j) ? c->ow - ox0 : (int64_t)(np - j);
                    im2col_run(c, xc, oy * c->sh - c->pt + ky * c->dh, base, lo, hi, ox0, len, dst + j - ox0);
                    j += (size_t)len;
                }
            }
    float *ones = cols + (size_t)c->kdim * ld;
    for (size_t j = 0; j < np; j++)
        ones[j] = 1.0f;
}

/* Adds dcols [kdim][np] (row stride ld; pixels [p0, p0+np) of one image's group) into dx (the group's first
 * input channel): col2im, in the same runs as im2col_rows. */
static void col2im_rows_add(const et_conv_geom *c, const float *dcols, size_t p0, size_t np, size_t ld, float *dx) {
    const int64_t oy_first = (int64_t)p0 / c->ow, ox_first = (int64_t)p0 % c->ow;
    for (int64_t ci = 0, r = 0; ci < c->cin_g; ci++)
        for (int64_t ky = 0; ky < c->kh; ky++)
            for (int64_t kx = 0; kx < c->kw; kx++, r++) {
                float *dxc = dx + ci * c->ihw;
                const int64_t base = kx * c->dw - c->pl;
                int64_t lo, hi;
                valid_cols(c, base, &lo, &hi);
                const float *src = dcols + (size_t)r * ld;
                int64_t oy = oy_first, ox0 = ox_first;
                for (size_t j = 0; j < np; oy++, ox0 = 0) {
                    const int64_t len = c->ow - ox0 < (int64_t)(np - j) ? c->ow - ox0 : (int64_t)(np - j);
                    const int64_t iy = oy * c->sh - c->pt + ky * c->dh;
                    const float *restrict sv = src + j - ox0;
                    int64_t a = ox0 > lo ? ox0 : lo, b = ox0 + len - 1 < hi ? ox0 + len - 1 : hi;
                    if (iy >= 0 && iy < c->ih && a <= b) {
                        float *restrict xr = dxc + iy * c->iw + base;
                        if (c->sw == 1)
                            for (int64_t ox = a; ox <= b; ox++)
                                xr[ox] += sv[ox];
                        else
                            for (int64_t ox = a; ox <= b; ox++)
                                xr[ox * c->sw] += sv[ox];
                    }
                    j += (size_t)len;
                }
            }
}

/* Packs cols for pixels [p0, p0+np) of one image's group as the kernels' B operand (depth kdim + 1, the last row
 * ones, np columns): the input rows themselves for a pointwise convolution, else im2col rows (into `rows`, kdim
 * + 1 rows of np) packed by contiguous copies. */
static void pack_cols(const et_conv_geom *c, const float *x, size_t p0, size_t np, float *rows, float *packed) {
    const size_t nr = et_train_gemm_nr();
    (void)rows;
    if (!c->pointwise) {
        /* a panel of nr pixels packed is its im2col rows at stride nr after the bias slot: im2col straight into
         * it (no second copy), the columns past the last pixel zeroed */
        for (size_t q0 = 0; q0 < np; q0 += nr) {
            const size_t cols = np - q0 < nr ? np - q0 : nr;
            memset(packed, 0, nr * sizeof *packed);
            float *p = packed + nr;
            im2col_rows(c, x, p0 + q0, cols, p, nr);
            if (cols < nr)
                for (int64_t r = 0; r <= c->kdim; r++)
                    memset(p + (size_t)r * nr + cols, 0, (nr - cols) * sizeof *p);
            packed = p + ((size_t)c->kdim + 1) * nr;
        }
        return;
    }
    for (size_t q0 = 0; q0 < np; q0 += nr) {
        const size_t cols = np - q0 < nr ? np - q0 : nr;
        memset(packed, 0, nr * sizeof *packed); /* the bias slot */
        float *p = packed + nr;
        for (int64_t ci = 0; ci < c->cin_g; ci++, p += nr) {
            if (cols == nr) {
                et_train_copy_panel(p, x + ci * c->ihw + p0 + q0, nr);
            } else {
                memcpy(p, x + ci * c->ihw + p0 + q0, cols * sizeof *p);
                memset(p + cols, 0, (nr - cols) * sizeof *p);
            }
        }
        for (size_t j = 0; j < nr; j++)
            p[j] = j < cols ? 1.0f : 0.0f;
        packed = p + nr;
    }
}

/* ---- forward ------------------------------------------------------------------------------------------------ */

typedef struct conv_run {
    et_tnet *n;
    const et_conv_geom *c;
    const float *x, *dy;
    float *y, *dx;
    bool accumulate;
    size_t n_blocks;
    size_t chunks; /* weight gradient: the batch in this many chunks */
} conv_run;

/* out (rows x np, row stride np) added into y (rows of stride ldy): a forward that accumulates (r->accumulate:
 * the transposed convolution writing into an input gradient another consumer has begun). */
static void add_rows(float *y, size_t ldy, const float *out, size_t rows, size_t np) {
    const et_tk_config *tk = et_tk_config_get();
    for (size_t i = 0; i < rows; i++)
        tk->add(y + i * ldy, out + i * np, np);
}

static void forward_task(void *arg, size_t begin, size_t end) {
    const conv_run *r = arg;
    const et_conv_geom *c = r->c;
    int slot;
    float *packed = et_tslot_acquire(&r->n->slots, &slot), *rows = packed + c->packed_cols_floats;
    for (size_t t = begin; t < end; t++) {
        size_t b = t / r->n_blocks, p0 = t % r->n_blocks * c->block;
        size_t np = (size_t)c->ohw - p0 < c->block ? (size_t)c->ohw - p0 : c->block;
        for (int64_t gi = 0; gi < c->groups; gi++) {
            const float *x = r->x + ((int64_t)b * c->cin + gi * c->cin_g) * c->ihw;
            pack_cols(c, x, p0, np, rows, packed);
            float *y = r->y + ((int64_t)b * c->cout + gi * c->cout_g) * c->ohw + (int64_t)p0;
            et_train_gemm((size_t)c->cout_g, np, (size_t)c->kdim + 1, c->wa + gi * c->cout_g * (c->kdim + 1),
                          (size_t)c->kdim + 1, packed, r->accumulate ? rows : y, r->accumulate ? np : (size_t)c->ohw);
            if (r->accumulate)
                add_rows(y, (size_t)c->ohw, rows, (size_t)c->cout_g, np);
        }
    }
    et_tslot_release(&r->n->slots, slot);
}

/* ---- the padded grid ------------------------------------------------------------------------------------------ */

/* The first column of phase px of a padded row: input column ix0 lands on phase column j0 of phase px. */
static inline void phase_start(int64_t px, int64_t pad, int64_t stride, int64_t *ix0, int64_t *j0) {
    *ix0 = ((px - pad) % stride + stride) % stride;
    *j0 = (*ix0 + pad) / stride;
}

/* The cin_g planes of one image's group (x: its first channel) zero-padded into xp (c->xp_floats) and, at stride
 * s, split into the phase planes that some tap reads (use_grid; phase (py, px) is plane c->phase[py sw + px] of
 * each channel). Stride 1 copies whole rows; a stride gathers each phase's columns. */
static void pad_planes(const et_conv_geom *c, const float *x, float *xp, bool *zeroed) {
    if (!*zeroed) /* the padding: every image writes the same interior positions, so zeros once per task */
        memset(xp, 0, c->xp_floats * sizeof *xp), *zeroed = true;
    const int64_t plane = c->hp * c->wp;
    if (c->sh == 1 && c->sw == 1) {
        for (int64_t ci = 0; ci < c->cin_g; ci++)
            for (int64_t iy = 0; iy < c->ih; iy++) {
                float *d = xp + ci * plane + (iy + c->pt) * c->wp + c->pl;
                const float *src = x + ci * c->ihw + iy * c->iw;
                if (c->iw >= 4 && c->iw <= 16)
                    copy_short(d, src, (size_t)c->iw);
                else
                    memcpy(d, src, (size_t)c->iw * sizeof *xp);
            }
        return;
    }
    /* each phase column's first input column and phase column, once (phase_start divides: two idivs per plane
     * and phase were a tenth of pad_planes) */
    int64_t ix0s[16], j0s[16]; /* sw <= 16: use_grid keeps sh sw within c->phase */
    for (int64_t px = 0; px < c->sw; px++)
        phase_start(px, c->pl, c->sw, &ix0s[px], &j0s[px]);
    for (int64_t ci = 0; ci < c->cin_g; ci++)
        for (int64_t py = 0; py < c->sh; py++)
            for (int64_t px = 0; px < c->sw; px++) {
                const int q = c->phase[py * c->sw + px];
                if (q < 0)
                    continue;
                const int64_t ix0 = ix0s[px], j0 = j0s[px];
                float *plane_q = xp + (ci * c->n_phases + q) * plane;
                for (int64_t i = 0; i < c->hp; i++) {
                    const int64_t iy = i * c->sh + py - c->pt;
                    if (iy < 0 || iy >= c->ih)
                        continue;
                    const float *restrict src = x + ci * c->ihw + iy * c->iw;
                    float *restrict d = plane_q + i * c->wp;
                    for (int64_t ix = ix0, j = j0; ix < c->iw && j < c->wp; ix += c->sw, j++)
                        d[j] = src[ix];
                }
            }
}

/* The interior of the grid's planes (dxp, as pad_planes lays them out) written or added into dx (the group's
 * cin_g planes): col2im's last step. Pixels that no tap reads (a phase left out) get zero. */
static void unpad_planes(const et_conv_geom *c, const et_tk_config *tk, const float *dxp, bool accumulate, float *dx) {
    const int64_t plane = c->hp * c->wp;
    for (int64_t ci = 0; ci < c->cin_g; ci++)
        for (int64_t iy = 0; iy < c->ih; iy++) {
            float *restrict d = dx + ci * c->ihw + iy * c->iw;
            if (c->sh == 1 && c->sw == 1) {
                const float *src = dxp + ci * plane + (iy + c->pt) * c->wp + c->pl;
                if (accumulate)
                    tk->add(d, src, (size_t)c->iw);
                else
                    memcpy(d, src, (size_t)c->iw * sizeof *d);
                continue;
            }
            const int64_t py = (iy + c->pt) % c->sh, i = (iy + c->pt) / c->sh;
            for (int64_t px = 0; px < c->sw; px++) {
                const int q = i < c->hp ? c->phase[py * c->sw + px] : -1;
                int64_t ix0, j0;
                phase_start(px, c->pl, c->sw, &ix0, &j0);
                if (q < 0) {
                    for (int64_t ix = ix0; ix < c->iw && !accumulate; ix += c->sw)
                        d[ix] = 0.0f;
                    continue;
                }
                const float *restrict src = dxp + (ci * c->n_phases + q) * plane + i * c->wp;
                int64_t ix = ix0, j = j0;
                if (accumulate)
                    for (; ix < c->iw && j < c->wp; ix += c->sw, j++)
                        d[ix] += src[j];
                else
                    for (; ix < c->iw && j < c->wp; ix += c->sw, j++)
                        d[ix] = src[j];
                for (; ix < c->iw && !accumulate; ix += c->sw)
                    d[ix] = 0.0f;
            }
        }
}

/* Packs grid positions [g0, g0 + ng) as the kernels' B operand: per panel of nr positions, the bias slot, then
 * each im2col row as one copy of nr floats from the padded planes, then the ones row. Positions past ng read
 * the planes' slack or the next row (their columns are computed and dropped). */
static void pack_grid(const et_conv_geom *c, const float *xp, size_t g0, size_t ng, float *packed) {
    const size_t nr = et_train_gemm_nr();
    for (size_t q0 = 0; q0 < ng; q0 += nr) {
        float *p = packed;
        memset(p, 0, nr * sizeof *p);
        p += nr;
        const float *src = xp + g0 + q0;
        for (int64_t r = 0; r < c->kdim; r++, p += nr)
            et_train_copy_panel(p, src + c->goff[r], nr);
        for (size_t j = 0; j < nr; j++)
            p[j] = 1.0f;
        packed = p + nr;
    }
}

/* The product of pack_grid and et_train_gemm without the packing, where the ISA has tk's gemm_boff: out (cout_g
 * rows of ng) = wa (cout_g rows of [W | b]) times the im2col rows of grid positions [0, ng) from xg (the planes at
 * the block's first position), in panels of 16 positions, each panel's rows read by every tile of 6 output
 * channels while they are in L1. Reads 16 floats at each row's start (as pack_grid's last panel does). */
static void grid_boff(const et_conv_geom *c, et_tk_gemm_boff_fn boff, const float *wa, const float *xg, size_t ng,
                      float *out) {
    const size_t kd = (size_t)c->kdim + 1, m = (size_t)c->cout_g;
    for (size_t q0 = 0; q0 < ng; q0 += 16) {
        const size_t nq = ng - q0 < 16 ? ng - q0 : 16;
        for (size_t i0 = 0; i0 < m; i0 += 6)
            boff(m - i0 < 6 ? m - i0 : 6, nq, (size_t)c->kdim, wa + i0 * kd, kd, xg + q0, c->goff, 0,
                 out + i0 * ng + q0, ng);
    }
}

/* Rows 0..kdim-1 of cols (row stride ld) for output pixels [p0, p0 + np) of one image's group, read from its
 * padded planes xp: per im2col row, a contiguous copy per output row (no bounds checks, no dropped positions). For
 * small planes, where the grid's dropped positions would add GEMM columns or depth (use_grid: rows_from_grid). */
static void grid_rows(const et_conv_geom *c, const float *xp, size_t p0, size_t np, float *cols, size_t ld) {
    const int64_t oy_first = (int64_t)p0 / c->ow, ox_first = (int64_t)p0 % c->ow;
    for (int64_t r = 0; r < c->kdim; r++) {
        const float *restrict src = xp + c->goff[r];
        float *restrict dst = cols + (size_t)r * ld;
        int64_t oy = oy_first, ox0 = ox_first;
        for (size_t j = 0; j < np; oy++, ox0 = 0) {
            const size_t len = (size_t)(c->ow - ox0) < np - j ? (size_t)(c->ow - ox0) : np - j;
            const float *restrict sr = src + oy * c->wp + ox0;
            if (len >= 4 && len <= 16)
                copy_short(dst + j, sr, len);
            else
                for (size_t q = 0; q < len; q++)
                    dst[j + q] = sr[q];
            j += len;
        }
    }
}

/* pack_cols from the padded planes (c->rows_from_grid): per panel of nr pixels, the bias slot, the im2col rows
 * (grid_rows), the ones row; columns past the last pixel zero. */
static void pack_grid_pixels(const et_conv_geom *c, const float *xp, size_t p0, size_t np, float *packed) {
    const size_t nr = et_train_gemm_nr();
    for (size_t q0 = 0; q0 < np; q0 += nr) {
        const size_t cols = np - q0 < nr ? np - q0 : nr;
        memset(packed, 0, nr * sizeof *packed);
        float *p = packed + nr;
        grid_rows(c, xp, p0 + q0, cols, p, nr);
        for (int64_t r = 0; cols < nr && r < c->kdim; r++)
            memset(p + (size_t)r * nr + cols, 0, (nr - cols) * sizeof *p);
        p += (size_t)c->kdim * nr;
        for (size_t j = 0; j < nr; j++)
            p[j] = j < cols ? 1.0f : 0.0f;
        packed = p + nr;
    }
}

/* Copies (or adds, accumulate) the output pixels among grid positions [g0, g0 + ng) of out (cout_g rows of ng)
 * into y (the group's first output channel). */
static void drop_grid(const et_conv_geom *c, const float *out, size_t g0, size_t ng, bool accumulate, float *y) {
    const et_tk_config *tk = et_tk_config_get();
    for (size_t q = g0; q < g0 + ng;) {
        const int64_t oy = (int64_t)q / c->wp, ox = (int64_t)q % c->wp;
        size_t run = (size_t)(c->wp - ox);
        run = run < g0 + ng - q ? run : g0 + ng - q;
        if (ox < c->ow) {
            const size_t len = (size_t)(c->ow - ox) < run ? (size_t)(c->ow - ox) : run;
            for (int64_t co = 0; co < c->cout_g; co++)
                if (accumulate)
                    tk->add(y + co * c->ohw + oy * c->ow + ox, out + (size_t)co * ng + (q - g0), len);
                else if (len >= 4 && len <= 16)
                    copy_short(y + co * c->ohw + oy * c->ow + ox, out + (size_t)co * ng + (q - g0), len);
                else
                    memcpy(y + co * c->ohw + oy * c->ow + ox, out + (size_t)co * ng + (q - g0), len * sizeof *y);
        }
        q += run;
    }
}

static void forward_grid_task(void *arg, size_t begin, size_t end) {
    const conv_run *r = arg;
    const et_conv_geom *c = r->c;
    const size_t kd = (size_t)c->kdim + 1;
    const et_tk_gemm_boff_fn boff = et_tk_config_get()->gemm_boff;
    int slot;
    float *xp = et_tslot_acquire(&r->n->slots, &slot), *packed = xp + c->xp_floats;
    float *out = packed + c->packed_cols_floats;
    bool zeroed = false;
    int64_t padded = -1; /* the image (times groups, plus group) whose planes xp holds */
    for (size_t t = begin; t < end; t++) {
        if (c->rows_from_grid) { /* pixels, not grid positions: the block is c->block pixels */
            size_t b = t / r->n_blocks, p0 = t % r->n_blocks * c->block;
            size_t np = (size_t)c->ohw - p0 < c->block ? (size_t)c->ohw - p0 : c->block;
            for (int64_t gi = 0; gi < c->groups; gi++) {
                if ((int64_t)b * c->groups + gi != padded)
                    pad_planes(c, r->x + ((int64_t)b * c->cin + gi * c->cin_g) * c->ihw, xp, &zeroed);
                padded = (int64_t)b * c->groups + gi;
                float *y = r->y + ((int64_t)b * c->cout + gi * c->cout_g) * c->ohw + (int64_t)p0;
                if (boff && c->ow == 4 && c->ohw == 16) /* a 4x4 plane: its 4 rows of each im2col row in place */
                    for (size_t i0 = 0; i0 < (size_t)c->cout_g; i0 += 6)
                        boff((size_t)c->cout_g - i0 < 6 ? (size_t)c->cout_g - i0 : 6, 16, (size_t)c->kdim,
                             c->wa + (size_t)(gi * c->cout_g) * kd + i0 * kd, kd, xp, c->goff, (size_t)c->wp,
                             (r->accumulate ? out : y) + i0 * 16, 16);
                else {
                    pack_grid_pixels(c, xp, p0, np, packed);
                    et_train_gemm((size_t)c->cout_g, np, kd, c->wa + (size_t)(gi * c->cout_g) * kd, kd, packed,
                                  r->accumulate ? out : y, r->accumulate ? np : (size_t)c->ohw);
                }
                if (r->accumulate)
                    add_rows(y, (size_t)c->ohw, out, (size_t)c->cout_g, np);
            }
            continue;
        }
        size_t b = t / r->n_blocks, g0 = t % r->n_blocks * c->grid_block;
        size_t ng = c->grid_px - g0 < c->grid_block ? c->grid_px - g0 : c->grid_block;
        for (int64_t gi = 0; gi < c->groups; gi++) {
            if ((int64_t)b * c->groups + gi != padded)
                pad_planes(c, r->x + ((int64_t)b * c->cin + gi * c->cin_g) * c->ihw, xp, &zeroed);
            padded = (int64_t)b * c->groups + gi;
            if (boff) /* the im2col rows read in place from the planes, panel by panel: no packing */
                grid_boff(c, boff, c->wa + (size_t)(gi * c->cout_g) * kd, xp + g0, ng, out);
            else {
                pack_grid(c, xp, g0, ng, packed);
                et_train_gemm((size_t)c->cout_g, ng, kd, c->wa + (size_t)(gi * c->cout_g) * kd, kd, packed, out, ng);
            }
            drop_grid(c, out, g0, ng, r->accumulate, r->y + ((int64_t)b * c->cout + gi * c->cout_g) * c->ohw);
        }
    }
    et_tslot_release(&r->n->slots, slot);
}

/* wa = [W | b] per output channel (the forward's A operand). */
static void fill_wa(et_tnet *n, const et_tstep *s, et_conv_geom *c) {
    const float *w = et_tv_data(n, s->in[1]);
    const float *bias = s->n_in > 2 && s->in[2] >= 0 ? et_tv_data(n, s->in[2]) : NULL;
    for (int64_t o = 0; o < c->cout; o++) {
        memcpy(c->wa + o * (c->kdim + 1), w + o * c->kdim, (size_t)c->kdim * sizeof(float));
        c->wa[o * (c->kdim + 1) + c->kdim] = bias ? bias[o] : 0.0f;
    }
}

/* The forward products of r (r->c's wa times the packed columns of r->x into r->y, added when r->accumulate)
 * over the pool. */
static void run_forward(et_tnet *n, conv_run *r) {
    const et_conv_geom *c = r->c;
    if (c->grid) {
        r->n_blocks = c->rows_from_grid ? ((size_t)c->ohw + c->block - 1) / c->block
                                        : (c->grid_px + c->grid_block - 1) / c->grid_block;
        et_tnet_par(n, (size_t)n->batch_now * r->n_blocks, forward_grid_task, r);
        return;
    }
    r->n_blocks = ((size_t)c->ohw + c->block - 1) / c->block;
    et_tnet_par(n, (size_t)n->batch_now * r->n_blocks, forward_task, r);
}

static et_status forward(et_tnet *n, et_tstep *s, et_err *err) {
    et_conv_geom *c = s->state;
    if (c->depthwise)
        return et_dwconv_forward(n, s, c, err);
    fill_wa(n, s, c);
    conv_run r = {.n = n, .c = c, .x = et_tv_data(n, s->in[0]), .y = et_tv_data(n, s->out)};
    run_forward(n, &r);
    return ET_OK;
}

/* ---- backward ----------------------------------------------------------------------------------------------- */

static void dx_task(void *arg, size_t begin, size_t end) {
    const conv_run *r = arg;
    const et_conv_geom *c = r->c;
    int slot;
    float *packed = et_tslot_acquire(&r->n->slots, &slot);
    float *dcols = packed + c->packed_dy_floats;
    for (size_t b = begin; b < end; b++) {
        float *dx_img = r->dx + (int64_t)b * c->cin * c->ihw;
        if (!r->accumulate && !c->pointwise)
            memset(dx_img, 0, (size_t)(c->cin * c->ihw) * sizeof(float));
        for (int64_t gi = 0; gi < c->groups; gi++) {
            const float *dy = r->dy + ((int64_t)b * c->cout + gi * c->cout_g) * c->ohw;
            float *dx = dx_img + gi * c->cin_g * c->ihw;
            const float *wt = c->wt + gi * c->kdim * c->cout_g;
            for (size_t p0 = 0; p0 < (size_t)c->ohw; p0 += c->block) {
                size_t np = (size_t)c->ohw - p0 < c->block ? (size_t)c->ohw - p0 : c->block;
                et_train_gemm_pack((size_t)c->cout_g, np, dy + p0, (size_t)c->ohw, 1, NULL, packed);
                if (c->pointwise && !r->accumulate) {
                    et_train_gemm((size_t)c->kdim, np, (size_t)c->cout_g, wt, (size_t)c->cout_g, packed, dx + p0,
                                  (size_t)c->ihw);
                    continue;
                }
                et_train_gemm((size_t)c->kdim, np, (size_t)c->cout_g, wt, (size_t)c->cout_g, packed, dcols, np);
                if (c->pointwise) {
                    for (int64_t ci = 0; ci < c->cin_g; ci++)
                        for (size_t j = 0; j < np; j++)
                            dx[ci * c->ihw + (int64_t)(p0 + j)] += dcols[ci * (int64_t)np + (int64_t)j];
                } else {
                    col2im_rows_add(c, dcols, p0, np, np, dx);
                }
            }
        }
    }
    et_tslot_release(&r->n->slots, slot);
}

/* dX on the padded grid (c->grid_dx): per image and group, dY spread on grid positions (zeros at the dropped
 * ones), dcols = W^T . dY block by block, each dcols row added into the padded planes with one contiguous run
 * (col2im without bounds checks), the planes' interior then written (or added) into dX. */
static void dx_grid_task(void *arg, size_t begin, size_t end) {
    const conv_run *r = arg;
    const et_conv_geom *c = r->c;
    const et_tk_config *tk = et_tk_config_get();
    int slot;
    float *dxp = et_tslot_acquire(&r->n->slots, &slot), *dyg = dxp + c->xp_floats;
    float *packed = dyg + et_round_up((size_t)c->cout_g * c->grid_px, 16), *dcols = packed + c->packed_dy_floats;
    for (size_t b = begin; b < end; b++)
        for (int64_t gi = 0; gi < c->groups; gi++) {
            const float *dy = r->dy + ((int64_t)b * c->cout + gi * c->cout_g) * c->ohw;
            for (int64_t co = 0; co < c->cout_g; co++) {
                float *g = dyg + (size_t)co * c->grid_px;
                for (int64_t oy = 0; oy < c->oh; oy++) {
                    memcpy(g + oy * c->wp, dy + co * c->ohw + oy * c->ow, (size_t)c->ow * sizeof *g);
                    if (oy + 1 < c->oh)
                        memset(g + oy * c->wp + c->ow, 0, (size_t)(c->wp - c->ow) * sizeof *g);
                }
            }
            memset(dxp, 0, c->xp_floats * sizeof *dxp);
            for (size_t g0 = 0; g0 < c->grid_px; g0 += c->grid_block) {
                const size_t ng = c->grid_px - g0 < c->grid_block ? c->grid_px - g0 : c->grid_block;
                et_train_gemm_pack((size_t)c->cout_g, ng, dyg + g0, c->grid_px, 1, NULL, packed);
                et_train_gemm((size_t)c->kdim, ng, (size_t)c->cout_g, c->wt + gi * c->kdim * c->cout_g,
                              (size_t)c->cout_g, packed, dcols, ng);
                for (int64_t k = 0; k < c->kdim; k++)
                    tk->add(dxp + c->goff[k] + g0, dcols + (size_t)k * ng, ng);
            }
            unpad_planes(c, tk, dxp, r->accumulate, r->dx + ((int64_t)b * c->cin + gi * c->cin_g) * c->ihw);
        }
    et_tslot_release(&r->n->slots, slot);
}

/* Packs dY^T of a block of pixels as the B operand of the weight gradient: depth = the block's pixels (runs of
 * `segs` images: image seg_b[i], pixels [seg_p0[i], seg_p0[i] + seg_n[i])), cout_g columns (group gi). */
typedef struct pixel_block {
    size_t n, count; /* pixels, runs */
    size_t b[64], p0[64], len[64];
} pixel_block;

/* Packs pixels [0, len) of `cols` planes (src: the first, planes ohw floats apart) as len rows of nr floats (row
 * q: pixel q of each plane, zeros past cols): the transpose of dY that the weight gradient's B operand is. Eight
 * planes at a time by tk's 8 x 8 transposes (hwc_in on a block of len rows of one pixel, rows nr floats apart)
 * where nr is a multiple of 8; element by element otherwise (the scalar kernels' nr of 4). */
static void pack_t_run(const et_tk_config *tk, float *p, size_t nr, const float *src, int64_t ohw, size_t cols,
                       size_t len) {
    if (nr % ET_TK_CB == 0) {
        for (size_t j0 = 0; j0 < nr; j0 += ET_TK_CB) {
            const size_t nch = j0 < cols ? (cols - j0 < ET_TK_CB ? cols - j0 : ET_TK_CB) : 0;
            tk->hwc_in(p + j0, (ptrdiff_t)nr, nch ? src + (int64_t)j0 * ohw : src, (ptrdiff_t)ohw, nch, len, 1);
        }
        return;
    }
    for (size_t q = 0; q < len; q++, p += nr) {
        size_t j = 0;
        for (; j < cols; j++)
            p[j] = src[(int64_t)j * ohw + (int64_t)q];
        for (; j < nr; j++)
            p[j] = 0.0f;
    }
}

static void pack_dy_t(const et_conv_geom *c, const float *dy, int64_t gi, const pixel_block *pb, float *packed) {
    const size_t nr = et_train_gemm_nr(), cols_total = (size_t)c->cout_g;
    const et_tk_config *tk = et_tk_config_get();
    for (size_t n0 = 0; n0 < cols_total; n0 += nr) {
        const size_t cols = cols_total - n0 < nr ? cols_total - n0 : nr;
        memset(packed, 0, nr * sizeof *packed); /* the bias slot */
        float *p = packed + nr;
        for (size_t s = 0; s < pb->count; s++) {
            const float *src = dy + ((int64_t)pb->b[s] * c->cout + gi * c->cout_g + (int64_t)n0) * c->ohw +
                               (int64_t)pb->p0[s];
            pack_t_run(tk, p, nr, src, c->ohw, cols, pb->len[s]);
            p += pb->len[s] * nr;
        }
        packed = p;
    }
}

/* pack_dy_t over grid positions (c->grid): a segment's positions are grid positions of its image; the dropped
 * ones (ox >= ow) pack zeros, so that they add nothing to the product. Runs along an output row are packed
 * together. */
static void pack_dy_t_grid(const et_conv_geom *c, const float *dy, int64_t gi, const pixel_block *pb, float *packed) {
    const size_t nr = et_train_gemm_nr(), cols_total = (size_t)c->cout_g;
    const et_tk_config *tk = et_tk_config_get();
    for (size_t n0 = 0; n0 < cols_total; n0 += nr) {
        const size_t cols = cols_total - n0 < nr ? cols_total - n0 : nr;
        memset(packed, 0, nr * sizeof *packed); /* the bias slot */
        float *p = packed + nr;
        for (size_t s = 0; s < pb->count; s++) {
            const float *src = dy + ((int64_t)pb->b[s] * c->cout + gi * c->cout_g + (int64_t)n0) * c->ohw;
            int64_t oy = (int64_t)pb->p0[s] / c->wp, ox = (int64_t)pb->p0[s] % c->wp;
            for (size_t q = 0; q < pb->len[s];) {
                /* the rest of grid row oy within the segment: pixels while ox < ow, then dropped positions */
                const size_t left = pb->len[s] - q, in_row = (size_t)(c->wp - ox);
                const size_t run = left < in_row ? left : in_row;
                const size_t real = ox < c->ow ? ((size_t)(c->ow - ox) < run ? (size_t)(c->ow - ox) : run) : 0;
                if (real)
                    pack_t_run(tk, p, nr, src + oy * c->ow + ox, c->ohw, cols, real);
                memset(p + real * nr, 0, (run - real) * nr * sizeof *p);
                p += run * nr, q += run, ox += (int64_t)run;
                if (ox == c->wp)
                    ox = 0, oy++;
            }
        }
        packed = p;
    }
}

/* [dW | db]^T of one block of pixels (group gi) into acc ([kdim + 1][cout_g]), or added to it (accumulate). The
 * block's im2col rows are already in cols (row stride c->dw_block). */
static void wgrad_block(const conv_run *r, int64_t gi, const pixel_block *pb, float *cols, float *packed, float *part,
                        float *acc, bool accumulate) {
    const et_conv_geom *c = r->c;
    const size_t kd = (size_t)c->kdim + 1, cout_g = (size_t)c->cout_g;
    float *ones = cols + (size_t)c->kdim * c->dw_block;
    for (size_t j = 0; j < pb->n; j++)
        ones[j] = 1.0f;
    if (c->grid && !c->rows_from_grid)
        pack_dy_t_grid(c, r->dy, gi, pb, packed);
    else
        pack_dy_t(c, r->dy, gi, pb, packed);
    et_train_gemm(kd, cout_g, pb->n, cols, c->dw_block, packed, accumulate ? part : acc, cout_g);
    if (accumulate)
        et_tk_config_get()->add(acc, part, kd * cout_g);
}

/* The weight gradient of chunk `chunk` of the batch, into its buffer c->wacc + chunk * groups * (kdim + 1) *
 * cout_g, transposed: A = the im2col rows of a block of pixels, B = dY^T of the same pixels packed, so the product
 * is [kdim + 1][cout_g]. A block gathers pixels of consecutive images (up to c->dw_block), so that layers with
 * small planes still run long products. */
static void dw_task(void *arg, size_t begin, size_t end) {
    const conv_run *r = arg;
    const et_conv_geom *c = r->c;
    const size_t kd = (size_t)c->kdim + 1, batch = (size_t)r->n->batch_now;
    int slot;
    float *cols = et_tslot_acquire(&r->n->slots, &slot);
    float *packed = cols + et_round_up(kd * c->dw_block, 16), *part = packed + c->packed_dyt_floats;
    float *xp = part + et_round_up((size_t)c->cout_g * kd, 16); /* the padded planes (c->grid) */
    const size_t pixels = c->grid && !c->rows_from_grid ? c->grid_px : (size_t)c->ohw;
    bool zeroed = false;
    for (size_t chunk = begin; chunk < end; chunk++) {
        size_t b0 = chunk * batch / r->chunks, b1 = (chunk + 1) * batch / r->chunks;
        for (int64_t gi = 0; gi < c->groups; gi++) {
            float *acc = c->wacc + (chunk * (size_t)c->groups + (size_t)gi) * kd * (size_t)c->cout_g;
            bool accumulate = false;
            pixel_block pb = {0};
            for (size_t b = b0; b < b1; b++) {
                const float *x = r->x + ((int64_t)b * c->cin + gi * c->cin_g) * c->ihw;
                if (c->grid)
                    pad_planes(c, x, xp, &zeroed);
                for (size_t p0 = 0; p0 < pixels;) {
                    size_t len = pixels - p0 < c->dw_block - pb.n ? pixels - p0 : c->dw_block - pb.n;
                    if (c->rows_from_grid) /* each im2col row: a copy per output row of the padded planes */
                        grid_rows(c, xp, p0, len, cols + pb.n, c->dw_block);
                    else if (c->grid) /* each im2col row: one copy from the padded planes */
                        for (int64_t k = 0; k < c->kdim; k++)
                            memcpy(cols + (size_t)k * c->dw_block + pb.n, xp + c->goff[k] + p0, len * sizeof *cols);
                    else if (c->pointwise) /* the input rows are the im2col rows */
                        for (int64_t k = 0; k < c->kdim; k++)
                            memcpy(cols + (size_t)k * c->dw_block + pb.n, x + k * c->ihw + p0, len * sizeof *cols);
                    else
                        im2col_rows(c, x, p0, len, cols + pb.n, c->dw_block);
                    pb.b[pb.count] = b, pb.p0[pb.count] = p0, pb.len[pb.count] = len;
                    pb.count++, pb.n += len, p0 += len;
                    if (pb.n == c->dw_block || pb.count == sizeof pb.b / sizeof pb.b[0]) {
                        wgrad_block(r, gi, &pb, cols, packed, part, acc, accumulate);
                        accumulate = true;
                        pb.n = pb.count = 0;
                    }
                }
            }
            if (pb.n > 0)
                wgrad_block(r, gi, &pb, cols, packed, part, acc, accumulate);
        }
    }
    et_tslot_release(&r->n->slots, slot);
}

/* dw_task on the grid where the ISA has tk's gemm_nt: per group of up to NT_IMAGES images of the chunk, their
 * padded planes side by side and dY spread on their grid positions (zeros at the dropped ones and up to a
 * multiple of 8), then dW[o][j] = the dot products of dY row o with im2col row j read in place at goff[j] (no
 * im2col copy, no dY transpose), and db[o] the sums of dY; into the chunk's buffer as dw_task lays it out. */
static void dw_task_nt(void *arg, size_t begin, size_t end) {
    const conv_run *r = arg;
    const et_conv_geom *c = r->c;
    const et_tk_gemm_nt_fn nt = et_tk_config_get()->gemm_nt;
    const size_t kd = (size_t)c->kdim + 1, cout_g = (size_t)c->cout_g, batch = (size_t)r->n->batch_now;
    const size_t k8 = et_round_up(c->grid_px, 8), sa = cout_g * k8;
    int slot;
    float *xps = et_tslot_acquire(&r->n->slots, &slot), *dyg = xps + NT_IMAGES * c->xp_floats;
    bool zeroed[NT_IMAGES] = {false};
    memset(dyg, 0, NT_IMAGES * sa * sizeof *dyg); /* the dropped positions and the tail stay zero */
    for (size_t chunk = begin; chunk < end; chunk++) {
        const size_t b0 = chunk * batch / r->chunks, b1 = (chunk + 1) * batch / r->chunks;
        for (int64_t gi = 0; gi < c->groups; gi++) {
            float *acc = c->wacc + (chunk * (size_t)c->groups + (size_t)gi) * kd * cout_g;
            for (size_t bs = b0; bs < b1; bs += NT_IMAGES) {
                const size_t ni = b1 - bs < NT_IMAGES ? b1 - bs : NT_IMAGES;
                const bool first = bs == b0;
                for (size_t s = 0; s < ni; s++) {
                    pad_planes(c, r->x + ((int64_t)(bs + s) * c->cin + gi * c->cin_g) * c->ihw, xps + s * c->xp_floats,
                               &zeroed[s]);
                    const float *dy = r->dy + ((int64_t)(bs + s) * c->cout + gi * c->cout_g) * c->ohw;
                    for (size_t o = 0; o < cout_g; o++) {
                        float *g = dyg + s * sa + o * k8, bsum = 0.0f;
                        for (int64_t oy = 0; oy < c->oh; oy++) {
                            const float *src = dy + (int64_t)o * c->ohw + oy * c->ow;
                            memcpy(g + oy * c->wp, src, (size_t)c->ow * sizeof *g);
                            for (int64_t ox = 0; ox < c->ow; ox++)
                                bsum += src[ox];
                        }
                        float *db = acc + (size_t)c->kdim * cout_g + o;
                        *db = first && s == 0 ? bsum : *db + bsum;
                    }
                }
                for (size_t i0 = 0; i0 < cout_g; i0 += 4)
                    for (size_t j0 = 0; j0 < (size_t)c->kdim; j0 += 3)
                        nt(cout_g - i0 < 4 ? cout_g - i0 : 4, (size_t)c->kdim - j0 < 3 ? (size_t)c->kdim - j0 : 3, k8,
                           ni, dyg + i0 * k8, k8, sa, xps, c->xp_floats, c->goff + j0, acc + j0 * cout_g + i0, 1,
                           cout_g, !first);
            }
        }
    }
    et_tslot_release(&r->n->slots, slot);
}

/* Sums the chunks' weight gradients in chunk order into the weight and bias gradients: chunks 1.. added into
 * chunk 0 one whole buffer at a time (each element still summed in chunk order), then chunk 0 transposed out. */
static void reduce_wgrad(et_tnet *n, const et_tstep *s, const et_conv_geom *c, size_t chunks) {
    const size_t kd = (size_t)c->kdim + 1, cout_g = (size_t)c->cout_g, per_chunk = (size_t)c->cout * kd;
    const et_tk_config *tk = et_tk_config_get();
    bool acc_w = false, acc_b = false;
    float *dw = et_tnet_grad_begin(n, s->in[1], &acc_w);
    float *db = s->n_in > 2 ? et_tnet_grad_begin(n, s->in[2], &acc_b) : NULL;
    for (size_t ch = 1; ch < chunks; ch++)
        tk->add(c->wacc, c->wacc + ch * per_chunk, per_chunk);
    for (int64_t gi = 0; gi < c->groups; gi++) {
        const float *a = c->wacc + (size_t)gi * kd * cout_g;
        for (int64_t i = 0; i < c->kdim && dw; i++)
            for (size_t ol = 0; ol < cout_g; ol++) {
                float *d = dw + (gi * c->cout_g + (int64_t)ol) * c->kdim + i;
                *d = acc_w ? *d + a[(size_t)i * cout_g + ol] : a[(size_t)i * cout_g + ol];
            }
        for (size_t ol = 0; ol < cout_g && db; ol++) {
            float *d = db + gi * c->cout_g + (int64_t)ol;
            *d = acc_b ? *d + a[(size_t)c->kdim * cout_g + ol] : a[(size_t)c->kdim * cout_g + ol];
        }
    }
}

/* c->tc's wa: for group gi, row i (input channel gi cin_g + i) holds W[gi cout_g + o][i] flipped in both
 * spatial dims at o kk + (kk - 1 - k) for each output channel o of the group and tap k, then a zero bias. */
static void fill_wa_flipped(const float *w, const et_conv_geom *c) {
    const et_conv_geom *t = c->tc;
    const int64_t kd = t->kdim + 1, kk = c->kk;
    for (int64_t gi = 0; gi < c->groups; gi++)
        for (int64_t i = 0; i < c->cin_g; i++) {
            float *row = t->wa + (gi * c->cin_g + i) * kd;
            for (int64_t o = 0; o < c->cout_g; o++) {
                const float *src = w + ((gi * c->cout_g + o) * c->cin_g + i) * kk;
                for (int64_t k = 0; k < kk; k++)
                    row[o * kk + kk - 1 - k] = src[k];
            }
            row[t->kdim] = 0.0f;
        }
}

static void backward(et_tnet *n, et_tstep *s) {
    et_conv_geom *c = s->state;
    if (c->depthwise) {
        et_dwconv_backward(n, s, c);
        return;
    }
    conv_run r = {.n = n, .c = c, .x = et_tv_data(n, s->in[0]), .dy = et_tnet_grad_of(n, s->out)};
    const bool want_w = n->values[s->in[1]].needs_grad ||
                        (s->n_in > 2 && s->in[2] >= 0 && n->values[s->in[2]].needs_grad);
    if (want_w) {
        r.chunks = (size_t)n->batch_now < WGRAD_CHUNKS ? (size_t)n->batch_now : WGRAD_CHUNKS;
        /* dot products only on grids of 128 positions or more (14x14 outputs): on 7x7 and 4x4 (61 and 22 positions)
         * each call's short rows and reductions cost more than the copies it saves (fmnist_resnet layer3's
         * backward ran 3x slower) */
        const bool nt = c->grid && c->grid_px >= 128 && et_tk_config_get()->gemm_nt;
        et_tnet_par(n, r.chunks, nt ? dw_task_nt : dw_task, &r);
        reduce_wgrad(n, s, c, r.chunks);
    }
    if ((r.dx = et_tnet_grad_begin(n, s->in[0], &r.accumulate)) != NULL && c->tc) {
        /* stride 1: dX is the forward convolution of dY with the flipped, transposed weights */
        fill_wa_flipped(et_tv_data(n, s->in[1]), c);
        conv_run t = {.n = n, .c = c->tc, .x = r.dy, .y = r.dx, .accumulate = r.accumulate};
        run_forward(n, &t);
    } else if (r.dx) {
        const float *w = et_tv_data(n, s->in[1]);
        for (int64_t gi = 0; gi < c->groups; gi++)
            for (int64_t o = 0; o < c->cout_g; o++)
                for (int64_t i = 0; i < c->kdim; i++)
                    c->wt[(gi * c->kdim + i) * c->cout_g + o] = w[(gi * c->cout_g + o) * c->kdim + i];
        et_tnet_par(n, (size_t)n->batch_now, c->grid_dx ? dx_grid_task : dx_task, &r);
    }
}

static const et_top conv_op = {"Conv", forward, backward, release};

/* Whether the forward runs on the padded grid: a kernel wider than 1x1, and few dropped positions (they cost GEMM columns: 14x14 with a 3x3 kernel computes 222 positions
 * for 196 pixels, 4x4 computes 22 for 16). At stride s the padded planes are split into their s x s phases
 * (phase (py, px) holds the padded pixels (s i + py, s j + px) at (i, j)), so that tap (ky, kx) of output pixel
 * (oy, ox) is pixel (oy + ky dh / s, ox + kx dw / s) of phase (ky dh mod s, kx dw mod s): a stride-s im2col row
 * is again one contiguous copy, and the grid is the output's size plus the kernel's reach / s. Sets hp, wp (the
 * phase planes' rows and columns), grid_px. */
static bool use_grid(et_conv_geom *c) {
    if (c->kk == 1)
        return false; /* pointwise, or 1x1 strided: im2col copies each input pixel at most once anyway */
    const int64_t rows = c->oh + (c->kh - 1) * c->dh / c->sh, cols = c->ow + (c->kw - 1) * c->dw / c->sw;
    /* every input pixel has a place (at stride 1: no crop of a negative end pad) */
    const int64_t in_rows = (c->ih + c->pt + c->sh - 1) / c->sh, in_cols = (c->iw + c->pl + c->sw - 1) / c->sw;
    c->hp = rows > in_rows ? rows : in_rows;
    c->wp = cols > in_cols ? cols : in_cols;
    /* the phases some tap reads, numbered in order (a 1x1 stride-2 kernel reads one of four) */
    if (c->sh * c->sw > (int64_t)(sizeof c->phase / sizeof c->phase[0]))
        return false;
    for (int64_t p = 0; p < c->sh * c->sw; p++)
        c->phase[p] = -1;
    for (int64_t ky = 0; ky < c->kh; ky++)
        for (int64_t kx = 0; kx < c->kw; kx++)
            c->phase[ky * c->dh % c->sh * c->sw + kx * c->dw % c->sw] = 0;
    c->n_phases = 0;
    for (int64_t p = 0; p < c->sh * c->sw; p++)
        if (c->phase[p] == 0)
            c->phase[p] = (int)c->n_phases++;
    c->grid_px = (size_t)((c->oh - 1) * c->wp + c->ow);
    return c->grid_px * GRID_WASTE_DEN <= (size_t)c->ohw * GRID_WASTE_NUM;
}

/* ---- build -------------------------------------------------------------------------------------------------- */

static et_status geometry(et_tnet *n, const et_node *node, et_conv_geom *c, et_err *err) {
    const et_value *x = &n->g->values[node->inputs[0]], *w = et_node_cin(n->g, node, 1);
    if (!w || n->values[node->inputs[1]].param < 0)
        return et_fail(err, ET_E_UNSUPPORTED,
                       "node '%s' (Conv): its weights are not a float32 constant; the "
                       "training engine trains constant weights",
                       node->name);
    if (x->shape.rank != 4 && x->shape.rank != 3)
        return et_fail(err, ET_E_UNSUPPORTED,
                       "node '%s' (Conv): %d-D; the training engine trains 1-D and 2-D "
                       "convolutions",
                       node->name, x->shape.rank - 2);
    const et_value *b = et_node_cin(n->g, node, 2);
    if (b && n->values[node->inputs[2]].param < 0)
        return et_fail(err, ET_E_UNSUPPORTED, "node '%s' (Conv): its bias is not a float32 constant", node->name);
    et_window win;
    et_status st = et_window_init(node, &x->shape, &w->shape.dim[2], false, &win, err);
    if (st != ET_OK)
        return st;
    c->groups = et_node_attr_int(node, "group", 1);
    c->cin = x->shape.dim[1];
    c->cout = w->shape.dim[0];
    if (c->groups < 1 || c->cin % c->groups || c->cout % c->groups || w->shape.dim[1] != c->cin / c->groups)
        return et_fail(err, ET_E_INPUT,
                       "node '%s' (Conv): %lld input channels, %lld groups and weights %lld x %lld "
                       "do not fit",
                       node->name, (long long)c->cin, (long long)c->groups, (long long)w->shape.dim[0],
                       (long long)w->shape.dim[1]);
    c->cin_g = c->cin / c->groups;
    c->cout_g = c->cout / c->groups;
    c->ih = win.in[1], c->iw = win.in[2], c->oh = win.out[1], c->ow = win.out[2];
    c->kh = win.k[1], c->kw = win.k[2], c->sh = win.stride[1], c->sw = win.stride[2];
    c->dh = win.dil[1], c->dw = win.dil[2], c->pt = win.pad0[1], c->pl = win.pad0[2];
    c->ihw = c->ih * c->iw;
    c->ohw = c->oh * c->ow;
    c->kk = c->kh * c->kw;
    c->kdim = c->cin_g * c->kk;
    c->pointwise = c->kk == 1 && c->sh == 1 && c->sw == 1 && c->pt == 0 && c->pl == 0 && c->ohw == c->ihw;
    c->depthwise = c->cin_g == 1 && c->cout_g == 1;
    return ET_OK;
}

/* Blocks, the grid, scratch and buffers of a GEMM convolution of geometry c: *scratch_floats is what one task
 * needs; the weight gradient's buffers only with `gradients` (c->tc needs its wa alone). ET_E_NOMEM. */
static et_status plan_gemm(et_conv_geom *c, bool gradients, size_t *scratch_floats, et_err *err) {
    const size_t nr = et_train_gemm_nr(), kd = (size_t)c->kdim + 1;
    /* pixels per block: the packed columns (kd x block) within the budget, whole panels, at least one */
    size_t block = BLOCK_BUDGET_FLOATS / kd / nr * nr;
    block = block < nr ? nr : block;
    c->block = (size_t)c->ohw < block ? (size_t)c->ohw : block;
    c->packed_cols_floats = et_round_up(et_train_gemm_packed_floats(kd, c->block), 16);
    c->packed_dy_floats = et_round_up(et_train_gemm_packed_floats((size_t)c->cout_g, c->block), 16);
    /* the weight gradient's blocks span images: pixels within the budget, at least one panel's worth */
    c->dw_block = BLOCK_BUDGET_FLOATS / kd > nr ? BLOCK_BUDGET_FLOATS / kd : nr;
    c->packed_dyt_floats = et_round_up(et_train_gemm_packed_floats(c->dw_block, (size_t)c->cout_g), 16);
    /* rows: pack_cols's scratch, and the products a forward that accumulates adds (cout_g x block) */
    size_t fwd = c->packed_cols_floats + (kd > (size_t)c->cout_g ? kd : (size_t)c->cout_g) * c->block,
           dx = c->packed_dy_floats + (size_t)c->kdim * c->block,
           dw = et_round_up(kd * c->dw_block, 16) + c->packed_dyt_floats + (size_t)c->cout_g * kd;
    if (use_grid(c)) {
        c->grid = true;
        c->grid_block = block < c->grid_px ? block : c->grid_px;
        c->xp_floats = et_round_up((size_t)(c->cin_g * c->n_phases * c->hp * c->wp) + nr, 16);
        c->packed_cols_floats = et_round_up(et_train_gemm_packed_floats(kd, c->grid_block), 16);
        fwd = c->xp_floats + c->packed_cols_floats + (size_t)c->cout_g * c->grid_block;
        dw = et_round_up(kd * c->dw_block, 16) + c->packed_dyt_floats + et_round_up((size_t)c->cout_g * kd, 16) +
             c->xp_floats;
        const size_t nt = NT_IMAGES * (c->xp_floats + (size_t)c->cout_g * et_round_up(c->grid_px, 8)); /* dw_task_nt */
        dw = dw > nt ? dw : nt;
        /* dX's products are grid positions wide: on the grid only when that adds few panels (a 4x4 plane's 22
         * positions take two panels where its 16 pixels take one) */
        c->grid_dx = et_round_up(c->grid_px, nr) * 10 <= et_round_up((size_t)c->ohw, nr) * 12;
        c->rows_from_grid = !c->grid_dx; /* the same rule: grid positions would add a panel in 5 */
        if (!(c->goff = malloc((size_t)c->kdim * sizeof *c->goff)))
            return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
        for (int64_t ci = 0, r = 0; ci < c->cin_g; ci++)
            for (int64_t ky = 0; ky < c->kh; ky++)
                for (int64_t kx = 0; kx < c->kw; kx++, r++)
                    c->goff[r] = (ptrdiff_t)((ci * c->n_phases +
                                              c->phase[ky * c->dh % c->sh * c->sw + kx * c->dw % c->sw]) *
                                                 c->hp * c->wp +
                                             ky * c->dh / c->sh * c->wp + kx * c->dw / c->sw);
    }
    if (c->grid_dx) {
        c->packed_dy_floats = et_round_up(et_train_gemm_packed_floats((size_t)c->cout_g, c->grid_block), 16);
        dx = c->xp_floats + et_round_up((size_t)c->cout_g * c->grid_px, 16) + c->packed_dy_floats +
             (size_t)c->kdim * c->grid_block;
    }
    size_t most = fwd;
    if (gradients) {
        most = most > dx ? most : dx;
        most = most > dw ? most : dw;
    }
    *scratch_floats = most;
    c->wa = et_aligned_alloc((size_t)c->cout * kd * sizeof(float));
    if (gradients) {
        c->wt = et_aligned_alloc((size_t)c->cout * (size_t)c->kdim * sizeof(float));
        c->wacc = et_aligned_alloc(WGRAD_CHUNKS * (size_t)c->cout * kd * sizeof(float));
    }
    if (!c->wa || (gradients && (!c->wt || !c->wacc)))
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    return ET_OK;
}

/* The transposed convolution that computes dX of a stride-1 convolution c (c->tc), or NULL (no error) where it
 * does not apply: a strided kernel, a 1x1 one (its dX is already one product, without col2im), or a start pad
 * past the kernel's reach. dX[i][iy][ix] = sum over o, ky, kx of W[o][i][ky][kx] dY[o][iy + pt - ky dh][ix + pl
 * - kx dw]: a convolution of dY (cout channels in, cin out, the same groups and dilation) with the kernel flipped,
 * padded at the start by (kh - 1) dh - pt and (kw - 1) dw - pl, whose output is the input's size. */
static et_status plan_transposed(et_conv_geom *c, size_t *scratch_floats, et_err *err) {
    *scratch_floats = 0;
    if (c->sh != 1 || c->sw != 1 || c->kk == 1 || (c->kh - 1) * c->dh < c->pt || (c->kw - 1) * c->dw < c->pl)
        return ET_OK;
    et_conv_geom *t = calloc(1, sizeof *t);
    if (!t)
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    c->tc = t;
    t->groups = c->groups, t->cin = c->cout, t->cout = c->cin, t->cin_g = c->cout_g, t->cout_g = c->cin_g;
    t->ih = c->oh, t->iw = c->ow, t->oh = c->ih, t->ow = c->iw;
    t->kh = c->kh, t->kw = c->kw, t->sh = 1, t->sw = 1, t->dh = c->dh, t->dw = c->dw;
    t->pt = (c->kh - 1) * c->dh - c->pt, t->pl = (c->kw - 1) * c->dw - c->pl;
    t->ihw = t->ih * t->iw, t->ohw = t->oh * t->ow, t->kk = c->kk, t->kdim = t->cin_g * t->kk;
    return plan_gemm(t, false, scratch_floats, err);
}

et_status et_top_build_conv(et_tnet *n, const et_node *node, et_tstep *s, et_err *err) {
    et_conv_geom *c = calloc(1, sizeof *c);
    if (!c)
        return et_fail(err, ET_E_NOMEM, "out of memory building the training network");
    s->op = &conv_op;
    s->state = c;
    et_status st = geometry(n, node, c, err);
    if (st != ET_OK)
        return st;
    if (c->depthwise)
        return et_dwconv_prepare(n, s, c, err);
    size_t most, most_t;
    if ((st = plan_gemm(c, true, &most, err)) != ET_OK || (st = plan_transposed(c, &most_t, err)) != ET_OK)
        return st;
    s->scratch_bytes = (most > most_t ? most : most_t) * sizeof(float);
    return ET_OK;
}
