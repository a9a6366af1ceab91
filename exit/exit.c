/* The small shared exit handlers: CPUID, HLT, host interrupts, triple faults, virtualisation
 * instructions, XSETBV, and exits keel does not expect (control registers: exit_cr.c). */
#include "exit/exit.h"
#include "drivers/cpufeat.h"
#include "drivers/lapic.h"
#include "drivers/timer.h"
#include "exit/cpuid.h"
#include "kernel/log.h"
#include "mm/mm.h"
#include "kernel/percpu.h"
#include "vm/cpustate.h"
#include "vm/sched.h"
#include "vm/virq.h"
#include "vm/virt.h"
#include "kernel/x86.h"
#include "vdev/vlapic.h" /* the virtual APIC timer's clock, for CPUID */

static void host_cpuid(u32 leaf, u32 sub, u32 r[4])
{
	cpuid(leaf, sub, &r[0], &r[1], &r[2], &r[3]);
}

/* The context every CPUID answer of v's VM is computed in. */
static struct cpuid_ctx cpuid_ctx_of(const struct vm *vm, u32 vcpu_id)
{
	return (struct cpuid_ctx){
		.ncpus = vm->nvcpus,
		.vcpu_id = vcpu_id,
		.tsc_khz = tsc_khz,
		.lapic_khz = VLAPIC_KHZ,
		.host_max = cpu_feat.max_leaf,
		.host_max_ext = cpu_feat.max_ext_leaf,
		.host = host_cpuid,
	};
}

bool exit_vm_attach(struct vm *vm)
{
	vm->cpuid = kmalloc(sizeof(*vm->cpuid));
	if (!vm->cpuid)
		return false;
	struct cpuid_ctx c = cpuid_ctx_of(vm, 0);
	cpuid_table_fill(vm->cpuid, &c);
	return true;
}

enum exit_action exit_cpuid(struct vcpu *v, struct vexit *e)
{
	u64 *g = v->regs.gpr;
	u32 leaf = (u32)g[RAX];
	const u32 *t = v->vm->cpuid ? cpuid_table_find(v->vm->cpuid, leaf) : NULL;
	if (t) {
		g[RAX] = t[0], g[RBX] = t[1], g[RCX] = t[2], g[RDX] = t[3];
		e->skip = true;
		return EXIT_RESUME;
	}
	/* The rest follow the vCPU: its APIC ID, CR4 (OSXSAVE, OSPKE), XCR0 (leaf 0xD's size) and
	 * APIC state (the APIC flag). */
	struct cpuid_ctx c = cpuid_ctx_of(v->vm, v->id);
	c.cr4 = vcpu_get(v, VREG_CR4);
	c.xcr0 = v->xcr0;
	c.apic_off = !(vlapic_base(v) & BIT(11)); /* IA32_APIC_BASE.EN */
	u32 r[4];
	cpuid_policy(&c, leaf, (u32)g[RCX], r);
	g[RAX] = r[0], g[RBX] = r[1], g[RCX] = r[2], g[RDX] = r[3];
	e->skip = true;
	return EXIT_RESUME;
}

/* HLT waits for an interrupt. With interrupts off only INIT (or NMI) can end it: a lone vCPU
 * is done for good; one of several waits for the others to send INIT. It is parked like an
 * INIT, once it has left this CPU (sched.c, park): marked waiting here, a SIPI from another
 * CPU could reset its control block while this exit is still being handled. */
enum exit_action exit_hlt(struct vcpu *v, struct vexit *e)
{
	e->skip = true;
	if (!(vcpu_get(v, VREG_RFLAGS) & RFLAGS_IF)) {
		__atomic_store_n(&v->init_pending, true, __ATOMIC_SEQ_CST);
		if (vm_all_vcpus_asleep(v->vm)) {
			vm_stop(v->vm, VM_END_HALTED, 0, "halted with interrupts disabled");
			return EXIT_STOP;
		}
		return EXIT_RESCHED;
	}
	return sched_halt(v) ? EXIT_RESCHED : EXIT_RESUME;
}

/* The guest can take an interrupt now: the next entry injects it (vcpu_pre_entry). */
enum exit_action exit_irq_window(struct vcpu *v, struct vexit *e)
{
	(void)e;
	__atomic_store_n(&v->irq_pending, 1, __ATOMIC_RELAXED);
	return EXIT_RESUME;
}

/* A task switch (CALL, JMP or IRET to a TSS, or a task gate in the IDT): VT-x always exits on
 * it (SDM 25.4.2) and keel intercepts it on AMD-V (APM 15.14.1). keel does not emulate task
 * switches (no 64-bit guest can make one): the VM stops, named and logged. */
enum exit_action exit_task_switch(struct vcpu *v, struct vexit *e)
{
	vm_stop(v->vm, VM_END_ERROR, 0,
		"task switch (exit %#llx, qualification %#llx) at rip %#llx: not emulated",
		e->reason, e->qual, vcpu_get(v, VREG_RIP));
	return EXIT_STOP;
}

/* A host interrupt arrived while the guest ran: vcpu_pre_entry, next, lets keel take it and
 * sees whether the scheduler wants the CPU back. */
enum exit_action exit_intr(struct vcpu *v, struct vexit *e)
{
	(void)v, (void)e;
	return EXIT_RESUME;
}

enum exit_action exit_shutdown(struct vcpu *v, struct vexit *e)
{
	(void)e;
	vm_stop(v->vm, VM_END_SHUTDOWN, 0, "triple fault at rip %#llx", vcpu_get(v, VREG_RIP));
	return EXIT_STOP;
}

/* VMRUN, VMXON and their kin, MONITOR/MWAIT, RDTSCP: keel offers no nested virtualisation
 * and hides the others, and CPUID says so, so the guest gets the #UD a CPU without the
 * feature raises. */
enum exit_action exit_virt_insn(struct vcpu *v, struct vexit *e)
{
	(void)e;
	vcpu_inject_ud(v);
	return EXIT_RESUME;
}

/* The XCR0 bits guests may set: the same for every VM (they follow the host), computed once. */
static u64 guest_xcr0_offered(void)
{
	static u64 offered;
	u64 m = __atomic_load_n(&offered, __ATOMIC_RELAXED);
	if (!m) {
		struct cpuid_ctx c = {.ncpus = 1, .host = host_cpuid};
		m = cpuid_xcr0_offered(&c);
		__atomic_store_n(&offered, m, __ATOMIC_RELAXED);
	}
	return m;
}

/* XSETBV (SDM vol. 2 "XSETBV", APM vol. 3 "XSETBV"): #UD with CR4.OSXSAVE clear; #GP(0) at
 * CPL > 0, for an XCR other than 0, or a value XCR0 cannot hold (cpuid_xcr0_valid). VT-x
 * checks CR4 and CPL itself before it exits (SDM 25.1.1); AMD-V may not, so keel checks all. */
enum exit_action exit_xsetbv(struct vcpu *v, struct vexit *e)
{
	u64 *g = v->regs.gpr, val = ((u64)(u32)g[RDX] << 32) | (u32)g[RAX];
	if (!(vcpu_get(v, VREG_CR4) & CR4_OSXSAVE)) {
		vcpu_inject_ud(v);
		return EXIT_RESUME;
	}
	if (vcpu_get(v, VREG_CPL) || (u32)g[RCX] || !cpuid_xcr0_valid(val, guest_xcr0_offered())) {
		vcpu_inject_gp(v, 0);
		return EXIT_RESUME;
	}
	vcpu_xcr0_set(v, val);
	e->skip = true;
	return EXIT_RESUME;
}

/* The hardware's own time-slice timer (VT-x preemption timer) ran out. */
enum exit_action exit_timeslice(struct vcpu *v, struct vexit *e)
{
	(void)v, (void)e;
	return EXIT_RESCHED;
}

enum exit_action exit_ignore(struct vcpu *v, struct vexit *e)
{
	(void)v;
	e->skip = true;
	return EXIT_RESUME;
}

enum exit_action exit_unexpected(struct vcpu *v, struct vexit *e)
{
	log_err("vm %s: vCPU %u: unexpected exit %#llx (qualification %#llx) at rip %#llx",
		v->vm->name, v->id, e->reason, e->qual, vcpu_get(v, VREG_RIP));
	virt->dump(v);
	vm_stop(v->vm, VM_END_ERROR, 0, "unexpected exit %#llx", e->reason);
	return EXIT_STOP;
}
