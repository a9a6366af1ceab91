/* Local APIC, one per vCPU, at 0xfee00000 (SDM vol. 3 ch. 11): interrupt requests and
 * priorities, EOI, the timer (one-shot and periodic, on a 100 MHz clock), and IPIs (fixed,
 * NMI, INIT, start-up) by physical or logical destination or shorthand. It is also the vCPU's
 * interrupt controller for keel (virq_ops), with the PIC behind LINT0 in ExtINT mode. */
#include "vdev/vlapic.h"
#include "vdev/vdev.h"
#include "vdev/vioapic.h" /* the interrupt controller: local APICs, I/O APIC and PIC together */
#include "vdev/vpic.h"

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
};
enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_CMCI };
#define LVT_MASKED   BIT(16)
#define LVT_PERIODIC BIT(17)
#define SVR_ENABLED  BIT(8)

static struct vlapic *lapic(struct vcpu *v)
{
	return (struct vlapic *)vm_device(v->vm, &vlapic_ops) + v->id;
}

/* Highest set bit in a 256-bit vector, or -1. */
static int highest(const u32 *bits)
{
	for (int w = 7; w >= 0; w--) {
		u32 x = __atomic_load_n(&bits[w], __ATOMIC_ACQUIRE);
		if (x)
			return w * 32 + 31 - __builtin_clz(x);
	}
	return -1;
}

static void set_bit(u32 *bits, int n)
{
	__atomic_fetch_or(&bits[n / 32], 1u << (n % 32), __ATOMIC_RELEASE);
}

static void clear_bit(u32 *bits, int n)
{
	__atomic_fetch_and(&bits[n / 32], ~(1u << (n % 32)), __ATOMIC_RELEASE);
}

/* Processor priority: the TPR or the class of the highest vector in service (11.8.3.1). */
static u32 ppr(const struct vlapic *l)
{
	int isr = highest(l->isr);
	u32 isrv = isr < 0 ? 0 : (u32)isr & 0xf0;
	return (l->tpr & 0xf0) >= isrv ? l->tpr : isrv;
}

/* Request vector on v's APIC (a fixed interrupt): accepted only while it is enabled. */
static void request(struct vcpu *v, u8 vector, bool level)
{
	struct vlapic *l = lapic(v);
	if (!(l->svr & SVR_ENABLED) || vector < 16)
		return;
	if (level)
		set_bit(l->tmr, vector);
	else
		clear_bit(l->tmr, vector);
	set_bit(l->irr, vector);
	vcpu_irq_notify(v);
}

void vlapic_deliver(struct vcpu *v, u8 vector, bool level)
{
	request(v, vector, level);
}

/* ---- the timer ---- */

static u32 divisor(u32 div)
{
	u32 code = ((div >> 1) & 4) | (div & 3); /* bits 3, 1, 0 (11.5.4) */
	return code == 7 ? 1 : 2u << code;
}

/* The shortest periodic timer period, as KVM's min_timer_period_us: shorter ones run at it. */
#define VLAPIC_MIN_PERIOD_US 100

static void timer_fire(struct vcpu *v, void *dev);
static void timer_fire_locked(struct vcpu *v, void *dev);

static void timer_arm(struct vcpu *v, struct vlapic *l, u64 start)
{
	if (!l->tmr_init) {
		vcpu_timer_set(v, 0, timer_fire, l);
		return;
	}
	l->tmr_start = start;
	l->tmr_period = (u64)l->tmr_init * divisor(l->tmr_div) * vclock_khz() / VLAPIC_KHZ;
	if (l->lvt[LVT_TIMER] & LVT_PERIODIC) /* a guest must not make keel take a tick per us */
		l->tmr_period = MAX(l->tmr_period, vclock_khz() * VLAPIC_MIN_PERIOD_US / 1000);
	vcpu_timer_set(v, start + MAX(l->tmr_period, 1ull), timer_fire, l);
}

/* The timer's state is per vCPU, but the timer may fire on the home CPU of a halted vCPU
 * that has just been woken and runs elsewhere: firing and the guest's writes to the timer
 * registers hold the VM's device lock. */
static void timer_fire(struct vcpu *v, void *dev)
{
	dev_lock(v->vm);
	timer_fire_locked(v, dev);
	dev_unlock(v->vm);
}

static void timer_fire_locked(struct vcpu *v, void *dev)
{
	struct vlapic *l = dev;
	u32 lvt = l->lvt[LVT_TIMER];
	if (!(lvt & LVT_MASKED))
		request(v, (u8)lvt, false);
	if (lvt & LVT_PERIODIC) {
		/* Next period from the previous one; if the vCPU fell far behind, from now. */
		u64 now = vclock_now(), next = l->tmr_start + l->tmr_period;
		timer_arm(v, l, (s64)(next + l->tmr_period - now) > 0 ? next : now);
	} else {
		l->tmr_init = 0; /* one-shot: done; the current count reads 0 */
	}
}

static u32 timer_current(const struct vlapic *l)
{
	if (!l->tmr_init || !l->tmr_period)
		return 0;
	u64 now = vclock_now(), elapsed = now - l->tmr_start;
	if (elapsed >= l->tmr_period)
		return 0;
	return (u32)((l->tmr_period - elapsed) * VLAPIC_KHZ / vclock_khz() / divisor(l->tmr_div));
}

/* ---- IPIs (11.6) ---- */

static bool matches(struct vcpu *t, u32 dest, bool logical)
{
	const struct vlapic *l = lapic(t);
	if (!logical)
		return dest == 0xff || dest == t->id;
	u32 ldr = l->ldr >> 24;
	if ((l->dfr >> 28) == 0xf) /* flat model */
		return (ldr & dest) != 0;
	return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf); /* cluster model */
}

static void send_ipi(struct vcpu *from, u32 lo, u32 hi)
{
	u32 mode = (lo >> 8) & 7, shorthand = (lo >> 18) & 3, dest = hi >> 24;
	bool logical = lo & BIT(11), assert = lo & BIT(14);
	struct vm *vm = from->vm;
	for (u32 i = 0; i < vm->nvcpus; i++) {
		struct vcpu *t = vm->vcpu[i];
		bool to = shorthand == 0   ? matches(t, dest, logical)
			  : shorthand == 1 ? t == from
			  : shorthand == 2 ? true
					   : t != from;
		if (!to)
			continue;
		switch (mode) {
		case 0: /* fixed */
		case 1: /* lowest priority: the matching vCPUs all get it */
			request(t, (u8)lo, false);
			break;
		case 4: vcpu_nmi(t); break;
		case 5:
			if (assert) /* INIT de-assert (level 0) does nothing */
				vcpu_init_signal(t);
			break;
		case 6: vcpu_sipi(t, (u8)lo); break;
		default: break;
		}
	}
}

/* ---- registers ---- */

static u32 *lvt_reg(struct vlapic *l, u64 off)
{
	if (off >= LAPIC_LVT0 && off < LAPIC_LVT_END)
		return &l->lvt[(off - LAPIC_LVT0) >> 4];
	return off == LAPIC_CMCI ? &l->lvt[LVT_CMCI] : NULL;
}

static void eoi(struct vcpu *v, struct vlapic *l)
{
	int vec = highest(l->isr);
	if (vec < 0)
		return;
	clear_bit(l->isr, vec);
	if (l->tmr[vec / 32] & (1u << (vec % 32))) { /* level-triggered: tell the IOAPIC */
		dev_lock(v->vm);
		vioapic_eoi(v->vm, (u8)vec);
		dev_unlock(v->vm);
	}
}

static u64 vlapic_read(struct vcpu *v, void *dev, u64 addr, u8 size)
{
	struct vlapic *l = (struct vlapic *)dev + v->id;
	u64 off = addr - VLAPIC_BASE;
	(void)size;
	if (off & 0xf)
		return 0;
	u32 *r = lvt_reg(l, off);
	if (r)
		return *r;
	if (off >= LAPIC_ISR && off < LAPIC_ESR) {
		const u32 *bits = off < LAPIC_TMR ? l->isr : off < LAPIC_IRR ? l->tmr : l->irr;
		return __atomic_load_n(&bits[(off & 0x7f) >> 4], __ATOMIC_ACQUIRE);
	}
	switch (off) {
	case LAPIC_ID: return (u64)v->id << 24;
	case LAPIC_VER: return 0x00050014; /* version 0x14, 6 LVT entries */
	case LAPIC_TPR: return l->tpr;
	case LAPIC_PPR: return ppr(l);
	case LAPIC_LDR: return l->ldr;
	case LAPIC_DFR: return l->dfr;
	case LAPIC_SVR: return l->svr;
	case LAPIC_ESR: return l->esr;
	case LAPIC_ICR_LO: return l->icr_lo;
	case LAPIC_ICR_HI: return l->icr_hi;
	case LAPIC_TMR_INIT: return l->tmr_init;
	case LAPIC_TMR_CUR: return timer_current(l);
	case LAPIC_TMR_DIV: return l->tmr_div;
	default: return 0;
	}
}

static void vlapic_write(struct vcpu *v, void *dev, u64 addr, u8 size, u64 val)
{
	struct vlapic *l = (struct vlapic *)dev + v->id;
	u64 off = addr - VLAPIC_BASE;
	u32 x = (u32)val;
	(void)size;
	if (off & 0xf)
		return; /* registers sit at 16-byte boundaries: anything else writes nothing */
	u32 *r = lvt_reg(l, off);
	if (r) {
		/* While the APIC is disabled every LVT stays masked (11.4.7.2). */
		*r = (l->svr & SVR_ENABLED) ? x : x | LVT_MASKED;
		return;
	}
	switch (off) {
	case LAPIC_TPR:
		l->tpr = x & 0xff;
		vcpu_irq_notify(v); /* a lower TPR may unblock a request */
		break;
	case LAPIC_EOI:
		eoi(v, l);
		vcpu_irq_notify(v);
		break;
	case LAPIC_LDR: l->ldr = x & 0xff000000u; break;
	case LAPIC_DFR: l->dfr = x | 0x0fffffffu; break;
	case LAPIC_SVR:
		l->svr = x & 0x13ff;
		if (!(l->svr & SVR_ENABLED))
			for (int i = 0; i < 7; i++)
				l->lvt[i] |= LVT_MASKED;
		break;
	case LAPIC_ESR: l->esr = 0; break;
	case LAPIC_ICR_LO:
		l->icr_lo = x & ~BIT(12); /* delivery is instant: never "send pending" */
		send_ipi(v, x, l->icr_hi);
		break;
	case LAPIC_ICR_HI: l->icr_hi = x; break;
	case LAPIC_TMR_INIT:
		dev_lock(v->vm); /* against timer_fire on another CPU */
		l->tmr_init = x;
		timer_arm(v, l, vclock_now());
		dev_unlock(v->vm);
		break;
	case LAPIC_TMR_DIV: l->tmr_div = x & 0xb; break;
	default: break; /* read-only registers */
	}
}

/* ---- state records (vdev/vrecord.h): kind VREC_LAPIC, version 1 ---- */

struct lapic_rec {
	u32 tpr, ldr, dfr, svr;	    /* 0x00 */
	u32 esr, icr_lo, icr_hi;    /* 0x10 */
	u32 lvt[7];		    /* 0x1c timer, thermal, perf, LINT0, LINT1, error, CMCI */
	u32 tmr_init, tmr_div;	    /* 0x38 */
	u32 irr[8], isr[8], tmr[8]; /* 0x40 256 bits each */
	s64 tmr_start;		    /* 0xa0 guest clock of the timer's load, from the saver's now */
	u64 tmr_period;		    /* 0xa8 guest-clock ticks per full count */
};
_Static_assert(sizeof(struct lapic_rec) == 176, "local APIC record");

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
	};
	for (int i = 0; i < 7; i++)
		rec.lvt[i] = l->lvt[i];
	for (int w = 0; w < 8; w++) {
		rec.irr[w] = __atomic_load_n(&l->irr[w], __ATOMIC_ACQUIRE);
		rec.isr[w] = l->isr[w];
		rec.tmr[w] = l->tmr[w];
	}
	return vrec_write(buf, len, VREC_LAPIC, 1, &rec, sizeof(rec));
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
static void check(struct vrec_reader *r, const struct lapic_rec *rec)
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
	if (!vrec_open(&r, buf, len, VREC_LAPIC, 1, &rec, sizeof(rec), now))
		return r.why;
	check(&r, &rec);
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
	};
	bool sane = rec.tmr_start >= -VREC_TIME_MAX && rec.tmr_start <= VREC_TIME_MAX && !r.why;
	s64 at = sane ? rec.tmr_start + (s64)MAX(rec.tmr_period, 1ull) : 0; /* as timer_arm */
	u64 due = rec.tmr_init ? vrec_deadline(&r, at) : 0;
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
	vcpu_timer_set(v, due, timer_fire, to);
	if (waiting)
		vcpu_irq_notify(v);
	return NULL;
}

/* ---- keel's view: what to inject ---- */

/* The PIC reaches vCPU 0 as an ExtINT through LINT0, or directly while its APIC is disabled
 * (the "virtual wire" of the MP spec, 3.6.2.2). ExtINT vectors are returned as 256 + vector. */
#define EXTINT 256
static int extint(struct vcpu *v, const struct vlapic *l)
{
	u32 lint0 = l->lvt[LVT_LINT0];
	bool wire = !(l->svr & SVR_ENABLED) ||
		    (!(lint0 & LVT_MASKED) && ((lint0 >> 8) & 7) == 7 /* ExtINT */);
	if (v->id != 0 || !wire)
		return -1;
	dev_lock(v->vm);
	int vec = vpic_peek(v->vm);
	dev_unlock(v->vm);
	return vec;
}

static int vlapic_pending(struct vcpu *v)
{
	struct vlapic *l = lapic(v);
	int ext = extint(v, l);
	if (ext >= 0)
		return EXTINT + ext;
	int irr = highest(l->irr);
	if (irr < 0 || ((u32)irr & 0xf0) <= (ppr(l) & 0xf0))
		return -1;
	return irr;
}

/* Returns the vector actually taken (the PIC decides its own at acknowledge time). */
static int vlapic_ack(struct vcpu *v, int vector)
{
	struct vlapic *l = lapic(v);
	if (vector >= EXTINT) {
		dev_lock(v->vm);
		int vec = vpic_ack(v->vm);
		dev_unlock(v->vm);
		return vec;
	}
	clear_bit(l->irr, vector);
	set_bit(l->isr, vector);
	return vector;
}

/* ISA IRQs reach the PIC and the IOAPIC; the IOAPIC sees ISA IRQ 0 (the PIT) on pin 2, as
 * the MADT's interrupt source override says (vdev/vacpi.c). */
static void vlapic_line(struct vm *vm, u32 gsi, bool level)
{
	if (gsi < 16)
		vpic_line(vm, gsi, level);
	vioapic_line(vm, gsi == 0 ? 2 : gsi, level);
}

static const struct virq_ops vlapic_irq = {
	.pending = vlapic_pending,
	.ack = vlapic_ack,
	.line = vlapic_line,
};

/* A local APIC at power-on (SDM 10.4.7.1). */
static void vlapic_reset(struct vlapic *l)
{
	*l = (struct vlapic){.dfr = 0xffffffffu, .svr = 0xff};
	for (int i = 0; i < 7; i++)
		l->lvt[i] = LVT_MASKED;
}

/* Its MMIO page on the bus and a timer on each vCPU; it is the VM's interrupt controller. */
static bool vlapic_attach(struct vm *vm, void *dev)
{
	struct vlapic *l = dev;
	for (u32 i = 0; i < vm->nvcpus; i++)
		if (vcpu_timer_alloc(vm->vcpu[i], timer_fire, &l[i]) < 0)
			return false;
	vm_set_irq_controller(vm, &vlapic_irq);
	return bus_add(&vm->mmio, VLAPIC_BASE, PAGE_SIZE, &vlapic_ops, dev);
}

/* Every vCPU's local APIC at power-on, its timer disarmed first, and the VM's interrupt
 * controller again. */
static void vlapic_reset_op(struct vm *vm, void *dev)
{
	struct vlapic *l = dev;
	for (u32 i = 0; i < vm->nvcpus; i++)
		vcpu_timer_set(vm->vcpu[i], 0, timer_fire, &l[i]);
	for (u32 i = 0; i < vm->nvcpus; i++)
		vlapic_reset(&l[i]);
	vm_set_irq_controller(vm, &vlapic_irq);
}

const struct vdev_ops vlapic_ops = {
	.name = "lapic",
	.percpu = true,
	.size = sizeof(struct vlapic),
	.read = vlapic_read,
	.write = vlapic_write,
	.attach = vlapic_attach,
	.reset = vlapic_reset_op,
	.save = vlapic_save,
	.load = vlapic_load,
};
