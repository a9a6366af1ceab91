/* Guest interrupt delivery: the shared part. The controller (vlapic) decides which vector is
 * due; keel injects it when the guest can take it, or has the backend exit at the first
 * instruction where it can (interrupt window). */
#include "vm/virq.h"
#include "drivers/rtc.h"
#include "drivers/timer.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "vm/kvmclock.h"
#include "vm/sched.h"
#include "kernel/spinlock.h"
#include "vm/virt.h"
#include "kernel/x86.h"

u64 vclock_now(void)
{
	return rdtsc();
}

u64 vclock_khz(void)
{
	return tsc_khz;
}

s64 vclock_unix(void)
{
	return rtc_unix_now();
}

void vm_set_irq_controller(struct vm *vm, const struct virq_ops *ops)
{
	vm->irqc = ops;
}

void vm_irq_set(struct vm *vm, u32 gsi, bool level)
{
	if (vm->irqc && vm->irqc->line)
		vm->irqc->line(vm, gsi, level);
}

void vcpu_irq_notify(struct vcpu *v)
{
	/* Seq-cst, against sched_halt's store of HALTED and then load of irq_pending: one of the
	 * two sees the other (a release store could pass this CPU's load of the state). */
	__atomic_store_n(&v->irq_pending, 1, __ATOMIC_SEQ_CST);
	vm_wake_bump(v->vm);
	sched_wake(v);
}

void vcpu_nmi(struct vcpu *v)
{
	v->nmi_pending = true;
	vcpu_irq_notify(v);
}

void vcpu_init_signal(struct vcpu *v)
{
	sched_init(v);
}

/* Real mode at vector << 12 (SDM 8.4.4.2): CS selector vector << 8, IP 0. Called by the
 * scheduler, under v's home lock, once v has left its CPU. */
void vcpu_sipi_reset(struct vcpu *v, u8 vector)
{
	struct vcpu_boot_state s = {0};
	struct seg data = {0, 0x093, 0xffff, 0};
	s.cs = (struct seg){(u16)(vector << 8), 0x09b, 0xffff, (u64)vector << 12};
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.tr = (struct seg){0, 0x08b, 0xffff, 0};
	s.ldtr = (struct seg){0, 0x082, 0xffff, 0};
	s.idtr.limit = 0x3ff;
	s.gdtr.limit = 0xffff;
	s.cr0 = CR0_ET;
	s.rflags = RFLAGS_FIXED;
	kvmclock_reset(v); /* as KVM's vCPU reset: the guest enables it again */
	virt->vcpu_reset(v, &s);
}

/* The scheduler decides, under v's home lock, whether v waits for a SIPI (a second SIPI, or
 * one to a running vCPU, is ignored, as on hardware) and resets it only once it is off its
 * CPU: its control block is never touched while another CPU runs it. */
void vcpu_sipi(struct vcpu *v, u8 vector)
{
	sched_sipi(v, vector);
}

/* The earliest armed timer of v, 0 if none (timer_lock held). */
static u64 earliest(const struct vcpu *v)
{
	u64 next = 0;
	for (u32 i = 0; i < v->ntimers; i++)
		if (v->timers[i].deadline && (!next || v->timers[i].deadline < next))
			next = v->timers[i].deadline;
	return next;
}

int vcpu_timer_alloc(struct vcpu *v, vtimer_fn *fire, void *dev)
{
	if (v->ntimers >= VCPU_TIMERS_MAX) {
		log_err("vm %s: vCPU %u has no timer slot left (VCPU_TIMERS_MAX %d)", v->vm->name,
			v->id, VCPU_TIMERS_MAX);
		return -1;
	}
	v->timers[v->ntimers] = (struct vtimer){0, fire, dev};
	return (int)v->ntimers++;
}

/* The slot handed out for (fire, dev): a device arms only the timers it asked for, so none
 * missing is keel's bug. Slots never change once the vCPU runs: read without timer_lock. */
// cppcheck-suppress constParameter ; fire is a function: there is no const to add
static struct vtimer *slot_of(struct vcpu *v, vtimer_fn *fire, const void *dev)
{
	for (u32 i = 0; i < v->ntimers; i++)
		if (v->timers[i].fire == fire && v->timers[i].dev == dev)
			return &v->timers[i];
	panic("vm %s: a device armed a timer it did not ask for on vCPU %u", v->vm->name, v->id);
}

void vcpu_timer_set(struct vcpu *v, u64 deadline, vtimer_fn *fire, void *dev)
{
	struct vtimer *t = slot_of(v, fire, dev);
	u64 flags = spin_lock_irq(&v->timer_lock);
	t->deadline = deadline;
	__atomic_store_n(&v->next_deadline, earliest(v), __ATOMIC_SEQ_CST);
	spin_unlock_irq(&v->timer_lock, flags);
	if (deadline)
		vm_wake_bump(v->vm);
	sched_timer_changed(v);
}

/* A timer armed for the deadline or earlier and not yet claimed will fire after the caller's
 * work was queued, and see it: the fence orders that work before the look, against
 * vcpu_run_timers' claim under timer_lock before the fire reads it. */
void vcpu_timer_by(struct vcpu *v, u64 deadline, vtimer_fn *fire, void *dev)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	u64 d = __atomic_load_n(&slot_of(v, fire, dev)->deadline, __ATOMIC_RELAXED);
	if (!d || d > deadline)
		vcpu_timer_set(v, deadline, fire, dev);
}

/* Expired timers are claimed (disarmed) under timer_lock and fired outside it: a fire()
 * re-arms through vcpu_timer_set, and takes the device lock. Two CPUs looking at once (the
 * vCPU's home CPU while it is halted, and the CPU that has just woken and picked it) fire each
 * expiry once. wake_busy covers the gap between claim and delivery (stop_stuck). */
void vcpu_run_timers(struct vcpu *v, u64 now)
{
	struct vtimer due[VCPU_TIMERS_MAX];
	int n = 0;
	vm_wake_begin(v->vm);
	u64 flags = spin_lock_irq(&v->timer_lock);
	for (u32 i = 0; i < v->ntimers; i++) {
		struct vtimer *t = &v->timers[i];
		if (t->deadline && t->deadline <= now) {
			due[n++] = *t;
			t->deadline = 0;
		}
	}
	__atomic_store_n(&v->next_deadline, earliest(v), __ATOMIC_SEQ_CST);
	spin_unlock_irq(&v->timer_lock, flags);
	for (int i = 0; i < n; i++)
		due[i].fire(v, due[i].dev); /* may re-arm */
	vm_wake_end(v->vm);
}

bool vcpu_irq_waiting(struct vcpu *v)
{
	return v->nmi_pending || (v->vm->irqc && v->vm->irqc->pending(v) >= 0);
}

/* An NMI is taken only while NMIs are not blocked: from an NMI's delivery until the next IRET
 * (SDM 6.7.1, APM 8.2.3), and not in an STI or MOV SS shadow (SDM 26.3.1.5). Until then it
 * waits, and the backend exits when the window opens; interrupts may still go first. */
static bool deliver_nmi(struct vcpu *v)
{
	if (!v->nmi_pending)
		return false;
	if (virt->nmi_window_open(v)) {
		v->nmi_pending = false;
		v->event = (struct vevent){true, 2, EVENT_NMI, false, 0};
		return true;
	}
	virt->nmi_window(v, true);
	__atomic_store_n(&v->irq_pending, 1, __ATOMIC_RELAXED);
	return false;
}

static void deliver(struct vcpu *v)
{
	if (deliver_nmi(v))
		return;
	int vec = v->vm->irqc ? v->vm->irqc->pending(v) : -1;
	if (vec < 0)
		return;
	if (!virt->irq_window_open(v)) {
		/* Not now (IF clear or an interrupt shadow): exit as soon as it can be taken. */
		virt->irq_window(v, true);
		__atomic_store_n(&v->irq_pending, 1, __ATOMIC_RELAXED);
		return;
	}
	vec = v->vm->irqc->ack(v, vec);
	if (vec < 0)
		return;
	v->event = (struct vevent){true, (u8)vec, EVENT_EXT_INTR, false, 0};
	/* Another may be due after this one: look again at the next entry. */
	__atomic_store_n(&v->irq_pending, 1, __ATOMIC_RELAXED);
}

enum exit_action vcpu_pre_entry(struct vcpu *v)
{
	/* Take the host interrupts that came in while keel handled the exit (the console UART,
	 * the scheduler's tick, kicks). The CPU would also exit for them once the guest runs,
	 * but not every implementation does while the guest has interrupts off (Bochs). */
	sti();
	__asm__ volatile("nop");
	cli();
	if (unlikely(v->vm->end))
		return EXIT_STOP;
	if (unlikely(v->init_pending || v->state != VCPU_RUNNABLE || v->vm->reset_pending ||
		     v->vm->paused))
		return EXIT_RESCHED;
	u64 due = __atomic_load_n(&v->next_deadline, __ATOMIC_RELAXED);
	if (due && rdtsc() >= due)
		vcpu_run_timers(v, rdtsc());
	if (this_cpu()->need_resched)
		return EXIT_RESCHED;
	kvmclock_pre_entry(v);
	if (unlikely(v->dbg.ctl & DBG_CTL_STEP)) {
		/* A debugger's step runs one instruction of the guest's, not an interrupt
		 * handler's: interrupts wait until it ends (exit/debug.h). */
		virt->irq_window(v, false);
		virt->nmi_window(v, false);
		return EXIT_RESUME;
	}
	if (v->irq_pending && !v->event.pending &&
	    __atomic_exchange_n(&v->irq_pending, 0, __ATOMIC_ACQUIRE)) {
		virt->irq_window(v, false);
		virt->nmi_window(v, false);
		deliver(v);
	}
	if (v->vm->irqc && v->vm->irqc->entry)
		v->vm->irqc->entry(v);
	return EXIT_RESUME;
}

void vcpu_post_exit(struct vcpu *v)
{
	if (v->vm->irqc && v->vm->irqc->exit)
		v->vm->irqc->exit(v);
}
