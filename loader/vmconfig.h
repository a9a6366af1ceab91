#ifndef KEEL_VMCONFIG_H
#define KEEL_VMCONFIG_H

#include "kernel/bootinfo.h"

/* Create and load the VMs the boot modules define (README "VM definitions"); a bad
 * definition is logged and skipped. Returns how many VMs are ready to run. */
int vms_from_modules(const struct boot_info *bi);

#endif
