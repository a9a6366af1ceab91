/* 8254 PIT (Intel 8254 data sheet, order 231164) at 0x40-0x43 and port 0x61. A channel's
 * count and OUT are computed from the guest clock at each read, never ticked: d = PIT clocks
 * since the count was loaded. Channel 0 arms a vCPU-0 timer (asked for at attach) for OUT0's next
 * rising edge and pulses ISA IRQ 0 there. Modes 0-5, the four access modes, counter latch,
 * read-back and the status byte are supported; BCD counting is accepted (the count converts). */
#include "vdev/vpit.h"
#include "vdev/vdev.h"

/* Port 0x61 (PIIX "NMI status and control"): read-only bits. */
#define P61_GATE2   0x01
#define P61_REFRESH 0x10 /* toggles every 15.085 us: 18 PIT clocks */
#define P61_OUT2    0x20

/* Guest clock ticks to PIT clocks, rounded down. */
static u64 to_ticks(u64 tsc)
{
	return vdev_muldiv(tsc, VPIT_HZ, vclock_khz() * 1000);
}

/* Rounded up, so that at the deadline to_ticks() has reached ticks. */
static u64 to_tsc(u64 ticks)
{
	return vdev_muldiv_up(ticks, vclock_khz() * 1000, VPIT_HZ);
}

/* Modes 1 and 5 count only after a rising gate (channel 2; the others' gates are tied high,
 * so there they never start). */
static bool triggered_mode(const struct vpit_channel *c)
{
	return c->mode == 1 || c->mode == 5;
}

/* PIT clocks counted since the load: frozen while the gate is low (modes 0, 2, 3, 4). */
static u64 elapsed(const struct vpit_channel *c, u64 now)
{
	if (!c->counting || (triggered_mode(c) && !c->triggered))
		return 0;
	if (!c->gate && !triggered_mode(c))
		return c->frozen;
	return to_ticks(vrec_since(now, c->load));
}

/* The counting element after d clocks (data sheet, "Mode definitions"). */
static u16 counter(const struct vpit_channel *c, u64 d)
{
	if (!c->counting)
		return (u16)c->count;
	switch (c->mode) {
	case 2: return (u16)(c->count - d % c->count);
	case 3: return (u16)((c->count - (2 * d) % c->count) & ~1u); /* counts down by two */
	default: return (u16)(c->count - d);			     /* 0, 1, 4, 5 wrap on */
	}
}

/* OUT after d clocks. A control word sets it low in mode 0 and high in the others. */
static bool out(const struct vpit_channel *c, u64 d)
{
	bool started = !triggered_mode(c) || c->triggered;
	if (!c->counting)
		return c->mode != 0;
	switch (c->mode) {
	case 0: return d >= c->count;
	case 1: return !started || d >= c->count;
	case 2: return !c->gate || c->count == 1 || d % c->count != c->count - 1;
	case 3: return !c->gate || d % c->count < (c->count + 1) / 2;
	default: return !started || d != c->count; /* 4, 5: low for one clock at zero */
	}
}

/* The clock count (since load) of OUT's next rising edge after d, or 0 if none comes. */
static u64 next_edge(const struct vpit_channel *c, u64 d)
{
	if (!c->counting || !c->gate || (triggered_mode(c) && !c->triggered))
		return 0;
	switch (c->mode) {
	case 0:
	case 1: return d < c->count ? c->count : 0;
	case 2:
	case 3: return (d / c->count + 1) * c->count;
	default: return d <= c->count ? c->count + 1 : 0; /* back high after the zero clock */
	}
}

static void pit_fire(struct vcpu *v, void *dev);

/* Channel 0: arm vCPU 0's timer for the next edge of OUT0 (at least 50 us away, so a tiny
 * periodic count cannot flood the guest), or disarm it. */
static void arm(struct vm *vm, struct vpit *p, u64 now)
{
	struct vpit_channel *c = &p->ch[0];
	c->armed = next_edge(c, elapsed(c, now));
	if (!c->armed) {
		p->timer_at = 0;
		vcpu_timer_set(vm->vcpu[0], 0, pit_fire, p);
		return;
	}
	u64 at = c->load + to_tsc(c->armed), soon = now + vclock_khz() / 20;
	p->timer_at = (s64)(at - soon) > 0 ? at : soon;
	vcpu_timer_set(vm->vcpu[0], p->timer_at, pit_fire, p);
}

/* vCPU 0's timer: OUT0 rose (unless the channel was reprogrammed since): pulse IRQ 0. */
static void pit_fire(struct vcpu *v, void *dev)
{
	struct vpit *p = dev;
	struct vpit_channel *c = &p->ch[0];
	dev_lock(v->vm);
	u64 now = vclock_now();
	if (c->armed && elapsed(c, now) >= c->armed)
		vm_irq_pulse(v->vm, 0);
	arm(v->vm, p, now);
	dev_unlock(v->vm);
}

/* A four-digit BCD count as a number. */
static u32 from_bcd(u32 x)
{
	return (x >> 12 & 0xf) * 1000 + (x >> 8 & 0xf) * 100 + (x >> 4 & 0xf) * 10 + (x & 0xf);
}

/* A number below 10000 as four BCD digits. */
static u16 to_bcd(u32 x)
{
	return (u16)((x / 1000 % 10) << 12 | (x / 100 % 10) << 8 | (x / 10 % 10) << 4 | x % 10);
}

/* A complete count was written: it loads and counting starts (modes 1, 5: at the trigger). */
static void load_count(struct vpit_channel *c, u32 val, u64 now)
{
	c->count = c->bcd ? from_bcd(val) : val;
	if (!c->count)
		c->count = c->bcd ? 10000 : 65536;
	c->counting = true;
	c->triggered = false;
	c->null_count = false;
	c->load = now;
	c->frozen = 0;
}

/* Counter latch: freeze the count for the next reads (data sheet, "Counter latch command"). */
static void latch_count(struct vpit_channel *c, u64 now)
{
	if (c->latch_left)
		return; /* a second latch before the first is read is ignored */
	u16 n = counter(c, elapsed(c, now));
	c->latch = c->bcd ? to_bcd(n % 10000) : n;
	c->latch_left = c->rw == 3 ? 2 : 1;
}

/* Read-back status: OUT, null count and the control word's bits 5:0. */
static void latch_status(struct vpit_channel *c, u64 now)
{
	if (c->status_latched)
		return;
	c->status = (u8)(out(c, elapsed(c, now)) << 7 | c->null_count << 6 | c->rw << 4 |
			 c->mode << 1 | c->bcd);
	c->status_latched = true;
}

/* Port 0x43: a control word, a counter latch (access 0) or read-back (select 3). */
static void control(struct vpit *p, u8 val, u64 now)
{
	if ((val >> 6) == 3) { /* read-back: bit 5 = !count, bit 4 = !status, bits 3:1 channels */
		for (int n = 0; n < 3; n++) {
			if (!(val & (2 << n)))
				continue;
			if (!(val & 0x10))
				latch_status(&p->ch[n], now);
			if (!(val & 0x20))
				latch_count(&p->ch[n], now);
		}
		return;
	}
	struct vpit_channel *c = &p->ch[val >> 6];
	if (!(val & 0x30)) {
		latch_count(c, now);
		return;
	}
	c->rw = (val >> 4) & 3;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4; /* 6 and 7 are aliases of 2 and 3 */
	c->bcd = val & 1;
	c->counting = c->read_hi = c->write_hi = c->status_latched = false;
	c->latch_left = 0;
	c->null_count = true;
}

/* A counter port read: latched status, latched count, or the live count by access mode. */
static u8 read_counter(struct vpit_channel *c, u64 now)
{
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	bool hi;
	u16 n;
	if (c->latch_left) {
		n = c->latch;
		hi = c->rw == 2 || (c->rw == 3 && c->latch_left == 1);
		c->latch_left--;
	} else {
		n = counter(c, elapsed(c, now));
		n = c->bcd ? to_bcd(n % 10000) : n;
		hi = c->rw == 2 || (c->rw == 3 && c->read_hi);
		if (c->rw == 3)
			c->read_hi = !c->read_hi;
	}
	return (u8)(hi ? n >> 8 : n);
}

/* A counter port write: the count's bytes by access mode. */
static void write_counter(struct vpit_channel *c, u8 val, u64 now)
{
	if (c->rw == 1) {
		load_count(c, val, now);
	} else if (c->rw == 2) {
		load_count(c, (u32)val << 8, now);
	} else if (!c->write_hi) {
		c->lsb = val;
		c->write_hi = true;
		if (c->mode == 0)
			c->counting = false; /* mode 0: the first byte stops the count, OUT low */
	} else {
		c->write_hi = false;
		load_count(c, c->lsb | (u32)val << 8, now);
	}
}

/* Channel 2's gate, from port 0x61 bit 0: low freezes the count; a rising edge restarts
 * modes 2 and 3 and triggers modes 1 and 5 (data sheet, "Gate"). */
static void set_gate(struct vpit_channel *c, bool gate, u64 now)
{
	if (gate == c->gate)
		return;
	if (!gate)
		c->frozen = elapsed(c, now);
	c->gate = gate;
	if (!gate || !c->counting)
		return;
	if (c->mode == 0 || c->mode == 4) {
		c->load = now - to_tsc(c->frozen); /* carry on from where it stopped */
	} else {
		c->load = now;
		c->triggered = true;
	}
}

/* Port 0x61 as read: the written bits 3:0, the refresh toggle and OUT2. */
static u8 port61(const struct vpit *p, u64 now)
{
	const struct vpit_channel *c = &p->ch[2];
	u8 refresh = (to_ticks(now - p->base) / 18) & 1 ? P61_REFRESH : 0;
	return (u8)((p->port61 & 0x0f) | refresh | (out(c, elapsed(c, now)) ? P61_OUT2 : 0));
}

/* Ports 0x40-0x43 and 0x61, read a byte at a time. */
static u64 vpit_read(struct vcpu *v, void *dev, u64 port, u8 size)
{
	struct vpit *p = dev;
	u64 now = vclock_now();
	(void)v, (void)size;
	if (port == 0x61)
		return port61(p, now);
	return port < 0x43 ? read_counter(&p->ch[port - 0x40], now) : 0xff; /* 0x43: no read */
}

/* Ports 0x40-0x43 and 0x61 written; channel 0 changes re-arm its timer. */
static void vpit_write(struct vcpu *v, void *dev, u64 port, u8 size, u64 val)
{
	struct vpit *p = dev;
	u64 now = vclock_now();
	(void)size;
	if (port == 0x61) {
		p->port61 = (u8)val & 0x0f;
		set_gate(&p->ch[2], val & P61_GATE2, now);
		return;
	}
	if (port == 0x43)
		control(p, (u8)val, now);
	else
		write_counter(&p->ch[port - 0x40], (u8)val, now);
	if (port == 0x40 || (port == 0x43 && (val >> 6) == 0))
		arm(v->vm, p, now);
}

/* Nothing counts: every channel waits for a control word and a count. */
void vpit_reset(struct vpit *p, u64 now)
{
	*p = (struct vpit){.base = now};
	for (int n = 0; n < 3; n++)
		p->ch[n] = (struct vpit_channel){.count = 65536, .rw = 3, .gate = n != 2};
}

/* ---- state records (vdev/vrecord.h): kind VREC_PIT, version 1 ---- */

/* A channel's bools, one bit each. */
enum {
	F_BCD = 1,
	F_GATE = 2,
	F_COUNTING = 4,
	F_TRIGGERED = 8,
	F_NULL_COUNT = 16,
	F_STATUS_LATCHED = 32,
	F_READ_HI = 64,
	F_WRITE_HI = 128,
};

struct pit_channel_rec {
	s64 load;      /* 0x00 guest clock of the load, from the saver's now */
	u64 frozen;    /* 0x08 PIT clocks */
	u64 armed;     /* 0x10 PIT clocks since load */
	u32 count;     /* 0x18 1-65536 */
	u16 latch;     /* 0x1c */
	u8 mode;       /* 0x1e 0-5 */
	u8 rw;	       /* 0x1f 1-3 */
	u8 status;     /* 0x20 */
	u8 lsb;	       /* 0x21 */
	u8 latch_left; /* 0x22 0-2 */
	u8 flags;      /* 0x23 F_* */
	u8 zero[4];    /* 0x24 */
};
_Static_assert(sizeof(struct pit_channel_rec) == 40, "PIT channel record");

struct pit_rec {
	struct pit_channel_rec ch[3]; /* 0x00 */
	s64 base;		      /* 0x78 guest clock at reset, from the saver's now */
	s64 timer_at;		      /* 0x80 channel 0's deadline if ch[0].armed, else 0 */
	u8 port61;		      /* 0x88 bits 3:0 */
	u8 zero[7];		      /* 0x89 */
};
_Static_assert(sizeof(struct pit_rec) == 144, "PIT record");
_Static_assert(sizeof(struct vrec_header) + sizeof(struct pit_rec) <= VREC_MAX, "PIT record");

/* A channel as its record keeps it. */
static struct pit_channel_rec channel_rec(const struct vpit_channel *c, u64 now)
{
	return (struct pit_channel_rec){
		.load = vrec_rel(c->load, now),
		.frozen = c->frozen,
		.armed = c->armed,
		.count = c->count,
		.latch = c->latch,
		.mode = c->mode,
		.rw = c->rw,
		.status = c->status,
		.lsb = c->lsb,
		.latch_left = c->latch_left,
		.flags = (u8)(c->bcd * F_BCD | c->gate * F_GATE | c->counting * F_COUNTING |
			      c->triggered * F_TRIGGERED | c->null_count * F_NULL_COUNT |
			      c->status_latched * F_STATUS_LATCHED | c->read_hi * F_READ_HI |
			      c->write_hi * F_WRITE_HI),
	};
}

/* Fill the payload above from the device and write it out behind its header. */
u64 vpit_save(const void *dev, u64 now, void *buf, u64 len)
{
	const struct vpit *p = dev;
	struct pit_rec rec = {
		.base = vrec_rel(p->base, now),
		.timer_at = p->ch[0].armed ? vrec_rel(p->timer_at, now) : 0,
		.port61 = p->port61,
	};
	for (int n = 0; n < 3; n++)
		rec.ch[n] = channel_rec(&p->ch[n], now);
	return vrec_write(buf, len, VREC_PIT, 1, &rec, sizeof(rec));
}

/* A channel from its record, every field in the range the 8254 code can leave it in. */
static struct vpit_channel channel_load(struct vrec_reader *r, const struct pit_channel_rec *c)
{
	vrec_require(r, c->count >= 1 && c->count <= 65536, "PIT count out of range");
	vrec_require(r, c->mode <= 5 && c->rw >= 1 && c->rw <= 3, "PIT mode out of range");
	vrec_require(r, c->latch_left <= (c->rw == 3 ? 2 : 1), "PIT latch out of range");
	vrec_require(r, c->frozen < VREC_TICKS_MAX && c->armed < VREC_TICKS_MAX,
		     "PIT clock count out of range");
	vrec_require(r, !(c->zero[0] | c->zero[1] | c->zero[2] | c->zero[3]), "PIT reserved bytes");
	return (struct vpit_channel){
		.load = vrec_time(r, c->load),
		.frozen = c->frozen,
		.armed = c->armed,
		.count = c->count,
		.latch = c->latch,
		.mode = c->mode,
		.rw = c->rw,
		.status = c->status,
		.lsb = c->lsb,
		.latch_left = c->latch_left,
		.bcd = c->flags & F_BCD,
		.gate = c->flags & F_GATE,
		.counting = c->flags & F_COUNTING,
		.triggered = c->flags & F_TRIGGERED,
		.null_count = c->flags & F_NULL_COUNT,
		.status_latched = c->flags & F_STATUS_LATCHED,
		.read_hi = c->flags & F_READ_HI,
		.write_hi = c->flags & F_WRITE_HI,
	};
}

/* Check the header and every field first; replace the device only if all pass. */
const char *vpit_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len)
{
	struct pit_rec rec;
	struct vrec_reader r;
	if (!vrec_open(&r, buf, len, VREC_PIT, 1, &rec, sizeof(rec), now))
		return r.why;
	struct vpit p = {.port61 = rec.port61, .base = vrec_time(&r, rec.base)};
	for (int n = 0; n < 3; n++)
		p.ch[n] = channel_load(&r, &rec.ch[n]);
	vrec_require(&r, !(rec.port61 & 0xf0), "PIT port 0x61 out of range");
	vrec_require(&r, p.ch[0].gate && p.ch[1].gate, "PIT gate of channel 0 or 1 low");
	vrec_require(&r, p.ch[0].armed || !rec.timer_at, "PIT timer without a count");
	for (int i = 0; i < 7; i++)
		vrec_require(&r, !rec.zero[i], "PIT reserved bytes");
	if (p.ch[0].armed)
		p.timer_at = vrec_deadline(&r, rec.timer_at);
	if (r.why)
		return r.why;
	struct vpit *to = dev;
	*to = p;
	vcpu_timer_set(vm->vcpu[0], p.timer_at, pit_fire, to);
	return NULL;
}

/* Its ports on the buses, and a timer on vCPU 0. */
static bool vpit_attach(struct vm *vm, void *dev)
{
	return vcpu_timer_alloc(vm->vcpu[0], pit_fire, dev) >= 0 &&
	       bus_add(&vm->io, 0x40, 4, &vpit_ops, dev) &&
	       bus_add(&vm->io, 0x61, 1 /* port B: speaker, OUT2 */, &vpit_ops, dev);
}

/* Power-on state, its timer disarmed first. */
static void vpit_reset_op(struct vm *vm, void *dev)
{
	vcpu_timer_set(vm->vcpu[0], 0, pit_fire, dev);
	vpit_reset(dev, vclock_now());
}

const struct vdev_ops vpit_ops = {
	.name = "pit",
	.size = sizeof(struct vpit),
	.read = vpit_read,
	.write = vpit_write,
	.attach = vpit_attach,
	.reset = vpit_reset_op,
	.save = vpit_save,
	.load = vpit_load,
};
