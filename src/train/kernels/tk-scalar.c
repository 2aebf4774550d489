/* tk-scalar.c: the training kernels (tk.h) for any CPU: the body of tk-impl.h on 4-float vectors with the
 * architecture's baseline flags (SSE2 on x86-64, plain C elsewhere). The oracle of the other ISAs. */
#include "train/kernels/tk.h"

#define TK_WL 4
#define TK_NAME(x) tk_##x##_scalar
#include "train/kernels/tk-impl.h"

const et_tk_config et_tk_scalar = {tk_hwc_in_scalar,
                                   tk_hwc_out_scalar,
                                   tk_dw_fwd_scalar,
                                   tk_dw_wgrad_scalar,
                                   tk_dw_dgrad_scalar,
                                   tk_mask_scalar,
                                   tk_clamp_scalar,
                                   tk_add_scalar,
                                   NULL,
                                   NULL,
                                   "tk-x4-scalar",
                                   ET_ISA_SCALAR};
