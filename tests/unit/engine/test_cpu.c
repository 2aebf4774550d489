/* test_cpu.c: CPU feature detection: flags are consistent with the chosen path and with each other, the path
 * names match, and the EDGETUNE_ISA rule (et_cpu_choose) picks a lower path or falls back with a note. */
#include <stdio.h>

#include "engine/cpu.h"
#include "et_test.h"

static void test_flags_consistent(void) {
    const et_cpu_features *f = et_cpu_features_get();
    ET_REQUIRE(f != NULL);
    ET_CHECK(f == et_cpu_features_get()); /* detected once */
    ET_CHECK(et_cpu_can_run(ET_ISA_SCALAR));
    ET_CHECK(et_cpu_can_run(f->best));
    ET_CHECK(f->chosen <= f->best || (f->best == ET_ISA_NEONDOT && f->chosen == ET_ISA_NEON));
    if (f->best == ET_ISA_AVX512)
        ET_CHECK(f->avx512f && f->avx512bw && f->avx512dq && f->avx512vl && f->avx2 && f->fma);
    if (f->best == ET_ISA_AVX2)
        ET_CHECK(f->avx2 && f->fma);
    if (f->avx512vnni || f->avx512vbmi)
        ET_CHECK(f->avx512f);
#if defined(__x86_64__)
    ET_CHECK(!f->asimd);
    ET_CHECK(!et_cpu_can_run(ET_ISA_NEON));
#elif defined(__aarch64__)
    ET_CHECK(f->asimd);
    ET_CHECK(f->best == ET_ISA_NEON || f->best == ET_ISA_NEONDOT);
    ET_CHECK(f->best != ET_ISA_NEONDOT || f->asimddp);
    ET_CHECK(!et_cpu_can_run(ET_ISA_AVX2));
#endif
    ET_CHECK_STR(et_cpu_isa_name(), et_cpu_isa_label(et_cpu_isa_get()));
    ET_CHECK_STR(et_cpu_isa_label(ET_ISA_AVX2), "avx2+fma");
    ET_CHECK_STR(et_cpu_isa_label(ET_ISA_NEONDOT), "neon+dot");
    ET_CHECK_STR(et_cpu_isa_label((et_cpu_isa)99), "?");
    fprintf(stderr, "cpu: best %s, chosen %s\n", et_cpu_isa_label(f->best), et_cpu_isa_name());
}

static void test_env_override(void) {
    et_cpu_features f = *et_cpu_features_get();
    char note[160];
    ET_CHECK_INT(et_cpu_choose(&f, NULL, note, sizeof note), f.best);
    ET_CHECK_INT(et_cpu_choose(&f, "", note, sizeof note), f.best);
    ET_CHECK_INT(et_cpu_choose(&f, "scalar", note, sizeof note), ET_ISA_SCALAR);
    ET_CHECK_STR(note, "");
    ET_CHECK_INT(et_cpu_choose(&f, "bogus", note, sizeof note), f.best);
    ET_CHECK(strstr(note, "EDGETUNE_ISA=bogus is not one of") != NULL);
    /* a pretend AVX2 machine asked for AVX-512 gets AVX2 and a note; asked for avx2 gets it */
    f.best = ET_ISA_AVX2;
    ET_CHECK_INT(et_cpu_choose(&f, "avx512", note, sizeof note), ET_ISA_AVX2);
    ET_CHECK_STR(note, "EDGETUNE_ISA=avx512 is not available on this CPU; using avx2+fma");
    ET_CHECK_INT(et_cpu_choose(&f, "avx2", note, sizeof note), ET_ISA_AVX2);
    ET_CHECK_INT(et_cpu_choose(&f, "neon", note, sizeof note), ET_ISA_AVX2);
    f.best = ET_ISA_AVX512;
    ET_CHECK_INT(et_cpu_choose(&f, "avx2", note, sizeof note), ET_ISA_AVX2);
    f.best = ET_ISA_NEONDOT;
    ET_CHECK_INT(et_cpu_choose(&f, "neon", note, sizeof note), ET_ISA_NEON);
    ET_CHECK_INT(et_cpu_choose(&f, "avx2", note, sizeof note), ET_ISA_NEONDOT);
    f.best = ET_ISA_NEON;
    ET_CHECK_INT(et_cpu_choose(&f, "neondot", note, sizeof note), ET_ISA_NEON);
    ET_CHECK(strstr(note, "not available") != NULL);
}

int main(void) {
    ET_RUN(test_flags_consistent);
    ET_RUN(test_env_override);
    return et_test_done();
}
