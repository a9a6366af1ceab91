/* Every virtual device's state for one VM, in one plain struct, and the call that puts them
 * on the VM's buses. One file per device in vdev/, each exporting one const vdev_ops. */
#ifndef KEEL_VDEVS_H
#define KEEL_VDEVS_H

#include "kernel/types.h"

#include "kernel/spinlock.h"
#include "vdev/vioapic.h"
#include "vdev/vlapic.h"
#include "vdev/vpic.h"
#include "vdev/vuart.h"

struct vm;

/* fw_cfg at 0x510/0x511 (fwcfg.c). */
struct fwcfg {
	u16 key;
	u32 off;
};

struct vm_devices {
	struct spinlock lock; /* held around every access to the VM-wide devices below */
	struct vuart uart;
	struct fwcfg fwcfg;
	struct vpic pic;
	struct vioapic ioapic;
	struct vlapic lapic[16];  /* per vCPU: not under the lock */
	u64 unknown_logged[1024]; /* one bit per port: unknown ports are logged once */
};

extern const struct vdev_ops vuart_ops, debugexit_ops, fwcfg_ops, vpic_ops, vlapic_ops;

/* Reset every device and register it on vm's buses. */
bool vdevs_attach(struct vm *vm);

#endif
