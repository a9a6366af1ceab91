/* Guest interrupts: the injection API between keel and the virtual interrupt controllers
 * (vdev/vlapic.c and the PIC behind it). Devices raise interrupts and arm timers through
 * these calls; keel asks the controller what to deliver just before each guest entry. */
#ifndef KEEL_VIRQ_H
#define KEEL_VIRQ_H

#include "exit/exit.h"
#include "vm/vm.h"

/* A VM's interrupt controller, as keel sees it (registered by the device that is one when it attaches). */
struct virq_ops {
	/* The vector the vCPU should take now (IF permitting), or -1. */
	int (*pending)(struct vcpu *v);
	/* The vCPU is taking what pending() named: move it to in-service, or acknowledge the
	 * PIC. Returns the vector to deliver, which the PIC decides only now (it can differ
	 * from the one peeked, or be spurious); -1 if nothing is left. */
	int (*ack)(struct vcpu *v, int vector);
	/* Drive interrupt line gsi to level (the PIC and the IOAPIC see it). */
	void (*line)(struct vm *vm, u32 gsi, bool level);
	/* Optional: the controller's part of the last step before an entry and of the first
	 * after an exit (the local APIC's paravirtual EOI). On the vCPU's CPU. */
	void (*entry)(struct vcpu *v);
	void (*exit)(struct vcpu *v);
};

void vm_set_irq_controller(struct vm *vm, const struct virq_ops *ops);

/* Drive the VM's interrupt line gsi (ISA IRQs 0-15, IOAPIC pins 0-23) to level: a
 * level-triggered device holds it, an edge-triggered one pulses it. Device lock held. */
void vm_irq_set(struct vm *vm, u32 gsi, bool level);
static inline void vm_irq_pulse(struct vm *vm, u32 gsi)
{
	vm_irq_set(vm, gsi, true);
	vm_irq_set(vm, gsi, false);
}

/* Something may now be pending for v: make it look before its next entry, waking it from HLT
 * and pulling it out of the guest if it runs on another CPU. */
void vcpu_irq_notify(struct vcpu *v);
void vcpu_nmi(struct vcpu *v);
/* INIT: v stops and waits for a start-up IPI. SIPI: v starts in real mode at vector << 12. */
void vcpu_init_signal(struct vcpu *v);
void vcpu_sipi(struct vcpu *v, u8 vector);
/* Load v with the state a SIPI with vector gives (the scheduler calls it, v off its CPU). */
void vcpu_sipi_reset(struct vcpu *v, u8 vector);
/* A device asks, when it attaches, for a timer on v that calls fire(v, dev): the slot it got,
 * or -1 (logged) if v has VCPU_TIMERS_MAX already. Before v first runs. */
int vcpu_timer_alloc(struct vcpu *v, vtimer_fn *fire, void *dev);
/* Arm (deadline in host TSC ticks) or disarm (0) the timer v gave for (fire, dev). */
void vcpu_timer_set(struct vcpu *v, u64 deadline, vtimer_fn *fire, void *dev);
/* Arm it for deadline, unless it is armed for then or earlier and not yet fired: a device
 * with work for v at each event (a switch port's frames) tells v's CPU once, not at each
 * event. */
void vcpu_timer_by(struct vcpu *v, u64 deadline, vtimer_fn *fire, void *dev);
/* The clock device timers count in: host TSC ticks, at vclock_khz() per millisecond. */
u64 vclock_now(void);
u64 vclock_khz(void);
/* The time of day, in Unix seconds (UTC): the host RTC's time read at boot plus the TSC's
 * count since, or a fixed date where keel found no RTC (drivers/rtc.c). */
s64 vclock_unix(void);

/* Called by the backends right before each guest entry: run expired timers, inject a pending
 * interrupt or ask for an interrupt window, and report a stop or reschedule request. */
enum exit_action vcpu_pre_entry(struct vcpu *v);
/* The first step after the guest ran (each backend's, right after its world switch): the
 * interrupt controller sees what the guest did to it in memory (its paravirtual EOI). */
void vcpu_post_exit(struct vcpu *v);
/* Run v's expired timers (the scheduler does it for vCPUs that are not running). */
void vcpu_run_timers(struct vcpu *v, u64 now);
/* True if an interrupt is waiting for v (HLT does not sleep then). */
bool vcpu_irq_waiting(struct vcpu *v);

#endif
