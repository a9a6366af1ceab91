/* The KVM paravirtual clock, which Linux uses unmodified as its `kvm-clock` clocksource: per
 * vCPU, a 32-byte time structure in guest RAM giving the guest's nanoseconds since the VM
 * started as a function of its own TSC, and a wall-clock record of the time at that start.
 * Offered through CPUID 0x40000100/0x40000101 (exit/cpuid.c); the MSRs in exit/msr.c. */
#ifndef KEEL_KVMCLOCK_H
#define KEEL_KVMCLOCK_H

#include "vm/vm.h"

#define MSR_KVM_WALL_CLOCK_NEW	0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01

/* pvclock_vcpu_time_info (Linux's arch/x86/include/asm/pvclock-abi.h): the guest's time is
 * system_time + ((tsc - tsc_timestamp) << tsc_shift) * tsc_to_system_mul >> 32 ns. */
struct pvclock_time {
	u32 version;	       /* 0x00: odd while being written */
	u32 pad0;	       /* 0x04 */
	u64 tsc_timestamp;     /* 0x08 */
	u64 system_time;       /* 0x10: ns at tsc_timestamp */
	u32 tsc_to_system_mul; /* 0x18 */
	s8 tsc_shift;	       /* 0x1c */
	u8 flags;	       /* 0x1d: PVCLOCK_TSC_STABLE */
	u8 pad[2];	       /* 0x1e */
};
_Static_assert(sizeof(struct pvclock_time) == 32, "pvclock_vcpu_time_info is 32 bytes");
#define PVCLOCK_TSC_STABLE 0x01

/* pvclock_wall_clock: the wall time at system time 0. */
struct pvclock_wall {
	u32 version; /* 0x00 */
	u32 sec;     /* 0x04 */
	u32 nsec;    /* 0x08 */
};
_Static_assert(sizeof(struct pvclock_wall) == 12, "pvclock_wall_clock is 12 bytes");

/* A write of MSR_KVM_SYSTEM_TIME_NEW: bit 0 enables the structure at the rest's address,
 * filled at once; an address outside RAM leaves it off. */
void kvmclock_set_system(struct vcpu *v, u64 val);
/* A write of MSR_KVM_WALL_CLOCK_NEW: the wall clock is written at gpa (if it is RAM). */
void kvmclock_set_wall(struct vcpu *v, u64 gpa);
/* Off, as at power-on (INIT, a VM restart): keel writes nothing into guest RAM until the guest
 * enables it again. */
void kvmclock_reset(struct vcpu *v);
/* Fill the time structure again. */
void kvmclock_fill(struct vcpu *v);

/* Before each entry: refill the structure when the vCPU has moved to another host CPU (keel
 * runs with one TSC rate, so a move changes nothing, but a refill there is cheap insurance) or
 * its TSC offset changed (kvmclock_tsc_changed). */
static inline void kvmclock_tsc_changed(struct vcpu *v)
{
	v->kvmclock.filled_on = ~0u;
}

static inline void kvmclock_pre_entry(struct vcpu *v)
{
	if (unlikely(v->kvmclock.active && v->kvmclock.filled_on != v->cpu))
		kvmclock_fill(v);
}

#endif
