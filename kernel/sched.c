/* Round-robin over runnable vCPUs with a fixed time slice enforced by the LAPIC timer: a host
 * interrupt forces an exit from the guest, and the exit handler asks whether the slice is
 * over. A halted vCPU leaves the queue until something wakes it. */
#include "kernel/sched.h"
#include "drivers/lapic.h"
#include "drivers/timer.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/spinlock.h"
#include "kernel/trap.h"
#include "kernel/virt.h"
#include "kernel/x86.h"

static struct spinlock rq_lock;
static struct vcpu *rq_head, *rq_tail;

void sched_add(struct vcpu *v)
{
	u64 flags = spin_lock_irq(&rq_lock);
	v->rq_next = NULL;
	if (rq_tail)
		rq_tail->rq_next = v;
	else
		rq_head = v;
	rq_tail = v;
	spin_unlock_irq(&rq_lock, flags);
}

static struct vcpu *pick(void)
{
	u64 flags = spin_lock_irq(&rq_lock);
	struct vcpu *v = rq_head;
	if (v) {
		rq_head = v->rq_next;
		if (!rq_head)
			rq_tail = NULL;
	}
	spin_unlock_irq(&rq_lock, flags);
	return v;
}

bool sched_need_resched(void)
{
	return this_cpu()->need_resched;
}

static void tick(struct trap_frame *f)
{
	(void)f;
	this_cpu()->need_resched = true;
	lapic_eoi();
}

/* Give v the FPU: keel itself never touches it (it is built without SSE), so the registers
 * hold the last guest's state until another vCPU runs here. */
static void fpu_switch(struct cpu *c, struct vcpu *v)
{
	if (c->fpu_owner == v)
		return;
	if (c->fpu_owner)
		fxsave(c->fpu_owner->fpu);
	fxrstor(v->fpu);
	c->fpu_owner = v;
}

/* Nothing is runnable: VMs whose vCPUs are all halted can never wake (no virtual interrupt
 * source is armed), so they end. */
static void stop_halted(void)
{
	for (struct vm *vm = vm_list; vm; vm = vm->next)
		if (vm->state == VM_RUNNING && !vm->end)
			vm_stop(vm, VM_END_HALTED, 0, "every vCPU halted with nothing to wake it");
}

static void retire(struct vm *vm)
{
	for (u32 i = 0; i < vm->nvcpus; i++)
		vm->vcpu[i]->state = VCPU_STOPPED;
	if (vm->state == VM_RUNNING) {
		vm->state = VM_STOPPED;
		if (!vm->stop_tsc)
			vm->stop_tsc = tsc_now();
	}
}

__noreturn void sched_run(void)
{
	struct cpu *c = this_cpu();
	irq_register(VEC_TIMER, tick);
	for (;;) {
		struct vcpu *v = pick();
		if (!v) {
			stop_halted();
			break;
		}
		if (v->vm->end || v->state != VCPU_RUNNABLE) {
			retire(v->vm->end ? v->vm : NULL);
			continue;
		}
		c->need_resched = false;
		c->vcpu = v;
		fpu_switch(c, v);
		lapic_timer_oneshot(VEC_TIMER, SCHED_SLICE_US);
		enum exit_action a = virt->vcpu_run(v);
		lapic_timer_oneshot(VEC_TIMER, 0);
		c->vcpu = NULL;
		if (v->vm->end || a == EXIT_STOP) {
			retire(v->vm);
			continue;
		}
		if (v->state == VCPU_RUNNABLE)
			sched_add(v);
		else if (v->state == VCPU_HALTED && vm_all_vcpus_stopped(v->vm))
			retire(v->vm);
	}
	for (struct vm *vm = vm_list; vm; vm = vm->next)
		retire(vm);
	keel_exit(vm_summary());
}
