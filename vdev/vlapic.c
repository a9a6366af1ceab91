/* Local APIC, one per vCPU, at 0xfee00000 (SDM vol. 3 ch. 11): interrupt requests and
 * priorities, EOI, the timer (one-shot and periodic on a 100 MHz clock, and TSC-deadline),
 * and IPIs (fixed, NMI, INIT, start-up) by physical or logical destination or shorthand, in
 * xAPIC or x2APIC format. Its MSRs and modes are in vlapic_msr.c, its records in
 * vlapic_rec.c. It is also the vCPU's interrupt controller for keel (virq_ops), with the PIC
 * behind LINT0 in ExtINT mode. */
#include "vdev/vlapic_int.h"
#include "vdev/vioapic.h" /* the interrupt controller: local APICs, I/O APIC and PIC together */
#include "vdev/vpic.h"

static struct vlapic *lapic(struct vcpu *v)
{
	return vlapic_of(v);
}

int vlapic_highest(const u32 *bits)
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
	int isr = vlapic_highest(l->isr);
	u32 isrv = isr < 0 ? 0 : (u32)isr & 0xf0;
	return (l->tpr & 0xf0) >= isrv ? l->tpr : isrv;
}

/* Request vector on v's APIC (a fixed interrupt): accepted only while it is enabled, in
 * IA32_APIC_BASE (SDM 11.4.3) and in the SVR (11.4.7.2). */
static void request(struct vcpu *v, u8 vector, bool level)
{
	struct vlapic *l = lapic(v);
	if (l->mode == VLAPIC_DISABLED || !(l->svr & SVR_ENABLED) || vector < 16)
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

static void timer_fire_locked(struct vcpu *v, void *dev);

static void timer_arm(struct vcpu *v, struct vlapic *l, u64 start)
{
	if (!l->tmr_init) {
		vcpu_timer_set(v, 0, vlapic_timer_fire, l);
		return;
	}
	l->tmr_start = start;
	l->tmr_period = (u64)l->tmr_init * divisor(l->tmr_div) * vclock_khz() / VLAPIC_KHZ;
	if (TIMER_MODE(l->lvt[LVT_TIMER]) == TIMER_PERIODIC) /* no tick per us for keel */
		l->tmr_period = MAX(l->tmr_period, vclock_khz() * VLAPIC_MIN_PERIOD_US / 1000);
	vcpu_timer_set(v, start + MAX(l->tmr_period, 1ull), vlapic_timer_fire, l);
}

/* IA32_TSC_DEADLINE counts in the guest's TSC, the host's plus v->tsc_offset (the clock timers
 * count in is the host's TSC): armed at the host time the guest's TSC reaches it, at once if
 * it has. tmr_start holds that host time (for a record); tmr_period stays 0. */
void vlapic_deadline_arm(struct vcpu *v, struct vlapic *l)
{
	if (!l->deadline) {
		vcpu_timer_set(v, 0, vlapic_timer_fire, l);
		return;
	}
	u64 now = vclock_now(), guest = now + v->tsc_offset;
	u64 left = l->deadline > guest ? l->deadline - guest : 0;
	/* years away at most, as a record keeps times (and so never past 2^64) */
	l->tmr_start = MAX(now + MIN(left, (u64)VREC_TIME_MAX), 1ull);
	l->tmr_period = 0;
	vcpu_timer_set(v, l->tmr_start, vlapic_timer_fire, l);
}

/* The timer's state is per vCPU, but the timer may fire on the home CPU of a halted vCPU
 * that has just been woken and runs elsewhere: firing and the guest's writes to the timer
 * registers hold the VM's device lock. */
void vlapic_timer_fire(struct vcpu *v, void *dev)
{
	dev_lock(v->vm);
	timer_fire_locked(v, dev);
	dev_unlock(v->vm);
}

/* A TSC deadline fires once and then reads 0 (SDM 11.5.4.1); a count fires at 0 and, if
 * periodic, reloads. */
static void timer_fire_locked(struct vcpu *v, void *dev)
{
	struct vlapic *l = dev;
	u32 lvt = l->lvt[LVT_TIMER], mode = TIMER_MODE(lvt);
	if (mode == TIMER_DEADLINE && !l->deadline)
		return; /* disarmed meanwhile */
	if (!(lvt & LVT_MASKED))
		request(v, (u8)lvt, false);
	if (mode == TIMER_DEADLINE) {
		l->deadline = 0;
	} else if (mode == TIMER_PERIODIC) {
		/* Next period from the previous one; if the vCPU fell far behind, from now. */
		u64 now = vclock_now(), next = l->tmr_start + l->tmr_period;
		timer_arm(v, l, (s64)(next + l->tmr_period - now) > 0 ? next : now);
	} else {
		l->tmr_init = 0; /* one-shot: done; the current count reads 0 */
	}
}

/* A write of the LVT timer entry: moving into or out of TSC-deadline mode disarms the timer
 * (SDM 11.5.4.1), and the count or deadline of the old mode is dropped. */
static void lvt_timer_write(struct vcpu *v, struct vlapic *l, u32 x)
{
	dev_lock(v->vm);
	bool was = TIMER_MODE(l->lvt[LVT_TIMER]) == TIMER_DEADLINE;
	l->lvt[LVT_TIMER] = x;
	if (was != (TIMER_MODE(x) == TIMER_DEADLINE)) {
		l->tmr_init = 0;
		l->deadline = 0;
		vcpu_timer_set(v, 0, vlapic_timer_fire, l);
	}
	dev_unlock(v->vm);
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

/* Does t's APIC accept dest? Physical: its ID or the broadcast (all ones in the sender's
 * format). Logical in xAPIC mode: its LDR in the flat or cluster model (11.6.2.2); in x2APIC
 * mode: cluster and bit of its derived logical ID (11.12.10.2). A logical destination is in
 * one mode's format: the other mode's APICs do not take it. A disabled APIC takes nothing. */
static bool matches(struct vcpu *t, u32 dest, bool logical, bool x2)
{
	const struct vlapic *l = lapic(t);
	u32 all = x2 ? 0xffffffffu : 0xffu;
	if (l->mode == VLAPIC_DISABLED)
		return false;
	if (!logical)
		return dest == all || dest == t->id;
	if (x2 != (l->mode == VLAPIC_X2APIC))
		return false;
	if (x2) {
		u32 ldr = vlapic_x2_ldr(t->id);
		return dest == all || ((dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff));
	}
	u32 ldr = l->ldr >> 24;
	if ((l->dfr >> 28) == 0xf) /* flat model */
		return (ldr & dest) != 0;
	return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf); /* cluster model */
}

/* INIT (11.4.7.3): t's APIC as at power-on but for its ID; IA32_APIC_BASE, and so the mode,
 * is kept (11.12.5.1: x2APIC mode survives INIT). From the sender's CPU, under the lock its
 * timer takes; t stops for a SIPI. */
static void init_reset(struct vcpu *t)
{
	struct vlapic *l = lapic(t);
	dev_lock(t->vm);
	vlapic_power_on(t, l, l->mode);
	dev_unlock(t->vm);
	vcpu_init_signal(t);
}

/* Deliver one IPI's message to t (11.6.1: delivery modes). */
static void ipi_to(struct vcpu *t, u32 lo)
{
	switch ((lo >> 8) & 7) {
	case 0: /* fixed */
	case 1: /* lowest priority: vlapic_ipi picked t */ request(t, (u8)lo, false); break;
	case 4: vcpu_nmi(t); break;
	case 5:
		if (lo & BIT(14)) /* INIT de-assert (level 0) does nothing */
			init_reset(t);
		break;
	case 6: vcpu_sipi(t, (u8)lo); break;
	default: break; /* SMI, ExtINT and reserved modes: not delivered */
	}
}

/* Is t among the IPI's destinations? */
static bool ipi_dest(const struct vcpu *from, struct vcpu *t, u32 lo, u32 dest, bool x2)
{
	switch ((lo >> 18) & 3) {
	case 0: return matches(t, dest, lo & BIT(11), x2);
	case 1: return t == from;
	case 2: return lapic(t)->mode != VLAPIC_DISABLED;
	default: return t != from && lapic(t)->mode != VLAPIC_DISABLED;
	}
}

/* Lowest priority goes to one destination only: the one with the lowest TPR, the first of
 * equals (11.6.2.4: the arbitration among equals is the platform's choice). */
void vlapic_ipi(struct vcpu *from, u32 lo, u32 dest, bool x2)
{
	struct vm *vm = from->vm;
	struct vcpu *lowest = NULL;
	for (u32 i = 0; i < vm->nvcpus; i++) {
		struct vcpu *t = vm->vcpu[i];
		if (!ipi_dest(from, t, lo, dest, x2))
			continue;
		if (((lo >> 8) & 7) != 1)
			ipi_to(t, lo);
		else if (!lowest || lapic(t)->tpr < lapic(lowest)->tpr)
			lowest = t;
	}
	if (lowest)
		ipi_to(lowest, lo);
}

/* ---- registers ---- */

static u32 *lvt_reg(struct vlapic *l, u64 off)
{
	if (off >= LAPIC_LVT0 && off < LAPIC_LVT_END)
		return &l->lvt[(off - LAPIC_LVT0) >> 4];
	return off == LAPIC_CMCI ? &l->lvt[LVT_CMCI] : NULL;
}

u32 vlapic_lvt_bits(int i)
{
	switch (i) {
	case LVT_TIMER: return 0x700ff; /* vector, mask, mode (18:17) */
	case LVT_LINT0:
	case LVT_LINT1: return 0x1a7ff; /* and delivery mode, polarity, trigger */
	case LVT_ERROR: return 0x100ff;
	default: return 0x107ff; /* thermal, perf, CMCI: vector, delivery mode, mask */
	}
}

void vlapic_eoi(struct vcpu *v, struct vlapic *l)
{
	int vec = vlapic_highest(l->isr);
	if (vec < 0)
		return;
	clear_bit(l->isr, vec);
	if (l->tmr[vec / 32] & (1u << (vec % 32))) { /* level-triggered: tell the IOAPIC */
		dev_lock(v->vm);
		vioapic_eoi(v->vm, (u8)vec);
		dev_unlock(v->vm);
	}
}

u32 vlapic_reg(struct vcpu *v, struct vlapic *l, u32 off)
{
	bool x2 = l->mode == VLAPIC_X2APIC;
	u32 *r = lvt_reg(l, off);
	if (r)
		return *r;
	if (off >= LAPIC_ISR && off < LAPIC_ESR) {
		const u32 *bits = off < LAPIC_TMR ? l->isr : off < LAPIC_IRR ? l->tmr : l->irr;
		return __atomic_load_n(&bits[(off & 0x7f) >> 4], __ATOMIC_ACQUIRE);
	}
	switch (off) {
	case LAPIC_ID: return x2 ? v->id : v->id << 24; /* 32-bit x2APIC ID (11.12.5.1) */
	case LAPIC_VER: return 0x00050014;		/* version 0x14, 6 LVT entries */
	case LAPIC_TPR: return l->tpr;
	case LAPIC_PPR: return ppr(l);
	case LAPIC_LDR: return x2 ? vlapic_x2_ldr(v->id) : l->ldr;
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

/* Every LVT keeps only its own bits, and stays masked while the SVR's software enable is
 * clear (11.4.7.2); the timer's entry may change its mode. */
static void lvt_write(struct vcpu *v, struct vlapic *l, u32 *r, u32 x)
{
	int i = (int)(r - l->lvt);
	x &= vlapic_lvt_bits(i);
	if (!(l->svr & SVR_ENABLED))
		x |= LVT_MASKED;
	if (i == LVT_TIMER)
		lvt_timer_write(v, l, x);
	else
		*r = x;
}

/* The SVR: clearing its software enable masks every LVT (11.4.7.2). */
static void svr_write(struct vlapic *l, u32 x)
{
	l->svr = x & SVR_BITS;
	if (!(l->svr & SVR_ENABLED))
		for (int i = 0; i < 7; i++)
			l->lvt[i] |= LVT_MASKED;
}

/* The initial count starts the count-down; in TSC-deadline mode it is ignored (11.5.4.1). */
static void init_count_write(struct vcpu *v, struct vlapic *l, u32 x)
{
	dev_lock(v->vm); /* against vlapic_timer_fire on another CPU */
	if (TIMER_MODE(l->lvt[LVT_TIMER]) != TIMER_DEADLINE) {
		l->tmr_init = x;
		timer_arm(v, l, vclock_now());
	}
	dev_unlock(v->vm);
}

void vlapic_reg_set(struct vcpu *v, struct vlapic *l, u32 off, u32 x)
{
	u32 *r = lvt_reg(l, off);
	if (r) {
		lvt_write(v, l, r, x);
		return;
	}
	switch (off) {
	case LAPIC_TPR:
		l->tpr = x & 0xff;
		vcpu_set(v, VREG_CR8, l->tpr >> 4); /* where a CR8 read does not exit (TCG) */
		vcpu_irq_notify(v);		    /* a lower TPR may unblock a request */
		break;
	case LAPIC_EOI:
		vlapic_eoi(v, l);
		vcpu_irq_notify(v);
		break;
	case LAPIC_LDR: l->ldr = x & 0xff000000u; break;
	case LAPIC_DFR: l->dfr = x | 0x0fffffffu; break;
	case LAPIC_SVR: svr_write(l, x); break;
	case LAPIC_ESR: l->esr = 0; break;
	case LAPIC_ICR_LO:
		l->icr_lo = x & ~BIT(12); /* delivery is instant: never "send pending" */
		vlapic_ipi(v, x, l->icr_hi >> 24, false);
		break;
	case LAPIC_ICR_HI: l->icr_hi = x; break;
	case LAPIC_TMR_INIT: init_count_write(v, l, x); break;
	case LAPIC_TMR_DIV: l->tmr_div = x & 0xb; break;
	default: break; /* read-only registers */
	}
}

/* The MMIO page answers only in xAPIC mode: disabled, or in x2APIC mode, the APIC does not
 * respond there (SDM 11.4.3, 11.12.2), and the access reads as nothing at all does (all ones,
 * as exit/mmio.c answers where no device is). Registers sit at 16-byte boundaries. */
static u64 vlapic_read(struct vcpu *v, void *dev, u64 addr, u8 size)
{
	struct vlapic *l = (struct vlapic *)dev + v->id;
	u64 off = addr - VLAPIC_BASE;
	if (l->mode != VLAPIC_XAPIC)
		return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
	return off & 0xf ? 0 : vlapic_reg(v, l, (u32)off);
}

static void vlapic_write(struct vcpu *v, void *dev, u64 addr, u8 size, u64 val)
{
	struct vlapic *l = (struct vlapic *)dev + v->id;
	u64 off = addr - VLAPIC_BASE;
	(void)size;
	if (l->mode == VLAPIC_XAPIC && !(off & 0xf))
		vlapic_reg_set(v, l, (u32)off, (u32)val);
}

/* CR8 reaches the TPR in every mode, without the MMIO page. */
u32 vlapic_tpr(struct vcpu *v)
{
	return v->vm->dev ? lapic(v)->tpr : 0;
}

void vlapic_set_tpr(struct vcpu *v, u32 tpr)
{
	if (v->vm->dev)
		vlapic_reg_set(v, lapic(v), LAPIC_TPR, tpr);
}

/* ---- keel's view: what to inject ---- */

/* The PIC reaches vCPU 0 as an ExtINT through LINT0, or directly while its APIC is disabled,
 * in the SVR or in IA32_APIC_BASE (the "virtual wire" of the MP spec, 3.6.2.2). ExtINT vectors are returned as 256 + vector. */
#define EXTINT 256
static int extint(struct vcpu *v, const struct vlapic *l)
{
	u32 lint0 = l->lvt[LVT_LINT0];
	bool wire = l->mode == VLAPIC_DISABLED || !(l->svr & SVR_ENABLED) ||
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
	int irr = vlapic_highest(l->irr);
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
	.entry = vlapic_pv_eoi_entry,
	.exit = vlapic_pv_eoi_exit,
};

/* A local APIC at power-on (SDM 11.4.7.1): also what re-enabling a disabled one gives. */
void vlapic_power_on(struct vcpu *v, struct vlapic *l, u32 mode)
{
	if (v)
		vcpu_timer_set(v, 0, vlapic_timer_fire, l);
	*l = (struct vlapic){.mode = mode, .dfr = 0xffffffffu, .svr = 0xff};
	for (int i = 0; i < 7; i++)
		l->lvt[i] = LVT_MASKED;
}

/* Its MMIO page on the bus and a timer on each vCPU; it is the VM's interrupt controller. */
static bool vlapic_attach(struct vm *vm, void *dev)
{
	struct vlapic *l = dev;
	for (u32 i = 0; i < vm->nvcpus; i++)
		if (vcpu_timer_alloc(vm->vcpu[i], vlapic_timer_fire, &l[i]) < 0)
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
		vlapic_power_on(vm->vcpu[i], &l[i], VLAPIC_XAPIC);
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
