/* Intel VT-x: enabling VMX on a CPU, VMCS set-up with every control adjusted through the
 * capability MSRs (the TRUE ones where present), guest state access, and the run loop. The
 * exit table is in vmx_exit.c, the world switch in vmx_entry.S, the EPT format in ept.c.
 * Mirrors svm/svm.c. */
#include "vmx/vmx.h"
#include "drivers/cpufeat.h"
#include "drivers/timer.h"
#include "lib/string.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "vm/sched.h"
#include "kernel/trap.h"
#include "vm/virq.h"
#include "kernel/x86.h"
#include "mm/mm.h"

static u64 msr_bitmap_pa;
static u16 next_vpid = 1;

/* The MSRs the guest reaches without exits: VT-x switches FS/GS base and SYSENTER through the
 * VMCS; the SYSCALL MSRs and KernelGSBase keel switches itself (see state_load). */
static const u32 passthrough_msrs[] = {
	0x174,	    0x175,	0x176,	    0xc0000081, 0xc0000082,
	0xc0000083, 0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102,
};
const u32 vmx_swapped_msrs[VMX_NMSRS] = {
	[VMX_MSR_KGS] = MSR_KERNEL_GS_BASE, [VMX_MSR_STAR] = MSR_STAR,
	[VMX_MSR_LSTAR] = MSR_LSTAR,	    [VMX_MSR_CSTAR] = MSR_CSTAR,
	[VMX_MSR_SFMASK] = MSR_SFMASK,
};

static bool global_maps(void)
{
	if (msr_bitmap_pa)
		return true;
	msr_bitmap_pa = page_alloc(1);
	if (!msr_bitmap_pa)
		return false;
	/* Read bitmaps at 0 (low MSRs) and 0x400 (0xc0000000+), writes at 0x800 and 0xc00. */
	u8 *bm = phys_to_virt(msr_bitmap_pa);
	memset(bm, 0xff, PAGE_SIZE);
	for (size_t i = 0; i < ARRAY_SIZE(passthrough_msrs); i++) {
		u32 m = passthrough_msrs[i], off = m >= 0xc0000000u ? 0x400 : 0, bit = m & 0x1fff;
		bm[off + bit / 8] &= (u8) ~(1u << (bit % 8));
		bm[0x800 + off + bit / 8] &= (u8) ~(1u << (bit % 8));
	}
	return true;
}

static bool vmxon(u64 pa)
{
	u8 fail;
	__asm__ volatile("vmxon %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
	return !fail;
}

static bool vmptrld(u64 pa)
{
	u8 fail;
	__asm__ volatile("vmptrld %1; setna %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
	return !fail;
}

static void vmclear(u64 pa)
{
	__asm__ volatile("vmclear %0" ::"m"(pa) : "cc", "memory");
}

static bool vmx_cpu_enable(struct cpu *c)
{
	if (!vmx_caps.revision && !vmx_read_caps())
		return false;
	struct vmx_cpu *vc = kmalloc(sizeof(*vc));
	if (!vc || !global_maps())
		return false;
	/* IA32_FEATURE_CONTROL: lock with VMX outside SMX on, unless the firmware locked it. */
	u64 fc = rdmsr(MSR_FEATURE_CONTROL);
	if (!(fc & 1))
		wrmsr(MSR_FEATURE_CONTROL, fc | 1 | 4);
	else if (!(fc & 4))
		return false;
	write_cr0((read_cr0() | vmx_caps.cr0_fixed0) & vmx_caps.cr0_fixed1);
	write_cr4((read_cr4() | vmx_caps.cr4_fixed0 | CR4_VMXE) & vmx_caps.cr4_fixed1);
	vc->vmxon_pa = page_alloc(1);
	if (!vc->vmxon_pa)
		return false;
	*(u32 *)phys_to_virt(vc->vmxon_pa) = vmx_caps.revision;
	if (!vmxon(vc->vmxon_pa)) {
		log_err("vmx: VMXON failed on CPU %u", c->id);
		return false;
	}
	c->virt = vc;
	return true;
}

static bool vmx_vm_init(struct vm *vm)
{
	vm->arch = (void *)1; /* nothing per VM: the EPT root is the VM's gmem map */
	return true;
}

static void vmx_vm_free(struct vm *vm)
{
	vm->arch = NULL;
}

/* The host state the VMCS restores at every exit: keel's own, for the CPU it runs on. */
static void host_state(struct cpu *c)
{
	vmcs_writen(VMCS_HOST_CR0, read_cr0());
	vmcs_writen(VMCS_HOST_CR3, read_cr3());
	vmcs_writen(VMCS_HOST_CR4, read_cr4());
	vmcs_write16(VMCS_HOST_CS_SEL, SEL_CODE64);
	vmcs_write16(VMCS_HOST_SS_SEL, SEL_DATA);
	vmcs_write16(VMCS_HOST_DS_SEL, SEL_DATA);
	vmcs_write16(VMCS_HOST_ES_SEL, SEL_DATA);
	vmcs_write16(VMCS_HOST_FS_SEL, 0);
	vmcs_write16(VMCS_HOST_GS_SEL, 0);
	vmcs_write16(VMCS_HOST_TR_SEL, SEL_TSS);
	vmcs_writen(VMCS_HOST_FS_BASE, 0);
	vmcs_writen(VMCS_HOST_GS_BASE, (u64)(uintptr_t)c);
	vmcs_writen(VMCS_HOST_TR_BASE, (u64)(uintptr_t)&c->tss);
	vmcs_writen(VMCS_HOST_GDTR_BASE, (u64)(uintptr_t)c->gdt);
	vmcs_writen(VMCS_HOST_IDTR_BASE, idt_base());
	vmcs_write32(VMCS_HOST_SYSENTER_CS, 0);
	vmcs_writen(VMCS_HOST_SYSENTER_ESP, 0);
	vmcs_writen(VMCS_HOST_SYSENTER_EIP, 0);
	vmcs_write64(VMCS_HOST_EFER, rdmsr(MSR_EFER));
	vmcs_write64(VMCS_HOST_PAT, rdmsr(MSR_PAT));
	vmcs_writen(VMCS_HOST_RIP, (u64)(uintptr_t)vmx_exit_point);
}

/* Make v's VMCS the current one on this CPU. */
static void load(struct vcpu *v)
{
	struct cpu *c = this_cpu();
	struct vmx_cpu *vc = c->virt;
	struct vmx_vcpu *x = vmx(v);
	if (vc->loaded == v)
		return;
	if (!vmptrld(x->vmcs_pa))
		log_err("vmx: VMPTRLD failed for vm %s vCPU %u", v->vm->name, v->id);
	vc->loaded = v;
	if (x->cpu != c->id) {
		x->cpu = c->id;
		host_state(c);
	}
}

void vmx_load(struct vcpu *v)
{
	load(v);
}

static bool vmx_vcpu_init(struct vcpu *v)
{
	struct vmx_vcpu *x = kmalloc(sizeof(*x));
	u64 pa = page_alloc(1);
	if (!x || !pa) {
		kfree(x);
		if (pa)
			page_free(pa, 1);
		return false;
	}
	x->vmcs_pa = pa;
	x->cpu = ~0u;
	x->dr6 = 0xffff0ff0;
	x->vpid = (vmx_ctls.proc2 & PROC2_VPID) ? next_vpid++ : 0;
	if (!next_vpid)
		next_vpid = 1; /* VPID 0 is the host's */
	x->entry_ctls = vmx_ctls.entry;
	v->arch = x;
	v->vm->overhead += PAGE_SIZE;
	*(u32 *)phys_to_virt(pa) = vmx_caps.revision;
	vmclear(pa);
	struct vmx_cpu *vc = this_cpu()->virt;
	vc->loaded = NULL;
	load(v);
	vmcs_write32(VMCS_PIN_CTLS, vmx_ctls.pin);
	vmcs_write32(VMCS_PROC_CTLS, vmx_ctls.proc);
	vmcs_write32(VMCS_PROC_CTLS2, vmx_ctls.proc2);
	vmcs_write32(VMCS_EXIT_CTLS, vmx_ctls.exit);
	vmcs_write32(VMCS_ENTRY_CTLS, x->entry_ctls);
	vmcs_write32(VMCS_EXC_BITMAP, 0);
	vmcs_write32(VMCS_PF_ERR_MASK, 0);
	vmcs_write32(VMCS_PF_ERR_MATCH, 0);
	vmcs_write32(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write32(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
	vmcs_write64(VMCS_MSR_BITMAP, msr_bitmap_pa);
	vmcs_write64(VMCS_TSC_OFFSET, 0);
	x->tsc_offset = 0;
	vmcs_write64(VMCS_EPT_POINTER, vmx_eptp(v->vm));
	if (x->vpid)
		vmcs_write16(VMCS_VPID, x->vpid);
	vmcs_writen(VMCS_CR0_MASK, vmx_ctls.cr0_mask);
	vmcs_writen(VMCS_CR4_MASK, vmx_ctls.cr4_mask);
	vmcs_write64(VMCS_LINK_PTR, ~0ull);
	vmx_vcpu_put(v);
	return true;
}

static void vmx_vcpu_free(struct vcpu *v)
{
	struct vmx_cpu *vc = this_cpu()->virt;
	vmclear(vmx(v)->vmcs_pa);
	if (vc->loaded == v)
		vc->loaded = NULL;
	page_free(vmx(v)->vmcs_pa, 1);
	kfree(v->arch);
	v->arch = NULL;
}

/* VMCB-layout attributes to VMX access rights: bits 11:8 move to 15:12, 0 means unusable. */
/* Access rights to the neutral attributes: bits 15:12 move to 11:8; an unusable segment reads
 * as not present (P clear), keeping its DPL (SS's is the CPL, SDM 24.4.1). */
u16 vmx_attr_out(u32 ar)
{
	u16 a = (u16)((ar & 0xff) | ((ar >> 4) & 0xf00));
	return (ar & AR_UNUSABLE) ? a & (u16)~0x80 : a;
}

/* The reverse: a segment that is not present is unusable (attributes 0 included). */
static u32 ar_in(u16 attr)
{
	u32 ar = (attr & 0xffu) | (u32)(attr & 0xf00) << 4;
	return (attr & 0x80) ? ar : ar | AR_UNUSABLE;
}

void vmx_seg_in(u32 sel_f, const struct seg *s)
{
	/* Selector, limit, AR and base fields sit at fixed strides from the selector's. */
	u32 i = (sel_f - VMCS_GUEST_ES_SEL) / 2;
	vmx_vmwrite(sel_f, s->sel);
	vmx_vmwrite(VMCS_GUEST_ES_LIMIT + 2 * i, s->limit);
	vmx_vmwrite(VMCS_GUEST_ES_AR + 2 * i, ar_in(s->attr));
	vmx_vmwrite(VMCS_GUEST_ES_BASE + 2 * i, s->base);
}

/* What the guest believes CR0/CR4 hold: its own bits where it owns them, the shadow elsewhere. */
static u64 guest_cr(u64 real, u64 shadow, u64 mask)
{
	return (real & ~mask) | (shadow & mask);
}

/* PAE paging outside long mode: VM entry loads the PDPTEs from the VMCS (SDM 26.3.2.4). */
static void load_pdptes(struct vcpu *v, u64 cr0, u64 cr4, u64 efer)
{
	if (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE) || (efer & EFER_LMA))
		return;
	u64 pdpte[4] = {0};
	gmem_read(&v->vm->mem, vmcs_readn(VMCS_GUEST_CR3) & 0xffffffe0ull, pdpte, sizeof(pdpte));
	vmcs_write64(VMCS_GUEST_PDPTE0, pdpte[0]);
	vmcs_write64(VMCS_GUEST_PDPTE1, pdpte[1]);
	vmcs_write64(VMCS_GUEST_PDPTE2, pdpte[2]);
	vmcs_write64(VMCS_GUEST_PDPTE3, pdpte[3]);
}

/* EFER.LMA follows LME and CR0.PG, and the IA-32e entry control follows LMA (SDM 26.3.1.1). */
static void sync_mode(struct vcpu *v)
{
	struct vmx_vcpu *x = vmx(v);
	u64 cr0 = guest_cr(vmcs_readn(VMCS_GUEST_CR0), vmcs_readn(VMCS_CR0_SHADOW),
			   vmx_ctls.cr0_mask);
	u64 cr4 = guest_cr(vmcs_readn(VMCS_GUEST_CR4), vmcs_readn(VMCS_CR4_SHADOW),
			   vmx_ctls.cr4_mask);
	u64 efer = vmcs_read64(VMCS_GUEST_EFER);
	if ((efer & EFER_LME) && (cr0 & CR0_PG))
		efer |= EFER_LMA;
	else
		efer &= ~EFER_LMA;
	vmcs_write64(VMCS_GUEST_EFER, efer);
	x->entry_ctls =
		(efer & EFER_LMA) ? x->entry_ctls | ENTRY_IA32E : x->entry_ctls & ~(u32)ENTRY_IA32E;
	vmcs_write32(VMCS_ENTRY_CTLS, x->entry_ctls);
	load_pdptes(v, cr0, cr4, efer);
}

static void set_cr0(struct vcpu *v, u64 val)
{
	/* Unrestricted guest: PE and PG may be clear even though CR0_FIXED0 has them. */
	u64 fixed0 = vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG);
	vmcs_writen(VMCS_GUEST_CR0, (val | fixed0) & vmx_caps.cr0_fixed1);
	vmcs_writen(VMCS_CR0_SHADOW, val);
	sync_mode(v);
}

static void set_cr4(struct vcpu *v, u64 val)
{
	vmcs_writen(VMCS_GUEST_CR4, (val | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1);
	vmcs_writen(VMCS_CR4_SHADOW, val);
	sync_mode(v);
}

/* Also called from another vCPU's exit (a start-up IPI): that vCPU's VMCS is made current
 * again afterwards, since its exit handling goes on. */
static void vmx_vcpu_reset(struct vcpu *v, const struct vcpu_boot_state *s)
{
	struct vcpu *caller = ((struct vmx_cpu *)this_cpu()->virt)->loaded;
	load(v);
	memcpy(v->regs.gpr, s->gpr, sizeof(v->regs.gpr));
	vmx_seg_in(VMCS_GUEST_ES_SEL, &s->es);
	vmx_seg_in(VMCS_GUEST_CS_SEL, &s->cs);
	vmx_seg_in(VMCS_GUEST_SS_SEL, &s->ss);
	vmx_seg_in(VMCS_GUEST_DS_SEL, &s->ds);
	vmx_seg_in(VMCS_GUEST_FS_SEL, &s->fs);
	vmx_seg_in(VMCS_GUEST_GS_SEL, &s->gs);
	vmx_seg_in(VMCS_GUEST_LDTR_SEL, &s->ldtr);
	vmx_seg_in(VMCS_GUEST_TR_SEL, &s->tr);
	vmcs_writen(VMCS_GUEST_GDTR_BASE, s->gdtr.base);
	vmcs_write32(VMCS_GUEST_GDTR_LIMIT, s->gdtr.limit);
	vmcs_writen(VMCS_GUEST_IDTR_BASE, s->idtr.base);
	vmcs_write32(VMCS_GUEST_IDTR_LIMIT, s->idtr.limit);
	vmcs_writen(VMCS_GUEST_CR3, s->cr3);
	vmcs_write64(VMCS_GUEST_EFER, s->efer);
	vmcs_writen(VMCS_GUEST_CR4, s->cr4);
	vmcs_writen(VMCS_CR4_SHADOW, s->cr4);
	set_cr4(v, s->cr4);
	set_cr0(v, s->cr0);
	vmcs_writen(VMCS_GUEST_DR7, 0x400);
	vmx(v)->dr6 = 0xffff0ff0; /* DR6 and DR7 at reset (SDM 9.1.1); DR0-DR3 are cleared */
	memset(v->dr, 0, sizeof(v->dr));
	vmcs_writen(VMCS_GUEST_RSP, s->rsp);
	vmcs_writen(VMCS_GUEST_RIP, s->rip);
	vmcs_writen(VMCS_GUEST_RFLAGS, s->rflags);
	vmcs_write64(VMCS_GUEST_PAT, 0x0007040600070406ull); /* the PAT's power-on value */
	vmcs_write64(VMCS_GUEST_DEBUGCTL, 0);
	vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_write32(VMCS_GUEST_ACTIVITY, 0);
	vmcs_writen(VMCS_GUEST_PENDING_DBG, 0);
	vmcs_write32(VMCS_GUEST_SYSENTER_CS, 0);
	vmcs_writen(VMCS_GUEST_SYSENTER_ESP, 0);
	vmcs_writen(VMCS_GUEST_SYSENTER_EIP, 0);
	vmx_vcpu_put(v);
	if (caller && caller != v)
		load(caller);
}

/* Is v's software-switched state in this CPU's registers (it runs here)? */
static bool owns_msrs(struct vcpu *v)
{
	return vmx(v)->live && this_cpu()->vcpu == v;
}

u64 vmx_get(struct vcpu *v, enum vreg r)
{
	load(v);
	switch (r) {
	case VREG_RIP: return vmcs_readn(VMCS_GUEST_RIP);
	case VREG_RSP: return vmcs_readn(VMCS_GUEST_RSP);
	case VREG_RFLAGS: return vmcs_readn(VMCS_GUEST_RFLAGS);
	case VREG_CR0:
		return guest_cr(vmcs_readn(VMCS_GUEST_CR0), vmcs_readn(VMCS_CR0_SHADOW),
				vmx_ctls.cr0_mask);
	case VREG_CR2: return owns_msrs(v) ? read_cr2() : vmx(v)->cr2;
	case VREG_CR3: return vmcs_readn(VMCS_GUEST_CR3);
	case VREG_CR4:
		return guest_cr(vmcs_readn(VMCS_GUEST_CR4), vmcs_readn(VMCS_CR4_SHADOW),
				vmx_ctls.cr4_mask);
	case VREG_EFER: return vmcs_read64(VMCS_GUEST_EFER);
	case VREG_PAT: return vmcs_read64(VMCS_GUEST_PAT);
	case VREG_CPL: return (vmcs_read32(VMCS_GUEST_SS_AR) >> 5) & 3;
	case VREG_CS_ATTR: return vmx_attr_out(vmcs_read32(VMCS_GUEST_CS_AR));
	case VREG_ES_BASE: return vmcs_readn(VMCS_GUEST_ES_BASE);
	case VREG_CS_BASE: return vmcs_readn(VMCS_GUEST_CS_BASE);
	case VREG_SS_BASE: return vmcs_readn(VMCS_GUEST_SS_BASE);
	case VREG_DS_BASE: return vmcs_readn(VMCS_GUEST_DS_BASE);
	case VREG_FS_BASE: return vmcs_readn(VMCS_GUEST_FS_BASE);
	case VREG_GS_BASE: return vmcs_readn(VMCS_GUEST_GS_BASE);
	case VREG_CR8: return 0; /* CR8 exits: the virtual local APIC's TPR is its value */
	case VREG_DR6: return vmx_dr6(v);
	}
	return 0;
}

void vmx_set(struct vcpu *v, enum vreg r, u64 val)
{
	load(v);
	switch (r) {
	case VREG_RIP: vmcs_writen(VMCS_GUEST_RIP, val); break;
	case VREG_RSP: vmcs_writen(VMCS_GUEST_RSP, val); break;
	case VREG_RFLAGS: vmcs_writen(VMCS_GUEST_RFLAGS, val); break;
	case VREG_CR0: set_cr0(v, val); break;
	case VREG_CR2:
		if (owns_msrs(v))
			write_cr2(val);
		else
			vmx(v)->cr2 = val;
		break;
	case VREG_CR3:
		vmcs_writen(VMCS_GUEST_CR3, val);
		sync_mode(v);
		break;
	case VREG_CR4: set_cr4(v, val); break;
	case VREG_EFER:
		vmcs_write64(VMCS_GUEST_EFER, val);
		sync_mode(v);
		break;
	case VREG_PAT: vmcs_write64(VMCS_GUEST_PAT, val); break;
	case VREG_DR6: vmx_set_dr6(v, val); break;
	default: break; /* segment state is not written from shared code */
	}
}

/* Bumped whenever a VM's EPT changed (vmx_gmap_changed). Cached guest-physical translations
 * outlive VM exits and live on every CPU a VM ran on (SDM 28.4.2), and INVEPT acts on its own
 * CPU only: each CPU flushes before its next entry once it sees a newer generation. */
static u64 ept_gen;

/* A VM's EPT changed (rights taken away: snapshots): every CPU drops its cached translations
 * before it next enters a guest. The caller has the VM's vCPUs paused, or only widened rights. */
static void vmx_gmap_changed(struct vm *vm)
{
	(void)vm;
	__atomic_fetch_add(&ept_gen, 1, __ATOMIC_SEQ_CST);
}

/* INVEPT, all contexts (SDM 30.3), when the EPT changed since this CPU's last flush. */
static void ept_sync(struct vmx_cpu *vc)
{
	u64 gen = __atomic_load_n(&ept_gen, __ATOMIC_SEQ_CST);
	if (likely(vc->ept_gen == gen))
		return;
	u64 desc[2] = {0, 0}; /* EPTP (unused for all contexts), reserved */
	u64 type = 2;
	__asm__ volatile("invept %0, %1" ::"m"(desc), "r"(type) : "cc", "memory");
	vc->ept_gen = gen;
}

/* VT-x switches neither the SYSCALL MSRs, KernelGSBase, CR2 nor DR6 (SDM 27.3, 27.5), and keel
 * itself uses none of them: they are the guest's from the moment its vCPU takes a CPU until
 * it leaves it, loaded on every turn and saved at its end, so a vCPU that moves to another CPU
 * finds its values there and a CPU never keeps a stale copy. */
static void state_load(struct vcpu *v)
{
	struct vmx_vcpu *x = vmx(v);
	for (int i = 0; i < VMX_NMSRS; i++)
		wrmsr(vmx_swapped_msrs[i], x->msrs[i]);
	write_cr2(x->cr2);
	write_dr6(x->dr6);
	x->live = true;
}

static void state_save(struct vcpu *v)
{
	struct vmx_vcpu *x = vmx(v);
	for (int i = 0; i < VMX_NMSRS; i++)
		x->msrs[i] = rdmsr(vmx_swapped_msrs[i]);
	x->cr2 = read_cr2();
	x->dr6 = read_dr6();
	x->live = false;
}

static const char *insn_error(u32 n)
{
	switch (n) {
	case 7: return "invalid control fields";
	case 8: return "invalid host-state fields";
	case 4: return "VMLAUNCH with a VMCS that is not clear";
	case 5: return "VMRESUME with a VMCS that is not launched";
	case 26: return "events blocked by MOV SS";
	default: return "see SDM 30.4";
	}
}

/* v leaves this CPU: VMCLEAR writes its VMCS back to memory so any CPU can load it next
 * (SDM 24.11.1); the next entry is a VMLAUNCH. */
void vmx_vcpu_put(struct vcpu *v)
{
	struct vmx_cpu *vc = this_cpu()->virt;
	struct vmx_vcpu *x = vmx(v);
	if (vc->loaded != v)
		return;
	vmclear(x->vmcs_pa);
	vc->loaded = NULL;
	x->launched = false;
}

/* Enter and handle exits until a handler asks for something other than resuming. */
static enum exit_action run_loop(struct vcpu *v)
{
	struct vmx_vcpu *x = vmx(v);
	/* The preemption timer ends the turn exactly when the scheduler wants it ended: a guest
	 * with interrupts off may not exit on the host's timer interrupt under every
	 * implementation (Bochs' does not). */
	if (vmx_ctls.pin & PIN_PREEMPT_TIMER) {
		u64 now = rdtsc(), left = v->slice_end > now ? v->slice_end - now : 0;
		vmcs_write32(VMCS_PREEMPT_TIMER,
			     (u32)MIN(left >> vmx_caps.preempt_shift, 0xffffffffull));
	}
	for (;;) {
		enum exit_action pre = vcpu_pre_entry(v);
		if (pre != EXIT_RESUME)
			return pre;
		if (v->event.pending) /* most entries inject nothing */
			vmx_inject(v);
		if (unlikely(x->tsc_offset != v->tsc_offset)) { /* IA32_TSC, TSC_ADJUST writes */
			vmcs_write64(VMCS_TSC_OFFSET, v->tsc_offset);
			x->tsc_offset = v->tsc_offset;
		}
		vmx_dbg_entry(v);
		ept_sync(this_cpu()->virt);
		u64 t0 = rdtsc();
		int failed = vmx_world_switch(&v->regs, x->launched);
		v->guest_tsc += rdtsc() - t0;
		vcpu_post_exit(v);
		if (failed) {
			u32 err = vmcs_read32(VMCS_VM_INSN_ERROR);
			log_err("vm %s: vCPU %u: %s failed: VM-instruction error %u (%s)",
				v->vm->name, v->id, x->launched ? "VMRESUME" : "VMLAUNCH", err,
				insn_error(err));
			vmx_dump(v);
			vm_stop(v->vm, VM_END_ERROR, 0, "VM entry failed (VM-instruction error %u)",
				err);
			return EXIT_STOP;
		}
		x->launched = true;
		enum exit_action a = vmx_handle_exit(v);
		if (a != EXIT_RESUME)
			return a;
	}
}

static enum exit_action vmx_vcpu_run(struct vcpu *v)
{
	load(v);
	v->cpu = this_cpu()->id;
	state_load(v);
	enum exit_action a = run_loop(v);
	state_save(v);
	return a;
}

const struct virt_ops vmx_ops = {
	.name = "VT-x",
	.gmap_format = &ept_format,
	.cpu_enable = vmx_cpu_enable,
	.vm_init = vmx_vm_init,
	.vm_free = vmx_vm_free,
	.vcpu_init = vmx_vcpu_init,
	.vcpu_free = vmx_vcpu_free,
	.vcpu_reset = vmx_vcpu_reset,
	.vcpu_run = vmx_vcpu_run,
	.get = vmx_get,
	.set = vmx_set,
	.state_get = vmx_state_get,
	.state_set = vmx_state_set,
	.irq_window_open = vmx_irq_window_open,
	.irq_window = vmx_irq_window,
	.nmi_window_open = vmx_nmi_window_open,
	.nmi_window = vmx_nmi_window,
	.vcpu_put = vmx_vcpu_put,
	.gmap_changed = vmx_gmap_changed,
	.dump = vmx_dump,
};
