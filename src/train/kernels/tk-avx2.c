/* tk-avx2.c: the training kernels (tk.h) on 8-float AVX2 vectors (compiled with -mavx2 -mfma; the body is
 * tk-impl.h). */
#include "train/kernels/tk.h"

#define TK_WL 8
#define TK_NAME(x) tk_##x##_avx2
#include "train/kernels/tk-impl.h"

const et_tk_config et_tk_avx2 = {tk_hwc_in_avx2, tk_hwc_out_avx2, tk_dw_fwd_avx2, tk_dw_wgrad_avx2, tk_dw_dgrad_avx2,
                                 tk_mask_avx2,   tk_clamp_avx2,   tk_add_avx2,    "tk-x8-avx2",     ET_ISA_AVX2};
