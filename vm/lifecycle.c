/* The VM life cycle, as the scheduler sees it end: a VM that ended leaves the run queues
 * (vm_retire; the last one ends keel's run with the summary), a VM with a reset pending is
 * reloaded once none of its vCPUs runs (vm_try_restart), and a VM that can never wake again is
 * stopped (stop_stuck). The scheduler calls these through its hooks (vm/sched.h); they reach
 * the run queues only through sched_may_run and sched_take_off. */
#include "vm/lifecycle.h"
#include "drivers/timer.h"
#include "kernel/cmdline.h"
#include "kernel/panic.h"
#include "vm/console.h"
#include "vm/uplink.h"
#include "vm/sched.h"

static volatile u32 vms_running;

void vm_lifecycle_add(struct vm *vm)
{
	(void)vm;
	__atomic_fetch_add(&vms_running, 1, __ATOMIC_RELAXED);
}

/* A guest reset with on_reset=restart (or system_reset): once none of the VM's vCPUs runs,
 * take them all off the run queues and load the VM again (vm_reload makes vCPU 0 runnable). A
 * paused VM restarts too, and its vCPU 0 then waits for vm_resume. */
void vm_try_restart(struct vm *vm)
{
	for (u32 i = 0; i < vm->nvcpus; i++)
		if (__atomic_load_n(&vm->vcpu[i]->running_on, __ATOMIC_ACQUIRE) >= 0)
			return;
	u32 one = 1;
	if (!__atomic_compare_exchange_n(&vm->reset_pending, &one, 2, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return;
	for (u32 i = 0; i < vm->nvcpus; i++)
		sched_take_off(vm->vcpu[i], VCPU_WAIT_SIPI);
	vm_reload(vm);
	__atomic_store_n(&vm->reset_pending, 0, __ATOMIC_RELEASE);
	sched_start(vm->vcpu[0]);
	vm_event(vm, VM_EV_RESET);
}

/* The VM is over: take its vCPUs off their CPUs' books; the last VM ends the run. A VM that
 * waits for vm-start (VM_CREATED) counts as one that runs: it ends only by vm-destroy. */
void vm_retire(struct vm *vm)
{
	enum vm_state was = __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE);
	if ((was != VM_RUNNING && was != VM_CREATED) ||
	    !__atomic_compare_exchange_n(&vm->state, &was, VM_STOPPED, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return;
	if (!vm->stop_tsc)
		vm->stop_tsc = tsc_now();
	for (u32 i = 0; i < vm->nvcpus; i++)
		if (was == VM_RUNNING)
			sched_take_off(vm->vcpu[i], VCPU_STOPPED);
		else
			vm->vcpu[i]->state = VCPU_STOPPED; /* never on a run queue */
	/* A keel with incoming=yes waits for the next migration instead (README "Live
	 * migration"). */
	if (__atomic_sub_fetch(&vms_running, 1, __ATOMIC_ACQ_REL) == 0 && !keel_cfg.incoming)
		keel_shutdown(vm_summary());
}

/* True if no vCPU of vm can run again by itself. Each vCPU is judged under its own lock, and
 * the whole picture counts only if nothing that could wake one of them happened while it was
 * taken (vm->wake_gen unchanged, no timer in flight: the protocol in vm/vm.h). */
static bool stuck(struct vm *vm, bool *irqs_off)
{
	u64 gen = __atomic_load_n(&vm->wake_gen, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&vm->wake_busy, __ATOMIC_SEQ_CST))
		return false;
	*irqs_off = true;
	for (u32 i = 0; i < vm->nvcpus; i++) {
		bool halted;
		if (sched_may_run(vm->vcpu[i], &halted))
			return false;
		if (halted)
			*irqs_off = false;
	}
	return !__atomic_load_n(&vm->wake_busy, __ATOMIC_SEQ_CST) &&
	       __atomic_load_n(&vm->wake_gen, __ATOMIC_SEQ_CST) == gen;
}

/* A VM whose vCPUs all sleep with no timer armed and nothing pending can never wake: only
 * its own vCPUs and devices could wake it, and none of them will run again. A check that
 * raced with a wake-up judges nothing; the CPU that woke the VM checks again when it idles. */
static void stop_stuck(void)
{
	for (struct vm *vm = vm_list; vm; vm = vm->next) {
		if (vm->state != VM_RUNNING || vm->end || vm->paused)
			continue; /* a paused VM waits for cont */
		bool irqs_off;
		if (!stuck(vm, &irqs_off))
			continue;
		/* Halted with interrupts on, it may be waiting for what is typed on the console. */
		if (!irqs_off && vm->console_wakes && console_active())
			continue;
		/* ...or for frames from the world outside, through its switch's uplink. */
		if (!irqs_off && vm->hw.nnics && uplink_poll_again())
			continue;
		vm_stop(vm, VM_END_HALTED, 0, "%s",
			irqs_off ? "halted with interrupts disabled"
				 : "every vCPU halted with nothing to wake it");
		vm_retire(vm);
	}
}

/* CPU 0's polls: the console (and the API behind it), then the uplink's NIC. */
static void poll_all(void)
{
	console_poll();
	uplink_poll();
}

/* The sooner of the two polls' next turns (0: neither wants one). */
static u64 poll_again_all(void)
{
	u64 c = console_poll_again(), u = uplink_poll_again();
	return !c ? u : !u ? c : MIN(c, u);
}

static const struct sched_hooks hooks = {
	.vm_over = vm_retire,
	.vm_reset = vm_try_restart,
	.nothing_to_run = stop_stuck,
	.poll = poll_all,
	.poll_again = poll_again_all,
};

void vm_lifecycle_init(void)
{
	sched_set_hooks(&hooks);
}
