/* keel's scheduler.
 *
 * Each CPU has a run queue of the vCPUs homed on it. The next to run is the queued vCPU with
 * the least virtual run time, which grows by (time run) * SCHED_WEIGHT / weight: over time each
 * vCPU gets CPU in proportion to its VM's weight. A time slice is enforced by the LAPIC timer
 * (a host interrupt makes the guest exit) and, on VT-x, the preemption timer.
 *
 * A halted vCPU leaves the queue; its home CPU watches its timers and wakes it at the first
 * deadline, or when a device or another vCPU raises an interrupt for it. A VM's cap limits the
 * CPU time of all its vCPUs together within each 100 ms period; pinning limits the CPUs its
 * vCPUs may be homed on. An idle CPU steals work; every 50 ms a CPU also pulls work from the
 * most loaded one when that evens out the weights. */
#include "vm/sched_rq.h"
#include "vm/cpustate.h"
#include "drivers/cpufeat.h"
#include "drivers/lapic.h"
#include "drivers/timer.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/spinlock.h"
#include "kernel/trap.h"
#include "vm/virq.h"
#include "vm/virt.h"
#include "kernel/x86.h"

#define BALANCE_US 50000

static volatile bool started;

/* VEC_IPI pulls a CPU out of its guest (it then injects what is pending); VEC_RESCHED also
 * makes it choose again what to run. */
static void ipi(u32 cpu, u8 vector)
{
	if (cpu != this_cpu()->id && cpus[cpu].online)
		lapic_send_ipi(cpus[cpu].apic_id, ICR_FIXED | vector);
}

/* Make CPU cpu choose again what to run: by IPI, or on this CPU at the next entry check. */
static void resched_cpu(u32 cpu)
{
	if (cpu == this_cpu()->id)
		this_cpu()->need_resched = true;
	else
		ipi(cpu, VEC_RESCHED);
}

void sched_add(struct vcpu *v)
{
	u32 cpu = least_loaded(v);
	struct runq *rq = &rqs[cpu];
	u64 flags = spin_lock_irq(&rq->lock);
	v->home = cpu;
	v->running_on = -1;
	v->home_next = rq->homed;
	rq->homed = v;
	v->vruntime = rq->min_vruntime;
	if (v->state == VCPU_RUNNABLE) {
		rq->load += weight(v);
		enqueue(rq, v);
	}
	spin_unlock_irq(&rq->lock, flags);
	if (started)
		ipi(cpu, VEC_RESCHED);
}

/* Make a halted or waiting v runnable (its home lock held). */
static void make_runnable(struct runq *rq, struct vcpu *v)
{
	if (v->state == VCPU_RUNNABLE || v->state == VCPU_STOPPED)
		return;
	vm_wake_bump(v->vm); /* before the state changes: stop_stuck's protocol */
	v->state = VCPU_RUNNABLE;
	/* A sleeper may catch up, but by at most one slice: it cannot hoard run time. */
	u64 floor = rq->min_vruntime > us_to_tsc(SCHED_SLICE_US)
			    ? rq->min_vruntime - us_to_tsc(SCHED_SLICE_US)
			    : 0;
	if (v->vruntime < floor)
		v->vruntime = floor;
	if (v->running_on < 0) { /* still on a CPU: run() puts it back when it leaves */
		rq->load += weight(v);
		enqueue(rq, v);
	}
}

void sched_start(struct vcpu *v)
{
	u64 flags;
	struct runq *rq = lock_home(v, &flags);
	make_runnable(rq, v);
	u32 home = v->home;
	spin_unlock_irq(&rq->lock, flags);
	resched_cpu(home);
}

/* Under v's home lock, so that the test and the reset are one step against run() parking v
 * and against a second SIPI: a vCPU waiting for a SIPI is off every CPU (run() parks it only
 * as it leaves), so the reset touches a control block nobody runs. A SIPI that finds v
 * still on its CPU after an INIT (init_pending) is kept, and run() starts v when it parks. */
void sched_sipi(struct vcpu *v, u8 vector)
{
	u64 flags;
	struct runq *rq = lock_home(v, &flags);
	bool reset = false;
	if (v->state == VCPU_WAIT_SIPI && v->running_on < 0) {
		vcpu_sipi_reset(v, vector);
		make_runnable(rq, v);
		reset = true;
	} else if (v->init_pending && !v->sipi_vector) {
		v->sipi_vector = vector + 1u;
	}
	u32 home = v->home;
	spin_unlock_irq(&rq->lock, flags);
	if (reset) /* on this CPU too: a sender spinning in its guest would hold it a slice */
		resched_cpu(home);
}

void sched_kick(struct vcpu *v)
{
	s32 on = __atomic_load_n(&v->running_on, __ATOMIC_ACQUIRE);
	if (on >= 0 && (u32)on != this_cpu()->id)
		ipi((u32)on, VEC_IPI);
}

void sched_init(struct vcpu *v)
{
	u64 flags;
	struct runq *rq = lock_home(v, &flags);
	if (v->running_on >= 0) {
		v->init_pending = true; /* run() parks it when it leaves its CPU */
		v->sipi_vector = 0;	/* a SIPI from before this INIT is void */
	} else if (v->state == VCPU_RUNNABLE || v->state == VCPU_HALTED) {
		if (v->state == VCPU_RUNNABLE) {
			dequeue(rq, v);
			rq->load -= weight(v);
		}
		v->state = VCPU_WAIT_SIPI;
	} /* already waiting for a SIPI (or stopped): nothing to do */
	spin_unlock_irq(&rq->lock, flags);
	sched_kick(v);
}

void sched_wake(struct vcpu *v)
{
	if (v->vm->reset_pending)
		return; /* everything restarts anyway */
	if (__atomic_load_n(&v->state, __ATOMIC_SEQ_CST) == VCPU_HALTED) {
		u64 flags;
		struct runq *rq = lock_home(v, &flags);
		if (v->state == VCPU_HALTED)
			make_runnable(rq, v);
		u32 home = v->home;
		spin_unlock_irq(&rq->lock, flags);
		resched_cpu(home);
	}
	sched_kick(v);
}

bool sched_halt(struct vcpu *v)
{
	/* Publish the halt, then look for an interrupt: a waker either sees HALTED and wakes v,
	 * or raised its interrupt early enough to be seen here. */
	__atomic_store_n(&v->state, VCPU_HALTED, __ATOMIC_SEQ_CST);
	if (v->irq_pending || vcpu_irq_waiting(v)) {
		u64 flags;
		struct runq *rq = lock_home(v, &flags);
		if (v->state == VCPU_HALTED)
			v->state = VCPU_RUNNABLE;
		spin_unlock_irq(&rq->lock, flags);
		__atomic_store_n(&v->irq_pending, 1, __ATOMIC_RELAXED);
		return false;
	}
	return true;
}

void sched_timer_changed(struct vcpu *v)
{
	if (v->home != this_cpu()->id)
		ipi(v->home, VEC_RESCHED); /* its CPU re-arms its timer when it next looks */
}

bool sched_need_resched(void)
{
	return this_cpu()->need_resched;
}

/* Caps: the VM's CPU time in the current period, and whether it is used up. */
static u64 cap_budget(const struct vm *vm)
{
	return us_to_tsc((u64)SCHED_CAP_PERIOD * vm->cap / 100);
}

/* A new period pays each period passed its budget. A turn that ended late (its CPU's timer
 * fired late: a stalled host under an emulator) overran the budget, and what it overran is
 * owed to the next period, up to one budget, so the cap holds over time. */
static bool throttled(struct vm *vm, u64 now)
{
	if (!vm->cap)
		return false;
	u64 epoch = now / us_to_tsc(SCHED_CAP_PERIOD), budget = cap_budget(vm);
	if (vm->cap_epoch != epoch) {
		u64 used = vm->cap_used, paid = (epoch - vm->cap_epoch) * budget;
		vm->cap_epoch = epoch;
		vm->cap_used = MIN(used - MIN(used, paid), budget);
	}
	return vm->cap_used >= budget;
}

/* The queued vCPU with the least virtual run time whose VM is not over its cap. */
static struct vcpu *pick(struct runq *rq, u64 now, bool *capped)
{
	struct vcpu *best = NULL;
	*capped = false;
	for (struct vcpu *v = rq->queue; v; v = v->rq_next) {
		if (v->vm->reset_pending || v->vm->paused)
			continue; /* parked until its VM restarts or resumes */
		if (throttled(v->vm, now)) {
			*capped = true;
			continue;
		}
		if (!best || v->vruntime < best->vruntime)
			best = v;
	}
	if (best) {
		dequeue(rq, best);
		best->steal_tsc += now - MIN(now, best->queued_tsc);
		if (best->vruntime > rq->min_vruntime)
			rq->min_vruntime = best->vruntime;
	}
	return best;
}

/* Sleeping: halted, or parked waiting for a SIPI. Its timers keep running, wherever it is
 * (the PIT and RTC live on vCPU 0 and, as on a PC, keep raising their IRQs whatever that CPU
 * does; the IOAPIC may route them to another vCPU). */
static bool sleeping(const struct vcpu *v)
{
	return v->state == VCPU_HALTED || v->state == VCPU_WAIT_SIPI;
}

/* Run the timers of the sleeping vCPUs homed here; return the earliest deadline left. The
 * list is read under the lock; the timers (which may wake vCPUs) run outside it, and each
 * expiry fires once even if the vCPU is woken and run elsewhere meanwhile (vcpu_run_timers). */
static u64 halted_timers(struct runq *rq, u64 now)
{
	struct vcpu *due[16];
	int n = 0;
	u64 next = 0;
	u64 flags = spin_lock_irq(&rq->lock);
	for (struct vcpu *v = rq->homed; v; v = v->home_next) {
		u64 d = __atomic_load_n(&v->next_deadline, __ATOMIC_SEQ_CST);
		if (!sleeping(v) || !d || v->vm->paused)
			continue; /* a paused VM's timers wait for vm_resume */
		if (d <= now && n < (int)ARRAY_SIZE(due))
			due[n++] = v;
		else if (!next || d < next)
			next = d;
	}
	spin_unlock_irq(&rq->lock, flags);
	for (int i = 0; i < n; i++) {
		vcpu_run_timers(due[i], now);
		u64 d = __atomic_load_n(&due[i]->next_deadline, __ATOMIC_SEQ_CST);
		if (d && (!next || d < next))
			next = d;
	}
	return next;
}

static void arm(u64 now, u64 deadline)
{
	u64 us = deadline > now ? tsc_to_us(deadline - now) : 0;
	lapic_timer_oneshot(VEC_TIMER, MAX(us, 1ull));
}

/* Whether v could still run by itself (runnable, on a CPU, a timer armed, or an interrupt
 * waiting while halted), and whether it is halted (interrupts on): read together under its
 * home lock, so a vCPU being woken between two reads cannot look stuck. */
bool sched_may_run(struct vcpu *v, bool *halted)
{
	u64 flags;
	struct runq *rq = lock_home(v, &flags);
	enum vcpu_state st = v->state;
	bool yes = st == VCPU_RUNNABLE || v->running_on >= 0 ||
		   (sleeping(v) && __atomic_load_n(&v->next_deadline, __ATOMIC_SEQ_CST)) ||
		   (st == VCPU_HALTED && __atomic_load_n(&v->irq_pending, __ATOMIC_SEQ_CST));
	*halted = st == VCPU_HALTED;
	spin_unlock_irq(&rq->lock, flags);
	return yes;
}

void sched_take_off(struct vcpu *v, enum vcpu_state to)
{
	u64 flags;
	struct runq *rq = lock_home(v, &flags);
	dequeue(rq, v);
	if (to == VCPU_STOPPED)
		unhome(rq, v);
	if (v->state == VCPU_RUNNABLE)
		rq->load -= weight(v);
	v->state = to;
	spin_unlock_irq(&rq->lock, flags);
	if (to == VCPU_STOPPED)
		sched_kick(v);
}

void sched_resync(struct vcpu *v)
{
	u64 flags;
	struct runq *rq = lock_home(v, &flags);
	bool want = v->state == VCPU_RUNNABLE;
	if (v->queued && !want) {
		dequeue(rq, v);
		rq->load -= weight(v);
	} else if (!v->queued && want && v->running_on < 0) {
		rq->load += weight(v);
		enqueue(rq, v);
	}
	spin_unlock_irq(&rq->lock, flags);
}

static const struct sched_hooks *hooks;
void (*sched_on_turn)(struct vcpu *v);
void sched_set_hooks(const struct sched_hooks *h)
{
	hooks = h;
}

/* Nothing to run: sleep until an interrupt, a timer of a halted vCPU, or the next cap
 * period (if a capped vCPU waits). */
static void idle(struct runq *rq, u64 next, bool capped)
{
	u64 now = rdtsc();
	if (capped) {
		u64 period = us_to_tsc(SCHED_CAP_PERIOD);
		u64 boundary = (now / period + 1) * period;
		if (!next || boundary < next)
			next = boundary;
	}
	u64 poll_us = this_cpu()->id == 0 && hooks->poll_again ? hooks->poll_again() : 0;
	if (poll_us) { /* the console keeps reading what is typed */
		u64 poll = now + us_to_tsc(poll_us);
		if (!next || poll < next)
			next = poll;
	}
	if (next)
		arm(now, next);
	rq->idle = true;
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	rq->idle = false;
	stats[this_cpu()->id].idle_tsc += rdtsc() - now;
	lapic_timer_oneshot(VEC_TIMER, 0);
}

/* INIT, or HLT with interrupts off, left v to wait for a SIPI: it does so now that it has left
 * its CPU (its run queue's lock held). */
static void park(struct vcpu *v)
{
	if (!v->init_pending)
		return;
	v->init_pending = false;
	if (v->state != VCPU_STOPPED)
		v->state = VCPU_WAIT_SIPI;
}

/* Run v for one slice (or until it halts, yields or stops), then account for it. */
static void run(struct cpu *c, struct runq *rq, struct vcpu *v, u64 switch_start)
{
	u64 now = rdtsc(), slice = us_to_tsc(SCHED_SLICE_US);
	if (v->vm->cap) {
		u64 left = cap_budget(v->vm) - MIN(v->vm->cap_used, cap_budget(v->vm));
		slice = MIN(slice, MAX(left, us_to_tsc(100)));
	}
	u64 end = now + slice;
	if (v->next_deadline && v->next_deadline < end)
		end = v->next_deadline;
	u64 halted_next = halted_timers(rq, now);
	if (halted_next && halted_next < end)
		end = halted_next;
	c->need_resched = false;
	c->vcpu = v;
	v->ran_on |= BIT(c->id);
	__atomic_store_n(&v->running_on, (s32)c->id, __ATOMIC_RELEASE);
	if (sched_on_turn) /* vcpurec=roundtrip */
		sched_on_turn(v);
	vcpu_state_load(v);
	v->slice_end = end; /* the backend's own timer (VT-x preemption timer) ends it too */
	arm(now, end);
	stats[c->id].switches++;
	stats[c->id].switch_tsc += now - switch_start;
	u64 t0 = rdtsc();
	enum exit_action a = virt->vcpu_run(v);
	u64 ran = rdtsc() - t0;
	lapic_timer_oneshot(VEC_TIMER, 0);
	vcpu_state_save(v); /* before v can be stolen by another CPU */
	virt->vcpu_put(v);
	c->vcpu = NULL;
	v->vruntime += ran * SCHED_WEIGHT / weight(v);
	if (v->vm->cap)
		__atomic_fetch_add(&v->vm->cap_used, ran, __ATOMIC_RELAXED);
	u64 flags = spin_lock_irq(&rq->lock);
	park(v); /* in the same step as leaving the CPU: see sched_sipi */
	__atomic_store_n(&v->running_on, -1, __ATOMIC_RELEASE);
	if (v->vm->end || a == EXIT_STOP) {
		spin_unlock_irq(&rq->lock, flags);
		hooks->vm_over(v->vm);
		return;
	}
	if (v->state == VCPU_RUNNABLE)
		enqueue(rq, v);
	else
		rq->load -= weight(v); /* halted or waiting for a SIPI */
	/* A SIPI that came after an INIT while v was still running starts it now. */
	if (v->state == VCPU_WAIT_SIPI && v->sipi_vector) {
		vcpu_sipi_reset(v, (u8)(v->sipi_vector - 1));
		v->sipi_vector = 0;
		make_runnable(rq, v);
	}
	spin_unlock_irq(&rq->lock, flags);
	if (v->vm->reset_pending == 1)
		hooks->vm_reset(v->vm);
}

static void tick(struct trap_frame *f)
{
	(void)f;
	this_cpu()->need_resched = true;
	lapic_eoi();
}

static void kick(struct trap_frame *f)
{
	(void)f;
	lapic_eoi(); /* the guest has exited: what is pending is injected at the next entry */
}

static void resched(struct trap_frame *f)
{
	(void)f;
	this_cpu()->need_resched = true;
	lapic_eoi();
}

__noreturn void sched_loop(void)
{
	struct cpu *c = this_cpu();
	struct runq *rq = &rqs[c->id];
	u64 switch_start = rdtsc();
	stats[c->id].start_tsc = switch_start;
	for (;;) {
		u64 now = rdtsc();
		if (c->id == 0 && hooks->poll)
			hooks->poll();
		if (now >= rq->next_balance) {
			rq->next_balance = now + us_to_tsc(BALANCE_US);
			balance(c->id, false);
		}
		u64 next = halted_timers(rq, now);
		bool capped;
		u64 flags = spin_lock_irq(&rq->lock);
		struct vcpu *v = pick(rq, now, &capped);
		spin_unlock_irq(&rq->lock, flags);
		if (!v) {
			balance(c->id, true);
			flags = spin_lock_irq(&rq->lock);
			v = pick(rq, now, &capped);
			spin_unlock_irq(&rq->lock, flags);
		}
		if (!v) {
			if (!next && !capped)
				hooks->nothing_to_run();
			idle(rq, next, capped);
			switch_start = rdtsc();
			continue;
		}
		if (v->vm->end) {
			hooks->vm_over(v->vm);
			continue;
		}
		run(c, rq, v, switch_start);
		switch_start = rdtsc();
	}
}

__noreturn void sched_run(void)
{
	irq_register(VEC_TIMER, tick);
	irq_register(VEC_IPI, kick);
	irq_register(VEC_RESCHED, resched);
	started = true;
	sched_loop();
}
