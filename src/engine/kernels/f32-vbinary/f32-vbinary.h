/* f32-vbinary.h: fp32 elementwise binary kernels with a fused clamp:
 *   y[i] = clamp(a[i] op b[i])        (b_scalar == 0)
 *   y[i] = clamp(a[i] op b[0])        (b_scalar != 0: a per-tensor constant, e.g. x * 0.5)
 * for i < n; y may equal a or b. RSUB/RDIV swap the operands (b - a, b / a) so that a scalar on the left needs
 * no copy. A per-channel operand of an NHWC tensor (SE blocks, bias adds) is one call per pixel with b pointing
 * at the channel vector. The residual add after a convolution tile (ResNet, MobileNetV2) is ADD with the
 * activation clamp fused. One kernel per ISA takes the operation and runs a loop specialised for it. */
#ifndef ET_KERNELS_F32_VBINARY_H
#define ET_KERNELS_F32_VBINARY_H

#include <stddef.h>

#include "engine/kernels/dispatch.h"
#include "engine/kernels/params.h"
#include "engine/kernels/precondition.h"

typedef void (*et_f32_vbinary_ukernel_fn)(et_binary_op op, size_t n, const float *a, const float *b, int b_scalar,
                                          float *y, const et_f32_minmax_params *params);

#define ET_F32_VBINARY_UKERNEL(name)                                                             \
    void name(et_binary_op op, size_t n, const float *a, const float *b, int b_scalar, float *y, \
              const et_f32_minmax_params *params)

/* What every binary kernel checks on entry (precondition.h): an operation it has a loop for (another would
 * silently give zeros) and the operands it reads and writes when there is an element. */
#define ET_F32_VBINARY_REQUIRE()                                            \
    do {                                                                    \
        ET_KERNEL_REQUIRE((unsigned)op < ET_BINARY_COUNT);                  \
        ET_KERNEL_REQUIRE(n == 0 || (a != NULL && b != NULL && y != NULL)); \
    } while (0)

ET_F32_VBINARY_UKERNEL(et_f32_vbinary_ukernel_x1__scalar);
ET_F32_VBINARY_UKERNEL(et_f32_vbinary_ukernel_x16__avx2);
ET_F32_VBINARY_UKERNEL(et_f32_vbinary_ukernel_x32__avx512f);
ET_F32_VBINARY_UKERNEL(et_f32_vbinary_ukernel_x8__neon);

typedef struct et_f32_vbinary_config {
    et_f32_vbinary_ukernel_fn ukernel;
    const char *name; /* "f32-vbinary-x16-avx2" */
    et_kreq req;      /* what the CPU must have (dispatch.h) */
} et_f32_vbinary_config;

/* The config for the ISA path chosen at start: the first entry of the table this CPU and the path allow (never
 * NULL: scalar at worst; dispatch.h). */
const et_f32_vbinary_config *et_f32_vbinary_config_get(void);

/* Every config this build has, best first, scalar last (tests and benchmarks; check et_kreq_runnable before
 * calling a kernel). *count receives the number. */
const et_f32_vbinary_config *et_f32_vbinary_configs(size_t *count);

/* The name of an operation ("add"), "?" out of range. */
const char *et_binary_op_name(et_binary_op op);

#endif
