/* A vCPU's whole state as one record (vm/vcpu_rec.h; README "Snapshot format: the vCPU
 * record"): the architectural state through the backend, in its neutral form, and what keel
 * keeps for the vCPU. The payload's layout and checks are in vcpu_rec_int.h and
 * vcpu_rec_check.c; the test mode vcpurec=roundtrip is at the end. */
#include "vm/vcpu_rec.h"
#include "kernel/cmdline.h"
#include "kernel/log.h"
#include "kernel/x86.h"
#include "drivers/cpufeat.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "vm/kvmclock.h"
#include "vm/vcpu_rec_int.h"
#include "vm/virt.h"
#include "vm/virq.h"

static void seg_save(struct vrec_seg *d, const struct seg *s)
{
	*d = (struct vrec_seg){s->sel, s->attr, s->limit, s->base};
}

static struct seg seg_load(const struct vrec_seg *s)
{
	return (struct seg){s->sel, s->attr, s->limit, s->base};
}

static struct vrec_event event_save(const struct vevent *e)
{
	return (struct vrec_event){e->pending, e->vector, e->type, e->has_error, e->error};
}

static struct vevent event_load(const struct vrec_event *e)
{
	return (struct vevent){e->valid, e->vector, e->type, e->has_error, e->error};
}

/* The neutral segments in the record's order. */
static struct seg *const *segs(const struct vcpu_arch_state *a, struct seg *out[RSEG_N])
{
	struct vcpu_arch_state *s = (struct vcpu_arch_state *)a;
	struct seg *p[RSEG_N] = {&s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs, &s->ldtr, &s->tr};
	memcpy(out, p, sizeof(p));
	return out;
}

static void arch_save(struct vcpu_rec *r, const struct vcpu_arch_state *a)
{
	struct seg *s[RSEG_N];
	memcpy(r->gpr, a->gpr, sizeof(r->gpr));
	r->rip = a->rip, r->rflags = a->rflags;
	r->cr0 = a->cr0, r->cr2 = a->cr2, r->cr3 = a->cr3, r->cr4 = a->cr4, r->cr8 = a->cr8;
	r->efer = a->efer, r->pat = a->pat, r->dr6 = a->dr6, r->dr7 = a->dr7;
	r->debugctl = a->debugctl, r->pending_dbg = a->pending_dbg;
	segs(a, s);
	for (int i = 0; i < RSEG_N; i++)
		seg_save(&r->seg[i], s[i]);
	seg_save(&r->gdtr, &a->gdtr), seg_save(&r->idtr, &a->idtr);
	r->sysenter_cs = a->sysenter_cs, r->sysenter_esp = a->sysenter_esp;
	r->sysenter_eip = a->sysenter_eip;
	r->star = a->star, r->lstar = a->lstar, r->cstar = a->cstar, r->sfmask = a->sfmask;
	r->kernel_gs_base = a->kernel_gs_base;
	r->shadow = a->shadow, r->nmi_blocked = a->nmi_blocked;
	r->inject = event_save(&a->inject);
}

static void arch_load(struct vcpu_arch_state *a, const struct vcpu_rec *r)
{
	struct seg *s[RSEG_N];
	*a = (struct vcpu_arch_state){0};
	memcpy(a->gpr, r->gpr, sizeof(a->gpr));
	a->rip = r->rip, a->rflags = r->rflags;
	a->cr0 = r->cr0, a->cr2 = r->cr2, a->cr3 = r->cr3, a->cr4 = r->cr4, a->cr8 = r->cr8;
	a->efer = r->efer, a->pat = r->pat, a->dr6 = r->dr6, a->dr7 = r->dr7;
	a->debugctl = r->debugctl, a->pending_dbg = r->pending_dbg;
	segs(a, s);
	for (int i = 0; i < RSEG_N; i++)
		*s[i] = seg_load(&r->seg[i]);
	a->gdtr = seg_load(&r->gdtr), a->idtr = seg_load(&r->idtr);
	a->sysenter_cs = r->sysenter_cs, a->sysenter_esp = r->sysenter_esp;
	a->sysenter_eip = r->sysenter_eip;
	a->star = r->star, a->lstar = r->lstar, a->cstar = r->cstar, a->sfmask = r->sfmask;
	a->kernel_gs_base = r->kernel_gs_base;
	a->shadow = r->shadow, a->nmi_blocked = r->nmi_blocked != 0;
	a->inject = event_load(&r->inject);
}

/* The MTRRs and SPEC_CTRL (vm/vcpumsr.h). */
static void msrs_save(struct vcpu_rec *r, const struct vcpu_msrs *m)
{
	r->mtrr_def = m->mtrr.def_type;
	memcpy(r->mtrr_fixed, m->mtrr.fixed, sizeof(r->mtrr_fixed));
	memcpy(r->mtrr_base, m->mtrr.base, sizeof(r->mtrr_base));
	memcpy(r->mtrr_mask, m->mtrr.mask, sizeof(r->mtrr_mask));
	r->spec_ctrl = m->spec_ctrl;
}

static void msrs_load(struct vcpu_msrs *m, const struct vcpu_rec *r)
{
	m->mtrr.def_type = r->mtrr_def;
	memcpy(m->mtrr.fixed, r->mtrr_fixed, sizeof(m->mtrr.fixed));
	memcpy(m->mtrr.base, r->mtrr_base, sizeof(m->mtrr.base));
	memcpy(m->mtrr.mask, r->mtrr_mask, sizeof(m->mtrr.mask));
	m->spec_ctrl = r->spec_ctrl;
}

/* What keel keeps beside the control block. The guest's TSC is kept as its value at the save,
 * so that it goes on from there on load, whatever the loading host's TSC reads. */
static void keel_save(struct vcpu_rec *r, const struct vcpu *v, u64 now)
{
	r->pending = event_save(&v->event);
	r->state = v->state;
	r->irq_pending = v->irq_pending != 0, r->nmi_pending = v->nmi_pending;
	r->init_pending = v->init_pending, r->sipi_vector = v->sipi_vector;
	memcpy(r->dr, v->dr, sizeof(r->dr));
	r->tsc = now + v->tsc_offset;
	r->tsc_adjust = v->tsc_adjust, r->tsc_aux = v->tsc_aux;
	r->kvm_system = v->kvmclock.system_msr, r->kvm_wall = v->kvmclock.wall_msr;
	r->kvm_version = v->kvmclock.version;
	r->clock_zero = vrec_rel(v->vm->clock_zero_tsc, now);
	r->clock_zero_unix = v->vm->clock_zero_unix;
	msrs_save(r, &v->msrs);
	r->xcr0 = v->xcr0;
	vcpu_xstate_get(v, r->xsave, &r->pkru);
}

u64 vcpu_rec_save(struct vcpu *v, u64 now, void *buf, u64 len)
{
	struct vcpu_rec *r = kmalloc(sizeof(*r));
	struct vcpu_arch_state a;
	if (!r)
		return 0;
	virt->state_get(v, &a);
	arch_save(r, &a);
	keel_save(r, v, now);
	u64 n = vrec_write(buf, len, VREC_VCPU, VCPU_REC_VERSION, r, sizeof(*r));
	kfree(r);
	return n;
}

/* SPEC_CTRL's bits the host has (SDM vol. 4 table 2-2: CPUID.7.0:EDX 26, 27, 31; APM: CPUID
 * 0x80000008 EBX 14, 15, 24), as exit/msr_cpu.c offers them. */
static u64 host_spec_ctrl(void)
{
	u32 a, b, c, d, xb = 0;
	cpuid(7, 0, &a, &b, &c, &d);
	if (cpu_feat.max_ext_leaf >= 0x80000008u)
		cpuid(0x80000008u, 0, &a, &xb, &c, &a);
	return ((d & BIT(26)) || (xb & BIT(14)) ? BIT(0) : 0) |
	       ((d & BIT(27)) || (xb & BIT(15)) ? BIT(1) : 0) |
	       ((d & BIT(31)) || (xb & BIT(24)) ? BIT(2) : 0);
}

static struct vcpu_rec_host host(void)
{
	return (struct vcpu_rec_host){cpustate_xstate_mask(), cpustate_mxcsr_mask(),
				      cpu_feat.phys_bits ? cpu_feat.phys_bits : 36,
				      host_spec_ctrl()};
}

/* keel's per-vCPU state but the run state and the flags other CPUs set (keel_load_shared).
 * The guest's clocks go on from the save (README "Snapshots: the guest's clocks"): its TSC
 * from its saved value, the KVM clock from its zero moved as far (clock_zero, on this clock),
 * which every vCPU's record of one save gives alike (a round trip stores the same value while
 * the VM's other vCPUs run). */
static void keel_load(struct vcpu *v, const struct vcpu_rec *r, u64 now, u64 clock_zero)
{
	v->event = event_load(&r->pending);
	memcpy(v->dr, r->dr, sizeof(v->dr));
	v->tsc_offset = r->tsc - now;
	v->vm->clock_zero_tsc = clock_zero;
	v->vm->clock_zero_unix = r->clock_zero_unix;
	v->tsc_adjust = r->tsc_adjust, v->tsc_aux = r->tsc_aux;
	msrs_load(&v->msrs, r);
	v->xcr0 = r->xcr0;
	vcpu_xstate_set(v, r->xsave, r->pkru);
	/* The clock's page is written again for this host's TSC and this vCPU's new offset. */
	v->kvmclock = (struct kvmclock){
		.wall_msr = r->kvm_wall, .version = r->kvm_version, .filled_on = ~0u};
	kvmclock_set_system(v, r->kvm_system);
}

/* The run state and pending flags, which other CPUs set: the VM is paused, so none does now. */
static void keel_load_shared(struct vcpu *v, const struct vcpu_rec *r)
{
	v->state = (enum vcpu_state)r->state;
	__atomic_store_n(&v->irq_pending, 1, __ATOMIC_RELEASE); /* ask the controller again */
	__atomic_store_n(&v->nmi_pending, r->nmi_pending != 0, __ATOMIC_RELEASE);
	v->init_pending = r->init_pending != 0;
	v->sipi_vector = r->sipi_vector;
}

/* Open, check and load a record; shared: also the run state and pending flags. */
static const char *load(struct vcpu *v, u64 now, const void *buf, u64 len, bool shared)
{
	struct vrec_reader rd;
	struct vcpu_rec *r = kmalloc(sizeof(*r));
	if (!r)
		return "out of memory";
	const struct vcpu_rec_host h = host();
	const char *why = NULL;
	if (!vrec_open(&rd, buf, len, VREC_VCPU, VCPU_REC_VERSION, r, sizeof(*r), now))
		why = rd.why;
	else
		why = vcpu_rec_check(r, &h);
	u64 clock_zero = why ? 0 : vrec_time(&rd, r->clock_zero); /* checks its range */
	if (!why && rd.why)
		why = rd.why;
	if (!why) {
		struct vcpu_arch_state a;
		arch_load(&a, r);
		virt->state_set(v, &a);
		keel_load(v, r, now, clock_zero);
		if (shared)
			keel_load_shared(v, r);
	}
	kfree(r);
	return why;
}

const char *vcpu_rec_load(struct vcpu *v, u64 now, const void *buf, u64 len)
{
	return load(v, now, buf, len, true);
}

/* vcpurec=roundtrip: scramble what a load must restore, so that a field it misses shows. */
static void scramble(struct vcpu *v)
{
	struct vcpu_arch_state zero = {0};
	zero.rflags = RFLAGS_FIXED;
	zero.tr.attr = 0x8b; /* VT-x enters no guest without a usable TR */
	virt->state_set(v, &zero);
	v->event = (struct vevent){0};
	memset(v->dr, 0, sizeof(v->dr));
	v->tsc_offset = v->tsc_adjust = v->tsc_aux = 0;
	v->msrs = (struct vcpu_msrs){0};
	v->kvmclock = (struct kvmclock){.filled_on = ~0u};
	memset(v->xsave, 0, XREC_AVX); /* every component initial (XSTATE_BV 0), MXCSR 0 */
}

/* The GPRs the next entry loads (keel's guest_regs) came back as they were: a save that read
 * a stale copy (the VMCB's RAX) shows here, not in the records, which both read it. RSP is the
 * control block's on both backends (VT-x's guest_regs slot is unused). */
static bool gprs_kept(const struct vcpu *v, const struct guest_regs *was)
{
	for (int i = 0; i < 16; i++)
		if (i != RSP && v->regs.gpr[i] != was->gpr[i])
			return false;
	return true;
}

/* Save v, scramble it, load it back and save again: the two records must be equal but for the
 * clock page's version, which the load's refill moves on, and the GPRs as they were. Any
 * difference stops the VM. */
static void roundtrip(struct vcpu *v)
{
	u8 *a = kmalloc(2 * VCPU_REC_MAX);
	if (!a)
		return;
	u8 *b = a + VCPU_REC_MAX;
	const struct guest_regs regs = v->regs;
	u64 now = vclock_now(), n = vcpu_rec_save(v, now, a, VCPU_REC_MAX);
	if (!n) {
		vm_stop(v->vm, VM_END_ERROR, 0, "vcpurec: vCPU %u: no record", v->id);
		kfree(a);
		return;
	}
	scramble(v);
	const char *why = load(v, now, a, n, false);
	u64 m = why ? 0 : vcpu_rec_save(v, now, b, VCPU_REC_MAX);
	u64 ver = sizeof(struct vrec_header) + offsetof(struct vcpu_rec, kvm_version);
	memset(a + ver, 0, 4), memset(b + ver, 0, 4);
	u64 diff = 0;
	while (!why && m == n && diff < n && a[diff] == b[diff])
		diff++;
	if (why || m != n || diff < n)
		vm_stop(v->vm, VM_END_ERROR, 0, "vcpurec: vCPU %u: record %s at byte %llu", v->id,
			why ? why : "changed by a load", diff);
	else if (!gprs_kept(v, &regs))
		vm_stop(v->vm, VM_END_ERROR, 0, "vcpurec: vCPU %u: GPRs changed by a round trip",
			v->id);
	kfree(a);
}

void vcpu_rec_test(struct vcpu *v)
{
	static u32 turns;
	u32 every = keel_cfg.vcpurec;
	if (every && __atomic_add_fetch(&turns, 1, __ATOMIC_RELAXED) % every == 0)
		roundtrip(v);
}
