/* VT-x's side of a debugger (exit/debug.h): the controls v->dbg.ctl asks for, the step by the
 * monitor trap flag (or RFLAGS.TF where the CPU lacks it), the guest's DR6/DR7 kept aside
 * while the hardware's are the debugger's, and the exits it causes. Mirrors svm/svm_debug.c. */
#include "vmx/vmx.h"
#include "exit/debug_hw.h"
#include "kernel/percpu.h"
#include "kernel/x86.h"

#define EXC_DB BIT(1)
#define EXC_BP BIT(3)

/* Can this CPU exit after each instruction by itself (SDM 25.5.2, allowed-1 of bit 27)? */
static bool have_mtf(void)
{
	return (vmx_caps.proc >> 32) & PROC_MTF;
}

/* Is v's DR6 in this CPU's register now (vmx.c's state_load ran for it)? */
static bool dr6_live(struct vcpu *v)
{
	return vmx(v)->live && this_cpu()->vcpu == v;
}

u64 vmx_dr6(struct vcpu *v)
{
	return dr6_live(v) ? read_dr6() : vmx(v)->dr6;
}

void vmx_set_dr6(struct vcpu *v, u64 dr6)
{
	if (dr6_live(v))
		write_dr6(dr6);
	else
		vmx(v)->dr6 = dr6;
}

/* DBG_CTL_DR taken or given back: DR7 (the VMCS's) and DR6 (keel's switch) become the
 * debugger's, the guest's wait in v->dbg. */
static void swap_dr(struct vcpu *v, bool to_debugger)
{
	if (to_debugger) {
		v->dbg.dr6 = vmx_dr6(v), v->dbg.dr7 = vmcs_readn(VMCS_GUEST_DR7);
		vmx_set_dr6(v, DR6_FIXED);
	} else {
		vmx_set_dr6(v, v->dbg.dr6);
		vmcs_writen(VMCS_GUEST_DR7, v->dbg.dr7);
	}
}

/* The controls for ctl, keeping every other one keel sets: exception bitmap bits 1 and 3
 * (SDM 24.6.3), MOV-DR exiting and the monitor trap flag (24.6.2). */
static void set_controls(struct vcpu *v, u32 ctl)
{
	struct vmx_vcpu *x = vmx(v);
	u32 exc = vmcs_read32(VMCS_EXC_BITMAP) & ~(u32)(EXC_DB | EXC_BP);
	bool by_tf = (ctl & DBG_CTL_STEP) && !have_mtf();
	exc |= ((ctl & DBG_CTL_DB) || by_tf) ? EXC_DB : 0;
	exc |= (ctl & DBG_CTL_BP) ? EXC_BP : 0;
	vmcs_write32(VMCS_EXC_BITMAP, exc);
	u32 proc = vmcs_read32(VMCS_PROC_CTLS) & ~(u32)(PROC_MOV_DR | PROC_MTF);
	proc |= (ctl & DBG_CTL_DR) ? PROC_MOV_DR : 0;
	proc |= (ctl & DBG_CTL_STEP) && have_mtf() ? PROC_MTF : 0;
	vmcs_write32(VMCS_PROC_CTLS, proc);
	if ((ctl ^ x->dbg_on) & DBG_CTL_DR)
		swap_dr(v, ctl & DBG_CTL_DR);
	x->dbg_on = ctl;
}

/* Without MTF, a step is TF's #DB; in an STI or MOV SS shadow VM entry wants the pending BS
 * to match TF (SDM 26.3.1.5). */
static void tf_step(struct vcpu *v)
{
	struct vmx_vcpu *x = vmx(v);
	u64 rf = vmcs_readn(VMCS_GUEST_RFLAGS);
	x->tf_guest = rf & RFLAGS_TF;
	vmcs_writen(VMCS_GUEST_RFLAGS, rf | RFLAGS_TF);
	if (vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) & 3)
		vmcs_writen(VMCS_GUEST_PENDING_DBG,
			    vmcs_readn(VMCS_GUEST_PENDING_DBG) | PENDING_DBG_BS);
	x->tf_set = true;
}

void vmx_dbg_entry(struct vcpu *v)
{
	struct vmx_vcpu *x = vmx(v);
	u32 ctl = v->dbg.ctl;
	if (likely(!ctl && !x->dbg_on))
		return;
	if (ctl != x->dbg_on)
		set_controls(v, ctl);
	if ((ctl & DBG_CTL_DR) && v->vm->debug)
		vmcs_writen(VMCS_GUEST_DR7, v->vm->dbg_dr7);
	if ((ctl & DBG_CTL_STEP) && !have_mtf() && !x->tf_set)
		tf_step(v);
}

/* The guest's TF back after a TF step's exit, whatever exit ended it (the guest sees the TF
 * keel set only if the stepped instruction pushed RFLAGS). */
void vmx_dbg_exit(struct vcpu *v)
{
	struct vmx_vcpu *x = vmx(v);
	if (likely(!x->tf_set))
		return;
	u64 rf = vmcs_readn(VMCS_GUEST_RFLAGS) & ~(u64)RFLAGS_TF;
	vmcs_writen(VMCS_GUEST_RFLAGS, rf | (x->tf_guest ? RFLAGS_TF : 0));
	x->tf_set = false;
}

/* Exit reason 0: a host NMI (NMI exiting, for virtual NMIs: keel uses none of its own), or a
 * #DB or #BP the debugger intercepts. A #DB's causes are in the exit qualification, DR6
 * untouched (SDM 27.1, table 27-1); a #BP exits with RIP on the INT3 (type 6, its length in
 * the exit instruction length). */
enum exit_action vmx_exception_exit(struct vcpu *v, struct vexit *e)
{
	u32 info = vmcs_read32(VMCS_EXIT_INTR_INFO);
	if (!(info & INTR_INFO_VALID))
		return exit_unexpected(v, e);
	if (INTR_INFO_TYPE(info) == 2)
		return EXIT_RESUME;
	e->exc.vector = (u8)info;
	if (e->exc.vector == 1)
		e->exc.dr6 = e->qual & DR6_CAUSES;
	else if (e->exc.vector == 3)
		e->insn_len = (u8)vmcs_read32(VMCS_EXIT_INSN_LEN);
	else
		return exit_unexpected(v, e);
	return exit_debug(v, e);
}

/* The monitor trap flag's exit: the stepped instruction ran (SDM 25.5.2). */
enum exit_action vmx_mtf_exit(struct vcpu *v, struct vexit *e)
{
	if (!(v->dbg.ctl & DBG_CTL_STEP))
		return EXIT_RESUME;
	e->exc.vector = 1;
	e->exc.dr6 = DR6_BS;
	return exit_debug(v, e);
}

/* MOV DR (SDM table 27-4): bits 2:0 the DR, bit 4 the direction (1: MOV from DR), bits 11:8
 * the GPR. */
void vmx_decode_dr(struct vcpu *v, struct vexit *e)
{
	(void)v;
	e->dr.dr = e->qual & 7;
	e->dr.read = e->qual & BIT(4);
	e->dr.gpr = (e->qual >> 8) & 15;
}

u64 vmx_guest_dr6(struct vcpu *v)
{
	return (vmx(v)->dbg_on & DBG_CTL_DR) ? v->dbg.dr6 : vmx_dr6(v);
}

u64 vmx_guest_dr7(struct vcpu *v)
{
	return (vmx(v)->dbg_on & DBG_CTL_DR) ? v->dbg.dr7 : vmcs_readn(VMCS_GUEST_DR7);
}

void vmx_set_guest_dr(struct vcpu *v, u64 dr6, u64 dr7)
{
	if (vmx(v)->dbg_on & DBG_CTL_DR) {
		v->dbg.dr6 = dr6, v->dbg.dr7 = dr7;
		return;
	}
	vmx_set_dr6(v, dr6);
	vmcs_writen(VMCS_GUEST_DR7, dr7);
}
