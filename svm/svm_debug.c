/* AMD-V's side of a debugger (exit/debug.h): the intercepts v->dbg.ctl asks for, the step by
 * RFLAGS.TF, the guest's DR6/DR7 kept aside while the VMCB's are the debugger's, and the
 * operands of #DB, #BP and MOV DR exits. Mirrors vmx/vmx_debug.c. */
#include "svm/svm.h"
#include "drivers/cpufeat.h"
#include "exit/access.h"
#include "exit/debug_hw.h"
#include "exit/decode.h"
#include "kernel/x86.h"

#define EXC_DB BIT(1)
#define EXC_BP BIT(3)

/* DBG_CTL_DR taken or given back: the VMCB's DR6/DR7 become the debugger's, the guest's
 * wait in v->dbg (the VMCB switches both: APM 15.5.1). */
static void swap_dr(struct vcpu *v, struct vmcb *b, bool to_debugger)
{
	if (to_debugger) {
		v->dbg.dr6 = b->dr6, v->dbg.dr7 = b->dr7;
		b->dr6 = DR6_FIXED;
	} else {
		b->dr6 = v->dbg.dr6, b->dr7 = v->dbg.dr7;
	}
}

/* The intercepts for ctl, keeping every other one keel sets (APM 15.12: exception vectors in
 * intercept_exc; 15.8.1 MOV DR). */
static void set_intercepts(struct vcpu *v, struct vmcb *b, u32 ctl)
{
	struct svm_vcpu *s = svm(v);
	b->intercept_exc &= ~(u32)(EXC_DB | EXC_BP);
	b->intercept_exc |= ((ctl & (DBG_CTL_DB | DBG_CTL_STEP)) ? EXC_DB : 0) |
			    ((ctl & DBG_CTL_BP) ? EXC_BP : 0);
	b->intercept_dr = (ctl & DBG_CTL_DR) ? SVM_DR_ALL : 0;
	/* QEMU's TCG checks the INTn intercept, not #BP's, for INT3 (a software interrupt to
	 * it): both are on while the debugger has INT3s in the guest (svm_swint). */
	b->intercept1 =
		(b->intercept1 & ~(u32)SVM_I1_INTN) | ((ctl & DBG_CTL_BP) ? SVM_I1_INTN : 0);
	if ((ctl ^ s->dbg_on) & DBG_CTL_DR)
		swap_dr(v, b, ctl & DBG_CTL_DR);
	s->dbg_on = ctl;
}

void svm_dbg_entry(struct vcpu *v, struct vmcb *b)
{
	struct svm_vcpu *s = svm(v);
	u32 ctl = v->dbg.ctl;
	if (likely(!ctl && !s->dbg_on))
		return;
	if (ctl != s->dbg_on)
		set_intercepts(v, b, ctl);
	if ((ctl & DBG_CTL_DR) && v->vm->debug)
		b->dr7 = v->vm->dbg_dr7;
	if ((ctl & DBG_CTL_STEP) && !s->tf_set) { /* one instruction, then #DB with BS */
		s->tf_guest = b->rflags & RFLAGS_TF;
		b->rflags |= RFLAGS_TF;
		s->tf_set = true;
	}
	s->dr6_before = b->dr6;
}

/* MOV DR (exit codes 0x20-0x3f, APM 15.8.1): the register from EXITINFO1 with decode
 * assists (bit 63 valid, bits 3:0 the GPR), else from the instruction, as for CR exits. */
static void decode_dr(struct vcpu *v, const struct vmcb *b, struct vexit *e)
{
	e->dr.dr = b->exitcode & 15;
	e->dr.read = b->exitcode < SVM_EXIT_DR0_WRITE;
	if (cpu_feat.svm_decode && (b->exitinfo1 & BIT(63))) {
		e->dr.gpr = b->exitinfo1 & 15;
		return;
	}
	u8 bytes[15];
	struct mov_cr m;
	size_t n = vcpu_fetch_insn(v, bytes);
	if (decode_mov_cr(bytes, n, vcpu_mode(v), &m) != DECODE_OK || !m.dr) {
		e->dr.dr = 0xff; /* exit_dr stops the VM: not a MOV DR it can read */
		return;
	}
	e->dr.gpr = m.gpr;
	if (!cpu_feat.svm_nrips)
		e->insn_len = m.len;
}

/* After each exit: the guest's TF back after a step (whatever exit ended it; the guest only
 * sees the TF keel set if the stepped instruction pushed RFLAGS: PUSHF, an interrupt frame),
 * and a #DB's causes. The CPU updated the VMCB's DR6 before the #DB intercept (APM 15.12):
 * the causes are what it set, and DR6 goes back to what it held, as VT-x leaves it, for
 * exit_debug to give the guest what is the guest's. */
void svm_dbg_exit(struct vcpu *v, struct vmcb *b, struct vexit *e)
{
	struct svm_vcpu *s = svm(v);
	if (likely(!s->dbg_on))
		return;
	if (s->tf_set) {
		b->rflags = (b->rflags & ~(u64)RFLAGS_TF) | (s->tf_guest ? RFLAGS_TF : 0);
		s->tf_set = false;
	}
	if (b->exitcode == SVM_EXIT_EXCP_BASE + 1) {
		u64 before = s->dr6_before;
		e->exc.dr6 = (b->dr6 & DR6_B_MASK) | (b->dr6 & ~before & (DR6_BD | DR6_BS));
		b->dr6 = before;
	}
	if (b->exitcode >= SVM_EXIT_DR0_READ && b->exitcode < SVM_EXIT_DR0_WRITE + 16)
		decode_dr(v, b, e);
}

void svm_decode_db(const struct vmcb *b, struct vexit *e)
{
	(void)b;
	e->exc.vector = 1;
}

/* An intercepted #BP: RIP is still the INT3 (APM 15.12, exception intercepts). */
void svm_decode_bp(const struct vmcb *b, struct vexit *e)
{
	(void)b;
	e->exc.vector = 3;
}

u64 svm_guest_dr6(struct vcpu *v)
{
	struct svm_vcpu *s = svm(v);
	return (s->dbg_on & DBG_CTL_DR) ? v->dbg.dr6 : s->vmcb->dr6;
}

u64 svm_guest_dr7(struct vcpu *v)
{
	struct svm_vcpu *s = svm(v);
	return (s->dbg_on & DBG_CTL_DR) ? v->dbg.dr7 : s->vmcb->dr7;
}

void svm_set_guest_dr(struct vcpu *v, u64 dr6, u64 dr7)
{
	struct svm_vcpu *s = svm(v);
	if (s->dbg_on & DBG_CTL_DR)
		v->dbg.dr6 = dr6, v->dbg.dr7 = dr7;
	else
		s->vmcb->dr6 = dr6, s->vmcb->dr7 = dr7;
}

/* INT n intercepted (APM 15.9, exit 0x75; RIP on the instruction) while the debugger has
 * INT3s: an INT3 is a #BP (exit_debug); any other INT n is the guest's own, delivered as the
 * software interrupt it is, with RIP past it (the return address it pushes); INTO raises #OF
 * only with RFLAGS.OF set (SDM vol. 2 "INT n/INTO/INT3/INT1"). */
enum exit_action svm_swint(struct vcpu *v, struct vexit *e)
{
	u8 bytes[15];
	size_t n = vcpu_fetch_insn(v, bytes);
	u64 rip = vcpu_get(v, VREG_RIP);
	if (n && (bytes[0] == 0xcc || (n > 1 && bytes[0] == 0xcd && bytes[1] == 3))) {
		e->exc.vector = 3;
		return exit_debug(v, e);
	}
	if (n > 1 && bytes[0] == 0xcd) {
		vcpu_set(v, VREG_RIP, rip + 2);
		v->event = (struct vevent){true, bytes[1], EVENT_SOFT_INT, false, 0};
		return EXIT_RESUME;
	}
	if (n && bytes[0] == 0xce) {
		vcpu_set(v, VREG_RIP, rip + 1);
		if (vcpu_get(v, VREG_RFLAGS) & RFLAGS_OF)
			vcpu_inject_exception(v, 4, false, 0);
		return EXIT_RESUME;
	}
	return exit_unexpected(v, e);
}
