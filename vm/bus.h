/* A VM's device buses: port I/O and MMIO ranges, each answered by one virtual device. A device
 * sees only an access (address, size, value) and the vCPU making it, never backend state. */
#ifndef KEEL_BUS_H
#define KEEL_BUS_H

#include "lib/types.h"

struct vcpu;

struct vdev_ops {
	const char *name;
	bool percpu; /* per-vCPU state (the local APIC): no VM-wide lock around its accesses */
	u64 (*read)(struct vcpu *v, void *dev, u64 addr, u8 size);
	void (*write)(struct vcpu *v, void *dev, u64 addr, u8 size, u64 val);
};

#define BUS_MAX_RANGES 24

struct bus_range {
	u64 base, len;
	const struct vdev_ops *ops;
	void *dev;
};

struct bus {
	int n;
	struct bus_range r[BUS_MAX_RANGES];
};

/* Add a device on [base, base+len); false if it overlaps another or the bus is full. */
bool bus_add(struct bus *b, u64 base, u64 len, const struct vdev_ops *ops, void *dev);
/* The range holding addr, or NULL. */
const struct bus_range *bus_find(const struct bus *b, u64 addr);
/* Read or write through a range, with the VM's device lock held unless it is per-vCPU. */
u64 bus_read(struct vcpu *v, const struct bus_range *r, u64 addr, u8 size);
void bus_write(struct vcpu *v, const struct bus_range *r, u64 addr, u8 size, u64 val);
/* The VM's device lock, for devices acting outside an access (timers, interrupt acks). */
struct vm;
void dev_lock(struct vm *vm);
void dev_unlock(struct vm *vm);

#endif
