#ifndef KEEL_VMCONFIG_H
#define KEEL_VMCONFIG_H

#include "kernel/bootinfo.h"
#include "vm/vm.h"

/* Create and load the VMs the boot modules define (README "VM definitions"); a bad
 * definition is logged and skipped. Returns how many VMs are ready to run. */
int vms_from_modules(const struct boot_info *bi);
/* A VM definition whose module is a snapshot file (README "Snapshot format"): keel starts VM
 * name from it (mgmt/: snap_import_boot) instead of booting an image. */
#define BOOT_SNAPSHOTS_MAX 8
struct boot_snapshot {
	char name[VM_NAME_MAX];
	const u8 *data;
	u64 len;
};
const struct boot_snapshot *vmconfig_snapshots(u32 *n);
/* Every disk module keel was booted with (FILE vm=NAME disk), whichever VM it is for: where an
 * imported snapshot finds its disks' bases (mgmt/snapdisk.c). */
#define BOOT_DISKS_MAX 16
const struct vm_disk *vmconfig_disks(u32 *n);
/* A new VM with these resources and devices (NICs with addresses from its name), named name,
 * not started (its images are the
 * caller's to load; restarts need vm->image): NULL (logged) if it does not fit. */
struct vm *vm_create_with(const char *name, u64 ram, u32 nvcpus, const struct vm_hw *hw);
/* A new VM made like src (its RAM size, vCPUs, devices, disks over the same images, NICs on
 * the same switches with addresses from its own name, weight, cap, pin, image), named name,
 * not started, its RAM paged with no frames yet (snapmem_clone gives them): NULL (logged) if
 * it does not fit. */
struct vm *vm_create_like(const struct vm *src, const char *name);

#endif
