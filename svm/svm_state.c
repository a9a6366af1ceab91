/* AMD-V: a vCPU's whole architectural state to and from the backend-neutral form (virt_ops
 * state_get/state_set, for snapshots). The VMCB's state-save area holds nearly all of it
 * (APM appendix B, table B-2); RAX and the other GPRs are in keel's guest_regs, NMI blocking
 * in keel's svm_vcpu (svm_event.c). Mirrors vmx/vmx_state.c. */
#include "svm/svm.h"
#include "kernel/x86.h"
#include "lib/string.h"

static void seg_out(struct seg *d, const struct vmcb_seg *s)
{
	*d = (struct seg){s->sel, s->attr, s->limit, s->base};
}

static void seg_in(struct vmcb_seg *d, const struct seg *s)
{
	*d = (struct vmcb_seg){s->sel, s->attr, s->limit, s->base};
}

/* EVENTINJ's layout (APM 15.20) and back. */
static struct vevent event_out(u64 e)
{
	if (!(e & EVENT_VALID)) /* delivered: the rest of the field is stale */
		return (struct vevent){0};
	return (struct vevent){(e & EVENT_VALID) != 0, (u8)e, (u8)((e >> 8) & 7),
			       (e & EVENT_HAS_ERROR) != 0, (u32)(e >> 32)};
}

static u64 event_in(const struct vevent *e)
{
	if (!e->pending)
		return 0;
	return e->vector | (u64)e->type << 8 | EVENT_VALID |
	       (e->has_error ? EVENT_HAS_ERROR | (u64)e->error << 32 : 0);
}

/* NMIs are blocked from an injected NMI until its handler's IRET has run (svm_event.c). */
static bool nmi_blocked(const struct svm_vcpu *s)
{
	return s->nmi_masked && !(s->iret_seen && s->vmcb->rip != s->iret_rip);
}

void svm_state_get(struct vcpu *v, struct vcpu_arch_state *st)
{
	const struct svm_vcpu *s = svm(v);
	const struct vmcb *b = s->vmcb;
	*st = (struct vcpu_arch_state){0};
	/* RAX: keel's copy, which the exit handlers write (RDMSR, IN, CPUID...); the VMCB's is
	 * loaded from it only at the next VMRUN (svm.c), so between an exit and the next entry,
	 * when a vCPU is saved, it may be stale. */
	memcpy(st->gpr, v->regs.gpr, sizeof(st->gpr));
	st->gpr[RSP] = b->rsp;
	st->rip = b->rip, st->rflags = b->rflags;
	st->cr0 = b->cr0, st->cr2 = b->cr2, st->cr3 = b->cr3, st->cr4 = b->cr4;
	st->cr8 = b->vintr & VINTR_TPR;
	st->efer = b->efer & ~EFER_SVME, st->pat = b->g_pat;
	st->dr6 = svm_guest_dr6(v), st->dr7 = svm_guest_dr7(v); /* never a debugger's */
	seg_out(&st->es, &b->es), seg_out(&st->cs, &b->cs), seg_out(&st->ss, &b->ss);
	seg_out(&st->ds, &b->ds), seg_out(&st->fs, &b->fs), seg_out(&st->gs, &b->gs);
	seg_out(&st->ldtr, &b->ldtr), seg_out(&st->tr, &b->tr);
	st->gdtr = (struct seg){0, 0, b->gdtr.limit, b->gdtr.base};
	st->idtr = (struct seg){0, 0, b->idtr.limit, b->idtr.base};
	st->sysenter_cs = b->sysenter_cs, st->sysenter_esp = b->sysenter_esp;
	st->sysenter_eip = b->sysenter_eip;
	st->star = b->star, st->lstar = b->lstar, st->cstar = b->cstar, st->sfmask = b->sfmask;
	st->kernel_gs_base = b->kernel_gs_base;
	st->shadow = (b->int_state & 1) ? VSHADOW_STI : 0;
	st->nmi_blocked = nmi_blocked(s);
	st->inject = event_out(b->eventinj);
}

/* The CPL is SS.DPL in protected mode, 0 in real mode, 3 in virtual-8086 mode (APM 15.5.1:
 * the VMCB's CPL field is what VMRUN uses). */
static u8 cpl_of(const struct vcpu_arch_state *st)
{
	if (!(st->cr0 & CR0_PE))
		return 0;
	if (st->rflags & BIT(17)) /* RFLAGS.VM */
		return 3;
	return (st->ss.attr >> 5) & 3;
}

/* A blocked NMI waits for the next IRET, which the intercept catches (svm_event.c). */
static void nmi_set(struct vcpu *v, bool blocked)
{
	struct svm_vcpu *s = svm(v);
	svm_nmi_reset(v);
	if (!blocked)
		return;
	s->nmi_masked = true;
	s->vmcb->intercept1 |= SVM_I1_IRET;
}

void svm_state_set(struct vcpu *v, const struct vcpu_arch_state *st)
{
	struct vmcb *b = svm(v)->vmcb;
	memcpy(v->regs.gpr, st->gpr, sizeof(v->regs.gpr));
	b->rax = st->gpr[RAX];
	b->rsp = st->gpr[RSP];
	b->rip = st->rip, b->rflags = st->rflags;
	b->cr0 = st->cr0, b->cr2 = st->cr2, b->cr3 = st->cr3, b->cr4 = st->cr4;
	b->vintr = (b->vintr & ~VINTR_TPR) | (st->cr8 & VINTR_TPR);
	b->efer = st->efer | EFER_SVME; /* VMRUN requires it; the guest never sees it */
	b->g_pat = st->pat;
	svm_set_guest_dr(v, st->dr6, st->dr7);
	seg_in(&b->es, &st->es), seg_in(&b->cs, &st->cs), seg_in(&b->ss, &st->ss);
	seg_in(&b->ds, &st->ds), seg_in(&b->fs, &st->fs), seg_in(&b->gs, &st->gs);
	seg_in(&b->ldtr, &st->ldtr), seg_in(&b->tr, &st->tr);
	b->gdtr = (struct vmcb_seg){0, 0, st->gdtr.limit, st->gdtr.base};
	b->idtr = (struct vmcb_seg){0, 0, st->idtr.limit, st->idtr.base};
	b->cpl = cpl_of(st);
	b->sysenter_cs = st->sysenter_cs, b->sysenter_esp = st->sysenter_esp;
	b->sysenter_eip = st->sysenter_eip;
	b->star = st->star, b->lstar = st->lstar, b->cstar = st->cstar, b->sfmask = st->sfmask;
	b->kernel_gs_base = st->kernel_gs_base;
	b->int_state = st->shadow ? 1 : 0;
	nmi_set(v, st->nmi_blocked);
	b->eventinj = event_in(&st->inject);
	svm(v)->asid_gen = 0; /* a fresh ASID: no translations of the state replaced */
}
