/* tk-neon.c: the training kernels (tk.h) on NEON, 8 floats (two q registers) per vector (the body is
 * tk-impl.h). */
#include "train/kernels/tk.h"

#define TK_WL 8
#define TK_NAME(x) tk_##x##_neon
#include "train/kernels/tk-impl.h"

const et_tk_config et_tk_neon = {tk_hwc_in_neon,
                                 tk_hwc_out_neon,
                                 tk_dw_fwd_neon,
                                 tk_dw_wgrad_neon,
                                 tk_dw_dgrad_neon,
                                 tk_mask_neon,
                                 tk_clamp_neon,
                                 tk_add_neon,
                                 NULL,
                                 NULL,
                                 "tk-x8-neon",
                                 ET_ISA_NEON};
