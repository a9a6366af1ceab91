/* AMD-V exit decoding: one const table from exit code to the shared handler that gives the
 * exit its meaning, whether the exit is an instruction keel may skip (without NRIP-save, as
 * under QEMU's TCG, keel decodes its length, prefixes included), and a decoder for exits that
 * carry operands. */
#include "svm/svm.h"
#include "drivers/cpufeat.h"
#include "exit/access.h"
#include "exit/debug.h"
#include "kernel/log.h"

struct svm_exit {
	exit_handler_fn fn;
	u8 kind;   /* enum exit_kind, for the counters */
	bool insn; /* an instruction a handler may skip (IOIO, NPF and CR exits find their own) */
	void (*decode)(const struct vmcb *b, struct vexit *e);
};

/* IOIO: port, size, direction and string/REP flags from EXITINFO1; next RIP in EXITINFO2. */
static void decode_io(const struct vmcb *b, struct vexit *e)
{
	u64 i = b->exitinfo1;
	e->io.port = (u16)(i >> IOIO_PORT_SHIFT);
	e->io.size = (i & BIT(IOIO_SZ_SHIFT)) ? 1 : (i & BIT(IOIO_SZ_SHIFT + 1)) ? 2 : 4;
	e->io.in = i & IOIO_IN;
	e->io.string = i & IOIO_STR;
	e->io.rep = i & IOIO_REP;
	e->io.addr_size = (i & BIT(IOIO_A_SHIFT)) ? 2 : (i & BIT(IOIO_A_SHIFT + 1)) ? 4 : 8;
	e->insn_len = (u8)(b->exitinfo2 - b->rip);
}

static void decode_msr(const struct vmcb *b, struct vexit *e)
{
	e->msr.write = b->exitinfo1 & 1;
}

static void decode_npf(const struct vmcb *b, struct vexit *e)
{
	e->npf.gpa = b->exitinfo2;
	e->npf.write = b->exitinfo1 & NPF_WRITE;
	e->npf.fetch = b->exitinfo1 & NPF_FETCH;
	e->insn_len = 0; /* the MMIO emulator decodes the instruction itself */
}

/* CR4 writes and CR8 accesses: the register operand is found by decoding the instruction
 * (exit_cr), since QEMU's TCG has no decode assists (APM 15.8.1). */
static void decode_cr(const struct vmcb *b, struct vexit *e)
{
	e->cr.cr = b->exitcode & 15;
	e->cr.read = b->exitcode < SVM_EXIT_CR0_WRITE;
	e->cr.fetch = true;
}

/* Exit codes 0x00-0x9f index the table directly; NPF (0x400) takes the last slot. */
#define SLOT_NPF 0xa0
static const struct svm_exit exits[SLOT_NPF + 1] = {
	[SVM_EXIT_CR8_READ] = {exit_cr, EXK_CR, false, decode_cr},
	[SVM_EXIT_CR4_WRITE] = {exit_cr, EXK_CR, false, decode_cr},
	[SVM_EXIT_CR8_WRITE] = {exit_cr, EXK_CR, false, decode_cr},
	/* MOV DR while a debugger holds DR0-DR7; svm_dbg_exit decodes the operand */
	[SVM_EXIT_DR0_READ... SVM_EXIT_DR0_WRITE + 7] = {exit_dr, EXK_OTHER, false, NULL},
	[SVM_EXIT_EXCP_BASE + 1] = {exit_debug, EXK_OTHER, false, svm_decode_db},
	[SVM_EXIT_EXCP_BASE + 3] = {exit_debug, EXK_OTHER, false, svm_decode_bp},
	[SVM_EXIT_INTR] = {exit_intr, EXK_INTR, false, NULL},
	[SVM_EXIT_VINTR] = {exit_irq_window, EXK_OTHER, false, NULL},
	[SVM_EXIT_IRET] = {svm_iret, EXK_OTHER, false, NULL},
	[SVM_EXIT_SWINT] = {svm_swint, EXK_OTHER, false, NULL},
	[SVM_EXIT_TASK_SWITCH] = {exit_task_switch, EXK_OTHER, false, NULL},
	[SVM_EXIT_CPUID] = {exit_cpuid, EXK_CPUID, true, NULL},
	[SVM_EXIT_RDPMC] = {exit_rdpmc, EXK_OTHER, false, NULL},
	[SVM_EXIT_INVD] = {exit_ignore, EXK_OTHER, true, NULL},
	[SVM_EXIT_HLT] = {exit_hlt, EXK_HLT, true, NULL},
	[SVM_EXIT_IOIO] = {exit_io, EXK_IO, false, decode_io},
	[SVM_EXIT_MSR] = {exit_msr, EXK_MSR, true, decode_msr},
	[SVM_EXIT_SHUTDOWN] = {exit_shutdown, EXK_SHUTDOWN, false, NULL},
	[SVM_EXIT_VMMCALL] = {exit_hypercall, EXK_HYPERCALL, true, NULL},
	[SVM_EXIT_VMRUN] = {exit_virt_insn, EXK_VIRT_INSN, true, NULL},
	[SVM_EXIT_VMLOAD] = {exit_virt_insn, EXK_VIRT_INSN, true, NULL},
	[SVM_EXIT_VMSAVE] = {exit_virt_insn, EXK_VIRT_INSN, true, NULL},
	[SVM_EXIT_STGI] = {exit_virt_insn, EXK_VIRT_INSN, true, NULL},
	[SVM_EXIT_CLGI] = {exit_virt_insn, EXK_VIRT_INSN, true, NULL},
	[SVM_EXIT_SKINIT] = {exit_virt_insn, EXK_VIRT_INSN, true, NULL},
	[SVM_EXIT_INVLPGA] = {exit_virt_insn, EXK_VIRT_INSN, true, NULL},
	[SVM_EXIT_MONITOR] = {exit_virt_insn, EXK_OTHER, true, NULL},
	[SVM_EXIT_MWAIT] = {exit_virt_insn, EXK_OTHER, true, NULL},
	[SVM_EXIT_MWAIT_COND] = {exit_virt_insn, EXK_OTHER, true, NULL},
	[SVM_EXIT_XSETBV] = {exit_xsetbv, EXK_OTHER, true, NULL},
	[SVM_EXIT_RDTSCP] = {exit_virt_insn, EXK_OTHER, true, NULL},
	[SLOT_NPF] = {exit_npf, EXK_NPF, false, decode_npf},
};

static const struct svm_exit *lookup(u64 code)
{
	if (code == SVM_EXIT_NPF)
		return &exits[SLOT_NPF];
	if (code < SLOT_NPF && exits[code].fn)
		return &exits[code];
	return NULL;
}

/* Without NRIP-save the VMCB has no next RIP (APM 15.7.1): decode the instruction at RIP for
 * its real length, so a prefixed CPUID (3e 0f a2) is skipped whole. 0 if it cannot be read or
 * is not an instruction that exits. */
static u8 decoded_len(struct vcpu *v)
{
	u8 bytes[15];
	size_t n = vcpu_fetch_insn(v, bytes);
	struct insn_exit in;
	if (decode_exit_insn(bytes, n, vcpu_mode(v), &in) != DECODE_OK)
		return 0;
	return in.len;
}

/* The length of the exiting instruction: from NRIP-save, or decoded. */
static bool find_len(struct vcpu *v, const struct vmcb *b, const struct svm_exit *x,
		     struct vexit *e)
{
	if (cpu_feat.svm_nrips)
		e->insn_len = (u8)(b->nrip - b->rip);
	else if (x->insn)
		e->insn_len = decoded_len(v);
	if (!x->insn || e->insn_len)
		return true;
	vm_stop(v->vm, VM_END_ERROR, 0, "cannot decode the instruction at rip %#llx (exit %#llx)",
		b->rip, b->exitcode);
	return false;
}

/* An event being delivered when the exit came is delivered again on the next entry. */
static void requeue_event(struct vcpu *v, const struct vmcb *b)
{
	u64 ii = b->exitintinfo;
	if (!(ii & EVENT_VALID))
		return;
	struct vevent ev = {true, (u8)ii, (u8)((ii >> 8) & 7), (ii & EVENT_HAS_ERROR) != 0,
			    (u32)(ii >> 32)};
	if (!vevent_runs_again(&ev))
		v->event = ev;
}

enum exit_action svm_handle_exit(struct vcpu *v)
{
	struct vmcb *b = svm(v)->vmcb;
	struct vexit e = {.reason = b->exitcode, .qual = b->exitinfo1};
	if (b->exitcode == (u64)SVM_EXIT_INVALID) {
		log_err("vm %s: vCPU %u: VMRUN refused the guest state", v->vm->name, v->id);
		svm_dump(v);
		vm_stop(v->vm, VM_END_ERROR, 0, "VMRUN refused the guest state (VMEXIT_INVALID)");
		return EXIT_STOP;
	}
	const struct svm_exit *x = lookup(b->exitcode);
	if (!x) {
		v->exits[EXK_OTHER]++;
		return exit_unexpected(v, &e);
	}
	v->exits[x->kind]++;
	requeue_event(v, b);
	if (!find_len(v, b, x, &e))
		return EXIT_STOP;
	if (x->decode)
		x->decode(b, &e);
	svm_dbg_exit(v, b, &e);
	u64 rip = b->rip;
	enum exit_action a = x->fn(v, &e);
	if (e.skip) {
		b->rip += e.insn_len;
		b->int_state &= ~1ull; /* the skipped instruction's interrupt shadow ends */
	}
	if (unlikely(v->dbg.ctl & DBG_CTL_STEP) && b->rip != rip)
		a = exit_step_check(v, a); /* keel ran the stepped instruction: no #DB comes */
	return a;
}
