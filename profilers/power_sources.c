/* power_sources.c: the power sources in order of preference (ET_POWER_SOURCE_LIST in power.h). Kept apart from
 * power_common.c, which every source calls, so that the list of sources and the sources do not call each other. */
#include "profilers/power.h"

const et_power_ops *const et_power_sources[ET_POWER_SOURCE_COUNT] = {
#define ET_X(name) &et_power_##name##_ops,
    ET_POWER_SOURCE_LIST(ET_X)
#undef ET_X
};
