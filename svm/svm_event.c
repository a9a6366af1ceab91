/* AMD-V event injection and the interrupt and NMI windows (APM 15.20 EVENTINJ, 15.21.4
 * VINTR): what the shared code in vm/virq.c asks of the backend to deliver an event at the
 * right instruction. Mirrors vmx/vmx_event.c.
 *
 * AMD-V without vNMI keeps no NMI blocking for an injected NMI: keel does, from the injection
 * to the handler's IRET (APM 15.9 IRET intercept), as the CPU would (APM 8.2.3, SDM 6.7.1). */
#include "svm/svm.h"
#include "drivers/cpufeat.h"
#include "drivers/lapic.h"
#include "kernel/trap.h"
#include "kernel/x86.h"

/* An NMI is being injected: NMIs stay blocked until its handler's IRET has run. */
static void nmi_mask(struct vcpu *v, struct vmcb *b)
{
	struct svm_vcpu *s = svm(v);
	s->nmi_masked = true;
	s->iret_seen = false;
	b->intercept1 |= SVM_I1_IRET;
}

void svm_nmi_reset(struct vcpu *v)
{
	struct svm_vcpu *s = svm(v);
	s->nmi_masked = s->iret_seen = false;
	s->vmcb->intercept1 &= ~(u32)SVM_I1_IRET;
}

/* QEMU's TCG (10.0) delivers an injected external interrupt inside VMRUN but also leaves it as
 * its CPU's pending exception, and delivers it a second time, inside the handler and with
 * interrupts off, when its round-robin loop next stops that CPU before the guest exits (a Linux
 * guest then deadlocks on its IRQ descriptor's lock, or faults with the user's GS base: README
 * "QEMU's TCG delivers an injected interrupt twice"). Any exit clears it: a host interrupt
 * pending at VMRUN makes the guest exit right after the delivery, before running its handler. */
static void tcg_exit_after_delivery(const struct vevent *ev)
{
	if (cpu_feat.qemu_tcg && ev->type == EVENT_EXT_INTR)
		lapic_send_ipi(lapic_id(), ICR_FIXED | VEC_IPI);
}

/* Write the pending event into EVENTINJ (APM 15.20). */
void svm_inject(struct vcpu *v, struct vmcb *b)
{
	if (!v->event.pending)
		return;
	const struct vevent *ev = &v->event;
	if (ev->type == EVENT_NMI)
		nmi_mask(v, b);
	tcg_exit_after_delivery(ev);
	b->eventinj = ev->vector | (u64)ev->type << 8 | EVENT_VALID |
		      (ev->has_error ? EVENT_HAS_ERROR | (u64)ev->error << 32 : 0);
	v->event.pending = false;
}

/* RFLAGS.IF set, no interrupt shadow, nothing being injected. */
bool svm_irq_window_open(struct vcpu *v)
{
	const struct vmcb *b = svm(v)->vmcb;
	return (b->rflags & RFLAGS_IF) && !(b->int_state & 1) && !(b->eventinj & EVENT_VALID);
}

/* A virtual interrupt request with the VINTR intercept: the CPU exits when the guest could
 * take it (APM 15.21.4), without ever delivering it. */
void svm_irq_window(struct vcpu *v, bool on)
{
	struct vmcb *b = svm(v)->vmcb;
	if (on) {
		b->vintr |= VINTR_IRQ | VINTR_IGN_TPR;
		b->intercept1 |= SVM_I1_VINTR;
	} else {
		b->vintr &= ~(u64)(VINTR_IRQ | VINTR_IGN_TPR);
		b->intercept1 &= ~(u32)SVM_I1_VINTR;
	}
}

/* The IRET intercept exits before the IRET runs: NMIs unblock once the guest has moved past
 * it, which svm_nmi_window_open sees by RIP. */
enum exit_action svm_iret(struct vcpu *v, struct vexit *e)
{
	struct svm_vcpu *s = svm(v);
	(void)e;
	s->vmcb->intercept1 &= ~(u32)SVM_I1_IRET;
	s->iret_seen = true;
	s->iret_rip = s->vmcb->rip;
	__atomic_store_n(&v->irq_pending, 1, __ATOMIC_RELAXED);
	return EXIT_RESUME;
}

/* No NMI blocking (the IRET after the last injected NMI has run), no interrupt shadow,
 * nothing being injected. */
bool svm_nmi_window_open(struct vcpu *v)
{
	struct svm_vcpu *s = svm(v);
	const struct vmcb *b = s->vmcb;
	if (s->iret_seen && b->rip != s->iret_rip)
		s->nmi_masked = s->iret_seen = false;
	return !s->nmi_masked && !(b->int_state & 1) && !(b->eventinj & EVENT_VALID);
}

/* Exit when an NMI can be taken. AMD-V has no NMI window; the interrupt window stands in
 * where it cannot open before the NMI may be taken: after the IRET (which sets IF again) or
 * at the end of a shadow. While the handler runs (the IRET intercept will exit) or at an IRET
 * with IF already set (the window would open at once, before the IRET), the NMI waits for
 * that exit or the next one. Turning off is svm_irq_window's, which vcpu_pre_entry calls. */
void svm_nmi_window(struct vcpu *v, bool on)
{
	struct svm_vcpu *s = svm(v);
	const struct vmcb *b = s->vmcb;
	if (!on || (s->nmi_masked && !s->iret_seen))
		return;
	if (s->iret_seen && b->rip == s->iret_rip && (b->rflags & RFLAGS_IF))
		return;
	svm_irq_window(v, true);
}
