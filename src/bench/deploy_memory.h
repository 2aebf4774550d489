/* deploy_memory.h: what the tuned model needs in memory when deployed on edgetune's engine (et_deployed_memory,
 * the memory headline of every run).
 *
 * edgetune's own process holds the pristine model, the fp32 baseline's plan and outputs, the derivation's
 * buffers and the tuned plan, so its peak says little about a device that runs only the tuned model. The
 * measurement therefore happens in a fresh process: the tuned graph is written as an image (deploy_image.h) into
 * an anonymous in-memory file, and the edgetune binary is started again with a hidden command that maps the
 * image, builds the plan with the run's threads (weights packed at the deployed bit-width: int8, two 4-bit
 * weights per byte where the engine runs native 4-bit, fp32 for fp32 layers; channel-pruned shapes), lets the
 * image's pages go (as a deployment drops its model file's pages once the weights are packed), resets its peak
 * (clear_refs) and runs a few inferences. Its peak resident set then is the plan's weights as deployed, arena
 * and scratch, thread stacks and the runtime's code and libc, which it also reports on their own (its resident
 * set before loading anything).
 *
 * Weight-only quantization (act-bits 32, bits < 16) has no native kernel: the engine holds those weights as
 * fp32 ("exec: simulated"), so the deployed memory is fp32's; only their storage (weights_deploy_bytes) shrinks. */
#ifndef ET_BENCH_DEPLOY_MEMORY_H
#define ET_BENCH_DEPLOY_MEMORY_H

#include "model/graph.h"
#include "record/result.h"

/* The binary to start for the measurement when the caller is the edgetune binary itself. */
#define ET_DEPLOY_SELF_EXE "/proc/self/exe"
/* The hidden command main() hands to et_deploy_child_main (not listed in --help). */
#define ET_DEPLOY_COMMAND "__deploy-memory"

/* Measures g (a tuned graph) run with `threads` threads, starting `exe` (an edgetune binary; NULL: not measured,
 * status "not measured"). Everything that can go wrong with the measurement itself (no memfd, the child failed or
 * timed out) is recorded in out->status and out->why, not returned. Returns ET_OK, or ET_E_CANCELLED when *cancel
 * became non-zero (the child is killed; out says "not measured"). */
et_status et_deploy_measure(const et_graph *g, int threads, const char *exe, const volatile int *cancel,
                            et_deployed_memory *out, et_err *err);

/* The measuring process: argv = {ET_DEPLOY_COMMAND, FD, THREADS}, FD an open image. Prints one line
 * "edgetune-deploy-memory key=value ..." on stdout and returns 0, or one line "error: ..." and returns 1. main()
 * calls it before anything else, so the process holds nothing a deployment would not. */
int et_deploy_child_main(int argc, char **argv);

#endif
