/* VMCS dump for an unexpected exit or a failed VM entry: the fields the SDM's entry checks
 * (26.2, 26.3) name, beside the capability bits they are checked against. Mirrors
 * svm/svm_dump.c. */
#include "vmx/vmx.h"
#include "kernel/log.h"

static void seg(const char *name, u32 sel_f)
{
	u32 i = (sel_f - VMCS_GUEST_ES_SEL) / 2;
	log_err("  %-4s sel %04llx ar %05llx limit %08llx base %016llx", name, vmx_vmread(sel_f),
		vmx_vmread(VMCS_GUEST_ES_AR + 2 * i), vmx_vmread(VMCS_GUEST_ES_LIMIT + 2 * i),
		vmx_vmread(VMCS_GUEST_ES_BASE + 2 * i));
}

void vmx_dump(struct vcpu *v)
{
	const struct vmx_caps *c = &vmx_caps;
	log_err("VMCS of vm %s vCPU %u (VM-instruction error %u):", v->vm->name, v->id,
		vmcs_read32(VMCS_VM_INSN_ERROR));
	log_err("  exit reason %#x qualification %#llx intr info %#x idt vectoring %#x",
		vmcs_read32(VMCS_EXIT_REASON), vmcs_readn(VMCS_EXIT_QUAL),
		vmcs_read32(VMCS_EXIT_INTR_INFO), vmcs_read32(VMCS_IDT_VECT_INFO));
	log_err("  pin %08x (cap %016llx) proc %08x (cap %016llx) proc2 %08x (cap %016llx)",
		vmcs_read32(VMCS_PIN_CTLS), c->pin, vmcs_read32(VMCS_PROC_CTLS), c->proc,
		vmcs_read32(VMCS_PROC_CTLS2), c->proc2);
	log_err("  exit %08x (cap %016llx) entry %08x (cap %016llx) entry intr %08x",
		vmcs_read32(VMCS_EXIT_CTLS), c->exit, vmcs_read32(VMCS_ENTRY_CTLS), c->entry,
		vmcs_read32(VMCS_ENTRY_INTR_INFO));
	log_err("  cr0 %016llx shadow %016llx fixed0 %016llx fixed1 %016llx",
		vmcs_readn(VMCS_GUEST_CR0), vmcs_readn(VMCS_CR0_SHADOW), c->cr0_fixed0,
		c->cr0_fixed1);
	log_err("  cr4 %016llx shadow %016llx fixed0 %016llx fixed1 %016llx",
		vmcs_readn(VMCS_GUEST_CR4), vmcs_readn(VMCS_CR4_SHADOW), c->cr4_fixed0,
		c->cr4_fixed1);
	log_err("  cr3 %016llx efer %016llx pat %016llx dr7 %016llx", vmcs_readn(VMCS_GUEST_CR3),
		vmcs_read64(VMCS_GUEST_EFER), vmcs_read64(VMCS_GUEST_PAT),
		vmcs_readn(VMCS_GUEST_DR7));
	log_err("  rip %016llx rsp %016llx rflags %016llx activity %u interruptibility %#x",
		vmcs_readn(VMCS_GUEST_RIP), vmcs_readn(VMCS_GUEST_RSP),
		vmcs_readn(VMCS_GUEST_RFLAGS), vmcs_read32(VMCS_GUEST_ACTIVITY),
		vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY));
	log_err("  eptp %016llx vpid %u link %016llx pending dbg %#llx",
		vmcs_read64(VMCS_EPT_POINTER), vmcs_read16(VMCS_VPID), vmcs_read64(VMCS_LINK_PTR),
		vmcs_readn(VMCS_GUEST_PENDING_DBG));
	seg("cs", VMCS_GUEST_CS_SEL);
	seg("ss", VMCS_GUEST_SS_SEL);
	seg("ds", VMCS_GUEST_DS_SEL);
	seg("es", VMCS_GUEST_ES_SEL);
	seg("fs", VMCS_GUEST_FS_SEL);
	seg("gs", VMCS_GUEST_GS_SEL);
	seg("tr", VMCS_GUEST_TR_SEL);
	seg("ldtr", VMCS_GUEST_LDTR_SEL);
	log_err("  gdtr base %016llx limit %04x idtr base %016llx limit %04x",
		vmcs_readn(VMCS_GUEST_GDTR_BASE), vmcs_read32(VMCS_GUEST_GDTR_LIMIT),
		vmcs_readn(VMCS_GUEST_IDTR_BASE), vmcs_read32(VMCS_GUEST_IDTR_LIMIT));
	log_err("  host cr0 %016llx cr3 %016llx cr4 %016llx rip %016llx rsp %016llx",
		vmcs_readn(VMCS_HOST_CR0), vmcs_readn(VMCS_HOST_CR3), vmcs_readn(VMCS_HOST_CR4),
		vmcs_readn(VMCS_HOST_RIP), vmcs_readn(VMCS_HOST_RSP));
}
