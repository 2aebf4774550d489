/* power_hwmon.c: generic hwmon power and energy sensors (/sys/class/hwmon/hwmon*).
 *
 * energy*_input is a cumulative counter in µJ (amd_energy, zenergy, some BMCs) and is preferred; power*_input and
 * power*_average are µW readings. A sensor that answers ENODATA is disabled and skipped. hwmonN numbers change
 * between boots, so a sensor is named by the device's `name` and its label. INA3221 devices belong to the Jetson
 * source and are skipped here. On zen energy drivers the per-socket counters (labels "Esocket*") are summed and
 * the per-core ones ignored (they are inside the socket). A sensor covers an unknown part of the machine, so the
 * result is marked partial unless it is a dedicated supply monitor (ina2xx: ina219, ina226, ...). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "profilers/power.h"

typedef struct sensor {
    char dev[ET_SYS_NAME_MAX];
    char name[32];  /* the device's name */
    char label[32]; /* energyN_label or the file name */
    char path[160];
    double value;    /* µJ or µW at probe time */
    int interval_ms; /* update_interval of the device, 0 when none */
} sensor;

enum { MAX_SENSORS = 32 };

/* Collects files named <prefix>N<suffix> in one hwmon directory. */
static int collect(const et_sysroot *sr, const char *dev, const char *name, const char *prefix, const char *suffix,
                   int interval_ms, sensor *out, int n, int max) {
    char dir[128];
    snprintf(dir, sizeof dir, "sys/class/hwmon/%s", dev);
    char files[96][ET_SYS_NAME_MAX];
    int nf = et_sys_list(sr, dir, prefix, files, 96);
    size_t sl = strlen(suffix);
    for (int i = 0; i < nf && i < 96 && n < max; i++) {
        size_t fl = strlen(files[i]);
        if (fl <= sl || strcmp(files[i] + fl - sl, suffix) != 0)
            continue;
        sensor *s = &out[n];
        snprintf(s->path, sizeof s->path, "%s/%s", dir, files[i]);
        int64_t v;
        if (et_sys_read_i64(sr, s->path, &v) < 0)
            continue; /* ENODATA: disabled channel; EACCES: cannot use it */
        s->value = (double)v;
        snprintf(s->dev, sizeof s->dev, "%s", dev);
        snprintf(s->name, sizeof s->name, "%s", name);
        s->interval_ms = interval_ms;
        char lpath[200], stem[ET_SYS_NAME_MAX];
        snprintf(stem, sizeof stem, "%.*s", (int)(fl - sl), files[i]);
        snprintf(lpath, sizeof lpath, "%s/%s_label", dir, stem);
        if (et_sys_read(sr, lpath, s->label, sizeof s->label) <= 0)
            snprintf(s->label, sizeof s->label, "%s", stem);
        n++;
    }
    return n;
}

static void probe(et_power_source *s) {
    char devs[32][ET_SYS_NAME_MAX];
    int n = et_sys_list(s->sr, "sys/class/hwmon", "hwmon", devs, 32);
    if (n < 0) {
        et_probe_set(&s->probe, ET_AVAIL_UNSUPPORTED, -n, NULL, "no /sys/class/hwmon");
        return;
    }
    sensor energy[MAX_SENSORS], power[MAX_SENSORS];
    int ne = 0, np = 0;
    for (int i = 0; i < n && i < 32; i++) {
        char path[128], name[32] = "";
        snprintf(path, sizeof path, "sys/class/hwmon/%s/name", devs[i]);
        et_sys_read(s->sr, path, name, sizeof name);
        if (strstr(name, "ina3221"))
            continue;
        int64_t ui = 0;
        snprintf(path, sizeof path, "sys/class/hwmon/%s/update_interval", devs[i]);
        et_sys_read_i64(s->sr, path, &ui);
        ne = collect(s->sr, devs[i], name, "energy", "_input", (int)ui, energy, ne, MAX_SENSORS);
        np = collect(s->sr, devs[i], name, "power", "_input", (int)ui, power, np, MAX_SENSORS);
        np = collect(s->sr, devs[i], name, "power", "_average", (int)ui, power, np, MAX_SENSORS);
    }
    for (int i = 0; i < ne; i++)
        et_power_detail_add(s, "%s%s/%s %.1f J", s->detail[0] ? ", " : "", energy[i].name, energy[i].label,
                            energy[i].value / 1e6);
    for (int i = 0; i < np; i++)
        et_power_detail_add(s, "%s%s/%s %.0f mW", s->detail[0] ? ", " : "", power[i].name, power[i].label,
                            power[i].value / 1e3);
    if (ne == 0 && np == 0) {
        et_probe_set(&s->probe, ET_AVAIL_UNSUPPORTED, ENOENT,
                     "a supply monitor on I2C (INA219/INA226 with the ina2xx hwmon driver) adds one",
                     "no hwmon power or energy sensor");
        return;
    }
    const sensor *use[ET_POWER_MAX_CHANNELS];
    int n_use = 0;
    if (ne > 0) {
        s->kind = ET_POWER_ENERGY;
        for (int i = 0; i < ne && n_use < ET_POWER_MAX_CHANNELS; i++)
            if (strncmp(energy[i].label, "Esocket", 7) == 0)
                use[n_use++] = &energy[i];
        if (n_use == 0)
            use[n_use++] = &energy[0];
    } else {
        s->kind = ET_POWER_POWER;
        use[n_use++] = &power[0];
    }
    s->interval_ms = 100;
    for (int k = 0; k < n_use; k++) {
        et_power_channel *c = &s->ch[s->n_channels++];
        snprintf(c->name, sizeof c->name, "%s/%s", use[k]->name, use[k]->label);
        snprintf(c->path, sizeof c->path, "%s", use[k]->path);
        c->scale = s->kind == ET_POWER_ENERGY ? 1.0 : 1e-3; /* µJ stays µJ; µW -> mW */
        c->wrap_uj = 0;
        if (use[k]->interval_ms > s->interval_ms)
            s->interval_ms = use[k]->interval_ms;
        if (use[k]->interval_ms > s->min_interval_ms)
            s->min_interval_ms = use[k]->interval_ms;
    }
    if (n_use == 1)
        snprintf(s->label, sizeof s->label, "hwmon:%s/%s", use[0]->name, use[0]->label);
    else
        snprintf(s->label, sizeof s->label, "hwmon:%s (sum of %d sockets)", use[0]->name, n_use);
    s->partial = strncmp(use[0]->name, "ina2", 4) != 0;
    et_probe_set(&s->probe, ET_AVAIL_OK, 0, NULL, "%s", "");
}

static int sample(et_power_source *s, et_power_raw *out) {
    double total = 0;
    for (int i = 0; i < s->n_channels; i++) {
        int64_t v;
        int r = et_sys_read_i64(s->sr, s->ch[i].path, &v);
        if (r < 0)
            return r;
        if (s->kind == ET_POWER_ENERGY) {
            out->value[i] = (double)v * s->ch[i].scale;
            out->wrap_uj[i] = 0;
        } else {
            total += (double)v * s->ch[i].scale;
        }
    }
    if (s->kind == ET_POWER_ENERGY) {
        out->n = s->n_channels;
    } else {
        out->n = 1;
        out->value[0] = total;
        out->wrap_uj[0] = 0;
    }
    return 0;
}

const et_power_ops et_power_hwmon_ops =
    {"hwmon", "hwmon power/energy", probe, et_power_start_nothing, sample, et_power_stop_nothing, et_power_read_label};
