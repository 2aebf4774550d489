/* host_id.c: the machine id stored with a host, so that two devices with the same hostname, CPU, board and kernel
 * (two fresh Raspberry Pi images are exactly that) stay two hosts when their databases are merged.
 *
 * et_host_info has no machine id field, so db/ reads /etc/machine-id itself and stores it only for hosts whose
 * hostname is this machine's: a run measured here. Runs of other hosts (imported, or synthetic in tests) keep the
 * id they came with, or "". */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db/db_internal.h"

void et_db_local_machine_id(char *out, size_t len) {
    static const char *const paths[] = {"/etc/machine-id", "/var/lib/dbus/machine-id"};
    out[0] = '\0';
    for (size_t i = 0; i < sizeof paths / sizeof paths[0] && !out[0]; i++) {
        FILE *f = fopen(paths[i], "r");
        if (!f)
            continue;
        if (!fgets(out, (int)len, f))
            out[0] = '\0';
        out[strcspn(out, "\r\n")] = '\0';
        fclose(f);
    }
}

void et_db_host_machine_id(const et_host_info *h, char *out, size_t len) {
    char here[256];
    out[0] = '\0';
    if (gethostname(here, sizeof here) == 0 && strcmp(here, h->hostname) == 0)
        et_db_local_machine_id(out, len);
}
