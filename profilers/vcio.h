/* vcio.h: the VideoCore mailbox (Raspberry Pi firmware), behind an ops table so tests can stand in for it. */
#ifndef ET_PROFILERS_VCIO_H
#define ET_PROFILERS_VCIO_H

#include "profilers/sysroot.h"

enum { ET_VCIO_TEXT_MAX = 4096 }; /* bytes of a command's reply text the mailbox carries, NUL included */

/* One vcgencmd command through the mailbox. The default implementation asks /dev/vcio (ioctl, no fork: never
 * fork a helper while counters are open); under a fixture sysroot it reads `.edgetune/vcgencmd/<command>` with
 * spaces as '_'. Returns the reply length, or -errno (-ENOENT: no mailbox). */
typedef struct et_vcio_ops {
    int (*gencmd)(void *ctx, const et_sysroot *sr, const char *command, char *reply, unsigned cap);
    void *ctx;
} et_vcio_ops;
const et_vcio_ops *et_vcio_ops_system(void);

#endif
