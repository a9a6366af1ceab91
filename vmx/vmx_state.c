/* VT-x: a vCPU's whole architectural state to and from the backend-neutral form (virt_ops
 * state_get/state_set, for snapshots): the VMCS's guest-state area (SDM 24.4), and what VT-x
 * leaves to keel (the SYSCALL MSRs, KernelGSBase, CR2, DR6: vmx.c's state_load). Mirrors
 * svm/svm_state.c. */
#include "vmx/vmx.h"
#include "kernel/percpu.h"
#include "kernel/x86.h"
#include "lib/string.h"

#define DEBUGCTL_BTF BIT(1)

/* Is v's software-switched state in this CPU's registers (it runs here)? */
static bool live(struct vcpu *v)
{
	return vmx(v)->live && this_cpu()->vcpu == v;
}

/* Make v's VMCS current; returns the vCPU whose VMCS was, to put back with give. */
static struct vcpu *take(struct vcpu *v)
{
	struct vcpu *caller = ((struct vmx_cpu *)this_cpu()->virt)->loaded;
	vmx_load(v);
	return caller;
}

static void give(struct vcpu *v, struct vcpu *caller)
{
	if (caller == v)
		return;
	vmx_vcpu_put(v); /* any CPU may load it next */
	if (caller)
		vmx_load(caller);
}

/* Selector, limit, AR and base fields sit at fixed strides from the selector's. */
static void seg_out(u32 sel_f, struct seg *s)
{
	u32 i = (sel_f - VMCS_GUEST_ES_SEL) / 2;
	*s = (struct seg){(u16)vmx_vmread(sel_f),
			  vmx_attr_out((u32)vmx_vmread(VMCS_GUEST_ES_AR + 2 * i)),
			  (u32)vmx_vmread(VMCS_GUEST_ES_LIMIT + 2 * i),
			  vmx_vmread(VMCS_GUEST_ES_BASE + 2 * i)};
}

static void segs_out(struct vcpu_arch_state *st)
{
	seg_out(VMCS_GUEST_ES_SEL, &st->es), seg_out(VMCS_GUEST_CS_SEL, &st->cs);
	seg_out(VMCS_GUEST_SS_SEL, &st->ss), seg_out(VMCS_GUEST_DS_SEL, &st->ds);
	seg_out(VMCS_GUEST_FS_SEL, &st->fs), seg_out(VMCS_GUEST_GS_SEL, &st->gs);
	seg_out(VMCS_GUEST_LDTR_SEL, &st->ldtr), seg_out(VMCS_GUEST_TR_SEL, &st->tr);
	st->gdtr = (struct seg){0, 0, vmcs_read32(VMCS_GUEST_GDTR_LIMIT),
				vmcs_readn(VMCS_GUEST_GDTR_BASE)};
	st->idtr = (struct seg){0, 0, vmcs_read32(VMCS_GUEST_IDTR_LIMIT),
				vmcs_readn(VMCS_GUEST_IDTR_BASE)};
}

static void segs_in(const struct vcpu_arch_state *st)
{
	vmx_seg_in(VMCS_GUEST_ES_SEL, &st->es), vmx_seg_in(VMCS_GUEST_CS_SEL, &st->cs);
	vmx_seg_in(VMCS_GUEST_SS_SEL, &st->ss), vmx_seg_in(VMCS_GUEST_DS_SEL, &st->ds);
	vmx_seg_in(VMCS_GUEST_FS_SEL, &st->fs), vmx_seg_in(VMCS_GUEST_GS_SEL, &st->gs);
	vmx_seg_in(VMCS_GUEST_LDTR_SEL, &st->ldtr), vmx_seg_in(VMCS_GUEST_TR_SEL, &st->tr);
	vmcs_write32(VMCS_GUEST_GDTR_LIMIT, st->gdtr.limit);
	vmcs_writen(VMCS_GUEST_GDTR_BASE, st->gdtr.base);
	vmcs_write32(VMCS_GUEST_IDTR_LIMIT, st->idtr.limit);
	vmcs_writen(VMCS_GUEST_IDTR_BASE, st->idtr.base);
}

/* The MSRs VT-x does not switch: in the CPU while v runs here, else in keel's copy. */
static void msrs_out(struct vcpu *v, u64 m[VMX_NMSRS])
{
	for (int i = 0; i < VMX_NMSRS; i++)
		m[i] = live(v) ? rdmsr(vmx_swapped_msrs[i]) : vmx(v)->msrs[i];
}

static void msrs_in(struct vcpu *v, const u64 m[VMX_NMSRS])
{
	for (int i = 0; i < VMX_NMSRS; i++) {
		if (live(v))
			wrmsr(vmx_swapped_msrs[i], m[i]);
		else
			vmx(v)->msrs[i] = m[i];
	}
}

/* The VM-entry interruption-information field (SDM 24.8.3), still valid: not delivered. */
static struct vevent inject_out(void)
{
	u32 i = vmcs_read32(VMCS_ENTRY_INTR_INFO);
	if (!(i & INTR_INFO_VALID))
		return (struct vevent){0};
	bool err = (i & INTR_INFO_HAS_ERROR) != 0;
	return (struct vevent){true, (u8)i, (u8)INTR_INFO_TYPE(i), err,
			       err ? vmcs_read32(VMCS_ENTRY_EXC_ERROR) : 0};
}

static void inject_in(const struct vevent *e)
{
	if (!e->pending) {
		vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
		return;
	}
	vmcs_write32(VMCS_ENTRY_INTR_INFO, e->vector | (u32)e->type << 8 | INTR_INFO_VALID |
						   (e->has_error ? INTR_INFO_HAS_ERROR : 0));
	vmcs_write32(VMCS_ENTRY_EXC_ERROR, e->error);
}

void vmx_state_get(struct vcpu *v, struct vcpu_arch_state *st)
{
	struct vcpu *caller = take(v);
	u64 m[VMX_NMSRS];
	*st = (struct vcpu_arch_state){0};
	memcpy(st->gpr, v->regs.gpr, sizeof(st->gpr));
	st->gpr[RSP] = vmcs_readn(VMCS_GUEST_RSP);
	st->rip = vmcs_readn(VMCS_GUEST_RIP), st->rflags = vmcs_readn(VMCS_GUEST_RFLAGS);
	st->cr0 = vmx_get(v, VREG_CR0), st->cr2 = vmx_get(v, VREG_CR2);
	st->cr3 = vmx_get(v, VREG_CR3), st->cr4 = vmx_get(v, VREG_CR4);
	st->efer = vmcs_read64(VMCS_GUEST_EFER), st->pat = vmcs_read64(VMCS_GUEST_PAT);
	st->dr6 = vmx_guest_dr6(v), st->dr7 = vmx_guest_dr7(v); /* never a debugger's */
	st->debugctl = vmcs_read64(VMCS_GUEST_DEBUGCTL);
	st->pending_dbg = vmcs_readn(VMCS_GUEST_PENDING_DBG);
	segs_out(st);
	st->sysenter_cs = vmcs_read32(VMCS_GUEST_SYSENTER_CS);
	st->sysenter_esp = vmcs_readn(VMCS_GUEST_SYSENTER_ESP);
	st->sysenter_eip = vmcs_readn(VMCS_GUEST_SYSENTER_EIP);
	msrs_out(v, m);
	st->kernel_gs_base = m[VMX_MSR_KGS], st->star = m[VMX_MSR_STAR];
	st->lstar = m[VMX_MSR_LSTAR], st->cstar = m[VMX_MSR_CSTAR], st->sfmask = m[VMX_MSR_SFMASK];
	u32 intr = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
	st->shadow = intr & (INTR_STI | INTR_MOV_SS);
	st->nmi_blocked = (intr & INTR_NMI) != 0;
	st->inject = inject_out();
	give(v, caller);
}

/* The interruptibility state VM entry accepts (SDM 26.3.1.5): blocking by STI needs RFLAGS.IF
 * (a shadow without it is kept as MOV SS's, which blocks the same events), never both. */
static u32 intr_in(const struct vcpu_arch_state *st)
{
	u32 i = st->nmi_blocked ? INTR_NMI : 0;
	if (!st->shadow)
		return i;
	if (st->shadow == VSHADOW_STI && (st->rflags & RFLAGS_IF))
		return i | INTR_STI;
	return i | INTR_MOV_SS;
}

/* In a shadow, a pending single-step trap (BS) must match RFLAGS.TF without BTF (SDM
 * 26.3.1.5); AMD-V keeps no such field, so a state from it gets the one VM entry wants. */
static u64 pending_dbg_in(const struct vcpu_arch_state *st)
{
	u64 p = st->pending_dbg;
	if (!st->shadow)
		return p;
	if ((st->rflags & RFLAGS_TF) && !(st->debugctl & DEBUGCTL_BTF))
		return p | PENDING_DBG_BS;
	return p & ~PENDING_DBG_BS;
}

void vmx_state_set(struct vcpu *v, const struct vcpu_arch_state *st)
{
	struct vcpu *caller = take(v);
	memcpy(v->regs.gpr, st->gpr, sizeof(v->regs.gpr));
	vmcs_writen(VMCS_GUEST_RSP, st->gpr[RSP]);
	vmcs_writen(VMCS_GUEST_RIP, st->rip);
	vmcs_writen(VMCS_GUEST_RFLAGS, st->rflags);
	segs_in(st);
	/* As vcpu_reset: CR3 and EFER first, then CR4 and CR0, which set IA-32e mode and load
	 * the PDPTEs of PAE paging from CR3 (vmx.c sync_mode). */
	vmcs_writen(VMCS_GUEST_CR3, st->cr3);
	vmcs_write64(VMCS_GUEST_EFER, st->efer);
	vmx_set(v, VREG_CR4, st->cr4);
	vmx_set(v, VREG_CR0, st->cr0);
	vmx_set(v, VREG_CR2, st->cr2);
	vmx_set_guest_dr(v, st->dr6, st->dr7);
	vmcs_write64(VMCS_GUEST_DEBUGCTL, st->debugctl);
	vmcs_writen(VMCS_GUEST_PENDING_DBG, pending_dbg_in(st));
	vmcs_write64(VMCS_GUEST_PAT, st->pat);
	vmcs_write32(VMCS_GUEST_SYSENTER_CS, st->sysenter_cs);
	vmcs_writen(VMCS_GUEST_SYSENTER_ESP, st->sysenter_esp);
	vmcs_writen(VMCS_GUEST_SYSENTER_EIP, st->sysenter_eip);
	const u64 m[VMX_NMSRS] = {[VMX_MSR_KGS] = st->kernel_gs_base,
				  [VMX_MSR_STAR] = st->star,
				  [VMX_MSR_LSTAR] = st->lstar,
				  [VMX_MSR_CSTAR] = st->cstar,
				  [VMX_MSR_SFMASK] = st->sfmask};
	msrs_in(v, m);
	vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, intr_in(st));
	vmcs_write32(VMCS_GUEST_ACTIVITY, 0); /* HLT exits: a vCPU is never in the HLT state */
	inject_in(&st->inject);
	give(v, caller);
}
