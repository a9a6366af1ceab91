/* VT-x exit decoding: one const table from basic exit reason to the shared handler that gives
 * the exit its meaning (the same handlers svm/svm_exit.c points at), and decoders for exits
 * that carry operands. Mirrors svm/svm_exit.c. */
#include "vmx/vmx.h"
#include "exit/debug.h"
#include "kernel/log.h"
#include "kernel/x86.h"

struct vmx_exit {
	exit_handler_fn fn;
	u8 kind; /* enum exit_kind, for the counters */
	void (*decode)(struct vcpu *v, struct vexit *e);
};

/* I/O exit qualification (SDM table 27-5); the string address size is in the instruction
 * information (table 27-8) where IA32_VMX_BASIC bit 54 says it is reported. */
static void decode_io(struct vcpu *v, struct vexit *e)
{
	u64 q = e->qual;
	(void)v;
	e->io.size = (u8)((q & 7) + 1);
	e->io.in = q & BIT(3);
	e->io.string = q & BIT(4);
	e->io.rep = q & BIT(5);
	e->io.port = (u16)(q >> 16);
	if (e->io.string) {
		u32 as = (vmcs_read32(VMCS_EXIT_INSN_INFO) >> 7) & 7;
		e->io.addr_size = as == 0 ? 2 : as == 1 ? 4 : 8;
	}
}

static void decode_wrmsr(struct vcpu *v, struct vexit *e)
{
	(void)v;
	e->msr.write = true;
}

/* Control-register access (table 27-3): MOV to CR0/CR4/CR8 from a register, MOV from CR8,
 * or LMSW. */
static void decode_cr(struct vcpu *v, struct vexit *e)
{
	u64 q = e->qual;
	u8 type = (q >> 4) & 3, gpr = (q >> 8) & 15;
	e->cr.cr = q & 15;
	e->cr.gpr = gpr;
	if (type == 0) {
		e->cr.value = gpr == RSP ? vmcs_readn(VMCS_GUEST_RSP) : v->regs.gpr[gpr];
	} else if (type == 1) {
		e->cr.read = true;
	} else if (type == 3) { /* LMSW: low four bits; it can set PE but never clear it */
		u64 cr0 = vcpu_get(v, VREG_CR0);
		e->cr.value = (cr0 & ~0xeull) | ((q >> 16) & 0xf);
	} else {
		e->cr.cr = 0xff; /* CLTS never exits with keel's masks */
	}
}

/* EPT violation: the guest-physical address and the access (table 27-7). */
static void decode_ept(struct vcpu *v, struct vexit *e)
{
	(void)v;
	e->npf.gpa = vmcs_read64(VMCS_GUEST_PHYS_ADDR);
	e->npf.write = e->qual & BIT(1);
	e->npf.fetch = e->qual & BIT(2);
	/* An IRET that had unblocked NMIs faulted (a write-protected stack page of a VM with
	 * snapshots): it runs again, and must find NMIs blocked as before it (SDM 27.2.3, bit
	 * 12, meaningful when no event was being delivered). */
	if ((e->qual & BIT(12)) && !(vmcs_read32(VMCS_IDT_VECT_INFO) & INTR_INFO_VALID))
		vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY,
			     vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) | INTR_NMI);
}

static const struct vmx_exit exits[VMX_EXIT_MAX] = {
	[VMX_EXIT_EXT_INTR] = {exit_intr, EXK_INTR, NULL},
	[VMX_EXIT_TRIPLE_FAULT] = {exit_shutdown, EXK_SHUTDOWN, NULL},
	[VMX_EXIT_EXCEPTION] = {vmx_exception_exit, EXK_INTR, NULL},
	[VMX_EXIT_INTR_WINDOW] = {exit_irq_window, EXK_OTHER, NULL},
	[VMX_EXIT_NMI_WINDOW] = {exit_irq_window, EXK_OTHER, NULL},
	[VMX_EXIT_TASK_SWITCH] = {exit_task_switch, EXK_OTHER, NULL},
	[VMX_EXIT_CPUID] = {exit_cpuid, EXK_CPUID, NULL},
	[VMX_EXIT_GETSEC] = {exit_virt_insn, EXK_VIRT_INSN, NULL},
	[VMX_EXIT_HLT] = {exit_hlt, EXK_HLT, NULL},
	[VMX_EXIT_INVD] = {exit_ignore, EXK_OTHER, NULL},
	[VMX_EXIT_RDPMC] = {exit_rdpmc, EXK_OTHER, NULL},
	[VMX_EXIT_VMCALL] = {exit_hypercall, EXK_HYPERCALL, NULL},
	[VMX_EXIT_VMCLEAR] = {exit_virt_insn, EXK_VIRT_INSN, NULL},
	[VMX_EXIT_VMLAUNCH] = {exit_virt_insn, EXK_VIRT_INSN, NULL},
	[VMX_EXIT_VMPTRLD] = {exit_virt_insn, EXK_VIRT_INSN, NULL},
	[VMX_EXIT_VMPTRST] = {exit_virt_insn, EXK_VIRT_INSN, NULL},
	[VMX_EXIT_VMREAD] = {exit_virt_insn, EXK_VIRT_INSN, NULL},
	[VMX_EXIT_VMRESUME] = {exit_virt_insn, EXK_VIRT_INSN, NULL},
	[VMX_EXIT_VMWRITE] = {exit_virt_insn, EXK_VIRT_INSN, NULL},
	[VMX_EXIT_VMXOFF] = {exit_virt_insn, EXK_VIRT_INSN, NULL},
	[VMX_EXIT_VMXON] = {exit_virt_insn, EXK_VIRT_INSN, NULL},
	[VMX_EXIT_CR_ACCESS] = {exit_cr, EXK_CR, decode_cr},
	[VMX_EXIT_DR_ACCESS] = {exit_dr, EXK_OTHER, vmx_decode_dr},
	[VMX_EXIT_IO] = {exit_io, EXK_IO, decode_io},
	[VMX_EXIT_MTF] = {vmx_mtf_exit, EXK_OTHER, NULL},
	[VMX_EXIT_RDMSR] = {exit_msr, EXK_MSR, NULL},
	[VMX_EXIT_WRMSR] = {exit_msr, EXK_MSR, decode_wrmsr},
	[VMX_EXIT_MWAIT] = {exit_virt_insn, EXK_OTHER, NULL},
	[VMX_EXIT_MONITOR] = {exit_virt_insn, EXK_OTHER, NULL},
	[VMX_EXIT_EPT_VIOLATION] = {exit_npf, EXK_NPF, decode_ept},
	[VMX_EXIT_INVEPT] = {exit_virt_insn, EXK_VIRT_INSN, NULL},
	[VMX_EXIT_PREEMPT_TIMER] = {exit_timeslice, EXK_INTR, NULL},
	[VMX_EXIT_INVVPID] = {exit_virt_insn, EXK_VIRT_INSN, NULL},
	[VMX_EXIT_XSETBV] = {exit_xsetbv, EXK_OTHER, NULL},
	[VMX_EXIT_VMFUNC] = {exit_virt_insn, EXK_VIRT_INSN, NULL},
};

/* An event being delivered when the exit came is delivered again on the next entry. */
static void requeue_event(struct vcpu *v)
{
	u32 ii = vmcs_read32(VMCS_IDT_VECT_INFO);
	if (!(ii & INTR_INFO_VALID))
		return;
	bool err = ii & INTR_INFO_HAS_ERROR;
	struct vevent ev = {true, (u8)ii, (u8)((ii >> 8) & 7), err,
			    err ? vmcs_read32(VMCS_IDT_VECT_ERROR) : 0};
	if (!vevent_runs_again(&ev))
		v->event = ev;
}

/* VM entry failed after VMLAUNCH/VMRESUME accepted it (SDM 26.8): the guest state broke a
 * check. Exit qualification 2 would name a bad MSR-load entry (keel loads none). */
static enum exit_action entry_failed(struct vcpu *v, u32 reason)
{
	log_err("vm %s: vCPU %u: VM entry failed: %s (exit reason %u, qualification %#llx)",
		v->vm->name, v->id,
		(reason & 0xffff) == VMX_EXIT_BAD_GUEST_STATE ? "invalid guest state"
		: (reason & 0xffff) == VMX_EXIT_BAD_MSR_LOAD  ? "MSR loading"
							      : "machine check",
		reason & 0xffff, vmcs_readn(VMCS_EXIT_QUAL));
	vmx_dump(v);
	vm_stop(v->vm, VM_END_ERROR, 0, "VM entry failed: invalid guest state");
	return EXIT_STOP;
}

enum exit_action vmx_handle_exit(struct vcpu *v)
{
	u32 reason = vmcs_read32(VMCS_EXIT_REASON);
	struct vexit e = {.reason = reason, .qual = vmcs_readn(VMCS_EXIT_QUAL)};
	if (reason & EXIT_REASON_ENTRY_FAIL)
		return entry_failed(v, reason);
	u16 basic = (u16)reason;
	const struct vmx_exit *x = basic < VMX_EXIT_MAX && exits[basic].fn ? &exits[basic] : NULL;
	if (!x) {
		v->exits[EXK_OTHER]++;
		return exit_unexpected(v, &e);
	}
	v->exits[x->kind]++;
	requeue_event(v);
	if (x->decode)
		x->decode(v, &e);
	vmx_dbg_exit(v);
	u64 rip = vmcs_readn(VMCS_GUEST_RIP);
	enum exit_action a = x->fn(v, &e);
	if (e.skip) {
		u64 len = e.insn_len ? e.insn_len : vmcs_read32(VMCS_EXIT_INSN_LEN);
		vmcs_writen(VMCS_GUEST_RIP, vmcs_readn(VMCS_GUEST_RIP) + len);
		/* The skipped instruction's STI / MOV SS blocking ends with it. */
		u32 intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
		if (intr & 3)
			vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, intr & ~3u);
	}
	if (unlikely(v->dbg.ctl & DBG_CTL_STEP) && vmcs_readn(VMCS_GUEST_RIP) != rip)
		a = exit_step_check(v, a); /* keel ran the stepped instruction: no MTF exit comes */
	return a;
}
