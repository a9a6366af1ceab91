/* Pausing and resuming a VM from outside it (vm/vmctl.h). A paused VM's vCPUs keep their
 * states and their places on the run queues; the scheduler passes over them (pick) and over
 * their timers (halted_timers), and a vCPU on a CPU leaves at its next entry check
 * (vcpu_pre_entry). Keeping them queued rather than taking them off means a wake-up while
 * paused (an interrupt from another VM's NIC, a timer on another vCPU) needs no special case:
 * the woken vCPU is queued as always and waits. The guest's TSC keeps counting while paused
 * (tsc_offset is unchanged), as the wall clock does: on resume the guest sees the time that
 * passed, and each timer that came due meanwhile fires at once, as on a real machine whose
 * clock was stopped and restarted. */
#include "vm/vmctl.h"
#include "drivers/timer.h"
#include "kernel/log.h"
#include "vm/lifecycle.h"
#include "vm/sched.h"
#include "kernel/x86.h"

#define PAUSE_WAIT_US 2000000 /* how long vm_pause waits for a vCPU to leave its CPU */

bool vm_settled(const struct vm *vm)
{
	if (__atomic_load_n(&vm->reset_pending, __ATOMIC_ACQUIRE))
		return false;
	for (u32 i = 0; i < vm->nvcpus; i++)
		if (__atomic_load_n(&vm->vcpu[i]->running_on, __ATOMIC_ACQUIRE) >= 0)
			return false;
	return true;
}

/* A reset pending when the pause comes is carried out first by the last vCPU to leave (the
 * restart reloads RAM and devices, which a paused VM's reader must not see half done); the
 * restarted VM's vCPU 0 is then queued and waits like the others. */
const char *vm_pause(struct vm *vm)
{
	if (vm->state != VM_RUNNING || vm->end)
		return "the VM is not running";
	if (__atomic_exchange_n(&vm->paused, true, __ATOMIC_ACQ_REL))
		return "the VM is already paused";
	for (u32 i = 0; i < vm->nvcpus; i++)
		sched_kick(vm->vcpu[i]);
	u64 until = rdtsc() + us_to_tsc(PAUSE_WAIT_US);
	while (!vm_settled(vm)) {
		if (rdtsc() > until) {
			__atomic_store_n(&vm->paused, false, __ATOMIC_RELEASE);
			sched_vm_resumed(vm);
			return "a vCPU did not leave its CPU in time";
		}
		cpu_relax();
	}
	log_info("vm %s: paused", vm->name);
	vm_event(vm, VM_EV_PAUSED);
	return NULL;
}

bool vm_pause_request(struct vm *vm)
{
	if (__atomic_exchange_n(&vm->paused, true, __ATOMIC_ACQ_REL))
		return false;
	for (u32 i = 0; i < vm->nvcpus; i++)
		sched_kick(vm->vcpu[i]);
	vm_event(vm, VM_EV_PAUSED);
	return true;
}

/* Clear the pause and queue the vCPUs again; the event, and the log line if loud. */
static const char *resume(struct vm *vm, bool loud)
{
	if (vm->state != VM_RUNNING || vm->end)
		return "the VM is not running";
	if (!__atomic_exchange_n(&vm->paused, false, __ATOMIC_ACQ_REL))
		return "the VM is not paused";
	vm_wake_bump(vm); /* the stuck-VM check judges it afresh */
	sched_vm_resumed(vm);
	if (loud)
		log_info("vm %s: resumed", vm->name);
	vm_event(vm, VM_EV_RESUMED);
	return NULL;
}

const char *vm_resume(struct vm *vm)
{
	return resume(vm, true);
}

const char *vm_resume_request(struct vm *vm)
{
	return resume(vm, false);
}

bool vm_is_paused(const struct vm *vm)
{
	return __atomic_load_n(&vm->paused, __ATOMIC_ACQUIRE);
}

const char *vm_start(struct vm *vm)
{
	if (vm->state != VM_CREATED)
		return "the VM is not waiting for vm-start";
	vm->start_tsc = tsc_now();
	vm->state = VM_RUNNING;
	for (u32 c = 0; c < vm->nvcpus; c++)
		sched_add(vm->vcpu[c]);
	return NULL;
}

/* A restart request as a guest's would make (vm_request_reset), carried out at once when no
 * vCPU is on a CPU (a paused or sleeping VM: no vCPU would leave one to do it). */
const char *vm_reset(struct vm *vm)
{
	if (vm->state != VM_RUNNING || vm->end)
		return "the VM is not running";
	if (__atomic_exchange_n(&vm->reset_pending, 1, __ATOMIC_ACQ_REL))
		return "a reset is already under way";
	log_info("vm %s: reset from outside (system_reset)", vm->name);
	for (u32 i = 0; i < vm->nvcpus; i++)
		sched_kick(vm->vcpu[i]);
	vm_try_restart(vm);
	return NULL;
}

/* Every vCPU of vm off its CPU. */
static bool off_cpus(const struct vm *vm)
{
	for (u32 i = 0; i < vm->nvcpus; i++)
		if (__atomic_load_n(&vm->vcpu[i]->running_on, __ATOMIC_ACQUIRE) >= 0)
			return false;
	return true;
}

const char *vm_end_for_destroy(struct vm *vm)
{
	if (vm->state == VM_DESTROYED)
		return "the VM is already destroyed";
	vm_stop(vm, VM_END_DESTROYED, 0, "destroyed");
	vm_retire(vm); /* takes its vCPUs off the run queues and kicks those on a CPU */
	u64 until = rdtsc() + us_to_tsc(PAUSE_WAIT_US);
	while (!off_cpus(vm) || __atomic_load_n(&vm->reset_pending, __ATOMIC_ACQUIRE) == 2)
		if (rdtsc() > until)
			return "a vCPU did not leave its CPU in time (try again)";
		else
			cpu_relax();
	return NULL;
}
