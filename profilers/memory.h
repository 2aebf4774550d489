/* memory.h: peak resident memory of the timed loop (README.md section 5).
 *
 * start writes "5" to /proc/self/clear_refs, which resets VmHWM (the high-water mark) to the current RSS; stop
 * reads VmHWM from /proc/self/status, so the peak belongs to the timed loop. When clear_refs cannot be written
 * (permission, kernels before 4.0) the peak is the process's since it started, and the method says so; when
 * /proc/self/status cannot be read either, getrusage's ru_maxrss is the last resort. */
#ifndef ET_PROFILERS_MEMORY_H
#define ET_PROFILERS_MEMORY_H

#include <stdint.h>

#include "profilers/probe.h"
#include "profilers/sysroot.h"
#include "record/result.h"

typedef struct et_memory {
    const et_sysroot *sr;
    int clear_errno;    /* 0 when clear_refs reset the peak at start; -1 before any start */
    int64_t peak_bytes; /* read by stop */
    int status_errno;   /* reading VmHWM at stop: 0 or errno */
} et_memory;

void et_memory_init(et_memory *m, const et_sysroot *sr);
void et_memory_start(et_memory *m);
void et_memory_stop(et_memory *m);
/* Fills the peak_rss fields, status and why of out; leaves weights/arena bytes alone. */
void et_memory_fill(const et_memory *m, et_memory_info *out);
/* For doctor: whether clear_refs and VmHWM are usable here (nothing is reset). */
void et_memory_probe(const et_sysroot *sr, et_probe *out);

#endif
