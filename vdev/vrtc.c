/* MC146818A RTC (Motorola data sheet MC146818A/D) and CMOS RAM. The time is never ticked: it
 * is base_unix plus the guest clock's elapsed time, shown in BCD or binary and 24 or 12 hours
 * per register B. Register A's UIP bit is on for the last 244 us of every second, as the
 * update cycle keeps it, so wait-for-UIP loops end. Interrupt flags (register C) are
 * brought up to date at each access; a vCPU-0 timer (asked for at attach) runs only while the guest
 * enables an interrupt, and raises ISA IRQ 8 until register C is read. */
#include "vdev/vrtc.h"
#include "vdev/vdev.h"
#include "lib/string.h"

#define TICK_HZ	  32768 /* the divider chain's input: the 32.768 kHz time base */
#define UIP_TICKS 8	/* UIP leads the update by 244 us: 8 ticks of the time base */

#define A_DV_MASK 0x70
#define A_DV_32K  0x20 /* divider on, 32.768 kHz time base */
#define B_SET	  0x80
#define B_PIE	  0x40 /* the enables sit at the same bits as their flags in register C */
#define B_AIE	  0x20
#define B_UIE	  0x10
#define C_IRQF	  0x80
#define D_VRT	  0x80

/* Time-base ticks since reset. */
static u64 ticks(const struct vrtc *r, u64 now)
{
	return vdev_muldiv(vrec_since(now, r->base_tsc), TICK_HZ, vclock_khz() * 1000);
}

/* The divider runs from the 32.768 kHz time base (register A DV = 010). */
static bool running(const struct vrtc *r)
{
	return (r->cmos[RTC_REG_A] & A_DV_MASK) == A_DV_32K;
}

/* ---- register formats (register B: DM and 24/12) ---- */

static u8 enc(const struct vrtc *r, u32 x)
{
	return (u8)((r->cmos[RTC_REG_B] & RTC_B_DM_BIN) ? x : (x / 10) << 4 | x % 10);
}

/* A register value in the current format (BCD or binary) as a number. */
static u32 dec(const struct vrtc *r, u8 x)
{
	return (r->cmos[RTC_REG_B] & RTC_B_DM_BIN) ? x : (x >> 4) * 10u + (x & 0xf);
}

/* 12-hour mode: 1-12 with bit 7 for PM. */
static u8 enc_hour(const struct vrtc *r, u32 h)
{
	if (r->cmos[RTC_REG_B] & RTC_B_24H)
		return enc(r, h);
	return (u8)(enc(r, h % 12 ? h % 12 : 12) | (h >= 12 ? RTC_HOUR_PM : 0));
}

/* The hour register as 0-23, in 24- or 12-hour format. */
static u32 dec_hour(const struct vrtc *r, u8 x)
{
	if (r->cmos[RTC_REG_B] & RTC_B_24H)
		return dec(r, x) % 24;
	return dec(r, x & (u8)~RTC_HOUR_PM) % 12 + (x & RTC_HOUR_PM ? 12 : 0);
}

/* The clock's time into the time registers. */
static void snapshot(struct vrtc *r, u64 now)
{
	struct civil tm;
	civil_from_unix(r->base_unix + (s64)(ticks(r, now) / TICK_HZ), &tm);
	u8 *c = r->cmos;
	c[RTC_SEC] = enc(r, tm.sec), c[RTC_MIN] = enc(r, tm.min),
	c[RTC_HOUR] = enc_hour(r, tm.hour);
	c[RTC_WDAY] = enc(r, tm.wday), c[RTC_MDAY] = enc(r, tm.mday), c[RTC_MONTH] = enc(r, tm.mon);
	c[RTC_YEAR] = enc(r, (u32)(tm.year % 100)), c[CMOS_CENTURY] = enc(r, (u32)(tm.year / 100));
}

/* The time registers (as the guest set them) become the clock's time. */
static void commit(struct vrtc *r, u64 now)
{
	const u8 *c = r->cmos;
	struct civil tm = {
		.year = dec(r, c[CMOS_CENTURY]) * 100 + dec(r, c[RTC_YEAR]) % 100,
		.mon = MIN(MAX(dec(r, c[RTC_MONTH]), 1u), 12u),
		.mday = MIN(MAX(dec(r, c[RTC_MDAY]), 1u), 31u),
		.hour = dec_hour(r, c[RTC_HOUR]),
		.min = dec(r, c[RTC_MIN]) % 60,
		.sec = dec(r, c[RTC_SEC]) % 60,
	};
	r->base_unix = civil_to_unix(&tm) - (s64)(ticks(r, now) / TICK_HZ);
}

/* ---- interrupts ---- */

/* Periodic interrupt period in time-base ticks for rate select rs (data sheet table 5). */
static u64 period(u8 rs)
{
	return rs <= 2 ? 1ull << (rs + 6) : 1ull << (rs - 1);
}

/* An alarm byte with bits 7:6 set matches anything. */
static bool alarm_match(const struct vrtc *r)
{
	const u8 *c = r->cmos;
	for (int i = RTC_SEC; i <= RTC_HOUR; i += 2)
		if ((c[i + 1] & 0xc0) != 0xc0 && c[i + 1] != c[i])
			return false;
	return true;
}

/* Set the flags of what happened up to now; IRQ 8 rises with IRQF (data sheet, "Interrupts"). */
static void catch_up(struct vm *vm, struct vrtc *r, u64 now)
{
	u64 t = ticks(r, now), rs = r->cmos[RTC_REG_A] & 0xf;
	u8 *c = r->cmos, flags = 0;
	bool on = running(r);
	if (t <= r->seen)
		return;
	if (on && rs && t / period((u8)rs) != r->seen / period((u8)rs))
		flags |= B_PIE;
	if (on && !(c[RTC_REG_B] & B_SET) && t / TICK_HZ != r->seen / TICK_HZ) {
		flags |= B_UIE;
		snapshot(r, now);
		if (alarm_match(r))
			flags |= B_AIE;
	}
	r->seen = t;
	c[RTC_REG_C] |= flags;
	if ((c[RTC_REG_C] & c[RTC_REG_B] & 0x70) && !(c[RTC_REG_C] & C_IRQF)) {
		c[RTC_REG_C] |= C_IRQF;
		vm_irq_set(vm, 8, true);
	}
}

static void rtc_fire(struct vcpu *v, void *dev);

/* Arm vCPU 0's timer for the next enabled event while IRQF is clear, or disarm it. */
static void arm(struct vm *vm, struct vrtc *r, u64 now)
{
	u8 a = r->cmos[RTC_REG_A], b = r->cmos[RTC_REG_B], rs = a & 0xf;
	u64 t = ticks(r, now), next = ~0ull;
	if (running(r) && !(r->cmos[RTC_REG_C] & C_IRQF)) {
		if ((b & B_PIE) && rs)
			next = (t / period(rs) + 1) * period(rs);
		if ((b & (B_AIE | B_UIE)) && !(b & B_SET))
			next = MIN(next, (t / TICK_HZ + 1) * TICK_HZ);
	}
	u64 at = next == ~0ull ? 0
			       : r->base_tsc + vdev_muldiv_up(next, vclock_khz() * 1000, TICK_HZ);
	r->timer_at = at;
	vcpu_timer_set(vm->vcpu[0], at, rtc_fire, r);
}

/* vCPU 0's timer: flag what happened, raise IRQ 8 if enabled, arm the next. */
static void rtc_fire(struct vcpu *v, void *dev)
{
	u64 now = vclock_now();
	dev_lock(v->vm);
	catch_up(v->vm, dev, now);
	arm(v->vm, dev, now);
	dev_unlock(v->vm);
}

/* ---- registers ---- */

/* A register or CMOS byte read: the time live (unless SET), A with UIP, C cleared. */
static u8 reg_read(struct vm *vm, struct vrtc *r, u8 i, u64 now)
{
	u8 *c = r->cmos;
	if ((i <= RTC_YEAR || i == CMOS_CENTURY) && !(c[RTC_REG_B] & B_SET))
		snapshot(r, now);
	switch (i) {
	case RTC_REG_A: {
		catch_up(vm, r, now);
		bool uip = running(r) && !(c[RTC_REG_B] & B_SET) &&
			   ticks(r, now) % TICK_HZ >= TICK_HZ - UIP_TICKS;
		return (u8)(c[i] | (uip ? RTC_A_UIP : 0));
	}
	case RTC_REG_C: {
		catch_up(vm, r, now);
		u8 flags = c[i];
		c[i] = 0;
		if (flags & C_IRQF)
			vm_irq_set(vm, 8, false);
		arm(vm, r, now);
		return flags;
	}
	case CMOS_NCPUS: return (u8)(vm->nvcpus ? vm->nvcpus - 1 : 0);
	default: return c[i];
	}
}

/* A register or CMOS byte written: time fields, A, B (SET), or RAM; C and D are read-only. */
static void reg_write(struct vm *vm, struct vrtc *r, u8 i, u8 val, u64 now)
{
	u8 *c = r->cmos, b = c[RTC_REG_B];
	catch_up(vm, r, now);
	if (i <= RTC_YEAR || i == CMOS_CENTURY) {
		if (i & 1 && i < RTC_WDAY) { /* alarms */
			c[i] = val;
			return;
		}
		if (!(b & B_SET)) /* a running clock takes the new field at once */
			snapshot(r, now);
		c[i] = val;
		if (!(b & B_SET))
			commit(r, now);
		return;
	}
	if (i == RTC_REG_A) {
		c[i] = val & 0x7f;
	} else if (i == RTC_REG_B) {
		if ((val & B_SET) && !(b & B_SET))
			snapshot(r, now); /* SET freezes the registers for the guest to write */
		c[i] = val & B_SET ? val & ~B_UIE : val;
		if (!(val & B_SET) && (b & B_SET))
			commit(r, now);
	} else if (i != RTC_REG_C && i != RTC_REG_D) {
		c[i] = val;
		return;
	}
	arm(vm, r, now);
}

/* Port 0x71 reads the selected register; 0x70 is write-only. */
static u64 vrtc_read(struct vcpu *v, void *dev, u64 port, u8 size)
{
	struct vrtc *r = dev;
	(void)size;
	if (port == 0x70)
		return 0xff; /* the index register is write-only */
	return reg_read(v->vm, r, r->index, vclock_now());
}

/* Port 0x70 selects a register (bit 7: NMI mask), 0x71 writes it. */
static void vrtc_write(struct vcpu *v, void *dev, u64 port, u8 size, u64 val)
{
	struct vrtc *r = dev;
	(void)size;
	if (port == 0x70) {
		r->index = val & 0x7f;
		r->nmi_masked = val & 0x80;
	} else {
		reg_write(v->vm, r, r->index, (u8)val, vclock_now());
	}
}

/* Memory sizes where QEMU and SeaBIOS keep them, with the checksum over 0x10-0x2d. */
static void fill_memory(u8 *c, u64 low, u64 high)
{
	u64 ext = low > MiB ? MIN((low - MiB) / KiB, 0xffffull) : 0;
	u64 m16 = low > 16 * MiB ? MIN((low - 16 * MiB) / (64 * KiB), 0xffffull) : 0;
	u64 m4g = MIN(high / (64 * KiB), 0xffffffull);
	c[CMOS_BASE_MEM] = 0x80, c[CMOS_BASE_MEM + 1] = 0x02; /* 640 KiB */
	c[CMOS_EXT_MEM] = c[CMOS_EXT_MEM2] = (u8)ext;
	c[CMOS_EXT_MEM + 1] = c[CMOS_EXT_MEM2 + 1] = (u8)(ext >> 8);
	c[CMOS_MEM_16M] = (u8)m16, c[CMOS_MEM_16M + 1] = (u8)(m16 >> 8);
	c[CMOS_MEM_4G] = (u8)m4g, c[CMOS_MEM_4G + 1] = (u8)(m4g >> 8);
	c[CMOS_MEM_4G + 2] = (u8)(m4g >> 16);
	u16 sum = 0;
	for (int i = 0x10; i < CMOS_CSUM; i++)
		sum = (u16)(sum + c[i]);
	c[CMOS_CSUM] = (u8)(sum >> 8), c[CMOS_CSUM + 1] = (u8)sum;
}

/* Register A-D defaults, the memory bytes, and the time of day from vclock_unix(). */
void vrtc_reset(struct vrtc *r, u64 now, u64 low, u64 high)
{
	*r = (struct vrtc){.base_tsc = now, .base_unix = vclock_unix()};
	r->cmos[RTC_REG_A] = A_DV_32K | 6; /* 1024 Hz periodic rate, as a BIOS leaves it */
	r->cmos[RTC_REG_B] = RTC_B_24H;	   /* BCD, 24 hours, no interrupts */
	r->cmos[RTC_REG_D] = D_VRT;	   /* valid RAM and time */
	fill_memory(r->cmos, low, high);
	snapshot(r, now);
}

void vrtc_keep_ram(struct vrtc *r, const u8 *ram, u64 low, u64 high)
{
	for (int i = RTC_REG_D + 1; i < (int)sizeof(r->cmos); i++)
		if (i != CMOS_CENTURY) /* part of the clock */
			r->cmos[i] = ram[i];
	fill_memory(r->cmos, low, high);
}

/* ---- state records (vdev/vrecord.h): kind VREC_RTC, version 1 ---- */

struct rtc_rec {
	s64 base;	/* 0x00 guest clock at the time base's start, from the saver's now */
	s64 timer_at;	/* 0x08 the timer's deadline from the saver's now, if timer_armed */
	u64 seen;	/* 0x10 time-base ticks the flags are up to date for */
	s64 base_unix;	/* 0x18 Unix seconds at the time base's start */
	u8 cmos[128];	/* 0x20 registers A-D, the time as last shown, and the RAM */
	u8 index;	/* 0xa0 0-0x7f */
	u8 nmi_masked;	/* 0xa1 0-1 */
	u8 timer_armed; /* 0xa2 0-1 */
	u8 zero[5];	/* 0xa3 */
};
_Static_assert(sizeof(struct rtc_rec) == 168, "RTC record");
_Static_assert(sizeof(struct vrec_header) + sizeof(struct rtc_rec) <= VREC_MAX, "RTC record");

#define UNIX_MAX (1ll << 40) /* seconds: far past any year the registers can show */

/* Fill the payload above from the device and write it out behind its header. */
u64 vrtc_save(const void *dev, u64 now, void *buf, u64 len)
{
	const struct vrtc *r = dev;
	struct rtc_rec rec = {
		.base = vrec_rel(r->base_tsc, now),
		.timer_at = r->timer_at ? vrec_rel(r->timer_at, now) : 0,
		.seen = r->seen,
		.base_unix = r->base_unix,
		.index = r->index,
		.nmi_masked = r->nmi_masked,
		.timer_armed = r->timer_at != 0,
	};
	memcpy(rec.cmos, r->cmos, sizeof(rec.cmos));
	return vrec_write(buf, len, VREC_RTC, 1, &rec, sizeof(rec));
}

/* Registers A-D as the code leaves them: A without UIP, C's low bits clear, D's VRT alone,
 * and B never with SET and UIE together. */
static void check_registers(struct vrec_reader *v, const u8 *c)
{
	vrec_require(v, !(c[RTC_REG_A] & RTC_A_UIP), "RTC register A out of range");
	vrec_require(v, (c[RTC_REG_B] & (B_SET | B_UIE)) != (B_SET | B_UIE),
		     "RTC register B out of range");
	vrec_require(v, !(c[RTC_REG_C] & 0x0f), "RTC register C out of range");
	vrec_require(v, c[RTC_REG_D] == D_VRT, "RTC register D out of range");
}

/* Check the header and every field first; replace the device only if all pass. */
const char *vrtc_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len)
{
	struct rtc_rec rec;
	struct vrec_reader v;
	if (!vrec_open(&v, buf, len, VREC_RTC, 1, &rec, sizeof(rec), now))
		return v.why;
	/* The flags cannot be ahead of the time base at save (its ticks in the saver's rate). */
	u64 age = rec.base < 0 && rec.base >= -VREC_TIME_MAX ? (u64)-rec.base : 0;
	u64 seen_max = vdev_muldiv(age, TICK_HZ, (u64)v.khz * 1000);
	check_registers(&v, rec.cmos);
	vrec_require(&v, rec.seen <= seen_max, "RTC flags ahead of the clock");
	vrec_require(&v, rec.base_unix > -UNIX_MAX && rec.base_unix < UNIX_MAX,
		     "RTC time of day out of range");
	vrec_require(&v, rec.index < 0x80 && rec.nmi_masked <= 1, "RTC index out of range");
	vrec_require(&v, rec.timer_armed <= 1 && (rec.timer_armed || !rec.timer_at),
		     "RTC timer out of range");
	for (int i = 0; i < 5; i++)
		vrec_require(&v, !rec.zero[i], "RTC reserved bytes");
	struct vrtc r = {
		.index = rec.index,
		.nmi_masked = rec.nmi_masked,
		.base_tsc = vrec_time(&v, rec.base),
		.seen = rec.seen,
		.base_unix = rec.base_unix,
		.timer_at = rec.timer_armed ? vrec_deadline(&v, rec.timer_at) : 0,
	};
	memcpy(r.cmos, rec.cmos, sizeof(r.cmos));
	if (v.why)
		return v.why;
	struct vrtc *to = dev;
	*to = r;
	vcpu_timer_set(vm->vcpu[0], r.timer_at, rtc_fire, to);
	return NULL;
}

/* Its ports on the buses, and a timer on vCPU 0. */
static bool vrtc_attach(struct vm *vm, void *dev)
{
	return vcpu_timer_alloc(vm->vcpu[0], rtc_fire, dev) >= 0 &&
	       bus_add(&vm->io, 0x70, 2, &vrtc_ops, dev);
}

/* Power-on state, its timer disarmed first. */
static void vrtc_reset_op(struct vm *vm, void *dev)
{
	vcpu_timer_set(vm->vcpu[0], 0, rtc_fire, dev);
	vrtc_reset(dev, vclock_now(), vm->mem.low_end, vm->mem.size - vm->mem.low_end);
}

const struct vdev_ops vrtc_ops = {
	.name = "rtc",
	.size = sizeof(struct vrtc),
	.read = vrtc_read,
	.write = vrtc_write,
	.attach = vrtc_attach,
	.reset = vrtc_reset_op,
	.save = vrtc_save,
	.load = vrtc_load,
};
