/* vcio.c: the VideoCore mailbox of the Raspberry Pi firmware (vcio.h): a vcgencmd command as an ioctl on /dev/vcio
 * (property tag 0x00030080, GET_GENCMD_RESULT), or the fixture file under a fixture sysroot. Used by the Pi 5 PMIC
 * power source and by thermal's throttling flags. */
#include "profilers/vcio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define VCIO_IOCTL_PROPERTY _IOWR(100, 0, char *)
enum { GET_GENCMD_RESULT = 0x00030080, GENCMD_TEXT = ET_VCIO_TEXT_MAX };

static int fixture_gencmd(const et_sysroot *sr, const char *command, char *reply, unsigned cap) {
    char path[160];
    int n = snprintf(path, sizeof path, ".edgetune/vcgencmd/%s", command);
    for (int i = (int)strlen(".edgetune/vcgencmd/"); i < n && path[i]; i++)
        if (path[i] == ' ' || path[i] == '/')
            path[i] = '_';
    return et_sys_read(sr, path, reply, cap);
}

static int sys_gencmd(void *ctx, const et_sysroot *sr, const char *command, char *reply, unsigned cap) {
    (void)ctx;
    if (!sr->is_real && !et_sys_is_chardev(sr, "dev/vcio"))
        return fixture_gencmd(sr, command, reply, cap);
    size_t len = strlen(command);
    if (len + 1 >= GENCMD_TEXT || cap == 0)
        return -EINVAL;
    int fd = et_sys_open(sr, "dev/vcio", O_RDWR);
    if (fd < 0)
        return fd;
    /* {size, request code, tag, value buffer size, request size, gencmd result, text[GENCMD_TEXT], end tag} */
    uint32_t msg[6 + GENCMD_TEXT / 4 + 1];
    memset(msg, 0, sizeof msg);
    msg[0] = sizeof msg;
    msg[1] = 0; /* process request */
    msg[2] = GET_GENCMD_RESULT;
    msg[3] = GENCMD_TEXT;
    memcpy(&msg[6], command, len + 1);
    int r = ioctl(fd, VCIO_IOCTL_PROPERTY, msg);
    int e = r < 0 ? errno : 0;
    close(fd);
    if (r < 0)
        return -e;
    if (msg[1] != 0x80000000u) /* the firmware did not answer with success */
        return -EIO;
    const char *text = (const char *)&msg[6];
    size_t n = strnlen(text, GENCMD_TEXT);
    if (n >= cap)
        n = cap - 1;
    memcpy(reply, text, n);
    reply[n] = '\0';
    return (int)n;
}

static const et_vcio_ops system_vcio = {sys_gencmd, NULL};
const et_vcio_ops *et_vcio_ops_system(void) { return &system_vcio; }
