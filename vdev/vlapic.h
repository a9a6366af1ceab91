/* Local APIC, one per vCPU (vlapic.c). IRR bits may be set from other CPUs (atomically); the
 * rest belongs to the vCPU itself. */
#ifndef KEEL_VLAPIC_H
#define KEEL_VLAPIC_H

#include "lib/types.h"

struct vdev_ops;

#define VLAPIC_BASE 0xfee00000ull
#define VLAPIC_KHZ  100000 /* the virtual APIC timer's input clock: 100 MHz */

struct vcpu;

struct vlapic {
	u32 tpr, ldr, dfr, svr, esr, icr_lo, icr_hi;
	u32 lvt[7]; /* timer, thermal, perf, lint0, lint1, error, cmci */
	u32 tmr_init, tmr_div;
	u64 tmr_start, tmr_period;  /* host TSC at the load, and ticks per full count */
	u32 irr[8], isr[8], tmr[8]; /* requests, in service, level-triggered: 256 bits each */
};

/* Deliver a fixed interrupt to v's local APIC (from the IOAPIC or an IPI). */
void vlapic_deliver(struct vcpu *v, u8 vector, bool level);

struct vm;
/* Save one vCPU's local APIC (dev: its struct vlapic in vm->dev->lapic) at guest-clock time now
 * as a record in buf (len bytes, VREC_MAX fits): the bytes written, 0 if it does not fit. Its
 * vCPU is not running. The APIC ID is the vCPU's index, not part of the record. */
u64 vlapic_save(const void *dev, u64 now, void *buf, u64 len);
/* Rebuild dev, the local APIC of one of vm's vCPUs, fresh, from vlapic_save's record:
 * registers, IRR, ISR and TMR, and the timer counting on from where it was (armed on that
 * vCPU); the vCPU is told if a request waits. NULL, or why the record is refused (dev
 * unchanged). */
const char *vlapic_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len);

/* The device (bus accesses, attach, reset, save, load), in the platform's table. */
extern const struct vdev_ops vlapic_ops;

#endif
