/* The KVM paravirtual clock (vm/kvmclock.h). The guest's system time 0 is the VM's creation
 * (vm->clock_zero_tsc; a snapshot load moves it, README "Snapshots: the guest's clocks"), and every vCPU's structure holds the same pair (tsc_timestamp = the guest
 * TSC at that start, system_time = 0): as KVM's "master clock", the vCPUs can never disagree,
 * and a refill never moves the clock, so the TSC-stable flag holds. The guest's TSC is the
 * host's plus the vCPU's offset (exit/msr.c: its writes of IA32_TSC and IA32_TSC_ADJUST),
 * and keel measures one TSC rate (tsc_khz) for every CPU. */
#include "vm/kvmclock.h"
#include "drivers/timer.h"
#include "lib/pvclock.h"

#define KVMCLOCK_ENABLE 1ull

/* Stores the guest sees in program order (x86 keeps stores in order; the compiler must too). */
#define barrier() __asm__ volatile("" ::: "memory")

/* Write the time structure as Linux's pvclock_clocksource_read expects to find it. */
void kvmclock_fill(struct vcpu *v)
{
	struct kvmclock *k = &v->kvmclock;
	volatile struct pvclock_time *t =
		gmem_ptr_w(&v->vm->mem, k->system_msr & ~KVMCLOCK_ENABLE, sizeof(*t));
	if (!t) { /* checked at the write (RAM never shrinks), or a snapshot's copy failed */
		k->active = false;
		return;
	}
	u32 mul;
	s8 shift;
	pvclock_time_scale(tsc_khz, &mul, &shift);
	/* Version odd, the fields, version even (the reader retries while odd or changed). */
	t->version = k->version | 1;
	barrier();
	t->tsc_timestamp = v->vm->clock_zero_tsc + v->tsc_offset; /* in the guest's TSC */
	t->system_time = 0;
	t->tsc_to_system_mul = mul;
	t->tsc_shift = shift;
	t->flags = PVCLOCK_TSC_STABLE;
	barrier();
	k->version = (k->version | 1) + 1;
	t->version = k->version;
	k->filled_on = v->cpu;
}

/* Kept as written, for reads; filled only at an address that is one run of RAM (as KVM, a
 * bad address is no fault: the clock just stays off). */
void kvmclock_set_system(struct vcpu *v, u64 val)
{
	struct kvmclock *k = &v->kvmclock;
	k->system_msr = val;
	k->active = (val & KVMCLOCK_ENABLE) && tsc_khz &&
		    gmem_ptr(&v->vm->mem, val & ~KVMCLOCK_ENABLE, sizeof(struct pvclock_time));
	if (k->active)
		kvmclock_fill(v);
}

/* The wall time at system time 0: the host RTC's time (read at keel's boot) carried on by the
 * TSC to the VM's creation, or the snapshot's VM's (vm->clock_zero_unix). The version is the guest's own, made odd then even, as KVM does. */
void kvmclock_set_wall(struct vcpu *v, u64 gpa)
{
	v->kvmclock.wall_msr = gpa;
	const struct gmem *m = &v->vm->mem;
	struct pvclock_wall w;
	/* Copied in pieces, not through one pointer: 12 bytes 4-aligned may cross a page, and a
	 * clone's pages lie apart in keel's memory (mm/gmem.h). Each write is a store the guest
	 * sees in program order. */
	if (!gmem_read(m, gpa, &w, sizeof(w)))
		return;
	u64 ns = v->vm->clock_zero_unix;
	u32 version = w.version | 1;
	w.sec = (u32)(ns / 1000000000u);
	w.nsec = (u32)(ns % 1000000000u);
	gmem_write(m, gpa + offsetof(struct pvclock_wall, version), &version, sizeof(version));
	barrier();
	gmem_write(m, gpa + offsetof(struct pvclock_wall, sec), &w.sec, 8);
	barrier();
	version++;
	gmem_write(m, gpa + offsetof(struct pvclock_wall, version), &version, sizeof(version));
}

/* Forget the addresses: nothing is written into guest RAM until the guest enables it again. */
void kvmclock_reset(struct vcpu *v)
{
	v->kvmclock = (struct kvmclock){.filled_on = ~0u};
}
