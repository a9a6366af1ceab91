/* Local APIC, one per vCPU (vlapic.c). IRR bits may be set from other CPUs (atomically); the
 * rest belongs to the vCPU itself. */
#ifndef KEEL_VLAPIC_H
#define KEEL_VLAPIC_H

#include "lib/types.h"

struct vdev_ops;

#define VLAPIC_BASE 0xfee00000ull
#define VLAPIC_KHZ  100000 /* the virtual APIC timer's input clock: 100 MHz */

struct vcpu;

/* IA32_APIC_BASE's EN and EXTD bits (SDM 11.12.5): in xAPIC mode (its MMIO page, as at
 * power-on, and a zeroed struct), off, or in x2APIC mode (MSRs 0x800-0x8ff). EN=0 EXTD=1 is
 * invalid and never held. */
enum vlapic_mode { VLAPIC_XAPIC, VLAPIC_DISABLED, VLAPIC_X2APIC };

#define MSR_TSC_DEADLINE  0x6e0
#define MSR_KVM_PV_EOI_EN 0x4b564d04 /* KVM's paravirtual EOI (vlapic_pveoi.c) */
#define MSR_X2APIC_FIRST  0x800 /* the x2APIC registers, register offset / 16 (SDM 11.12.1.2) */
#define MSR_X2APIC_LAST	  0x8ff

struct vlapic {
	u32 mode; /* enum vlapic_mode */
	u32 tpr, ldr, dfr, svr, esr, icr_lo, icr_hi;
	u32 lvt[7]; /* timer, thermal, perf, lint0, lint1, error, cmci */
	u32 tmr_init, tmr_div;
	u64 tmr_start, tmr_period;  /* host TSC at the load, and ticks per full count */
	u32 irr[8], isr[8], tmr[8]; /* requests, in service, level-triggered: 256 bits each */
	u64 deadline; /* IA32_TSC_DEADLINE in the guest's TSC, 0: disarmed (TSC-deadline mode) */
	u64 pv_eoi;   /* MSR_KVM_PV_EOI_EN: the guest's EOI flag's address | enabled (bit 0) */
	bool pv_set;  /* keel set that flag for this entry (vlapic_pveoi.c) */
};

/* Deliver a fixed interrupt to v's local APIC (from the IOAPIC or an IPI). */
void vlapic_deliver(struct vcpu *v, u8 vector, bool level);

struct vm;
/* Delivery modes an interrupt message may carry (SDM vol. 3 11.6.1, 11.11.2). */
enum { VLAPIC_DM_FIXED = 0, VLAPIC_DM_LOWEST = 1, VLAPIC_DM_NMI = 4 };
/* Send an interrupt message from the I/O APIC or an MSI (vlapic_route.c): an 8-bit
 * destination, physical or logical, with its delivery mode, vector and trigger (level: the
 * EOI goes back to the I/O APIC). Other modes (SMI, INIT, ExtINT) are dropped. Device lock
 * held. */
void vlapic_route(struct vm *vm, u32 dest, bool logical, u32 mode, u8 vector, bool level);

/* The x2APIC ID of a vCPU is its index; its logical ID is derived from it (SDM 11.12.10.2):
 * cluster (ID[19:4]) in bits 31:16 and one bit (1 << ID[3:0]) in bits 15:0. */
static inline u32 vlapic_x2_ldr(u32 id)
{
	return (id >> 4) << 16 | 1u << (id & 0xf);
}

/* IA32_APIC_BASE: its value, and a write of it (the mode) that returns 0, or -1 for #GP. The
 * caller (exit/msr.c) has checked the reserved bits above MAXPHYADDR. On v's own CPU. */
u64 vlapic_base(struct vcpu *v);
int vlapic_set_base(struct vcpu *v, u64 val);
/* RDMSR and WRMSR of IA32_TSC_DEADLINE and the x2APIC registers (0x800-0x8ff): 0, or -1 for
 * #GP. On v's own CPU. */
int vlapic_rdmsr(struct vcpu *v, u32 msr, u64 *val);
int vlapic_wrmsr(struct vcpu *v, u32 msr, u64 val);
/* RDMSR and WRMSR of MSR_KVM_PV_EOI_EN: 0, or -1 for #GP. On v's own CPU. */
int vlapic_pv_eoi_rdmsr(struct vcpu *v, u32 msr, u64 *val);
int vlapic_pv_eoi_wrmsr(struct vcpu *v, u32 msr, u64 val);
/* The task priority, as CR8 sees it in any mode (SDM 11.8.6.1); 0 in a VM without APICs. */
u32 vlapic_tpr(struct vcpu *v);
void vlapic_set_tpr(struct vcpu *v, u32 tpr);
/* v's TSC offset moved: a TSC deadline, kept in the guest's TSC, is armed again. */
void vlapic_tsc_changed(struct vcpu *v);

struct vm;
/* Save one vCPU's local APIC (dev: its struct vlapic in vm->dev->lapic) at guest-clock time now
 * as a record in buf (len bytes, VREC_MAX fits): the bytes written, 0 if it does not fit. Its
 * vCPU is not running. The APIC ID is the vCPU's index, not part of the record. */
u64 vlapic_save(const void *dev, u64 now, void *buf, u64 len);
/* Rebuild dev, the local APIC of one of vm's vCPUs, fresh, from vlapic_save's record:
 * registers, IRR, ISR and TMR, and the timer counting on from where it was (armed on that
 * vCPU); the vCPU is told if a request waits. NULL, or why the record is refused (dev
 * unchanged). */
const char *vlapic_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len);

/* The device (bus accesses, attach, reset, save, load), in the platform's table. */
extern const struct vdev_ops vlapic_ops;

#endif
