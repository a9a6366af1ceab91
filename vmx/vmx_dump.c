/* VMCS dump for an unexpected exit or a failed VM entry: the fields the SDM's entry checks
 * (26.2, 26.3) name, beside the capability bits they are checked against. Mirrors
 * svm/svm_dump.c. */
#include "vmx/vmx.h"
#include "kernel/log.h"

static void seg(const char *name, u32 sel_f)
{
	u32 i = (sel_f - GUEST_ES_SEL) / 2;
	log_err("  %-4s sel %04llx ar %05llx limit %08llx base %016llx", name, vmx_vmread(sel_f),
		vmx_vmread(GUEST_ES_AR + 2 * i), vmx_vmread(GUEST_ES_LIMIT + 2 * i),
		vmx_vmread(GUEST_ES_BASE + 2 * i));
}

void vmx_dump(struct vcpu *v)
{
	const struct vmx_caps *c = &vmx_caps;
	log_err("VMCS of vm %s vCPU %u (VM-instruction error %u):", v->vm->name, v->id,
		vmcs_read32(VM_INSN_ERROR));
	log_err("  exit reason %#x qualification %#llx intr info %#x idt vectoring %#x",
		vmcs_read32(EXIT_REASON), vmcs_readn(EXIT_QUAL), vmcs_read32(EXIT_INTR_INFO),
		vmcs_read32(IDT_VECT_INFO));
	log_err("  pin %08x (cap %016llx) proc %08x (cap %016llx) proc2 %08x (cap %016llx)",
		vmcs_read32(PIN_CTLS), c->pin, vmcs_read32(PROC_CTLS), c->proc,
		vmcs_read32(PROC_CTLS2), c->proc2);
	log_err("  exit %08x (cap %016llx) entry %08x (cap %016llx) entry intr %08x",
		vmcs_read32(EXIT_CTLS), c->exit, vmcs_read32(ENTRY_CTLS), c->entry,
		vmcs_read32(ENTRY_INTR_INFO));
	log_err("  cr0 %016llx shadow %016llx fixed0 %016llx fixed1 %016llx", vmcs_readn(GUEST_CR0),
		vmcs_readn(CR0_SHADOW), c->cr0_fixed0, c->cr0_fixed1);
	log_err("  cr4 %016llx shadow %016llx fixed0 %016llx fixed1 %016llx", vmcs_readn(GUEST_CR4),
		vmcs_readn(CR4_SHADOW), c->cr4_fixed0, c->cr4_fixed1);
	log_err("  cr3 %016llx efer %016llx pat %016llx dr7 %016llx", vmcs_readn(GUEST_CR3),
		vmcs_read64(GUEST_EFER), vmcs_read64(GUEST_PAT), vmcs_readn(GUEST_DR7));
	log_err("  rip %016llx rsp %016llx rflags %016llx activity %u interruptibility %#x",
		vmcs_readn(GUEST_RIP), vmcs_readn(GUEST_RSP), vmcs_readn(GUEST_RFLAGS),
		vmcs_read32(GUEST_ACTIVITY), vmcs_read32(GUEST_INTERRUPTIBILITY));
	log_err("  eptp %016llx vpid %u link %016llx pending dbg %#llx", vmcs_read64(EPT_POINTER),
		vmcs_read16(VPID), vmcs_read64(VMCS_LINK_PTR), vmcs_readn(GUEST_PENDING_DBG));
	seg("cs", GUEST_CS_SEL);
	seg("ss", GUEST_SS_SEL);
	seg("ds", GUEST_DS_SEL);
	seg("es", GUEST_ES_SEL);
	seg("fs", GUEST_FS_SEL);
	seg("gs", GUEST_GS_SEL);
	seg("tr", GUEST_TR_SEL);
	seg("ldtr", GUEST_LDTR_SEL);
	log_err("  gdtr base %016llx limit %04x idtr base %016llx limit %04x",
		vmcs_readn(GUEST_GDTR_BASE), vmcs_read32(GUEST_GDTR_LIMIT),
		vmcs_readn(GUEST_IDTR_BASE), vmcs_read32(GUEST_IDTR_LIMIT));
	log_err("  host cr0 %016llx cr3 %016llx cr4 %016llx rip %016llx rsp %016llx",
		vmcs_readn(HOST_CR0), vmcs_readn(HOST_CR3), vmcs_readn(HOST_CR4),
		vmcs_readn(HOST_RIP), vmcs_readn(HOST_RSP));
}
