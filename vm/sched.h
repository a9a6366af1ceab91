/* The scheduler: every vCPU of every VM shares the host CPUs. Per-CPU run queues pick the
 * runnable vCPU with the least weighted run time; VM caps, CPU pinning and load balancing by
 * weight sit on top (README "Scheduling"). */
#ifndef KEEL_SCHED_H
#define KEEL_SCHED_H

#include "vm/vm.h"

#define SCHED_SLICE_US	 10000	/* a vCPU runs at most this long before others get a turn */
#define SCHED_CAP_PERIOD 100000 /* caps are enforced over periods of this many us */
#define SCHED_WEIGHT	 256	/* default weight */

/* Give a new VM's vCPU a home CPU; queue it if it is runnable. */
void sched_add(struct vcpu *v);
/* A vCPU waiting for a start-up IPI has been reset: make it runnable. */
void sched_start(struct vcpu *v);
/* A start-up IPI with vector for v: reset and start it if it waits for one (or, after an INIT,
 * once it has left its CPU); ignored otherwise. */
void sched_sipi(struct vcpu *v, u8 vector);
/* v may have work (an interrupt): wake it if halted, pull it out of its guest otherwise. */
void sched_wake(struct vcpu *v);
/* INIT: v stops (now, or when it leaves its CPU) and waits for a start-up IPI. */
void sched_init(struct vcpu *v);
/* Make v leave its guest soon (an IPI when it runs on another CPU). */
void sched_kick(struct vcpu *v);
/* One of v's timers changed: the CPU that watches them must look again. */
void sched_timer_changed(struct vcpu *v);
/* True when the running vCPU should give up the CPU (read on host-interrupt exits). */
bool sched_need_resched(void);
/* Halt the running vCPU (HLT): false if an interrupt is already waiting for it. */
bool sched_halt(struct vcpu *v);
/* What the scheduler asks of the layers that use it, set once before any CPU schedules: it is
 * policy only, and reaches a VM's end, a VM's restart and the console through these. */
struct sched_hooks {
	void (*vm_over)(struct vm *vm);	 /* vm has ended and one of its vCPUs left a CPU */
	void (*vm_reset)(struct vm *vm); /* a vCPU of vm left its CPU with a reset pending */
	void (*nothing_to_run)(void);	 /* this CPU idles with no timer armed anywhere here */
	void (*poll)(void);		 /* CPU 0, once each time round its loop (may be NULL) */
	u64 (*poll_again)(void);	 /* CPU 0 idling: us until poll wants to run again, or 0 */
};
void sched_set_hooks(const struct sched_hooks *h);
/* Called as a vCPU takes a CPU, before its state goes into the hardware (the test mode
 * vcpurec=roundtrip: vcpu_rec_test); NULL: nothing. */
extern void (*sched_on_turn)(struct vcpu *v);

/* For the VM life cycle (vm/lifecycle.c), the narrow way into the run queues: whether v could
 * still run by itself (and whether it is halted), read under its run queue's lock; and take v
 * off the run queues into state `to` (VCPU_WAIT_SIPI for a restart, VCPU_STOPPED for good). */
bool sched_may_run(struct vcpu *v, bool *halted);
void sched_take_off(struct vcpu *v, enum vcpu_state to);
/* v's state was loaded from a record while its VM was paused (a snapshot's rollback): put it
 * on or take it off its run queue to match. */
void sched_resync(struct vcpu *v);

/* This CPU's scheduler loop. */
__noreturn void sched_loop(void);
/* The boot CPU: let every CPU schedule, and join them. */
__noreturn void sched_run(void);

/* Statistics for the summary and make bench. */
struct sched_stats {
	u64 switches, switch_tsc; /* vCPU switches and TSC ticks spent between guests */
	u64 migrations;
	u64 idle_tsc;  /* TSC ticks spent idle (halted with nothing to run) */
	u64 start_tsc; /* per CPU: when it began to schedule (0: it has not) */
};
void sched_stats(struct sched_stats *s);
/* The same for one host CPU (query-stats). */
void sched_cpu_stats(u32 cpu, struct sched_stats *s);

/* A VM's share of the CPUs changed while it runs (vm/sched_set.c, from vm-set on CPU 0): its
 * weight (the run queues' loads follow), and its pinning (vCPUs homed on a CPU no longer
 * allowed move; a running one is kicked and moves once it leaves): false if some vCPU did not
 * leave such a CPU within a bound (it moves later, when the balancer or a wake-up finds it). */
void sched_set_weight(struct vm *vm, u32 weight);
bool sched_set_pin(struct vm *vm, u64 pin);
/* A paused VM resumes: its queued vCPUs' wait for a CPU (steal time) starts now, and each CPU
 * that homes one looks at its run queue again. */
void sched_vm_resumed(struct vm *vm);

#endif
