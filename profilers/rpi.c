/* rpi.c: device-tree model, Raspberry Pi detection and the firmware's throttling flags. */
#include "profilers/rpi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int et_devicetree_model(const et_sysroot *sr, char *model, size_t cap) {
    int n = et_sys_read(sr, "proc/device-tree/model", model, cap);
    if (n <= 0)
        n = et_sys_read(sr, "sys/firmware/devicetree/base/model", model, cap);
    if (n <= 0)
        model[0] = '\0';
    return n;
}

et_rpi_model et_rpi_model_read(const et_sysroot *sr, char *model, size_t cap) {
    if (et_devicetree_model(sr, model, cap) <= 0 || !strstr(model, "Raspberry Pi"))
        return ET_RPI_NONE;
    if (strstr(model, "Raspberry Pi 5") || strstr(model, "Compute Module 5") || strstr(model, "Raspberry Pi 500"))
        return ET_RPI_5;
    return ET_RPI_OLDER;
}

bool et_throttled_parse(const char *text, uint32_t *bits) {
    const char *p = strstr(text, "throttled=");
    p = p ? p + 10 : text;
    while (*p == ' ')
        p++;
    char *end;
    unsigned long v = strtoul(p, &end, 16); /* sysfs prints "%x" without 0x; strtoul base 16 takes both */
    if (end == p)
        return false;
    *bits = (uint32_t)v;
    return true;
}

/* The firmware driver exposes get_throttled under its platform device: soc/soc:firmware on the Pi 4, a
 * soc@<address> node on newer kernels. Search two levels below sys/devices/platform. */
static int find_sysfs(const et_sysroot *sr, char *path, size_t cap) {
    snprintf(path, cap, "sys/devices/platform/soc/soc:firmware/get_throttled");
    if (et_sys_access(sr, path) == 0)
        return 0;
    char top[64][ET_SYS_NAME_MAX];
    int n = et_sys_list(sr, "sys/devices/platform", NULL, top, 64);
    for (int i = 0; i < n && i < 64; i++) {
        if (strstr(top[i], "firmware")) {
            snprintf(path, cap, "sys/devices/platform/%s/get_throttled", top[i]);
            if (et_sys_access(sr, path) == 0)
                return 0;
        }
        if (strncmp(top[i], "soc", 3) != 0 && strncmp(top[i], "axi", 3) != 0)
            continue;
        char dir[128], sub[64][ET_SYS_NAME_MAX];
        snprintf(dir, sizeof dir, "sys/devices/platform/%s", top[i]);
        int m = et_sys_list(sr, dir, NULL, sub, 64);
        for (int k = 0; k < m && k < 64; k++) {
            if (!strstr(sub[k], "firmware"))
                continue;
            snprintf(path, cap, "%s/%s/get_throttled", dir, sub[k]);
            if (et_sys_access(sr, path) == 0)
                return 0;
        }
    }
    return -ENOENT;
}

int et_rpi_throttled_read(const et_sysroot *sr, const et_vcio_ops *vcio, uint32_t *bits, char *src, size_t cap) {
    char path[256], text[128];
    if (find_sysfs(sr, path, sizeof path) == 0 && et_sys_read(sr, path, text, sizeof text) > 0 &&
        et_throttled_parse(text, bits)) {
        snprintf(src, cap, "/%s", path);
        return 0;
    }
    if (!vcio)
        return -ENOENT;
    int r = vcio->gencmd(vcio->ctx, sr, "get_throttled", text, sizeof text);
    if (r < 0)
        return r;
    if (!et_throttled_parse(text, bits))
        return -EIO;
    snprintf(src, cap, "firmware get_throttled");
    return 0;
}

void et_throttled_describe(uint32_t bits, char *out, size_t cap) {
    static const char *const what[] = {"under-voltage", "ARM frequency capped", "throttled", "soft temperature limit"};
    size_t used = 0;
    out[0] = '\0';
    for (int b = 0; b < 4; b++)
        if (bits & (1u << b)) {
            int w = snprintf(out + used, cap - used, "%s%s", used ? ", " : "", what[b]);
            if (w < 0 || (size_t)w >= cap - used)
                return;
            used += (size_t)w;
        }
}
