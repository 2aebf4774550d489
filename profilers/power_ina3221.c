/* power_ina3221.c: NVIDIA Jetson power rails from the on-board INA3221 monitors (README.md section 3).
 *
 * The devices are the I2C clients whose `name` contains "ina3221" (JetPack 4 "ina3221x", JetPack 5/6 "ina3221").
 *   JetPack 4 (IIO):   iio:deviceN/rail_name_K, in_powerK_input (mW), K = 0..2.
 *   JetPack 5/6 (hwmon): hwmon/hwmonN/inK_label, inK_input (mV), currK_input (mA), K = 1..3; P = mV * mA / 1000.
 *                      in4..in6 are shunt voltages and channel 7 their sum: never read; "NC" labels are unwired.
 * The board total is the VDD_IN (or, on the Nano, POM_5V_IN) rail. Without one the rails are summed and the
 * result marked partial: rails overlap or miss parts of the board, which is why summing them is a known source of
 * wrong numbers in other tools. The sampler never polls faster than the monitor's update_interval. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "profilers/power.h"

typedef struct rail {
    char name[48];
    char path[160];  /* mW (JP4) or mV (JP5/6) */
    char path2[160]; /* mA (JP5/6), "" for JP4 */
    double mw;       /* at probe time */
    int interval_ms;
} rail;

enum { MAX_RAILS = 12 };

static int read_rail_mw(const et_sysroot *sr, const char *path, const char *path2, double *mw) {
    int64_t a, b;
    int r = et_sys_read_i64(sr, path, &a);
    if (r < 0)
        return r;
    if (!path2[0]) {
        *mw = (double)a;
        return 0;
    }
    r = et_sys_read_i64(sr, path2, &b);
    if (r < 0)
        return r;
    *mw = (double)a * (double)b / 1000.0;
    return 0;
}

static bool unwired(const char *label) {
    if (!label[0])
        return true;
    /* "NC", "NC_1", ... : not connected */
    return strncasecmp(label, "NC", 2) == 0 && (label[2] == '\0' || !isalnum((unsigned char)label[2]));
}

static int rails_jp4(const et_sysroot *sr, const char *dev, rail *out, int n, int *last_err) {
    char dir[128], iio[8][ET_SYS_NAME_MAX];
    snprintf(dir, sizeof dir, "sys/bus/i2c/devices/%s", dev);
    int ni = et_sys_list(sr, dir, "iio:device", iio, 8);
    for (int d = 0; d < ni && d < 8; d++)
        for (int k = 0; k < 3 && n < MAX_RAILS; k++) {
            rail *r = &out[n];
            char p[200];
            snprintf(p, sizeof p, "%s/%s/rail_name_%d", dir, iio[d], k);
            if (et_sys_read(sr, p, r->name, sizeof r->name) <= 0 || unwired(r->name))
                continue;
            snprintf(r->path, sizeof r->path, "%s/%s/in_power%d_input", dir, iio[d], k);
            r->path2[0] = '\0';
            r->interval_ms = 0;
            int e = read_rail_mw(sr, r->path, r->path2, &r->mw);
            if (e < 0) {
                *last_err = -e;
                continue;
            }
            n++;
        }
    return n;
}

static int rails_hwmon(const et_sysroot *sr, const char *dev, rail *out, int n, int *last_err) {
    char dir[128], hw[8][ET_SYS_NAME_MAX];
    snprintf(dir, sizeof dir, "sys/bus/i2c/devices/%s/hwmon", dev);
    int nh = et_sys_list(sr, dir, "hwmon", hw, 8);
    for (int d = 0; d < nh && d < 8; d++) {
        char p[200];
        int64_t interval = 0;
        snprintf(p, sizeof p, "%s/%s/update_interval", dir, hw[d]);
        et_sys_read_i64(sr, p, &interval);
        for (int k = 1; k <= 3 && n < MAX_RAILS; k++) {
            rail *r = &out[n];
            snprintf(p, sizeof p, "%s/%s/in%d_label", dir, hw[d], k);
            if (et_sys_read(sr, p, r->name, sizeof r->name) <= 0 || unwired(r->name))
                continue;
            snprintf(r->path, sizeof r->path, "%s/%s/in%d_input", dir, hw[d], k);
            snprintf(r->path2, sizeof r->path2, "%s/%s/curr%d_input", dir, hw[d], k);
            r->interval_ms = (int)interval;
            int e = read_rail_mw(sr, r->path, r->path2, &r->mw);
            if (e < 0) {
                *last_err = -e;
                continue;
            }
            n++;
        }
    }
    return n;
}

static void probe(et_power_source *s) {
    char devs[64][ET_SYS_NAME_MAX];
    int nd = et_sys_list(s->sr, "sys/bus/i2c/devices", NULL, devs, 64);
    rail rails[MAX_RAILS];
    int n = 0, n_dev = 0, last_err = 0;
    for (int i = 0; i < nd && i < 64; i++) {
        char path[128], name[32] = "";
        snprintf(path, sizeof path, "sys/bus/i2c/devices/%s/name", devs[i]);
        if (et_sys_read(s->sr, path, name, sizeof name) <= 0 || !strstr(name, "ina3221"))
            continue;
        n_dev++;
        n = rails_jp4(s->sr, devs[i], rails, n, &last_err);
        n = rails_hwmon(s->sr, devs[i], rails, n, &last_err);
    }
    if (n_dev == 0) {
        et_probe_set(&s->probe, ET_AVAIL_UNSUPPORTED, ENOENT, NULL, "no INA3221 on I2C (not a Jetson)");
        return;
    }
    s->relevant = true;
    if (n == 0) {
        et_probe_set(&s->probe, last_err ? et_avail_from_errno(last_err) : ET_AVAIL_ERROR, last_err,
                     last_err == EACCES ? "run as root, or make the INA3221 files readable" : NULL,
                     "%d INA3221 device(s) but no readable rail%s%s", n_dev, last_err ? ": " : "",
                     last_err ? et_errno_name(last_err) : "");
        return;
    }
    for (int i = 0; i < n; i++)
        et_power_detail_add(s, "%s%s %.0f mW", i ? ", " : "rails: ", rails[i].name, rails[i].mw);
    s->kind = ET_POWER_POWER;
    int total = -1;
    for (int i = 0; i < n && total < 0; i++)
        if (strcasecmp(rails[i].name, "VDD_IN") == 0 || strcasecmp(rails[i].name, "POM_5V_IN") == 0)
            total = i;
    int first = total >= 0 ? total : 0, last = total >= 0 ? total + 1 : n;
    int interval = 0;
    for (int i = first; i < last && s->n_channels < ET_POWER_MAX_CHANNELS; i++) {
        et_power_channel *c = &s->ch[s->n_channels++];
        snprintf(c->name, sizeof c->name, "%s", rails[i].name);
        snprintf(c->path, sizeof c->path, "%s", rails[i].path);
        snprintf(c->path2, sizeof c->path2, "%s", rails[i].path2);
        c->scale = 1.0;
        if (rails[i].interval_ms > interval)
            interval = rails[i].interval_ms;
    }
    s->interval_ms = interval > 100 ? interval : 100;
    s->min_interval_ms = interval; /* the monitor has nothing new to say faster than this */
    if (total >= 0) {
        snprintf(s->label, sizeof s->label, "ina3221:%s", rails[total].name);
        s->partial = false;
        et_power_detail_add(s, "; measuring %s (the board input)", rails[total].name);
    } else {
        snprintf(s->label, sizeof s->label, "ina3221 (sum of %d rail%s)", s->n_channels, s->n_channels == 1 ? "" : "s");
        s->partial = true;
        et_power_detail_add(s, "; no VDD_IN/POM_5V_IN rail: the sum of rails is partial (rails overlap or miss "
                               "parts of the board)");
    }
    et_power_detail_add(s, "; polled every %d ms", s->interval_ms);
    et_probe_set(&s->probe, ET_AVAIL_OK, 0, NULL, "%s", "");
}

static int sample(et_power_source *s, et_power_raw *out) {
    double total = 0;
    for (int i = 0; i < s->n_channels; i++) {
        double mw;
        int r = read_rail_mw(s->sr, s->ch[i].path, s->ch[i].path2, &mw);
        if (r < 0)
            return r;
        total += mw;
    }
    out->n = 1;
    out->value[0] = total;
    out->wrap_uj[0] = 0;
    return 0;
}

const et_power_ops et_power_ina3221_ops =
    {"ina3221", "Jetson INA3221", probe, et_power_start_nothing, sample, et_power_stop_nothing, et_power_read_label};
