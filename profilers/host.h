/* host.h: the host identity under a given sysroot (et_host_info_read in profilers.h uses EDGETUNE_SYSROOT). */
#ifndef ET_PROFILERS_HOST_H
#define ET_PROFILERS_HOST_H

#include "profilers/sysroot.h"
#include "record/result.h"

/* Fills out from the files under sr (uname where the tree has nothing); never fails. */
void et_host_info_read_at(const et_sysroot *sr, et_host_info *out);

#endif
