/* A VM's device buses: port I/O and MMIO ranges, each answered by one virtual device. A device
 * sees only an access (address, size, value) and the vCPU making it, never backend state. */
#ifndef KEEL_BUS_H
#define KEEL_BUS_H

#include "lib/types.h"

struct vcpu;
struct vm;

/* A device: what the bus calls on an access, and what the platform's table (vdev/vdevs.c)
 * calls on the whole device. Each device file defines one, with designated initializers; dev
 * is its state in the VM (for a per-vCPU device, the array of them, size bytes apart). */
struct vdev_ops {
	const char *name;
	bool percpu; /* per-vCPU state (the local APIC): no VM-wide lock around its accesses */
	u32 size;    /* bytes of its state (a per-vCPU device: of one vCPU's), 0 if it has none */
	u64 (*read)(struct vcpu *v, void *dev, u64 addr, u8 size);
	void (*write)(struct vcpu *v, void *dev, u64 addr, u8 size, u64 val);
	/* Once, in a new VM whose vCPUs exist: put its ports and MMIO ranges on vm's buses and
	 * ask for its timers (vcpu_timer_alloc). False if they do not fit. */
	bool (*attach)(struct vm *vm, void *dev);
	/* Back to its power-on state (at creation and on a guest reset), timers disarmed. */
	void (*reset)(struct vm *vm, void *dev);
	/* Its state as a record at guest-clock time now (vdev/vrecord.h): bytes written, 0 if
	 * len is too small. A per-vCPU device's dev is one vCPU's state. */
	u64 (*save)(const void *dev, u64 now, void *buf, u64 len);
	/* Rebuild dev from save's record: NULL, or why it was refused (dev unchanged). */
	const char *(*load)(struct vm *vm, void *dev, u64 now, const void *buf, u64 len);
	/* The VM is destroyed (no vCPU runs): let go of what the device holds beyond its state
	 * (memory, a switch port). NULL: nothing. */
	void (*free)(struct vm *vm, void *dev);
};

/* A VM's devices, in the platform's order (vdev/vdevs.c attaches them): each one's ops and
 * state, ops->size bytes (a per-vCPU device: one such block per vCPU, vCPU 0's first). */
#define VM_DEVICES_MAX 16
struct vm_devices {
	u32 n;
	struct vm_device {
		const struct vdev_ops *ops;
		void *state;
	} d[VM_DEVICES_MAX];
};

/* The state of the device with these ops among devs (a per-vCPU device: vCPU 0's), NULL if
 * there is none: how a device finds a neighbour it works with (the I/O APIC its local APICs),
 * through vm_device (vm/vm.h). The local APIC is first: it is looked up on every entry. */
static inline void *vm_devices_find(const struct vm_devices *devs, const struct vdev_ops *ops)
{
	for (u32 i = 0; devs && i < devs->n; i++)
		if (devs->d[i].ops == ops)
			return devs->d[i].state;
	return NULL;
}

/* The fixed devices take a dozen ranges; PCI BARs (vdev/vpci.h) up to two per function. */
#define BUS_MAX_RANGES 64

/* A slot of the bus. Slots are never freed: a removed range keeps its slot with len 0, and
 * only the same (ops, dev) may take that slot again, so a slot's ops and dev always belong
 * together. */
struct bus_range {
	u64 base, len; /* len 0: removed */
	const struct vdev_ops *ops;
	void *dev;
};

/* Changes (bus_add, bus_remove) happen before the VM runs or under its device lock; lookups
 * (bus_find) run on any vCPU with no lock. A lookup racing a change sees the range as it was
 * or as it is, or (a range moved while it looked) the new base with the old length: a device
 * whose ranges move (PCI BARs) checks the address again under the device lock. */
struct bus {
	int n; /* slots used: published with a release store after the slot is filled */
	struct bus_range r[BUS_MAX_RANGES];
};

/* Add a device on [base, base+len); false if it overlaps another or the bus is full. */
bool bus_add(struct bus *b, u64 base, u64 len, const struct vdev_ops *ops, void *dev);
/* Remove (ops, dev)'s range that starts at base; false if there is none. */
bool bus_remove(struct bus *b, u64 base, const struct vdev_ops *ops, const void *dev);
/* The range holding addr, or NULL. */
const struct bus_range *bus_find(const struct bus *b, u64 addr);
/* Read or write through a range, with the VM's device lock held unless it is per-vCPU. */
u64 bus_read(struct vcpu *v, const struct bus_range *r, u64 addr, u8 size);
void bus_write(struct vcpu *v, const struct bus_range *r, u64 addr, u8 size, u64 val);
/* The VM's device lock, for devices acting outside an access (timers, interrupt acks). */
void dev_lock(struct vm *vm);
void dev_unlock(struct vm *vm);

#endif
