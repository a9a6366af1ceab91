/* The MC146818 RTC: the time from the start-of-VM base in BCD and binary, 24 and 12 hours,
 * UIP's window, setting the time with SET, register C's flags and IRQ 8 for update, periodic
 * and alarm interrupts, and the CMOS memory bytes SeaBIOS and QEMU fill from the RAM size. */
#include "tests/unit/fakes_vdev.h"
#include "vdev/vrecord.h"
#include "vdev/vrtc.h"

#include <stdio.h>
#include <string.h>

static struct vm *vm;

static u8 rd(u8 reg)
{
	fake_write(&vrtc_ops, &fake_dev.rtc, 0x70, 1, reg);
	return (u8)fake_read(&vrtc_ops, &fake_dev.rtc, 0x71, 1);
}

static void wr(u8 reg, u8 val)
{
	fake_write(&vrtc_ops, &fake_dev.rtc, 0x70, 1, reg);
	fake_write(&vrtc_ops, &fake_dev.rtc, 0x71, 1, val);
}

static u64 seconds(u64 s)
{
	return s * fake_khz * 1000;
}

static struct vtimer *timer(void)
{
	return fake_timer(0, &fake_dev.rtc);
}

/* The time registers as "YYYY-MM-DD hh:mm:ss w" in BCD (register B at reset). */
static void expect_bcd(const char *want)
{
	char got[32];
	snprintf(got, sizeof(got), "%02x%02x-%02x-%02x %02x:%02x:%02x %x", rd(CMOS_CENTURY),
		 rd(RTC_YEAR), rd(RTC_MONTH), rd(RTC_MDAY), rd(RTC_HOUR), rd(RTC_MIN), rd(RTC_SEC),
		 rd(RTC_WDAY));
	assert_string_equal(got, want);
}

static int setup(void **state)
{
	(void)state;
	fake_khz = 3000000;
	vm = fake_vm(2, 128 * MiB);
	return 0;
}

static void test_reset_state(void **state)
{
	(void)state;
	expect_bcd("2026-01-01 00:00:00 5"); /* a Thursday */
	assert_int_equal(rd(RTC_REG_A), 0x26);
	assert_int_equal(rd(RTC_REG_B), 0x02);
	assert_int_equal(rd(RTC_REG_C), 0x00);
	assert_int_equal(rd(RTC_REG_D), 0x80);
	assert_int_equal(timer()->deadline, 0); /* no interrupt enabled, no timer */
	assert_int_equal(fake_read(&vrtc_ops, &fake_dev.rtc, 0x70, 1), 0xff);
}

/* A VM starts at the host's time of day (vclock_unix()). */
static void test_starts_at_host_time(void **state)
{
	(void)state;
	fake_unix = 1795478399;
	vm = fake_vm(2, 128 * MiB);
	fake_unix = 1767225600;
	expect_bcd("2026-11-23 23:59:59 2"); /* a Monday */
	fake_now += seconds(1);
	expect_bcd("2026-11-24 00:00:00 3");
}

static void test_time_advances(void **state)
{
	(void)state;
	fake_now += seconds(86400 + 3600 + 2 * 60 + 3);
	expect_bcd("2026-01-02 01:02:03 6");
	fake_now += seconds(58 * 86400 + 22 * 3600);
	expect_bcd("2026-03-01 23:02:03 1"); /* 2026 is not a leap year; a Sunday */
}

static void test_binary_and_12_hour(void **state)
{
	(void)state;
	fake_now += seconds(13 * 3600 + 59);
	wr(RTC_REG_B, 0x06); /* binary, 24 h */
	assert_int_equal(rd(RTC_HOUR), 13);
	assert_int_equal(rd(RTC_SEC), 59);
	assert_int_equal(rd(RTC_YEAR), 26);
	assert_int_equal(rd(CMOS_CENTURY), 20);
	wr(RTC_REG_B, 0x04); /* binary, 12 h */
	assert_int_equal(rd(RTC_HOUR), 0x81);
	wr(RTC_REG_B, 0x00); /* BCD, 12 h */
	assert_int_equal(rd(RTC_HOUR), 0x81);
	fake_now += seconds(11 * 3600);
	assert_int_equal(rd(RTC_HOUR), 0x12); /* midnight is 12 AM */
}

static void test_uip_window(void **state)
{
	(void)state;
	fake_now += seconds(1) / 2;
	assert_int_equal(rd(RTC_REG_A) & 0x80, 0);
	fake_now += seconds(1) / 2 - fake_us(200); /* 200 us before the update */
	assert_int_equal(rd(RTC_REG_A) & 0x80, 0x80);
	assert_int_equal(rd(RTC_SEC), 0x00);
	fake_now += fake_us(201);
	assert_int_equal(rd(RTC_REG_A) & 0x80, 0);
	assert_int_equal(rd(RTC_SEC), 0x01);
	/* Linux's wait: at most a few reads spin with UIP set. */
	fake_now += seconds(1) - fake_us(240);
	int spins = 0;
	while (rd(RTC_REG_A) & 0x80) {
		fake_now += fake_us(10);
		spins++;
	}
	assert_true(spins > 0 && spins < 30);
}

/* Linux's mc146818_set_time: SET, divider reset, the time, then SET off. */
static void test_set_time(void **state)
{
	(void)state;
	wr(RTC_REG_B, 0x02 | 0x80);
	wr(RTC_REG_A, 0x70);
	wr(RTC_YEAR, 0x30), wr(RTC_MONTH, 0x06), wr(RTC_MDAY, 0x15);
	wr(RTC_HOUR, 0x12), wr(RTC_MIN, 0x34), wr(RTC_SEC, 0x56);
	fake_now += seconds(5);
	expect_bcd("2030-06-15 12:34:56 5"); /* frozen while SET: reads what was written */
	wr(RTC_REG_B, 0x02);
	wr(RTC_REG_A, 0x26);
	expect_bcd("2030-06-15 12:34:56 7"); /* a Saturday */
	fake_now += seconds(4);
	expect_bcd("2030-06-15 12:35:00 7");
	/* A field written while the clock runs takes at once. */
	wr(RTC_MIN, 0x59);
	wr(RTC_HOUR, 0x23);
	fake_now += seconds(60);
	expect_bcd("2030-06-16 00:00:00 1");
}

static void test_century_and_leap(void **state)
{
	(void)state;
	wr(RTC_REG_B, 0x82);
	wr(CMOS_CENTURY, 0x20), wr(RTC_YEAR, 0x99), wr(RTC_MONTH, 0x12), wr(RTC_MDAY, 0x31);
	wr(RTC_HOUR, 0x23), wr(RTC_MIN, 0x59), wr(RTC_SEC, 0x59);
	wr(RTC_REG_B, 0x02);
	fake_now += seconds(1);
	expect_bcd("2100-01-01 00:00:00 6");
	wr(RTC_REG_B, 0x82);
	wr(CMOS_CENTURY, 0x20), wr(RTC_YEAR, 0x28), wr(RTC_MONTH, 0x02), wr(RTC_MDAY, 0x28);
	wr(RTC_REG_B, 0x02);
	fake_now += seconds(86400);
	expect_bcd("2028-02-29 00:00:00 3");
}

static void test_update_flag_without_interrupt(void **state)
{
	(void)state;
	fake_now += seconds(1);
	assert_int_equal(rd(RTC_REG_C), 0x50); /* UF, and PF (1024 Hz) */
	assert_int_equal(rd(RTC_REG_C), 0x00); /* cleared by the read */
	assert_int_equal(fake_irq_rises[8], 0);
}

static void test_update_interrupt(void **state)
{
	(void)state;
	wr(RTC_REG_A, 0x20); /* no periodic rate */
	wr(RTC_REG_B, 0x12); /* UIE */
	assert_int_not_equal(timer()->deadline, 0);
	fake_advance(seconds(1));
	assert_int_equal(fake_irq_rises[8], 1);
	assert_true(fake_irq_level[8]);
	assert_int_equal(timer()->deadline, 0); /* IRQF pending: nothing more until C is read */
	assert_int_equal(rd(RTC_REG_C), 0x90);
	assert_false(fake_irq_level[8]);
	fake_advance(seconds(1));
	assert_int_equal(fake_irq_rises[8], 2);
	wr(RTC_REG_B, 0x02);
	rd(RTC_REG_C);
	assert_int_equal(timer()->deadline, 0);
}

static void test_periodic_interrupt(void **state)
{
	(void)state;
	u64 start = fake_now;
	wr(RTC_REG_B, 0x42); /* PIE at 1024 Hz */
	assert_int_equal(timer()->deadline, start + (32 * fake_khz * 1000 + 32767) / 32768);
	fake_advance(fake_us(977));
	assert_int_equal(fake_irq_rises[8], 1);
	assert_int_equal(rd(RTC_REG_C), 0xc0);
	wr(RTC_REG_A, 0x2f); /* 2 Hz */
	fake_advance(seconds(1) / 2);
	assert_int_equal(fake_irq_rises[8], 2);
	assert_int_equal(rd(RTC_REG_C) & 0xc0, 0xc0);
	wr(RTC_REG_A, 0x21); /* rate 1: 256 Hz (3.90625 ms) */
	fake_advance(fake_us(3906) + fake_us(1));
	assert_int_equal(fake_irq_rises[8], 3);
}

static void test_alarm(void **state)
{
	(void)state;
	wr(RTC_REG_A, 0x20);
	wr(RTC_SEC_ALARM, 0x05);
	wr(RTC_MIN_ALARM, 0xc0); /* any minute */
	wr(RTC_HOUR_ALARM, 0x00);
	wr(RTC_REG_B, 0x22); /* AIE */
	fake_advance(seconds(4));
	assert_int_equal(fake_irq_rises[8], 0);
	fake_advance(seconds(1));
	assert_int_equal(fake_irq_rises[8], 1);
	assert_int_equal(rd(RTC_REG_C), 0xb0); /* IRQF, AF, UF */
}

static void test_cmos_memory(void **state)
{
	(void)state;
	assert_int_equal(rd(0x15) | rd(0x16) << 8, 640);
	assert_int_equal(rd(0x17) | rd(0x18) << 8, 0xffff); /* 127 MiB, capped */
	assert_int_equal(rd(0x30) | rd(0x31) << 8, 0xffff);
	assert_int_equal(rd(0x34) | rd(0x35) << 8, (128 - 16) * 16);
	assert_int_equal(rd(0x5b) | rd(0x5c) << 8 | rd(0x5d) << 16, 0);
	assert_int_equal(rd(0x5f), 1); /* two vCPUs */
	u16 sum = 0;
	for (u8 i = 0x10; i < 0x2e; i++)
		sum = (u16)(sum + rd(i));
	assert_int_equal(rd(0x2e) << 8 | rd(0x2f), sum);
	wr(0x40, 0xa5); /* plain RAM */
	assert_int_equal(rd(0x40), 0xa5);
	/* 6 GiB: 3 below 4 GiB and 3 above. */
	vm = fake_vm(1, 6 * GiB);
	assert_int_equal(rd(0x34) | rd(0x35) << 8, (3 * 1024 - 16) * 16);
	assert_int_equal(rd(0x5b) | rd(0x5c) << 8 | rd(0x5d) << 16, 3 * 1024 * 16);
	assert_int_equal(rd(0x5f), 0);
	/* 16 MiB or less: nothing above 16 MiB. */
	vm = fake_vm(1, 8 * MiB);
	assert_int_equal(rd(0x17) | rd(0x18) << 8, 7 * 1024);
	assert_int_equal(rd(0x34) | rd(0x35) << 8, 0);
}

/* A restart keeps what the guest wrote in CMOS RAM; the clock and memory bytes start afresh. */
static void test_keep_ram(void **state)
{
	(void)state;
	struct vrtc *r = &fake_dev.rtc;
	u8 ram[sizeof(r->cmos)];
	wr(0x7e, 0x4b);
	wr(0x0f, 0x0a);	     /* the shutdown byte a BIOS reads after a reset */
	wr(0x15, 0x12);	     /* a memory byte the guest overwrote */
	wr(RTC_REG_B, 0x06); /* binary, 24 h */
	memcpy(ram, r->cmos, sizeof(ram));
	vrtc_reset(r, 0, vm->mem.low_end, vm->mem.size - vm->mem.low_end);
	vrtc_keep_ram(r, ram, vm->mem.low_end, vm->mem.size - vm->mem.low_end);
	assert_int_equal(rd(0x7e), 0x4b);
	assert_int_equal(rd(0x0f), 0x0a);
	assert_int_equal(rd(0x15) | rd(0x16) << 8, 640);
	assert_int_equal(rd(RTC_REG_B), RTC_B_24H); /* back to BCD */
	u16 sum = 0;
	for (u8 i = 0x10; i < 0x2e; i++)
		sum = (u16)(sum + rd(i));
	assert_int_equal(rd(0x2e) << 8 | rd(0x2f), sum);
}

static void test_nmi_bit_and_readonly(void **state)
{
	(void)state;
	fake_write(&vrtc_ops, &fake_dev.rtc, 0x70, 1, 0x80 | RTC_REG_D);
	assert_int_equal(fake_read(&vrtc_ops, &fake_dev.rtc, 0x71, 1), 0x80);
	assert_true(fake_dev.rtc.nmi_masked);
	wr(RTC_REG_D, 0x00);
	assert_int_equal(rd(RTC_REG_D), 0x80);
	wr(RTC_REG_C, 0xff);
	assert_int_equal(rd(RTC_REG_C), 0x00);
	wr(RTC_REG_A, 0xa6); /* UIP is read-only */
	assert_int_equal(rd(RTC_REG_A) & 0x7f, 0x26);
}

/* ---- save and load ---- */

/* What the RTC does from now on: the time, UIP, flags, IRQ 8 and the timer's deadline as time
 * goes by, with register C read now and then and the update interrupt turned on midway. */
static void behaviour(struct fake_trace *t)
{
	u64 start = fake_now;
	memset(fake_irq_rises, 0, sizeof(fake_irq_rises));
	for (u64 step = 0; step < 40; step++) {
		fake_note(t, fake_deadline(0, &fake_dev.rtc, start));
		fake_note(t, fake_irq_level[8]);
		fake_note(t, (u64)fake_irq_rises[8]);
		fake_note(t, rd(RTC_REG_A));
		fake_note(t, rd(RTC_SEC));
		fake_note(t, rd(RTC_MIN));
		if (step % 3 == 2)
			fake_note(t, rd(RTC_REG_C));
		if (step == 20)
			wr(RTC_REG_B, 0x72); /* and the update interrupt */
		fake_advance(seconds(1) / 7 + step * 1000 + 3);
	}
	fake_note(t, rd(0x40)); /* a RAM byte */
}

/* An RTC with periodic and alarm interrupts on, an alarm two seconds ahead, a periodic
 * interrupt pending (IRQ 8 high), a RAM byte written and the NMI bit set. */
static void busy(void)
{
	wr(RTC_REG_A, 0x2c); /* 16 Hz */
	wr(RTC_SEC_ALARM, 0x02);
	wr(RTC_MIN_ALARM, 0xc0);
	wr(RTC_HOUR_ALARM, 0xc0);
	wr(RTC_REG_B, 0x62); /* PIE, AIE, 24 h, BCD */
	wr(0x40, 0x5a);
	fake_advance(seconds(1) / 10);
	fake_write(&vrtc_ops, &fake_dev.rtc, 0x70, 1, 0x80); /* NMI masked, seconds */
}

/* Save a busy RTC and watch it; load the record into a fresh VM whose clock is earlier and
 * whose host time differs, and watch that: the same time, flags, interrupts and deadlines. */
static void test_save_load(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX], again[VREC_MAX];
	static struct fake_trace a, b;
	static bool lines[24];
	busy();
	assert_true(fake_irq_level[8]);
	u64 len = vrtc_save(&fake_dev.rtc, fake_now, rec, sizeof(rec));
	assert_int_equal(len, 16 + 168);
	memcpy(lines, fake_irq_level, sizeof(lines));
	behaviour(&a);

	fake_now = 5000;
	fake_unix = 0;
	vm = fake_vm(2, 128 * MiB);
	memcpy(fake_irq_level, lines, sizeof(lines)); /* the PIC's record keeps IRQ 8 high */
	assert_null(vrtc_load(vm, &fake_dev.rtc, fake_now, rec, len));
	assert_int_equal(vrtc_save(&fake_dev.rtc, fake_now, again, sizeof(again)), len);
	assert_memory_equal(rec, again, len);
	behaviour(&b);
	fake_same(&a, &b);
	fake_unix = 1767225600;
}

/* Damaged records are refused and change nothing; so is register D without VRT. */
static void test_load_refusals(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	busy();
	u64 len = vrtc_save(&fake_dev.rtc, fake_now, rec, sizeof(rec));
	vm = fake_vm(2, 128 * MiB);
	fake_refusals(vrtc_load, &fake_dev.rtc, sizeof(fake_dev.rtc), rec, len, 16 + 0x20 + 0x0d,
		      0);
	fake_refusals(vrtc_load, &fake_dev.rtc, sizeof(fake_dev.rtc), rec, len, 16 + 0xa0, 0x80);
	assert_int_equal(timer()->deadline, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reset_state, setup),
		cmocka_unit_test_setup(test_starts_at_host_time, setup),
		cmocka_unit_test_setup(test_time_advances, setup),
		cmocka_unit_test_setup(test_binary_and_12_hour, setup),
		cmocka_unit_test_setup(test_uip_window, setup),
		cmocka_unit_test_setup(test_set_time, setup),
		cmocka_unit_test_setup(test_century_and_leap, setup),
		cmocka_unit_test_setup(test_update_flag_without_interrupt, setup),
		cmocka_unit_test_setup(test_update_interrupt, setup),
		cmocka_unit_test_setup(test_periodic_interrupt, setup),
		cmocka_unit_test_setup(test_alarm, setup),
		cmocka_unit_test_setup(test_cmos_memory, setup),
		cmocka_unit_test_setup(test_keep_ram, setup),
		cmocka_unit_test_setup(test_nmi_bit_and_readonly, setup),
		cmocka_unit_test_setup(test_save_load, setup),
		cmocka_unit_test_setup(test_load_refusals, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
