/* sysroot.h: the one filesystem root through which every profiler reads /sys, /proc and /dev.
 *
 * The root is `/` unless EDGETUNE_SYSROOT names another directory (a fixture tree under fixtures/sysroot/).
 * It is opened once with O_PATH and every access is an openat() relative to it, so a fixture stands in for the
 * whole machine. Paths given to these helpers are relative ("sys/class/powercap"); a leading '/' is ignored.
 *
 * A fixture tree can say what a real machine would refuse, because running as root ignores file modes and git
 * keeps none: `.edgetune/denied` lists fnmatch(3) patterns (one per line, '*' stops at '/') of paths that fail
 * with EACCES. Other stand-ins live under `.edgetune/` too (vcgencmd replies, see power_pi5_pmic.c). None of this
 * is looked at when the root is the real `/`.
 *
 * All helpers return a negative errno on failure and never print. */
#ifndef ET_PROFILERS_SYSROOT_H
#define ET_PROFILERS_SYSROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/status.h"

enum { ET_SYS_NAME_MAX = 64, ET_SYS_DENIED_MAX = 16 };

typedef struct et_sysroot {
    int fd;          /* O_PATH directory fd, or -1 when closed */
    bool is_real;    /* the real "/" (hardware can be opened for real) */
    char path[1024]; /* as given, for messages */
    int n_denied;
    char denied[ET_SYS_DENIED_MAX][128];
} et_sysroot;

/* Opens `path`, or $EDGETUNE_SYSROOT when path is NULL, or "/" when neither is set. Fails with ET_E_IO naming the
 * path (and the variable) when it is not a readable directory. The caller owns *out and closes it. */
et_status et_sysroot_open(const char *path, et_sysroot *out, et_err *err);
void et_sysroot_close(et_sysroot *sr);

/* openat() relative to the root; returns the fd or -errno. */
int et_sys_open(const et_sysroot *sr, const char *rel, int flags);
/* Reads a small file into buf (NUL-terminated, trailing whitespace removed); returns its length or -errno.
 * An empty read of a sysfs attribute (ENODATA from hwmon) comes back as -ENODATA. */
int et_sys_read(const et_sysroot *sr, const char *rel, char *buf, size_t cap);
/* Reads a file holding one integer (decimal, or hex with 0x); -EINVAL when it does not parse. */
int et_sys_read_i64(const et_sysroot *sr, const char *rel, int64_t *out);
/* Like et_sys_read_i64 but for a double. */
int et_sys_read_double(const et_sysroot *sr, const char *rel, double *out);
/* Writes text to an existing file (no O_CREAT); returns 0 or -errno. */
int et_sys_write(const et_sysroot *sr, const char *rel, const char *text);
/* 0 when rel exists (following symlinks), else -errno. */
int et_sys_access(const et_sysroot *sr, const char *rel);
/* True when rel is a character device. */
bool et_sys_is_chardev(const et_sysroot *sr, const char *rel);

/* Lists the entries of directory `dir` whose names start with `prefix` (NULL or "" for all; "." and ".." never),
 * sorted with numbers in names compared by value (hwmon2 < hwmon10). Writes up to `max` names into `names` and
 * returns how many there are in all (may exceed max), or -errno. */
int et_sys_list(const et_sysroot *sr, const char *dir, const char *prefix, char (*names)[ET_SYS_NAME_MAX], int max);

/* Finds "Key:" (blanks allowed before the colon, as in /proc/cpuinfo) at the start of a line in text and parses the integer after it; false when absent. */
bool et_text_field_i64(const char *text, const char *key, int64_t *out);
/* Same for the rest of the line as a string (leading blanks skipped). */
bool et_text_field_str(const char *text, const char *key, char *out, size_t cap);

/* "0-3,5,7-8" -> the number of CPUs in the list and optionally a membership mask for CPUs < max_cpus;
 * -1 on a malformed list. */
int et_cpu_list_parse(const char *text, bool *mask, int max_cpus);

/* strerror-like short names: "ENOENT", "EACCES", ...; "E<number>" for others. Static storage. */
const char *et_errno_name(int errnum);

#endif
