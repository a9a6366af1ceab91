/* Local APIC registers at 0xfee00000, one set per vCPU (SDM vol. 3 ch. 11). For now the
 * registers hold what the guest writes and report an ID and version; timer and interrupt
 * delivery come with the scheduler. Registers are 32 bits at 16-byte strides. */
#include "kernel/bus.h"
#include "kernel/vm.h"

enum {
	LAPIC_ID = 0x20,
	LAPIC_VER = 0x30,
	LAPIC_TPR = 0x80,
	LAPIC_PPR = 0xa0,
	LAPIC_EOI = 0xb0,
	LAPIC_LDR = 0xd0,
	LAPIC_DFR = 0xe0,
	LAPIC_SVR = 0xf0,
	LAPIC_ESR = 0x280,
	LAPIC_ICR_LO = 0x300,
	LAPIC_ICR_HI = 0x310,
	LAPIC_LVT0 = 0x320,
	LAPIC_LVT_LAST = 0x380,
	LAPIC_TMR_INIT = 0x380,
	LAPIC_TMR_CUR = 0x390,
	LAPIC_TMR_DIV = 0x3e0,
};
/* LVT registers in address order: timer 0x320, thermal 0x330, perf 0x340, LINT0 0x350,
 * LINT1 0x360, error 0x370; CMCI is at 0x2f0. */

void vlapic_reset(struct vlapic *l);
void vlapic_reset(struct vlapic *l)
{
	*l = (struct vlapic){.dfr = 0xffffffffu, .svr = 0xff};
	for (int i = 0; i < 7; i++)
		l->lvt[i] = 0x10000; /* masked */
}

static u32 *lvt(struct vlapic *l, u64 off)
{
	if (off >= LAPIC_LVT0 && off < LAPIC_LVT_LAST)
		return &l->lvt[(off - LAPIC_LVT0) >> 4];
	return off == 0x2f0 ? &l->lvt[6] : NULL;
}

static u64 vlapic_read(struct vcpu *v, void *dev, u64 addr, u8 size)
{
	struct vlapic *l = (struct vlapic *)dev + v->id;
	u64 off = addr - VLAPIC_BASE;
	u32 *r = lvt(l, off & ~0xfull);
	(void)size;
	if (off & 0xf)
		return 0;
	if (r)
		return *r;
	switch (off) {
	case LAPIC_ID: return (u64)v->id << 24;
	case LAPIC_VER: return 0x00050014; /* version 0x14, 6 LVT entries */
	case LAPIC_TPR:
	case LAPIC_PPR: return l->tpr;
	case LAPIC_LDR: return l->ldr;
	case LAPIC_DFR: return l->dfr;
	case LAPIC_SVR: return l->svr;
	case LAPIC_ESR: return l->esr;
	case LAPIC_ICR_LO: return l->icr_lo;
	case LAPIC_ICR_HI: return l->icr_hi;
	case LAPIC_TMR_INIT: return l->tmr_init;
	case LAPIC_TMR_DIV: return l->tmr_div;
	default: return 0;
	}
}

static void vlapic_write(struct vcpu *v, void *dev, u64 addr, u8 size, u64 val)
{
	struct vlapic *l = (struct vlapic *)dev + v->id;
	u64 off = addr - VLAPIC_BASE;
	u32 x = (u32)val;
	u32 *r = lvt(l, off);
	(void)size;
	if (r) {
		*r = x;
		return;
	}
	switch (off) {
	case LAPIC_TPR: l->tpr = x & 0xff; break;
	case LAPIC_LDR: l->ldr = x & 0xff000000u; break;
	case LAPIC_DFR: l->dfr = x | 0x0fffffffu; break;
	case LAPIC_SVR: l->svr = x & 0x13ff; break;
	case LAPIC_ESR: l->esr = 0; break;
	case LAPIC_ICR_LO: l->icr_lo = x & ~BIT(12); break; /* delivery is instant */
	case LAPIC_ICR_HI: l->icr_hi = x; break;
	case LAPIC_TMR_INIT: l->tmr_init = x; break;
	case LAPIC_TMR_DIV: l->tmr_div = x & 0xb; break;
	default: break; /* EOI and read-only registers */
	}
}

const struct vdev_ops vlapic_ops = {
	.name = "lapic",
	.read = vlapic_read,
	.write = vlapic_write,
};
