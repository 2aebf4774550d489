#!/bin/sh
# Runs an aarch64 test binary under qemu with the CPU named by ET_QEMU_CPU (default cortex-a72).
ET_EMULATED=1 exec qemu-aarch64-static -cpu "${ET_QEMU_CPU:-cortex-a72}" -L /usr/aarch64-linux-gnu "$@"
