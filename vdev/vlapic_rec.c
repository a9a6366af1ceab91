/* The local APIC's state record (vdev/vrecord.h): kind VREC_LAPIC, version 3 (1 lacked the APIC's
 * mode and TSC deadline, 2 the paravirtual EOI's MSR; refused as any unknown version is). No
 * paravirtual EOI is ever pending in a saved APIC: it lives from an entry to the next exit. */
#include "vdev/vlapic_int.h"

#define LAPIC_REC_VERSION 3

struct lapic_rec {
	u32 tpr, ldr, dfr, svr;	    /* 0x00 */
	u32 esr, icr_lo, icr_hi;    /* 0x10 */
	u32 lvt[7];		    /* 0x1c timer, thermal, perf, LINT0, LINT1, error, CMCI */
	u32 tmr_init, tmr_div;	    /* 0x38 */
	u32 irr[8], isr[8], tmr[8]; /* 0x40 256 bits each */
	s64 tmr_start;		    /* 0xa0 guest clock of the timer's load, from the saver's now */
	u64 tmr_period;		    /* 0xa8 guest-clock ticks per full count */
	u32 mode, pad;		    /* 0xb0 enum vlapic_mode; 0 */
	u64 deadline; /* 0xb8 IA32_TSC_DEADLINE in the guest's TSC (tmr_start: when) */
	u64 pv_eoi;   /* 0xc0 MSR_KVM_PV_EOI_EN */
};
_Static_assert(sizeof(struct lapic_rec) == 200, "local APIC record");

/* Fill the payload above from the device and write it out behind its header. */
u64 vlapic_save(const void *dev, u64 now, void *buf, u64 len)
{
	const struct vlapic *l = dev;
	struct lapic_rec rec = {
		.tpr = l->tpr,
		.ldr = l->ldr,
		.dfr = l->dfr,
		.svr = l->svr,
		.esr = l->esr,
		.icr_lo = l->icr_lo,
		.icr_hi = l->icr_hi,
		.tmr_init = l->tmr_init,
		.tmr_div = l->tmr_div,
		.tmr_start = vrec_rel(l->tmr_start, now),
		.tmr_period = l->tmr_period,
		.mode = l->mode,
		.deadline = l->deadline,
		.pv_eoi = l->pv_eoi,
	};
	for (int i = 0; i < 7; i++)
		rec.lvt[i] = l->lvt[i];
	for (int w = 0; w < 8; w++) {
		rec.irr[w] = __atomic_load_n(&l->irr[w], __ATOMIC_ACQUIRE);
		rec.isr[w] = l->isr[w];
		rec.tmr[w] = l->tmr[w];
	}
	return vrec_write(buf, len, VREC_LAPIC, LAPIC_REC_VERSION, &rec, sizeof(rec));
}

/* The longest period timer_arm can compute, in the record's clock: init (or the largest)
 * times the largest divisor, or the periodic minimum. */
static u64 period_max(const struct vrec_reader *r, u32 init)
{
	u64 ticks = (u64)(init ? init : 0xffffffffu) * 128;
	return MAX(vdev_muldiv(ticks, r->khz, VLAPIC_KHZ),
		   (u64)r->khz * VLAPIC_MIN_PERIOD_US / 1000);
}

/* The registers as the code leaves them (11.4-11.5): write masks, LVTs masked while the APIC
 * is disabled, no vector below 16 requested. */
static void check(struct vrec_reader *r, const struct vm *vm, const struct lapic_rec *rec)
{
	bool masked = true;
	for (int i = 0; i < 7; i++)
		masked = masked && (rec->lvt[i] & LVT_MASKED);
	vrec_require(r, rec->tpr <= 0xff && !(rec->ldr & 0x00ffffffu),
		     "APIC TPR or LDR out of range");
	vrec_require(r, (rec->dfr & 0x0fffffffu) == 0x0fffffffu && !(rec->svr & ~0x13ffu),
		     "APIC DFR or SVR out of range");
	vrec_require(r, !rec->esr && !(rec->icr_lo & BIT(12)) && !(rec->tmr_div & ~0xbu),
		     "APIC ESR, ICR or divider out of range");
	vrec_require(r, (rec->svr & SVR_ENABLED) || masked, "APIC disabled with an LVT unmasked");
	vrec_require(r, !((rec->irr[0] | rec->isr[0] | rec->tmr[0]) & 0xffff),
		     "APIC vector below 16");
	vrec_require(r, rec->tmr_period <= period_max(r, rec->tmr_init), "APIC timer out of range");
	vrec_require(r, rec->mode <= VLAPIC_X2APIC && !rec->pad, "APIC mode out of range");
	bool deadline = TIMER_MODE(rec->lvt[LVT_TIMER]) == TIMER_DEADLINE;
	vrec_require(r, deadline ? !rec->tmr_init : !rec->deadline,
		     "APIC timer count and deadline both armed");
	vrec_require(r, vlapic_pv_eoi_valid(vm, rec->pv_eoi),
		     "APIC paravirtual EOI MSR reserved bit set or flag outside RAM");
}

/* When the saved timer fires, on this clock: a count one period after its load, a deadline at
 * its saved time (timer_arm, vlapic_deadline_arm); 0 if it is not armed. */
static u64 due(struct vrec_reader *r, const struct lapic_rec *rec)
{
	bool sane = rec->tmr_start >= -VREC_TIME_MAX && rec->tmr_start <= VREC_TIME_MAX && !r->why;
	s64 at = sane ? rec->tmr_start + (s64)MAX(rec->tmr_period, 1ull) : 0;
	if (rec->deadline)
		return vrec_deadline(r, sane ? rec->tmr_start : 0);
	return rec->tmr_init ? vrec_deadline(r, at) : 0;
}

/* Check the header and every field first; replace the device only if all pass. */
const char *vlapic_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len)
{
	struct lapic_rec rec;
	struct vrec_reader r;
	struct vlapic *to = dev;
	u64 id = (u64)(to - (struct vlapic *)vm_device(vm, &vlapic_ops));
	if (id >= vm->nvcpus)
		return "no vCPU for this local APIC";
	if (!vrec_open(&r, buf, len, VREC_LAPIC, LAPIC_REC_VERSION, &rec, sizeof(rec), now))
		return r.why;
	check(&r, vm, &rec);
	struct vlapic l = {
		.tpr = rec.tpr,
		.ldr = rec.ldr,
		.dfr = rec.dfr,
		.svr = rec.svr,
		.esr = rec.esr,
		.icr_lo = rec.icr_lo,
		.icr_hi = rec.icr_hi,
		.tmr_init = rec.tmr_init,
		.tmr_div = rec.tmr_div,
		.tmr_start = vrec_time(&r, rec.tmr_start),
		.tmr_period = vrec_span(&r, rec.tmr_period),
		.mode = rec.mode,
		.deadline = rec.deadline,
		.pv_eoi = rec.pv_eoi,
	};
	u64 when = due(&r, &rec);
	if (r.why)
		return r.why;
	bool waiting = false;
	for (int i = 0; i < 7; i++)
		l.lvt[i] = rec.lvt[i];
	for (int w = 0; w < 8; w++) {
		l.irr[w] = rec.irr[w], l.isr[w] = rec.isr[w], l.tmr[w] = rec.tmr[w];
		waiting = waiting || rec.irr[w];
	}
	*to = l;
	struct vcpu *v = vm->vcpu[id];
	vcpu_timer_set(v, when, vlapic_timer_fire, to);
	if (waiting)
		vcpu_irq_notify(v);
	return NULL;
}
