/* f32-winograd-avx2.c: the Winograd tile transforms on 8-float AVX2 vectors (compiled with -mavx2 -mfma; the
 * code is f32-winograd-impl.h). */
#define WL 8
#define WSUF avx2
#include "engine/kernels/f32-winograd/f32-winograd.h"
#include "engine/kernels/f32-winograd/f32-winograd-impl.h"
