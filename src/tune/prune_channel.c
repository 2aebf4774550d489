/* prune_channel.c: placeholder */
#include "tune/tune_internal.h"
et_status et_tune_prune_channels(et_tune_ctx *c) {
    return et_fail(c->err, ET_E_UNSUPPORTED, "--prune-method channel is not available yet");
}
