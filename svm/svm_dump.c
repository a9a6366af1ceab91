/* VMCB dump for an unexpected exit or a refused VMRUN: the fields the APM's consistency checks
 * (15.5.1) name, and the exit information. */
#include "svm/svm.h"
#include "kernel/log.h"

static void seg(const char *name, const struct vmcb_seg *s)
{
	log_err("  %-4s sel %04x attr %03x limit %08x base %016llx", name, s->sel, s->attr,
		s->limit, s->base);
}

void svm_dump(struct vcpu *v)
{
	const struct vmcb *b = svm(v)->vmcb;
	log_err("VMCB of vm %s vCPU %u:", v->vm->name, v->id);
	log_err("  exitcode %#llx exitinfo1 %#llx exitinfo2 %#llx exitintinfo %#llx", b->exitcode,
		b->exitinfo1, b->exitinfo2, b->exitintinfo);
	log_err("  intercepts cr %08x exc %08x 1 %08x 2 %08x; asid %u np %llu n_cr3 %#llx",
		b->intercept_cr, b->intercept_exc, b->intercept1, b->intercept2, b->asid, b->np_ctl,
		b->n_cr3);
	log_err("  rip %016llx rsp %016llx rflags %016llx rax %016llx cpl %u", b->rip, b->rsp,
		b->rflags, b->rax, b->cpl);
	log_err("  cr0 %016llx cr3 %016llx cr4 %016llx efer %016llx", b->cr0, b->cr3, b->cr4,
		b->efer);
	log_err("  dr6 %016llx dr7 %016llx eventinj %016llx vintr %016llx", b->dr6, b->dr7,
		b->eventinj, b->vintr);
	seg("cs", &b->cs);
	seg("ss", &b->ss);
	seg("ds", &b->ds);
	seg("es", &b->es);
	seg("fs", &b->fs);
	seg("gs", &b->gs);
	seg("tr", &b->tr);
	seg("ldtr", &b->ldtr);
	seg("gdtr", &b->gdtr);
	seg("idtr", &b->idtr);
}
