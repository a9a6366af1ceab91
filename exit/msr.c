/* MSR policy: the explicit list of MSRs a guest may read or write, and what each does. An MSR
 * not on the list raises #GP in the guest, as on a CPU that lacks it. MSRs whose guest value
 * the hardware switches itself (FS/GS base, SYSCALL and SYSENTER targets) never exit: the
 * backends leave them out of their MSR intercepts. */
#include "drivers/cpufeat.h"
#include "drivers/timer.h"
#include "exit/exit.h"
#include "exit/msr.h"
#include "kernel/log.h"
#include "vdev/vlapic.h"
#include "vm/kvmclock.h"
#include "vm/vm.h"
#include "kernel/x86.h"

#define MSR_TSC		    0x010
#define MSR_FEATURE_CTL	    0x03a
#define MSR_TSC_ADJUST	    0x03b
#define MSR_BIOS_SIGN	    0x08b
#define MSR_MCG_CAP	    0x179
#define MSR_MCG_STATUS	    0x17a
#define MSR_AMD_HWCR	    0xc0010015
#define MSR_AMD_INT_PENDING 0xc0010055 /* C1E message: Linux reads it on family 0xf */
#define MSR_AMD_DE_CFG	    0xc0011029

/* EFER bits a guest may set: SCE, LME, LMA (read-only, ignored), NXE (APM 3.1.7). */
#define EFER_GUEST (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

struct msr_rule {
	u32 msr;
	/* 0 on success, -1 to raise #GP */
	int (*read)(struct vcpu *v, u32 msr, u64 *val);
	int (*write)(struct vcpu *v, u32 msr, u64 val);
};

static int rd_zero(struct vcpu *v, u32 msr, u64 *val)
{
	(void)v, (void)msr;
	*val = 0;
	return 0;
}

static int wr_ignore(struct vcpu *v, u32 msr, u64 val)
{
	(void)v, (void)msr, (void)val;
	return 0;
}

/* The guest's TSC: the host's plus the vCPU's offset, as RDTSC shows it (SDM 25.3, APM
 * 15.30.4: the TSC offset applies to RDTSC, RDTSCP and RDMSR of IA32_TSC alike). */
static int rd_tsc(struct vcpu *v, u32 msr, u64 *val)
{
	(void)msr;
	*val = tsc_now() + v->tsc_offset;
	return 0;
}

/* Move this vCPU's TSC by delta: a write of IA32_TSC moves IA32_TSC_ADJUST by as much, and a
 * write of IA32_TSC_ADJUST moves the TSC (SDM 17.17.3). The backends load the new offset at
 * the next entry; the paravirtual clock follows. */
static void tsc_move(struct vcpu *v, u64 delta)
{
	v->tsc_offset += delta;
	v->tsc_adjust += delta;
	kvmclock_tsc_changed(v);
	vlapic_tsc_changed(v); /* a TSC deadline is in the guest's TSC */
}

static int wr_tsc(struct vcpu *v, u32 msr, u64 val)
{
	(void)msr;
	tsc_move(v, val - (tsc_now() + v->tsc_offset));
	return 0;
}

static int rd_tsc_adjust(struct vcpu *v, u32 msr, u64 *val)
{
	(void)msr;
	*val = v->tsc_adjust;
	return 0;
}

static int wr_tsc_adjust(struct vcpu *v, u32 msr, u64 val)
{
	(void)msr;
	tsc_move(v, val - v->tsc_adjust);
	return 0;
}

/* IA32_TSC_AUX (what RDTSCP returns in ECX) exists where RDTSCP does, and CPUID offers it only
 * then; bits 63:32 are reserved (SDM 17.17.2). keel loads it into the CPU at each of the
 * vCPU's turns (vm/sched.c), and at once here, since this runs on the vCPU's CPU. */
static int rd_tsc_aux(struct vcpu *v, u32 msr, u64 *val)
{
	(void)msr;
	*val = v->tsc_aux;
	return cpu_feat.rdtscp ? 0 : -1;
}

static int wr_tsc_aux(struct vcpu *v, u32 msr, u64 val)
{
	if (!cpu_feat.rdtscp || (val >> 32))
		return -1;
	v->tsc_aux = val;
	wrmsr(msr, val);
	return 0;
}

/* IA32_APIC_BASE and the mode it sets are the local APIC's (vdev/vlapic_msr.c); the bits
 * from MAXPHYADDR up are reserved (SDM 11.4.4). */
static int rd_apic_base(struct vcpu *v, u32 msr, u64 *val)
{
	(void)msr;
	*val = vlapic_base(v);
	return 0;
}

static int wr_apic_base(struct vcpu *v, u32 msr, u64 val)
{
	(void)msr;
	return (val >> cpu_feat.phys_bits) ? -1 : vlapic_set_base(v, val);
}

static int rd_feature_ctl(struct vcpu *v, u32 msr, u64 *val)
{
	(void)v, (void)msr;
	*val = 1; /* locked, VMX off: matches CPUID */
	return 0;
}

static int rd_efer(struct vcpu *v, u32 msr, u64 *val)
{
	(void)msr;
	*val = vcpu_get(v, VREG_EFER) & EFER_GUEST;
	return 0;
}

static int wr_efer(struct vcpu *v, u32 msr, u64 val)
{
	(void)msr;
	u64 cur = vcpu_get(v, VREG_EFER);
	if (val & ~EFER_GUEST)
		return -1;
	/* LME may not change while paging is on (APM 14.6.1); LMA is the CPU's to set. */
	if ((vcpu_get(v, VREG_CR0) & CR0_PG) && ((val ^ cur) & EFER_LME))
		return -1;
	vcpu_set(v, VREG_EFER, (val & ~EFER_LMA) | (cur & EFER_LMA));
	return 0;
}

static int rd_pat(struct vcpu *v, u32 msr, u64 *val)
{
	(void)msr;
	*val = vcpu_get(v, VREG_PAT);
	return 0;
}

/* Each PAT byte must name a memory type: 0, 1, 4, 5, 6 or 7 (SDM 11.12.2). */
static int wr_pat(struct vcpu *v, u32 msr, u64 val)
{
	(void)msr;
	for (int i = 0; i < 8; i++) {
		u8 t = (u8)(val >> (8 * i));
		if (t > 7 || t == 2 || t == 3)
			return -1;
	}
	vcpu_set(v, VREG_PAT, val);
	return 0;
}

/* The KVM clock's MSRs read back what the guest wrote (a disabled or refused address too). */
static int rd_kvmclock(struct vcpu *v, u32 msr, u64 *val)
{
	*val = msr == MSR_KVM_SYSTEM_TIME_NEW ? v->kvmclock.system_msr : v->kvmclock.wall_msr;
	return 0;
}

/* A bad address is no fault: KVM takes any value and leaves the clock off (vm/kvmclock.c). */
static int wr_kvmclock(struct vcpu *v, u32 msr, u64 val)
{
	if (msr == MSR_KVM_SYSTEM_TIME_NEW)
		kvmclock_set_system(v, val);
	else
		kvmclock_set_wall(v, val);
	return 0;
}

static const struct msr_rule rules[] = {
	{MSR_TSC, rd_tsc, wr_tsc},
	{MSR_TSC_ADJUST, rd_tsc_adjust, wr_tsc_adjust},
	{MSR_TSC_AUX, rd_tsc_aux, wr_tsc_aux},
	{MSR_APIC_BASE, rd_apic_base, wr_apic_base},
	{MSR_TSC_DEADLINE, vlapic_rdmsr, vlapic_wrmsr},
	{MSR_FEATURE_CTL, rd_feature_ctl, NULL},
	{MSR_BIOS_SIGN, rd_zero, wr_ignore},
	{MSR_MCG_CAP, rd_zero, NULL},
	{MSR_MCG_STATUS, rd_zero, wr_ignore},
	{MSR_PAT, rd_pat, wr_pat},
	{MSR_EFER, rd_efer, wr_efer},
	{MSR_AMD_HWCR, rd_zero, wr_ignore},
	{MSR_AMD_INT_PENDING, rd_zero, wr_ignore},
	{MSR_AMD_DE_CFG, rd_zero, wr_ignore},
	{MSR_KVM_WALL_CLOCK_NEW, rd_kvmclock, wr_kvmclock},
	{MSR_KVM_SYSTEM_TIME_NEW, rd_kvmclock, wr_kvmclock},
	{MSR_KVM_PV_EOI_EN, vlapic_pv_eoi_rdmsr, vlapic_pv_eoi_wrmsr},
};

static const struct msr_rule x2apic_rule = {0, vlapic_rdmsr, vlapic_wrmsr};

enum exit_action exit_msr(struct vcpu *v, struct vexit *e)
{
	u32 msr = (u32)v->regs.gpr[RCX];
	const struct msr_rule *r = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		if (rules[i].msr == msr)
			r = &rules[i];
	if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST)
		r = &x2apic_rule; /* the x2APIC registers: the local APIC decides */
	int err = -1;
	if (e->msr.write) {
		u64 val = (v->regs.gpr[RDX] << 32) | (u32)v->regs.gpr[RAX];
		if (r && r->write)
			err = r->write(v, msr, val);
		else if (!r) /* the MTRRs, speculation controls... (exit/msr_cpu.c) */
			err = msr_cpu_access(v, msr, true, &val) ? -1 : 0;
	} else {
		u64 val = 0;
		if (r && r->read)
			err = r->read(v, msr, &val);
		else if (!r)
			err = msr_cpu_access(v, msr, false, &val) ? -1 : 0;
		if (!err) {
			v->regs.gpr[RAX] = (u32)val;
			v->regs.gpr[RDX] = val >> 32;
		}
	}
	if (err) {
		log_debug("vm %s: %s of MSR %#x: #GP", v->vm->name, e->msr.write ? "write" : "read",
			  msr);
		vcpu_inject_gp(v, 0);
		return EXIT_RESUME;
	}
	e->skip = true;
	return EXIT_RESUME;
}
