/* rpi.h: Raspberry Pi specifics shared by the PMIC power source, thermal and host: which board this is (from the
 * device tree), and the firmware's throttling flags (`get_throttled`). */
#ifndef ET_PROFILERS_RPI_H
#define ET_PROFILERS_RPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profilers/power.h"
#include "profilers/sysroot.h"

typedef enum { ET_RPI_NONE, ET_RPI_OLDER, ET_RPI_5 } et_rpi_model;

/* The device-tree model string ("Raspberry Pi 5 Model B Rev 1.0", "NVIDIA Jetson Nano Developer Kit") from
 * proc/device-tree/model or sys/firmware/devicetree/base/model; returns its length or -errno (model = ""). */
int et_devicetree_model(const et_sysroot *sr, char *model, size_t cap);

/* Which Raspberry Pi this is; model gets the device-tree model ("" when none). */
et_rpi_model et_rpi_model_read(const et_sysroot *sr, char *model, size_t cap);

/* get_throttled bits (firmware): 0 under-voltage now, 1 ARM frequency capped now, 2 throttled now, 3 soft
 * temperature limit now; 16..19 the same "has occurred since boot". */
enum {
    ET_THR_UNDERVOLT = 1u << 0,
    ET_THR_CAPPED = 1u << 1,
    ET_THR_THROTTLED = 1u << 2,
    ET_THR_SOFT_TEMP = 1u << 3,
    ET_THR_NOW_MASK = 0xfu,
    ET_THR_SINCE_SHIFT = 16,
};

/* Parses "throttled=0x50005" (vcgencmd) or "50005" (sysfs, hex); false when it does not parse. */
bool et_throttled_parse(const char *text, uint32_t *bits);

/* Reads the flags from the firmware's sysfs file (searched under sys/devices/platform) or, failing that, through
 * the mailbox. src names where they came from. Returns 0 or -errno. */
int et_rpi_throttled_read(const et_sysroot *sr, const et_vcio_ops *vcio, uint32_t *bits, char *src, size_t cap);

/* "under-voltage, throttled" for the "now" bits of `bits` (empty when none). */
void et_throttled_describe(uint32_t bits, char *out, size_t cap);

#endif
