/* f32-winograd-neon.c: the Winograd tile transforms on 8-float vectors, two NEON q registers each (the code is
 * f32-winograd-impl.h). */
#define WL 8
#define WSUF neon
#include "engine/kernels/f32-winograd/f32-winograd.h"
#include "engine/kernels/f32-winograd/f32-winograd-impl.h"
