/* AMD-V: enabling SVM on a CPU, VMCB set-up, guest state access, and the run loop. The exit
 * table is in svm_exit.c, the world switch in svm_entry.S, the NPT format in npt.c. */
#include "svm/svm.h"
#include "drivers/cpufeat.h"
#include "lib/string.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "vm/virq.h"
#include "kernel/x86.h"
#include "mm/mm.h"

/* One I/O and one MSR permission map for every VM: keel intercepts every port, and every MSR
 * but those the VMCB switches itself. */
static u64 iopm_pa, msrpm_pa;

static const u32 passthrough_msrs[] = {
	0x174,	    0x175,	0x176,			/* SYSENTER_CS/ESP/EIP */
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, /* STAR LSTAR CSTAR SFMASK */
	0xc0000100, 0xc0000101, 0xc0000102,		/* FS/GS/KernelGS base */
};

/* The MSR permission map: two bits (read, write) per MSR in three 2 KiB blocks (APM 15.11). */
static void msrpm_allow(u8 *pm, u32 msr)
{
	u32 base = msr < 0x2000 ? 0 : msr - 0xc0000000u < 0x2000 ? 0x800 : 0x1000;
	u32 idx = (msr & 0x1fff) * 2;
	pm[base + idx / 8] &= (u8) ~(3u << (idx % 8));
}

static bool global_maps(void)
{
	if (iopm_pa)
		return true;
	iopm_pa = page_alloc(3);
	msrpm_pa = page_alloc(2);
	if (!iopm_pa || !msrpm_pa)
		return false;
	memset(phys_to_virt(iopm_pa), 0xff, 3 * PAGE_SIZE);
	memset(phys_to_virt(msrpm_pa), 0xff, 2 * PAGE_SIZE);
	for (size_t i = 0; i < ARRAY_SIZE(passthrough_msrs); i++)
		msrpm_allow(phys_to_virt(msrpm_pa), passthrough_msrs[i]);
	return true;
}

static bool svm_cpu_enable(struct cpu *c)
{
	struct svm_cpu *sc = kmalloc(sizeof(*sc));
	if (!sc || !global_maps())
		return false;
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	sc->hsave_pa = page_alloc(1);
	sc->host_vmcb_pa = page_alloc(1);
	if (!sc->hsave_pa || !sc->host_vmcb_pa)
		return false;
	wrmsr(MSR_VM_HSAVE_PA, sc->hsave_pa);
	/* keel's FS, GS, TR... never change after this: save them once. */
	__asm__ volatile("vmsave %0" ::"a"(sc->host_vmcb_pa) : "memory");
	sc->next_asid = 1;
	sc->asid_gen = 1;
	c->virt = sc;
	return true;
}

static bool svm_vm_init(struct vm *vm)
{
	vm->arch = (void *)1; /* nothing per VM: ASIDs are per vCPU and per CPU */
	return true;
}

static void svm_vm_free(struct vm *vm)
{
	vm->arch = NULL;
}

static bool svm_vcpu_init(struct vcpu *v)
{
	struct svm_vcpu *s = kmalloc(sizeof(*s));
	u64 pa = page_alloc(1);
	if (!s || !pa) {
		kfree(s);
		if (pa)
			page_free(pa, 1);
		return false;
	}
	s->vmcb_pa = pa;
	s->vmcb = phys_to_virt(pa);
	v->arch = s;
	v->vm->overhead += PAGE_SIZE;
	struct vmcb *b = s->vmcb;
	/* CR4 writes exit so that bits of features the guest's CPUID lacks are refused (PKE,
	 * OSXSAVE...: the VMCB does not switch PKRU or XCR0). CR8 exits both ways, as on VT-x, to
	 * be the virtual local APIC's TPR (V_TPR alone would leave the vLAPIC's priority
	 * unaware of it; QEMU's TCG also asserts on a CR8 write while V_IRQ is set). RDTSCP
	 * runs in the guest: keel loads the vCPU's TSC_AUX at each turn (vm/sched.c), and the
	 * VMCB's TSC offset applies to it as to RDTSC (APM 15.30.4). */
	b->intercept_cr = SVM_CR_WRITE(4) | SVM_CR_READ(8) | SVM_CR_WRITE(8);
	b->intercept1 = SVM_I1_INTR | SVM_I1_CPUID | SVM_I1_HLT | SVM_I1_IOIO | SVM_I1_MSR |
			SVM_I1_SHUTDOWN | SVM_I1_INVD | SVM_I1_INVLPGA | SVM_I1_TASKSW |
			SVM_I1_RDPMC; /* no counters are offered: #GP (exit/msr_cpu.c) */
	b->intercept2 = SVM_I2_VMRUN | SVM_I2_VMMCALL | SVM_I2_VMLOAD | SVM_I2_VMSAVE |
			SVM_I2_STGI | SVM_I2_CLGI | SVM_I2_SKINIT | SVM_I2_MONITOR | SVM_I2_MWAIT |
			SVM_I2_MWAIT_C | SVM_I2_XSETBV;
	b->iopm_pa = iopm_pa;
	b->msrpm_pa = msrpm_pa;
	b->vintr = VINTR_MASKING; /* host interrupts stay the host's */
	b->np_ctl = 1;		  /* nested paging */
	b->n_cr3 = v->vm->mem.map.root;
	b->g_pat = 0x0007040600070406ull; /* the PAT's power-on value */
	return true;
}

static void svm_vcpu_free(struct vcpu *v)
{
	page_free(svm(v)->vmcb_pa, 1);
	kfree(v->arch);
	v->arch = NULL;
}

static void set_seg(struct vmcb_seg *d, const struct seg *s)
{
	*d = (struct vmcb_seg){s->sel, s->attr, s->limit, s->base};
}

static void svm_vcpu_reset(struct vcpu *v, const struct vcpu_boot_state *s)
{
	struct vmcb *b = svm(v)->vmcb;
	svm_nmi_reset(v);
	memcpy(v->regs.gpr, s->gpr, sizeof(v->regs.gpr));
	set_seg(&b->es, &s->es);
	set_seg(&b->cs, &s->cs);
	set_seg(&b->ss, &s->ss);
	set_seg(&b->ds, &s->ds);
	set_seg(&b->fs, &s->fs);
	set_seg(&b->gs, &s->gs);
	set_seg(&b->ldtr, &s->ldtr);
	set_seg(&b->tr, &s->tr);
	b->gdtr = (struct vmcb_seg){0, 0, s->gdtr.limit, s->gdtr.base};
	b->idtr = (struct vmcb_seg){0, 0, s->idtr.limit, s->idtr.base};
	b->cpl = 0;
	b->efer = s->efer | EFER_SVME; /* VMRUN requires it; the guest never sees it */
	b->cr0 = s->cr0;
	b->cr3 = s->cr3;
	b->cr4 = s->cr4;
	b->dr6 = 0xffff0ff0; /* DR6 and DR7 at reset (APM 13.1.1.5); DR0-DR3 are cleared */
	b->dr7 = 0x400;
	memset(v->dr, 0, sizeof(v->dr));
	b->vintr &= ~VINTR_TPR;
	b->rflags = s->rflags;
	b->rip = s->rip;
	b->rsp = s->rsp;
	b->rax = s->gpr[RAX];
}

static u64 svm_get(struct vcpu *v, enum vreg r)
{
	const struct vmcb *b = svm(v)->vmcb;
	switch (r) {
	case VREG_RIP: return b->rip;
	case VREG_RSP: return b->rsp;
	case VREG_RFLAGS: return b->rflags;
	case VREG_CR0: return b->cr0;
	case VREG_CR2: return b->cr2;
	case VREG_CR3: return b->cr3;
	case VREG_CR4: return b->cr4;
	case VREG_EFER: return b->efer & ~EFER_SVME;
	case VREG_PAT: return b->g_pat;
	case VREG_CPL: return b->cpl;
	case VREG_CS_ATTR: return b->cs.attr;
	case VREG_ES_BASE: return b->es.base;
	case VREG_CS_BASE: return b->cs.base;
	case VREG_SS_BASE: return b->ss.base;
	case VREG_DS_BASE: return b->ds.base;
	case VREG_FS_BASE: return b->fs.base;
	case VREG_GS_BASE: return b->gs.base;
	case VREG_CR8: return b->vintr & VINTR_TPR;
	case VREG_DR6: return b->dr6;
	}
	return 0;
}

static void svm_set(struct vcpu *v, enum vreg r, u64 val)
{
	struct vmcb *b = svm(v)->vmcb;
	switch (r) {
	case VREG_RIP: b->rip = val; break;
	case VREG_RSP: b->rsp = val; break;
	case VREG_RFLAGS: b->rflags = val; break;
	case VREG_CR0: b->cr0 = val; break;
	case VREG_CR2: b->cr2 = val; break;
	case VREG_CR3: b->cr3 = val; break;
	case VREG_CR4: b->cr4 = val; break;
	case VREG_EFER: b->efer = val | EFER_SVME; break;
	case VREG_PAT: b->g_pat = val; break;
	/* What CR8 reads where the read intercept is not honoured (QEMU's TCG reads V_TPR) */
	case VREG_CR8: b->vintr = (b->vintr & ~VINTR_TPR) | (val & VINTR_TPR); break;
	case VREG_DR6: b->dr6 = val; break;
	default: break; /* segment state is not written from shared code */
	}
}

static void svm_gmap_changed(struct vm *vm)
{
	for (u32 i = 0; i < vm->nvcpus; i++)
		svm(vm->vcpu[i])->asid_gen = 0; /* a fresh ASID has no stale translations */
}

/* A fresh ASID when this vCPU's is from an older generation or another CPU. When a CPU runs
 * out of ASIDs it starts a new generation with a full TLB flush (APM 15.16). */
static void assign_asid(struct svm_vcpu *s, struct svm_cpu *sc, u32 cpu)
{
	if (s->asid_gen == sc->asid_gen && s->asid_cpu == cpu)
		return;
	if (sc->next_asid >= cpu_feat.svm_nasid) {
		sc->asid_gen++;
		sc->next_asid = 1;
		s->vmcb->tlb_ctl = TLB_FLUSH_ALL;
	}
	s->asid = sc->next_asid++;
	s->asid_gen = sc->asid_gen;
	s->asid_cpu = cpu;
	s->vmcb->asid = s->asid;
}

static void svm_vcpu_put(struct vcpu *v)
{
	(void)v; /* a VMCB may run on any CPU next: ASIDs are reassigned there */
}

static enum exit_action svm_vcpu_run(struct vcpu *v)
{
	struct cpu *c = this_cpu();
	struct svm_vcpu *s = svm(v);
	struct svm_cpu *sc = c->virt;
	struct vmcb *b = s->vmcb;
	assign_asid(s, sc, c->id);
	v->cpu = c->id;
	for (;;) {
		enum exit_action pre = vcpu_pre_entry(v);
		if (pre != EXIT_RESUME)
			return pre;
		if (v->event.pending) /* most entries inject nothing */
			svm_inject(v, b);
		b->rax = v->regs.gpr[RAX];
		b->tsc_offset = v->tsc_offset; /* the guest's IA32_TSC and TSC_ADJUST writes */
		svm_dbg_entry(v, b);
		u64 t0 = rdtsc();
		svm_world_switch(&v->regs, s->vmcb_pa, sc->host_vmcb_pa);
		v->guest_tsc += rdtsc() - t0;
		vcpu_post_exit(v);
		v->regs.gpr[RAX] = b->rax;
		b->tlb_ctl = TLB_FLUSH_NONE;
		enum exit_action a = svm_handle_exit(v);
		if (a != EXIT_RESUME)
			return a;
	}
}

const struct virt_ops svm_ops = {
	.name = "AMD-V",
	.gmap_format = &npt_format,
	.cpu_enable = svm_cpu_enable,
	.vm_init = svm_vm_init,
	.vm_free = svm_vm_free,
	.vcpu_init = svm_vcpu_init,
	.vcpu_free = svm_vcpu_free,
	.vcpu_reset = svm_vcpu_reset,
	.vcpu_run = svm_vcpu_run,
	.get = svm_get,
	.set = svm_set,
	.state_get = svm_state_get,
	.state_set = svm_state_set,
	.irq_window_open = svm_irq_window_open,
	.irq_window = svm_irq_window,
	.nmi_window_open = svm_nmi_window_open,
	.nmi_window = svm_nmi_window,
	.vcpu_put = svm_vcpu_put,
	.gmap_changed = svm_gmap_changed,
	.dump = svm_dump,
};
