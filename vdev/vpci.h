/* PCI configuration space through mechanism 1 (CONFIG_ADDRESS at 0xcf8, CONFIG_DATA at
 * 0xcfc-0xcff), with one device: an i440FX host bridge at 00:00.0. The reset control
 * register at 0xcf9 (a byte inside CONFIG_ADDRESS's dword) lives here too. */
#ifndef KEEL_VPCI_H
#define KEEL_VPCI_H

#include "lib/types.h"

struct vdev_ops;

#define VPCI_CHIPSET 0x40 /* host bridge registers from here to 0xff are the chipset's */

struct vpci {
	u32 addr;    /* CONFIG_ADDRESS: enable, bus, device, function, register */
	u8 rcr;	     /* 0xcf9 reset control: bits 1 (system reset) and 3 (full reset) */
	u16 command; /* host bridge command register */
	u8 latency;  /* host bridge latency timer */
	u8 chipset[256 - VPCI_CHIPSET]; /* 0x40-0xff: PAM, DRB, SMRAM...: kept as written */
};

/* Power-on state: CONFIG_ADDRESS 0, the bridge decoding memory and mastering. */
void vpci_reset(struct vpci *p);

struct vm;
/* Save the PCI host bridge (dev: its struct vpci) at guest-clock time now as a record in buf (len
 * bytes, VREC_MAX fits): the bytes written, 0 if it does not fit. Device lock held. */
u64 vpci_save(const void *dev, u64 now, void *buf, u64 len);
/* Rebuild dev, a fresh VM's PCI host bridge, from vpci_save's record: the address
 * register, reset control and the bridge's writable registers. NULL, or why the
 * record is refused (dev unchanged). Device lock held. */
const char *vpci_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len);

/* The device (bus accesses, attach, reset, save, load), in the platform's table. */
extern const struct vdev_ops vpci_ops;

#endif
