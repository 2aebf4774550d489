/* power_pi5_pmic.c: Raspberry Pi 5 power from its PMIC's ADCs, through the firmware (README.md section 4).
 *
 * `vcgencmd pmic_read_adc` prints one line per measurement:
 *     VDD_CORE_A current(7)=0.75012000A
 *     VDD_CORE_V volt(15)=0.72000000V
 * Currents and voltages are paired by rail name (the channel numbers change between firmware versions), and power
 * is the sum of A*V over rails with both (a missing or "nanV" value drops the rail). The rails are the PMIC's
 * outputs, not the 5 V input: USB, fan and conversion losses are missing, so the result is marked partial.
 * The query goes through the VideoCore mailbox (vcio.c) rather than by running vcgencmd, because forking after
 * counters are open would count the child. One query takes ~23 ms, so the sampler asks at most every 100 ms. A
 * Pi 4 or older has no current sensor at all. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profilers/power.h"
#include "profilers/rpi.h"

/* --- the text ---------------------------------------------------------------------------------------------------- */
enum { MAX_PMIC_RAILS = 48 };

int et_pmic_parse(const char *text, double *total_mw, char (*names)[32], int n_names) {
    struct {
        char rail[32];
        double amps, volts;
        bool has_a, has_v;
    } rails[MAX_PMIC_RAILS];
    int n = 0;
    *total_mw = 0;
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        while (*line == ' ' || *line == '\t')
            line++;
        const char *sp = line;
        while (*sp && !isspace((unsigned char)*sp))
            sp++;
        const char *eq = strchr(line, '=');
        const char *nl = strchr(line, '\n');
        if (!eq || (nl && eq > nl) || sp - line < 3 || sp - line >= 32 || sp[-2] != '_')
            continue;
        char kind = sp[-1];
        if (kind != 'A' && kind != 'V')
            continue;
        char rail[32];
        snprintf(rail, sizeof rail, "%.*s", (int)(sp - line - 2), line);
        char *end;
        double v = strtod(eq + 1, &end); /* "nanV" parses as NaN and is dropped below */
        if (end == eq + 1)
            continue;
        int k = 0;
        while (k < n && strcmp(rails[k].rail, rail) != 0)
            k++;
        if (k == n) {
            if (n == MAX_PMIC_RAILS)
                continue;
            memset(&rails[n], 0, sizeof rails[n]);
            snprintf(rails[n].rail, sizeof rails[n].rail, "%s", rail);
            n++;
        }
        if (kind == 'A')
            rails[k].amps = v, rails[k].has_a = true;
        else
            rails[k].volts = v, rails[k].has_v = true;
    }
    int used = 0;
    for (int k = 0; k < n; k++) {
        if (!rails[k].has_a || !rails[k].has_v || !isfinite(rails[k].amps) || !isfinite(rails[k].volts))
            continue;
        *total_mw += rails[k].amps * rails[k].volts * 1000.0;
        if (names && used < n_names)
            snprintf(names[used], 32, "%s", rails[k].rail);
        used++;
    }
    return used;
}

/* --- the source -------------------------------------------------------------------------------------------------- */
static void probe(et_power_source *s) {
    char model[ET_NAME_MAX];
    et_rpi_model m = et_rpi_model_read(s->sr, model, sizeof model);
    if (m == ET_RPI_NONE) {
        et_probe_set(&s->probe, ET_AVAIL_UNSUPPORTED, ENOENT, NULL, "not a Raspberry Pi%s%s",
                     model[0] ? ": the board is " : "", model);
        return;
    }
    s->relevant = true;
    if (m == ET_RPI_OLDER) {
        et_probe_set(&s->probe, ET_AVAIL_UNSUPPORTED, ENOENT,
                     "add a supply monitor on I2C (INA219/INA226 with the ina2xx hwmon driver) or measure at the "
                     "USB-C input",
                     "%s has no power sensor (only the Pi 5 PMIC reports currents)", model);
        return;
    }
    char reply[ET_VCIO_TEXT_MAX];
    int r = s->vcio->gencmd(s->vcio->ctx, s->sr, "pmic_read_adc", reply, sizeof reply);
    if (r < 0) {
        const char *hint = r == -EACCES || r == -EPERM ? "add the user to the video group: "
                                                         "'sudo usermod -aG video $USER' (then log in again)"
                           : r == -ENOENT ? "the firmware mailbox /dev/vcio is missing: use Raspberry Pi OS "
                                            "or load the bcm2835 vcio driver"
                                          : NULL;
        et_probe_set(&s->probe, et_avail_from_errno(-r), -r, hint, "pmic_read_adc through /dev/vcio: %s",
                     et_errno_name(-r));
        return;
    }
    if (strncmp(reply, "error=", 6) == 0) {
        et_probe_set(&s->probe, ET_AVAIL_UNSUPPORTED, EOPNOTSUPP,
                     "update the firmware: 'sudo apt full-upgrade' then 'sudo rpi-eeprom-update -a'",
                     "the firmware does not know pmic_read_adc (%.100s)", reply);
        return;
    }
    char names[24][32];
    double mw = 0;
    int n = et_pmic_parse(reply, &mw, names, 24);
    if (n == 0) {
        et_probe_set(&s->probe, ET_AVAIL_ERROR, EIO, NULL,
                     "pmic_read_adc gave no rail with both current and "
                     "voltage");
        return;
    }
    s->kind = ET_POWER_POWER;
    s->interval_ms = 100; /* a query costs ~23 ms: at most ~10 Hz */
    s->min_interval_ms = 50;
    s->n_channels = 1;
    snprintf(s->ch[0].name, sizeof s->ch[0].name, "pmic");
    snprintf(s->label, sizeof s->label, "pi5-pmic (sum of %d rails)", n);
    s->partial = true;
    et_power_detail_add(s, "%d PMIC rails, %.0f mW now (", n, mw);
    for (int i = 0; i < n && i < 24; i++)
        et_power_detail_add(s, "%s%s", i ? " " : "", names[i]);
    et_power_detail_add(s, "); PMIC outputs only: USB, fan and conversion losses are not included");
    et_probe_set(&s->probe, ET_AVAIL_OK, 0, NULL, "%s", "");
}

static int sample(et_power_source *s, et_power_raw *out) {
    char reply[ET_VCIO_TEXT_MAX];
    int r = s->vcio->gencmd(s->vcio->ctx, s->sr, "pmic_read_adc", reply, sizeof reply);
    if (r < 0)
        return r;
    double mw;
    if (et_pmic_parse(reply, &mw, NULL, 0) == 0)
        return -EIO;
    out->n = 1;
    out->value[0] = mw;
    out->wrap_uj[0] = 0;
    return 0;
}

const et_power_ops et_power_pi5_pmic_ops =
    {"pi5-pmic",         "Raspberry Pi 5 PMIC", probe, et_power_start_nothing, sample, et_power_stop_nothing,
     et_power_read_label};
