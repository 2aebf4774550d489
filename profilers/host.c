/* host.c: who ran a measurement: hostname, CPU model, architecture, board, kernel, cores.
 *
 * Read through the sysroot so a fixture names its own board: hostname and kernel from /proc/sys/kernel (uname as
 * the fallback), the CPU from /proc/cpuinfo ("model name" on x86; on ARM the implementer and part numbers, which
 * are mapped to core names), the board from the device tree (Raspberry Pi, Jetson) or DMI (PCs, VMs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "profilers/host.h"
#include "profilers/profilers.h"
#include "profilers/rpi.h"
#include "profilers/sysroot.h"

typedef struct arm_part {
    unsigned implementer, part;
    const char *name;
} arm_part;

static const arm_part arm_parts[] = {
    {0x41, 0xd03, "ARM Cortex-A53"},   {0x41, 0xd04, "ARM Cortex-A35"},  {0x41, 0xd05, "ARM Cortex-A55"},
    {0x41, 0xd07, "ARM Cortex-A57"},   {0x41, 0xd08, "ARM Cortex-A72"},  {0x41, 0xd09, "ARM Cortex-A73"},
    {0x41, 0xd0a, "ARM Cortex-A75"},   {0x41, 0xd0b, "ARM Cortex-A76"},  {0x41, 0xd0c, "ARM Neoverse-N1"},
    {0x41, 0xd0d, "ARM Cortex-A77"},   {0x41, 0xd40, "ARM Neoverse-V1"}, {0x41, 0xd41, "ARM Cortex-A78"},
    {0x41, 0xd42, "ARM Cortex-A78AE"}, {0x41, 0xd44, "ARM Cortex-X1"},   {0x41, 0xd46, "ARM Cortex-A510"},
    {0x41, 0xd47, "ARM Cortex-A710"},  {0x41, 0xd49, "ARM Neoverse-N2"}, {0x41, 0xd4b, "ARM Cortex-A78C"},
    {0x4e, 0x003, "NVIDIA Denver 2"},  {0x4e, 0x004, "NVIDIA Carmel"},
};

/* Distinct ARM cores listed in cpuinfo ("ARM Cortex-A76 + ARM Cortex-A55"). */
static void arm_cpu_name(const char *cpuinfo, char *out, size_t cap) {
    out[0] = '\0';
    const char *p = cpuinfo;
    unsigned impl = 0;
    int n = 0;
    const char *seen[4] = {0};
    while ((p = strstr(p, "CPU ")) != NULL) {
        const char *colon = strchr(p, ':');
        if (!colon)
            break;
        if (strncmp(p, "CPU implementer", 15) == 0) {
            impl = (unsigned)strtoul(colon + 1, NULL, 0);
        } else if (strncmp(p, "CPU part", 8) == 0) {
            unsigned part = (unsigned)strtoul(colon + 1, NULL, 0);
            const char *name = NULL;
            for (size_t i = 0; i < sizeof arm_parts / sizeof arm_parts[0]; i++)
                if (arm_parts[i].implementer == impl && arm_parts[i].part == part)
                    name = arm_parts[i].name;
            bool dup = false;
            for (int k = 0; k < n; k++)
                dup = dup || (name && seen[k] == name);
            if (name && !dup && n < 4) {
                seen[n++] = name;
                size_t used = strlen(out);
                snprintf(out + used, cap - used, "%s%s", used ? " + " : "", name);
            }
        }
        p = colon;
    }
}

void et_host_info_read_at(const et_sysroot *sr, et_host_info *out) {
    memset(out, 0, sizeof *out);
    struct utsname u;
    bool have_uname = uname(&u) == 0;
    if (et_sys_read(sr, "proc/sys/kernel/hostname", out->hostname, sizeof out->hostname) <= 0 && have_uname)
        snprintf(out->hostname, sizeof out->hostname, "%s", u.nodename);
    if (et_sys_read(sr, "proc/sys/kernel/osrelease", out->kernel, sizeof out->kernel) <= 0 && have_uname)
        snprintf(out->kernel, sizeof out->kernel, "%s", u.release);
    if (have_uname)
        snprintf(out->arch, sizeof out->arch, "%s", u.machine);

    char *cpuinfo = malloc(65536);
    if (cpuinfo && et_sys_read(sr, "proc/cpuinfo", cpuinfo, 65536) > 0) {
        arm_cpu_name(cpuinfo, out->cpu, sizeof out->cpu); /* before "model name": 32-bit ARM has a vague one */
        if (!out->cpu[0])
            et_text_field_str(cpuinfo, "model name", out->cpu, sizeof out->cpu);
        if (!out->cpu[0])
            et_text_field_str(cpuinfo, "Hardware", out->cpu, sizeof out->cpu);
        if (!sr->is_real) /* a fixture describes another machine: its cpuinfo says which architecture */
            snprintf(out->arch, sizeof out->arch, "%s",
                     strstr(cpuinfo, "CPU architecture: 8")   ? "aarch64"
                     : strstr(cpuinfo, "CPU architecture: 7") ? "armv7l"
                     : strstr(cpuinfo, "vendor_id")           ? "x86_64"
                                                              : out->arch);
    }
    free(cpuinfo);

    if (et_devicetree_model(sr, out->board, sizeof out->board) <= 0) {
        char vendor[64] = "", product[96] = "";
        et_sys_read(sr, "sys/class/dmi/id/sys_vendor", vendor, sizeof vendor);
        et_sys_read(sr, "sys/class/dmi/id/product_name", product, sizeof product);
        if (strstr(product, "To be filled") || strstr(product, "System Product Name"))
            product[0] = '\0';
        if (vendor[0] || product[0])
            snprintf(out->board, sizeof out->board, "%s%s%s", vendor, vendor[0] && product[0] ? " " : "", product);
    }

    char online[512];
    int n = -1;
    if (et_sys_read(sr, "sys/devices/system/cpu/online", online, sizeof online) > 0)
        n = et_cpu_list_parse(online, NULL, 0);
    out->cores = n > 0 ? n : (int)sysconf(_SC_NPROCESSORS_ONLN);
}

void et_host_info_read(et_host_info *out) {
    et_sysroot sr;
    if (et_sysroot_open(NULL, &sr, NULL) != ET_OK) {
        /* a bad EDGETUNE_SYSROOT: describe the real machine */
        if (et_sysroot_open("/", &sr, NULL) != ET_OK) {
            memset(out, 0, sizeof *out);
            return;
        }
    }
    et_host_info_read_at(&sr, out);
    et_sysroot_close(&sr);
}
