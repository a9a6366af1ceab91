/* A VM's share of the CPUs changed while it runs (vm-set), and a paused VM handed back to the
 * run queues (vm_resume). Called on CPU 0 from a management command. A change that touches the
 * loads of several run queues holds all their locks, in CPU order (as balance() takes two). */
#include "vm/sched_rq.h"
#include "drivers/lapic.h"
#include "drivers/timer.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

#define PIN_WAIT_US 2000000 /* how long vm-set waits for running vCPUs to leave a CPU */

static u64 lock_all(void)
{
	u64 flags = spin_lock_irq(&rqs[0].lock);
	for (u32 i = 1; i < ncpus; i++)
		spin_lock(&rqs[i].lock);
	return flags;
}

static void unlock_all(u64 flags)
{
	for (u32 i = ncpus; i-- > 1;)
		spin_unlock(&rqs[i].lock);
	spin_unlock_irq(&rqs[0].lock, flags);
}

/* Does v's weight count in its home's load? Every path that changes the load does so under
 * the home lock: a vCPU on a CPU counts until run() settles it, one off every CPU iff it is
 * runnable. */
static bool counted(const struct vcpu *v)
{
	return v->state != VCPU_STOPPED && (v->running_on >= 0 || v->state == VCPU_RUNNABLE);
}

void sched_set_weight(struct vm *vm, u32 w)
{
	u64 flags = lock_all();
	for (u32 i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpu[i];
		if (counted(v))
			rqs[v->home].load = rqs[v->home].load - weight(v) + w;
	}
	vm->weight = w;
	unlock_all(flags);
}

/* Make CPU cpu look at its run queue again (an IPI, or this CPU's next loop). */
static void resched(u32 cpu)
{
	if (cpu == this_cpu()->id)
		this_cpu()->need_resched = true;
	else if (cpus[cpu].online)
		lapic_send_ipi(cpus[cpu].apic_id, ICR_FIXED | VEC_RESCHED);
}

/* Move each vCPU of vm homed where it may no longer run, if it can be moved now: queued, or
 * asleep off every CPU (one picked but not yet running is neither, and waits a round). The
 * others are kicked. True when none is left behind. */
static bool rehome(struct vm *vm)
{
	struct vcpu *kick[VM_MAX_VCPUS];
	u32 nkick = 0;
	u64 flags = lock_all();
	for (u32 i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpu[i];
		if (v->state == VCPU_STOPPED || allowed(v, v->home))
			continue;
		bool asleep = v->state != VCPU_RUNNABLE && v->running_on < 0;
		if (v->queued || asleep) {
			u32 to = least_loaded(v);
			migrate(&rqs[v->home], &rqs[to], v, to);
		} else {
			kick[nkick++] = v;
		}
	}
	unlock_all(flags);
	for (u32 i = 0; i < nkick; i++)
		sched_kick(kick[i]);
	return nkick == 0;
}

bool sched_set_pin(struct vm *vm, u64 pin)
{
	__atomic_store_n(&vm->pin, pin, __ATOMIC_RELEASE);
	u64 until = rdtsc() + us_to_tsc(PIN_WAIT_US);
	while (!rehome(vm))
		if (rdtsc() > until)
			return false;
		else
			cpu_relax();
	for (u32 i = 0; i < vm->nvcpus; i++)
		resched(vm->vcpu[i]->home);
	return true;
}

void sched_vm_resumed(struct vm *vm)
{
	u64 now = rdtsc();
	for (u32 i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpu[i];
		u64 flags;
		struct runq *rq = lock_home(v, &flags);
		if (v->queued)
			v->queued_tsc = now;
		u32 home = v->home;
		spin_unlock_irq(&rq->lock, flags);
		resched(home);
	}
}
