/* The local APIC's MSRs: IA32_APIC_BASE and the APIC's modes (disabled, xAPIC, x2APIC; SDM
 * vol. 3 11.4.4, 11.12.5), the x2APIC register interface at MSRs 0x800-0x8ff (11.12.1) and
 * IA32_TSC_DEADLINE (11.5.4.1). Both backends intercept every one of these MSRs (their MSR
 * maps pass through only the MSRs the VMCB or VMCS switches): the guest never reaches the
 * host's own x2APIC. */
#include "vdev/vlapic_int.h"

#define BASE_BSP  BIT(8)
#define BASE_EXTD BIT(10)
#define BASE_EN	  BIT(11)
#define BASE_RSVD 0x2ffull /* bits 7:0 and 9; above MAXPHYADDR exit/msr.c checks */

/* IA32_APIC_BASE as read: the fixed base, the BSP flag on vCPU 0 only, EN and EXTD. */
u64 vlapic_base(struct vcpu *v)
{
	const struct vlapic *l = vlapic_of(v);
	return VLAPIC_BASE | (v->id == 0 ? BASE_BSP : 0) |
	       (l->mode != VLAPIC_DISABLED ? BASE_EN : 0) |
	       (l->mode == VLAPIC_X2APIC ? BASE_EXTD : 0);
}

/* The mode EN and EXTD ask for, or -1 for EN=0 EXTD=1, which is invalid (11.12.5). */
static int mode_of(u64 val)
{
	if (!(val & BASE_EN))
		return (val & BASE_EXTD) ? -1 : VLAPIC_DISABLED;
	return (val & BASE_EXTD) ? VLAPIC_X2APIC : VLAPIC_XAPIC;
}

/* A write of IA32_APIC_BASE (11.12.5, figure 11-27): xAPIC <-> disabled, xAPIC -> x2APIC and
 * x2APIC -> disabled are allowed; x2APIC -> xAPIC, disabled -> x2APIC, EN=0 EXTD=1 and the
 * reserved bits raise #GP. Disabling resets the APIC: enabled again it is in its power-on
 * state (11.4.3), its ID (the vCPU's index) kept. xAPIC -> x2APIC keeps the registers and
 * derives the logical ID from the x2APIC ID (11.12.5.1). The BSP flag is read-only here.
 * The base address stays at 0xfee00000: a write of another base is taken and ignored, as
 * KVM does, rather than a #GP the SDM does not list for a base within MAXPHYADDR. */
int vlapic_set_base(struct vcpu *v, u64 val)
{
	struct vlapic *l = vlapic_of(v);
	int to = mode_of(val);
	u32 from = l->mode;
	if ((val & BASE_RSVD) || to < 0 || (from == VLAPIC_DISABLED && to == VLAPIC_X2APIC) ||
	    (from == VLAPIC_X2APIC && to == VLAPIC_XAPIC))
		return -1;
	if ((val & ~0xfffull) != VLAPIC_BASE)
		log_debug("vm %s: vCPU %u moves its APIC to %#llx: ignored", v->vm->name, v->id,
			  (unsigned long long)(val & ~0xfffull));
	if ((u32)to == from)
		return 0;
	dev_lock(v->vm); /* against vlapic_timer_fire on another CPU */
	if (to == VLAPIC_DISABLED) {
		vlapic_power_on(v, l, VLAPIC_DISABLED);
		vcpu_set(v, VREG_CR8, 0); /* TPR 0, where a CR8 read does not exit */
	} else
		__atomic_store_n(&l->mode, (u32)to, __ATOMIC_RELEASE);
	dev_unlock(v->vm);
	vcpu_irq_notify(v); /* the PIC's virtual wire may have changed */
	return 0;
}

/* ---- the x2APIC registers (11.12.1.2, table 11-6) ---- */

#define X2_R 1
#define X2_W 2
/* ICR bits a WRMSR may set: vector, delivery mode, destination mode, level, trigger,
 * shorthand, and the 32-bit destination (bits 12, 13, 16, 17, 20-31 are reserved). */
#define ICR_X2_BITS 0xffffffff000ccfffull

/* How the x2APIC register at off may be accessed (X2_R, X2_W), and the bits a write may set:
 * a reserved bit set raises #GP (11.12.1.3), as do the registers xAPIC mode alone has (APR,
 * DFR, ICR high; CMCI: our version register reports 6 LVT entries, none for CMCI). */
static int x2_rule(u32 off, u64 *bits)
{
	*bits = 0;
	if (off >= LAPIC_ISR && off < LAPIC_ESR)
		return X2_R;
	if (off >= LAPIC_LVT0 && off < LAPIC_LVT_END) {
		*bits = vlapic_lvt_bits((int)(off - LAPIC_LVT0) >> 4) | BIT(12) | BIT(14);
		return X2_R | X2_W; /* delivery status and remote IRR read-only: ignored */
	}
	switch (off) {
	case LAPIC_ID:
	case LAPIC_VER:
	case LAPIC_PPR:
	case LAPIC_LDR:
	case LAPIC_TMR_CUR: return X2_R;
	case LAPIC_TPR: *bits = 0xff; return X2_R | X2_W;
	case LAPIC_SVR: *bits = SVR_BITS; return X2_R | X2_W;
	case LAPIC_ESR: return X2_R | X2_W; /* a write of anything but 0 #GP (11.12.1.2) */
	case LAPIC_EOI: return X2_W;	    /* the same */
	case LAPIC_ICR_LO: *bits = ICR_X2_BITS; return X2_R | X2_W;
	case LAPIC_TMR_INIT: *bits = 0xffffffffu; return X2_R | X2_W;
	case LAPIC_TMR_DIV: *bits = 0xb; return X2_R | X2_W;
	case LAPIC_SELF_IPI: *bits = 0xff; return X2_W;
	default: return 0;
	}
}

static int x2_read(struct vcpu *v, struct vlapic *l, u32 off, u64 *val)
{
	u64 bits;
	if (!(x2_rule(off, &bits) & X2_R))
		return -1;
	*val = vlapic_reg(v, l, off);
	if (off == LAPIC_ICR_LO)
		*val |= (u64)l->icr_hi << 32; /* one 64-bit register (11.12.9) */
	return 0;
}

/* The ICR sends as it is written, to a 32-bit destination (11.12.9); SELF IPI is a fixed,
 * edge-triggered IPI to this APIC (11.12.11). */
static int x2_write(struct vcpu *v, struct vlapic *l, u32 off, u64 val)
{
	u64 bits;
	if (!(x2_rule(off, &bits) & X2_W) || (val & ~bits))
		return -1;
	if (off == LAPIC_ICR_LO) {
		l->icr_lo = (u32)val, l->icr_hi = (u32)(val >> 32);
		vlapic_ipi(v, (u32)val, l->icr_hi, true);
	} else if (off == LAPIC_SELF_IPI) {
		vlapic_deliver(v, (u8)val, false);
	} else {
		vlapic_reg_set(v, l, off, (u32)val);
	}
	return 0;
}

/* ---- IA32_TSC_DEADLINE (11.5.4.1) ---- */

static bool deadline_mode(const struct vlapic *l)
{
	return l->mode != VLAPIC_DISABLED && TIMER_MODE(l->lvt[LVT_TIMER]) == TIMER_DEADLINE;
}

/* Reads 0 unless armed in TSC-deadline mode; writes in the other modes are ignored, and a
 * write of 0 disarms. */
static void deadline_write(struct vcpu *v, struct vlapic *l, u64 val)
{
	dev_lock(v->vm);
	if (deadline_mode(l)) {
		l->deadline = val;
		vlapic_deadline_arm(v, l);
	}
	dev_unlock(v->vm);
}

void vlapic_tsc_changed(struct vcpu *v)
{
	struct vlapic *l = vlapic_of(v);
	dev_lock(v->vm);
	if (deadline_mode(l) && l->deadline)
		vlapic_deadline_arm(v, l);
	dev_unlock(v->vm);
}

/* ---- the MSRs ---- */

/* The x2APIC registers answer only in x2APIC mode; in the others they #GP (11.12.1.2). */
static bool x2_off(const struct vlapic *l, u32 msr, u32 *off)
{
	*off = (msr - MSR_X2APIC_FIRST) << 4;
	return l->mode == VLAPIC_X2APIC && msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST;
}

int vlapic_rdmsr(struct vcpu *v, u32 msr, u64 *val)
{
	struct vlapic *l = vlapic_of(v);
	u32 off;
	if (msr == MSR_TSC_DEADLINE) {
		*val = deadline_mode(l) ? l->deadline : 0;
		return 0;
	}
	return x2_off(l, msr, &off) ? x2_read(v, l, off, val) : -1;
}

int vlapic_wrmsr(struct vcpu *v, u32 msr, u64 val)
{
	struct vlapic *l = vlapic_of(v);
	u32 off;
	if (msr == MSR_TSC_DEADLINE) {
		deadline_write(v, l, val);
		return 0;
	}
	return x2_off(l, msr, &off) ? x2_write(v, l, off, val) : -1;
}
