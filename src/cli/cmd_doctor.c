/* cmd_doctor.c: `edgetune doctor [--json] [--events]`: which profilers work here, why the others do not, and what
 * to do about it. The probing lives in profilers/doctor.c (the TUI shows the same report). */
#include <string.h>

#include "cli/cli.h"
#include "profilers/profilers.h"
#include "util/json.h"

static const char usage[] =
    "usage: edgetune doctor [--json] [--events]\n"
    "\n"
    "Says which measurements work on this machine: hardware and software counters (perf_event_open, libpfm4),\n"
    "power and energy (RAPL through powercap or the perf power PMU, hwmon, Jetson INA3221, Raspberry Pi 5 PMIC),\n"
    "peak memory, temperatures, clocks and throttling; for each one that does not, why, and what to change.\n"
    "\n"
    "  --json     one JSON object instead of text\n"
    "  --events   list the counter events this machine offers (names for 'bench --events A,B')\n"
    "\n"
    "EDGETUNE_SYSROOT=DIR reads /sys, /proc and /dev under DIR (the fixture trees in fixtures/sysroot).\n";

int et_cmd_doctor(et_cli *cli, int argc, char **argv) {
    (void)cli;
    if (et_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    bool json = false, events = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--events") == 0)
            events = true;
        else
            return et_cli_usage_error("doctor", "unknown option '%s'", argv[i]);
    }
    et_err err = {0};
    if (events) {
        if (json)
            return et_cli_usage_error("doctor", "--events prints a text list; leave out --json");
        if (et_counters_list_events(stdout, &err) != ET_OK)
            return et_cli_report(&err);
        return 0;
    }
    et_doctor_report report;
    if (et_doctor_collect(NULL, &report, &err) != ET_OK)
        return et_cli_report(&err);
    if (json) {
        et_json j;
        et_json_init(&j, stdout, true);
        et_doctor_json(&report, &j);
        et_json_finish(&j);
    } else {
        et_doctor_print(&report, stdout);
    }
    return 0;
}
