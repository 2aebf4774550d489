/* f32-winograd-scalar.c: the Winograd tile transforms one float at a time (the reference; f32-winograd-impl.h). */
#define WL 1
#define WSUF scalar
#include "engine/kernels/f32-winograd/f32-winograd.h"
#include "engine/kernels/f32-winograd/f32-winograd-impl.h"
