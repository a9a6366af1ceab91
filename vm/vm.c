/* VM and vCPU life cycle: creation (memory, devices, backend state), the stop, and the
 * end-of-run summary. */
#include "vm/vm.h"
#include "vm/cpustate.h"
#include "drivers/rtc.h"
#include "drivers/timer.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "vm/sched.h"
#include "vm/snapmem.h"
#include "kernel/spinlock.h"
#include "vm/virt.h"
#include "mm/mm.h"
#include "vm/vswitch.h"

/* The names of the exit kinds each vCPU counts, for the summary. */
const char *const exit_kind_names[EXIT_KINDS] = {
	[EXK_CPUID] = "cpuid",	       [EXK_MSR] = "msr",	    [EXK_IO] = "io",
	[EXK_MMIO] = "mmio",	       [EXK_NPF] = "npf",	    [EXK_HLT] = "hlt",
	[EXK_HYPERCALL] = "hypercall", [EXK_INTR] = "interrupt",    [EXK_CR] = "cr",
	[EXK_VIRT_INSN] = "virt-insn", [EXK_SHUTDOWN] = "shutdown", [EXK_EXCEPTION] = "exception",
	[EXK_OTHER] = "other",
};

void (*vm_reload)(struct vm *vm);
struct vm *vm_list;
static struct vm **vm_tail = &vm_list;
static u32 next_id;
static struct spinlock stop_lock;
static u32 refused; /* definitions and images refused at start-up */

/* nvcpus drops to 0 first: code that walks vm_list without locks (the prompt, query-vms)
 * then sees no vCPU rather than a freed one. */
static void free_vcpus(struct vm *vm)
{
	u32 n = vm->nvcpus;
	__atomic_store_n(&vm->nvcpus, 0, __ATOMIC_RELEASE);
	for (u32 i = 0; i < n; i++) {
		if (vm->vcpu[i]->arch)
			virt->vcpu_free(vm->vcpu[i]);
		vcpu_state_free(vm->vcpu[i]);
		kfree(vm->vcpu[i]);
		vm->vcpu[i] = NULL;
	}
}

struct vm *vm_create(const char *name, u64 ram, u32 ncpus, const struct vm_hw *hw,
		     bool (*attach)(struct vm *vm), bool paged)
{
	u64 before = heap_bytes_in_use();
	struct vm *vm = kmalloc(sizeof(*vm));
	if (!vm) {
		log_err("vm %s: out of memory for its state; not started", name);
		return NULL;
	}
	strlcpy(vm->name, name, sizeof(vm->name));
	vm->hw = *hw;
	vm->id = next_id++;
	vm->start_tsc = tsc_now();
	vm->clock_zero_tsc = vm->start_tsc;
	vm->clock_zero_unix = rtc_unix_ns_at(vm->start_tsc);
	if (paged ? !gmem_init_paged(&vm->mem, ram, virt->gmap_format)
		  : !gmem_init(&vm->mem, ram, virt->gmap_format)) {
		log_err("vm %s: cannot get %llu MiB of RAM (%llu MiB free); not started", name,
			(ram / MiB), (mm_free_pages() * PAGE_SIZE / MiB));
		kfree(vm);
		return NULL;
	}
	if (!virt->vm_init(vm))
		goto fail;
	for (u32 i = 0; i < ncpus; i++) {
		struct vcpu *v = kmalloc(sizeof(*v));
		if (!v)
			goto fail;
		v->vm = vm;
		v->id = i;
		v->cpu = ~0u;
		vm->vcpu[vm->nvcpus++] = v;
		if (!vcpu_state_init(v) || !virt->vcpu_init(v)) {
			v->arch = NULL;
			goto fail;
		}
	}
	if (!attach(vm)) /* after the vCPUs: devices may size themselves by them */
		goto fail;
	vm->overhead += heap_bytes_in_use() - before + gmem_overhead(&vm->mem);
	*vm_tail = vm;
	vm_tail = &vm->next;
	return vm;
fail:
	log_err("vm %s: out of memory setting it up; not started", name);
	free_vcpus(vm);
	if (vm->arch)
		virt->vm_free(vm);
	gmem_free(&vm->mem);
	kfree(vm->dev); /* its devices' state, if attach got that far */
	kfree(vm->cpuid);
	kfree(vm);
	return NULL;
}

void vm_destroy(struct vm *vm)
{
	snapmem_drop_all(vm); /* while its map and vCPUs are there to change */
	free_vcpus(vm);
	virt->vm_free(vm);
	gmem_free(&vm->mem);
	vm->state = VM_STOPPED;
}

/* vm-destroy, once vm has ended, is off the run queues and its devices let go of what they
 * held (vdevs_free): the struct stays in vm_list (walked without locks), with no vCPU, no RAM
 * and no device state, marked destroyed. Its end and reason stay for the summary. */
void vm_free(struct vm *vm)
{
	vm_destroy(vm);
	struct vm_devices *dev = vm->dev;
	vm->dev = NULL;
	kfree(dev);
	kfree(vm->cpuid);
	vm->cpuid = NULL;
	vm->overhead = 0;
	__atomic_store_n(&vm->state, VM_DESTROYED, __ATOMIC_RELEASE);
}

bool vm_all_vcpus_stopped(const struct vm *vm)
{
	for (u32 i = 0; i < vm->nvcpus; i++)
		if (vm->vcpu[i]->state != VCPU_STOPPED)
			return false;
	return true;
}

void vm_request_poweroff(struct vm *vm)
{
	vm_stop(vm, VM_END_POWEROFF, 0, "powered off by the guest");
}

void vm_request_reset(struct vm *vm)
{
	if (!vm->on_reset_restart) {
		vm_stop(vm, VM_END_RESET, 0, "reset by the guest");
		return;
	}
	/* Every vCPU leaves its CPU at its next exit; the last one out restarts the VM. */
	if (__atomic_exchange_n(&vm->reset_pending, 1, __ATOMIC_ACQ_REL))
		return;
	for (u32 i = 0; i < vm->nvcpus; i++)
		sched_kick(vm->vcpu[i]);
}

/* A vCPU with init_pending is on its way to waiting for a SIPI (INIT, or HLT with interrupts
 * off): two vCPUs halting so at once each mark themselves first, so one sees the other. */
bool vm_all_vcpus_asleep(const struct vm *vm)
{
	for (u32 i = 0; i < vm->nvcpus; i++) {
		const struct vcpu *v = vm->vcpu[i];
		enum vcpu_state st = __atomic_load_n(&v->state, __ATOMIC_SEQ_CST);
		if (st != VCPU_STOPPED && st != VCPU_WAIT_SIPI &&
		    !__atomic_load_n(&v->init_pending, __ATOMIC_SEQ_CST))
			return false;
	}
	return true;
}

void vm_stop(struct vm *vm, enum vm_end end, u64 status, const char *fmt, ...)
{
	u64 flags = spin_lock_irq(&stop_lock);
	if (vm->end != VM_END_NONE) {
		spin_unlock_irq(&stop_lock, flags);
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	fmt_vsnprintf(vm->why, sizeof(vm->why), fmt, ap);
	va_end(ap);
	vm->status = status;
	vm->stop_tsc = tsc_now();
	__atomic_store_n(&vm->end, end, __ATOMIC_RELEASE);
	spin_unlock_irq(&stop_lock, flags);
	if (end == VM_END_EXIT)
		log_info("vm %s: exited with status %llu (%s)", vm->name, status, vm->why);
	else if (end == VM_END_POWEROFF || end == VM_END_RESET || end == VM_END_DESTROYED)
		log_info("vm %s: %s", vm->name, vm->why); /* a clean end the guest asked for */
	else
		log_warn("vm %s: stopped: %s", vm->name, vm->why);
	vm_event(vm, VM_EV_END);
}

void vm_count_refused(void)
{
	refused++; /* only the boot CPU defines VMs */
}

static const char *end_name(const struct vm *vm)
{
	switch (vm->end) {
	case VM_END_EXIT: return "exited";
	case VM_END_SHUTDOWN: return "shut down";
	case VM_END_HALTED: return "halted";
	case VM_END_ERROR: return "failed";
	case VM_END_POWEROFF: return "powered off";
	case VM_END_RESET: return "reset";
	case VM_END_DESTROYED: return "destroyed";
	default: return "running";
	}
}

int vm_summary(void)
{
	int status = 0;
	log_info("summary: %s", vm_list ? "every VM has stopped" : "no VM ran");
	if (refused) {
		log_info("summary: %u VM definition%s or image%s refused", refused,
			 refused == 1 ? "" : "s", refused == 1 ? "" : "s");
		status = KEEL_VM_FAILED;
	}
	for (struct vm *vm = vm_list; vm; vm = vm->next) {
		u64 guest = 0, exits = 0, kinds[EXIT_KINDS] = {0}, ran_on = 0;
		for (u32 i = 0; i < vm->nvcpus; i++) {
			guest += vm->vcpu[i]->guest_tsc;
			ran_on |= vm->vcpu[i]->ran_on;
			for (int k = 0; k < EXIT_KINDS; k++) {
				kinds[k] += vm->vcpu[i]->exits[k];
				exits += vm->vcpu[i]->exits[k];
			}
		}
		char by[256];
		int n = 0;
		for (int k = 0; k < EXIT_KINDS; k++)
			if (kinds[k] &&
			    (size_t)n < sizeof(by)) /* fmt_snprintf counts what it cut */
				n += fmt_snprintf(by + n, sizeof(by) - (size_t)n, "%s%s %llu",
						  n ? ", " : "", exit_kind_names[k], kinds[k]);
		by[MIN((size_t)n, sizeof(by) - 1)] = '\0';
		u64 run = tsc_to_us(vm->stop_tsc - vm->start_tsc), g = tsc_to_us(guest);
		log_info(
			"summary: vm %s: %s, status %llu (%s); %llu.%03llu s, %llu.%03llu s in the "
			"guest on CPUs %#llx; %llu exits (%s); keel overhead %llu KiB",
			vm->name, end_name(vm), vm->status, vm->why, (run / 1000000),
			(run / 1000 % 1000), (g / 1000000), (g / 1000 % 1000), ran_on, exits,
			n ? by : "none", (vm->overhead / KiB));
		bool clean = vm->end == VM_END_POWEROFF || vm->end == VM_END_RESET ||
			     vm->end == VM_END_DESTROYED ||
			     (vm->end == VM_END_EXIT && vm->status == 0);
		if (!clean)
			status = KEEL_VM_FAILED;
	}
	vswitch_show("summary: ");
	struct sched_stats st;
	sched_stats(&st);
	log_info("summary: scheduler: %llu vCPU switches, %llu ns between guests on average, "
		 "%llu migrations",
		 st.switches, (st.switches ? tsc_to_us(st.switch_tsc * 1000 / st.switches) : 0),
		 st.migrations);
	return status;
}

static void (*event_sink)(struct vm *vm, enum vm_event e);

void vm_set_event_sink(void (*sink)(struct vm *vm, enum vm_event e))
{
	event_sink = sink;
}

void vm_event(struct vm *vm, enum vm_event e)
{
	if (event_sink)
		event_sink(vm, e);
}
