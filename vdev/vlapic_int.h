/* The local APIC's own header, shared by its three files: the registers and interrupts
 * (vlapic.c), the MSR interface and modes (vlapic_msr.c), and state records (vlapic_rec.c).
 * No other file includes it. */
#ifndef KEEL_VLAPIC_INT_H
#define KEEL_VLAPIC_INT_H

#include "vdev/vdev.h"
#include "vdev/vlapic.h"

/* Register offsets in the xAPIC page; the x2APIC MSR is 0x800 + offset / 16 (SDM 11.12.1.2). */
enum {
	LAPIC_ID = 0x20,
	LAPIC_VER = 0x30,
	LAPIC_TPR = 0x80,
	LAPIC_APR = 0x90,
	LAPIC_PPR = 0xa0,
	LAPIC_EOI = 0xb0,
	LAPIC_LDR = 0xd0,
	LAPIC_DFR = 0xe0,
	LAPIC_SVR = 0xf0,
	LAPIC_ISR = 0x100,
	LAPIC_TMR = 0x180,
	LAPIC_IRR = 0x200,
	LAPIC_ESR = 0x280,
	LAPIC_CMCI = 0x2f0,
	LAPIC_ICR_LO = 0x300,
	LAPIC_ICR_HI = 0x310,
	LAPIC_LVT0 = 0x320,
	LAPIC_LVT_END = 0x380,
	LAPIC_TMR_INIT = 0x380,
	LAPIC_TMR_CUR = 0x390,
	LAPIC_TMR_DIV = 0x3e0,
	LAPIC_SELF_IPI = 0x3f0, /* x2APIC mode only */
};
enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_CMCI };
#define LVT_MASKED  BIT(16)
#define SVR_ENABLED BIT(8)
#define SVR_BITS    0x13ffu /* vector, software enable, focus, EOI-broadcast suppression */
/* The timer's mode, LVT timer bits 18:17 (SDM 11.5.4, 11.5.4.1). */
enum { TIMER_ONESHOT, TIMER_PERIODIC, TIMER_DEADLINE };
#define TIMER_MODE(lvt) (((lvt) >> 17) & 3)
/* The shortest periodic timer period, as KVM's min_timer_period_us: shorter ones run at it. */
#define VLAPIC_MIN_PERIOD_US 100

/* The vCPU's local APIC. */
static inline struct vlapic *vlapic_of(struct vcpu *v)
{
	return (struct vlapic *)vm_device(v->vm, &vlapic_ops) + v->id;
}

/* Highest set bit in a 256-bit vector (IRR, ISR, TMR), or -1. */
int vlapic_highest(const u32 *bits);
/* An EOI: the highest vector in service leaves it (a level-triggered one tells the I/O APIC). */
void vlapic_eoi(struct vcpu *v, struct vlapic *l);
/* KVM's paravirtual EOI (vlapic_pveoi.c): keel's side before an entry and after an exit. */
void vlapic_pv_eoi_entry(struct vcpu *v);
/* Whether val may be MSR_KVM_PV_EOI_EN's (a write of it or a record's). */
bool vlapic_pv_eoi_valid(const struct vm *vm, u64 val);
void vlapic_pv_eoi_exit(struct vcpu *v);

/* A register's value, in either mode (the ID and LDR differ in x2APIC mode). */
u32 vlapic_reg(struct vcpu *v, struct vlapic *l, u32 off);
/* Write a register (both modes' common path: the x2APIC ICR is vlapic_ipi). */
void vlapic_reg_set(struct vcpu *v, struct vlapic *l, u32 off, u32 x);
/* The bits LVT entry i keeps (SDM 11.5.1, figure 11-8): the rest are reserved or read-only. */
u32 vlapic_lvt_bits(int i);
/* Send an IPI with ICR low half lo to dest: an 8-bit xAPIC or a 32-bit x2APIC destination. */
void vlapic_ipi(struct vcpu *from, u32 lo, u32 dest, bool x2);
/* v's APIC in its power-on state, its timer disarmed, in mode (SDM 11.4.7.1). */
void vlapic_power_on(struct vcpu *v, struct vlapic *l, u32 mode);
/* Arm the timer again after IA32_TSC_DEADLINE or the TSC offset changed. Under the lock. */
void vlapic_deadline_arm(struct vcpu *v, struct vlapic *l);
/* The timer's callback (also armed by a load). */
void vlapic_timer_fire(struct vcpu *v, void *dev);

#endif
