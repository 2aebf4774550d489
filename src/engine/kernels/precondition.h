/* precondition.h: the check at the top of every microkernel.
 *
 * Every kernel a config table points at begins with ET_KERNEL_REQUIRE(...) over what its loops rely on: a row
 * count within its tile, at least one column, a depth that is a whole number of its k blocks, the pointers it
 * dereferences. Each family's header wraps its list in one macro (ET_F32_GEMM_REQUIRE, ...) so that all kernels
 * of a family check the same things.
 *
 * Compiled in every build type, Release included, and not with assert() (which -DNDEBUG removes): a kernel
 * called outside its contract writes past its output in a SIMD loop that no sanitizer sees, and the damage shows
 * up far away. The check is a few compares and never-taken branches per call, before the loops; a call does at
 * least one MR x NR tile (GEMM) or one vector of elements, so it costs well under 1 % (measured: see the kernel
 * benchmarks, tests/bench/README.md). No check sits inside a loop. XNNPACK asserts the same things in debug builds
 * only; the engine keeps its asserts in Release too (CMakeLists.txt), and the kernels follow it. */
#ifndef ET_KERNELS_PRECONDITION_H
#define ET_KERNELS_PRECONDITION_H

/* Prints "edgetune: bug: <kernel> called with <condition> false" on stderr and aborts: a caller broke a kernel's
 * contract, which is a bug in the engine, never a user error. */
_Noreturn void et_kernel_precondition_failed(const char *kernel, const char *condition) __attribute__((cold));

#define ET_KERNEL_REQUIRE(cond) \
    (__builtin_expect(!(cond), 0) ? et_kernel_precondition_failed(__func__, #cond) : (void)0)

#endif
