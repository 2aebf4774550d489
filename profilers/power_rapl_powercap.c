/* power_rapl_powercap.c: RAPL energy counters through /sys/class/powercap/intel-rapl:N (Intel, and AMD Zen with
 * intel_rapl_msr since Linux 5.11).
 *
 * Zones (README.md section 2): top-level intel-rapl:N are package-N or psys; intel-rapl:N:M (core, uncore,
 * dram) sit inside their parent; psys covers the whole SoC including the package. So the run is measured on psys
 * alone when it exists, else on the sum of the package zones, and subzones are never added. intel-rapl-mmio:N
 * repeats package-N through another interface on recent laptops and is skipped. energy_uj wraps at
 * max_energy_range_uj; the sampler unwraps per zone. energy_uj is root-only since Linux 5.10 (CVE-2020-8694). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "profilers/power.h"

static const char RAPL_PERM_HINT[] =
    "run as root, or let users read the counters: 'sudo chmod o+r /sys/class/powercap/intel-rapl:*/energy_uj' "
    "(until reboot), or a udev rule in /etc/udev/rules.d/99-rapl.rules: "
    "ACTION==\"add\", SUBSYSTEM==\"powercap\", RUN+=\"/bin/chmod o+r /sys%p/energy_uj\"";

static int colons(const char *s) {
    int n = 0;
    for (; *s; s++)
        n += *s == ':';
    return n;
}

static void probe(et_power_source *s) {
    char zones[32][ET_SYS_NAME_MAX];
    int n = et_sys_list(s->sr, "sys/class/powercap", "intel-rapl:", zones, 32);
    if (n == -ENOENT || n == -ENOTDIR) {
        et_probe_set(&s->probe, ET_AVAIL_UNSUPPORTED, ENOENT,
                     "RAPL needs a bare-metal Intel, or AMD Zen, CPU; there: 'sudo modprobe intel_rapl_msr'",
                     "no /sys/class/powercap (no RAPL driver; VMs usually have none)");
        return;
    }
    if (n < 0) {
        et_probe_set(&s->probe, et_avail_from_errno(-n), -n, NULL, "/sys/class/powercap: %s", et_errno_name(-n));
        return;
    }
    if (n > 32)
        n = 32;
    s->relevant = n > 0;
    s->kind = ET_POWER_ENERGY;
    s->interval_ms = 100;
    int psys = -1, n_pkg = 0, pkg[ET_POWER_MAX_CHANNELS], n_top = 0;
    char names[32][32];
    int64_t range[32];
    int err_read[32];
    for (int i = 0; i < n; i++) {
        char path[160];
        names[i][0] = '\0';
        snprintf(path, sizeof path, "sys/class/powercap/%s/name", zones[i]);
        et_sys_read(s->sr, path, names[i], sizeof names[i]);
        range[i] = 0;
        snprintf(path, sizeof path, "sys/class/powercap/%s/max_energy_range_uj", zones[i]);
        et_sys_read_i64(s->sr, path, &range[i]);
        int64_t e = 0;
        snprintf(path, sizeof path, "sys/class/powercap/%s/energy_uj", zones[i]);
        err_read[i] = -et_sys_read_i64(s->sr, path, &e);
        if (colons(zones[i]) != 1)
            continue;
        n_top++;
        if (strcmp(names[i], "psys") == 0)
            psys = i;
        else if (strncmp(names[i], "package", 7) == 0 && n_pkg < ET_POWER_MAX_CHANNELS)
            pkg[n_pkg++] = i;
        et_power_detail_add(s, "%s%s", s->detail[0] ? ", " : "zones: ", names[i]);
        if (err_read[i] == 0)
            et_power_detail_add(s, " (%.1f J, wraps at %.0f J)", (double)e / 1e6, (double)range[i] / 1e6);
        else
            et_power_detail_add(s, " (energy_uj: %s)", et_errno_name(err_read[i]));
    }
    int n_sub = 0;
    for (int i = 0; i < n; i++)
        if (colons(zones[i]) == 2)
            et_power_detail_add(s, "%s%s", n_sub++ ? ", " : "; subzones inside their package, not added: ",
                                names[i][0] ? names[i] : zones[i]);
    if (n_top == 0) {
        et_probe_set(&s->probe, ET_AVAIL_UNSUPPORTED, ENOENT, "'sudo modprobe intel_rapl_msr'",
                     "/sys/class/powercap has no intel-rapl zone");
        return;
    }
    /* psys alone when there is one, else the packages; on real hardware a counter must also move (a VM can
     * show zones that read a constant), and a dead psys falls back to the packages */
    for (int attempt = psys >= 0 ? 0 : 1; attempt < 2; attempt++) {
        int use[ET_POWER_MAX_CHANNELS], n_use = 0;
        if (attempt == 0)
            use[n_use++] = psys;
        else
            for (int k = 0; k < n_pkg; k++)
                use[n_use++] = pkg[k];
        if (n_use == 0)
            break;
        char label[ET_NAME_MAX] = "rapl:";
        s->n_channels = 0;
        for (int k = 0; k < n_use; k++) {
            int i = use[k];
            if (err_read[i] != 0) {
                bool perm = err_read[i] == EACCES || err_read[i] == EPERM;
                et_probe_set(&s->probe, et_avail_from_errno(err_read[i]), err_read[i], perm ? RAPL_PERM_HINT : NULL,
                             "/sys/class/powercap/%s/energy_uj: %s%s", zones[i], et_errno_name(err_read[i]),
                             perm ? ": readable by root only since Linux 5.10 (CVE-2020-8694, \"Platypus\")" : "");
                s->n_channels = 0;
                return;
            }
            et_power_channel *c = &s->ch[s->n_channels++];
            snprintf(c->name, sizeof c->name, "%s", names[i]);
            snprintf(c->path, sizeof c->path, "sys/class/powercap/%s/energy_uj", zones[i]);
            c->scale = 1.0;
            c->wrap_uj = (double)range[i];
            size_t l = strlen(label);
            snprintf(label + l, sizeof label - l, "%s%s", k ? "+" : "", names[i]);
        }
        double moved = 1;
        if (s->sr->is_real && et_power_check_advance(s, 30, &moved) == 0 && moved <= 0) {
            et_power_detail_add(s, "; %s did not advance in 30 ms", label + 5);
            continue;
        }
        snprintf(s->label, sizeof s->label, "%s", label);
        s->partial = attempt == 1; /* a package zone is the CPU package only, not the board */
        et_power_detail_add(s, "; measuring %s%s", label + 5,
                            attempt == 0 ? " (the platform, includes the package)" : " (CPU package only)");
        et_probe_set(&s->probe, ET_AVAIL_OK, 0, NULL, "%s", "");
        return;
    }
    s->n_channels = 0;
    if (psys < 0 && n_pkg == 0)
        et_probe_set(&s->probe, ET_AVAIL_UNSUPPORTED, ENOENT, NULL, "no package or psys zone among the RAPL zones");
    else
        et_probe_set(&s->probe, ET_AVAIL_UNSUPPORTED, ENODATA,
                     "nothing to do in a VM; on bare metal check that RAPL is enabled in the firmware",
                     "the RAPL counters do not advance: zones without the hardware behind them (typical of a VM)");
}

static int sample(et_power_source *s, et_power_raw *out) {
    out->n = s->n_channels;
    for (int i = 0; i < s->n_channels; i++) {
        int64_t v;
        int r = et_sys_read_i64(s->sr, s->ch[i].path, &v);
        if (r < 0)
            return r;
        out->value[i] = (double)v * s->ch[i].scale;
        out->wrap_uj[i] = s->ch[i].wrap_uj;
    }
    return 0;
}

const et_power_ops et_power_rapl_powercap_ops =
    {"rapl-powercap",       "RAPL (powercap)",  probe, et_power_start_nothing, sample,
     et_power_stop_nothing, et_power_read_label};
