/* The 8254: channel 0's periodic and one-shot interrupts as Linux programs them, counts read
 * live, latched and through read-back, the status byte, channel 2 and port 0x61 as Linux's
 * TSC calibration polls them, the gate, BCD, and the timer being re-armed and disarmed. */
#include "tests/unit/fakes_vdev.h"
#include "vdev/vpic.h"
#include "vdev/vpit.h"
#include "vdev/vrecord.h"

#include <string.h>

static struct vm *vm;

static void out(u16 port, u8 val)
{
	fake_write(&vpit_ops, &fake_dev.pit, port, 1, val);
}

static u8 in(u16 port)
{
	return (u8)fake_read(&vpit_ops, &fake_dev.pit, port, 1);
}

/* Guest clock ticks for n PIT clocks (rounded up). */
static u64 clocks(u64 n)
{
	return (n * fake_khz * 1000 + VPIT_HZ - 1) / VPIT_HZ;
}

static struct vtimer *timer(void)
{
	return fake_timer(0, &fake_dev.pit);
}

static u16 latched(u16 port, int ch)
{
	out(0x43, (u8)(ch << 6)); /* counter latch */
	u8 lo = in(port);
	return (u16)(lo | in(port) << 8);
}

static int setup(void **state)
{
	(void)state;
	fake_khz = 3000000;
	vm = fake_vm(1, 64 * MiB);
	return 0;
}

static void test_off_at_reset(void **state)
{
	(void)state;
	assert_int_equal(timer()->deadline, 0);
	fake_advance(fake_us(100000));
	assert_int_equal(fake_irq_rises[0], 0);
	assert_int_equal(in(0x61) & 0x20, 0); /* OUT2 low: mode 0, no count */
}

/* Linux's periodic tick: mode 2, LATCH = 1193182 / 250. */
static void test_periodic_mode2(void **state)
{
	(void)state;
	const u32 latch = 4773;
	u64 start = fake_now;
	out(0x43, 0x34);
	out(0x40, latch & 0xff);
	out(0x40, latch >> 8);
	assert_int_equal(timer()->deadline, start + clocks(latch));
	fake_advance(clocks(latch) - 1);
	assert_int_equal(fake_irq_rises[0], 0);
	fake_advance(1);
	assert_int_equal(fake_irq_rises[0], 1);
	assert_false(fake_irq_level[0]); /* a pulse */
	fake_advance(clocks(10 * latch));
	assert_int_equal(fake_irq_rises[0], 11);
	/* The next deadline lies on the grid of the first load: no drift. */
	assert_int_equal(timer()->deadline, start + clocks(12 * latch));
	/* A vCPU that comes back after a long absence gets one tick, not a storm. */
	fake_now += clocks(100 * latch);
	fake_advance(0);
	assert_int_equal(fake_irq_rises[0], 12);
}

static void test_live_and_latched_count(void **state)
{
	(void)state;
	out(0x43, 0x34);
	out(0x40, 0x00);
	out(0x40, 0x10); /* 4096 */
	fake_now += clocks(100);
	assert_int_equal(latched(0x40, 0), 4096 - 100);
	fake_now += clocks(4096);
	assert_int_equal(latched(0x40, 0), 4096 - 100); /* periodic: same phase */
	/* A latch holds its value until read, even as time moves. */
	out(0x43, 0x00);
	fake_now += clocks(50);
	u8 lo = in(0x40);
	u8 hi = in(0x40);
	assert_int_equal(lo | hi << 8, 4096 - 100);
	/* Live lo/hi reads alternate. */
	u8 l2 = in(0x40), h2 = in(0x40);
	assert_int_equal(l2 | h2 << 8, 4096 - 150);
}

/* Linux's PIT clockevent one-shot (mode 4, 0x38) and its shutdown (mode 0, no count). */
static void test_oneshot_and_shutdown(void **state)
{
	(void)state;
	u64 start = fake_now;
	out(0x43, 0x38);
	out(0x40, 200);
	out(0x40, 0);
	assert_int_equal(timer()->deadline, start + clocks(201)); /* back high after zero */
	fake_advance(clocks(1000));
	assert_int_equal(fake_irq_rises[0], 1);
	assert_int_equal(timer()->deadline, 0);
	out(0x43, 0x38);
	out(0x40, 50);
	out(0x43, 0x30); /* shutdown: the control word stops the count */
	assert_int_equal(timer()->deadline, 0);
	fake_advance(clocks(100000));
	assert_int_equal(fake_irq_rises[0], 1);
}

static void test_mode0_interrupt_on_terminal_count(void **state)
{
	(void)state;
	u64 start = fake_now;
	out(0x43, 0x30);
	out(0x40, 0xe8);
	out(0x40, 0x03); /* 1000 */
	assert_int_equal(timer()->deadline, start + clocks(1000));
	fake_advance(clocks(5000));
	assert_int_equal(fake_irq_rises[0], 1);
	assert_int_equal(timer()->deadline, 0);
	/* After zero the count wraps on. */
	assert_int_equal(latched(0x40, 0),
			 (u16)(1000 - (fake_now - start) * VPIT_HZ / (fake_khz * 1000)));
}

/* Linux's pit_calibrate_tsc: gate on, channel 2 mode 0, poll OUT2 on port 0x61. */
static void test_channel2_calibration(void **state)
{
	(void)state;
	out(0x61, (in(0x61) & ~0x02) | 0x01);
	out(0x43, 0xb0);
	out(0x42, 0xff);
	out(0x42, 0xff);
	assert_int_equal(in(0x61) & 0x21, 0x01); /* gate on, OUT2 low */
	fake_now += clocks(0xffff) - 2;
	assert_int_equal(in(0x61) & 0x20, 0);
	fake_now += 3;
	assert_int_equal(in(0x61) & 0x20, 0x20);
	assert_int_equal(fake_irq_rises[0], 0); /* channel 2 raises nothing */
	/* quick_pit_calibrate reads the MSB without latching, low byte first. */
	out(0x43, 0xb0);
	out(0x42, 0xff);
	out(0x42, 0xff);
	fake_now += clocks(0x300);
	in(0x42);
	assert_int_equal(in(0x42), 0xfc);
}

static void test_readback_and_status(void **state)
{
	(void)state;
	out(0x43, 0x36); /* channel 0, lo/hi, mode 3 */
	out(0x43, 0xe2);
	assert_int_equal(in(0x40), 0xc0 | 0x36); /* OUT high, null count until loaded */
	out(0x40, 0x00);
	out(0x40, 0x01); /* 256 */
	fake_now += clocks(10);
	out(0x43, 0xc2);			 /* read-back: count and status of channel 0 */
	assert_int_equal(in(0x40), 0x80 | 0x36); /* OUT high, mode 3, lo/hi */
	u8 lo = in(0x40), hi = in(0x40);
	assert_int_equal(lo | hi << 8, 256 - 20); /* mode 3 counts by two */
	fake_now += clocks(128);
	out(0x43, 0xe2);
	assert_int_equal(in(0x40) & 0x80, 0); /* second half: OUT low */
}

static void test_square_wave_out2(void **state)
{
	(void)state;
	out(0x61, 0x03);
	out(0x43, 0xb6); /* channel 2, mode 3: the speaker tone */
	out(0x42, 100);
	out(0x42, 0);
	assert_int_equal(in(0x61) & 0x23, 0x23);
	fake_now += clocks(51);
	assert_int_equal(in(0x61) & 0x20, 0);
	fake_now += clocks(50);
	assert_int_equal(in(0x61) & 0x20, 0x20);
	out(0x61, 0x02); /* gate low: OUT high and the count holds */
	u16 held = latched(0x42, 2);
	fake_now += clocks(30);
	assert_int_equal(latched(0x42, 2), held);
	assert_int_equal(in(0x61) & 0x20, 0x20);
}

static void test_gate_pauses_mode0(void **state)
{
	(void)state;
	out(0x61, 0x01);
	out(0x43, 0xb0);
	out(0x42, 0xe8);
	out(0x42, 0x03);
	fake_now += clocks(400);
	out(0x61, 0x00);
	fake_now += clocks(5000);
	assert_int_equal(in(0x61) & 0x20, 0);
	out(0x61, 0x01);
	fake_now += clocks(599);
	assert_int_equal(in(0x61) & 0x20, 0);
	fake_now += clocks(2);
	assert_int_equal(in(0x61) & 0x20, 0x20);
}

static void test_refresh_toggle_and_port61_bits(void **state)
{
	(void)state;
	out(0x61, 0xfe);
	assert_int_equal(in(0x61) & 0x0f, 0x0e); /* bits 3:0 read back; 7:4 are status */
	u8 a = in(0x61) & 0x10;
	fake_now += clocks(18);
	assert_int_not_equal(in(0x61) & 0x10, a);
}

static void test_bcd_and_access_modes(void **state)
{
	(void)state;
	out(0x43, 0x71); /* channel 1, lo/hi, mode 0, BCD */
	out(0x41, 0x00);
	out(0x41, 0x10); /* BCD 1000 */
	fake_now += clocks(1);
	assert_int_equal(latched(0x41, 1), 0x0999);
	out(0x43, 0x64); /* channel 1, high byte only, mode 2 */
	out(0x41, 0x02); /* 512 */
	fake_now += clocks(3);
	assert_int_equal(in(0x41), 0x01); /* 509 >> 8 */
	out(0x43, 0x54);		  /* low byte only */
	out(0x41, 200);
	fake_now += clocks(3);
	assert_int_equal(in(0x41), 197);
}

static void test_tiny_period_is_bounded(void **state)
{
	(void)state;
	out(0x43, 0x34);
	out(0x40, 2);
	out(0x40, 0);
	assert_true(timer()->deadline >= fake_now + fake_us(50));
	fake_advance(fake_us(1000));
	assert_true(fake_irq_rises[0] <= 20);
}

/* With the interrupt lines routed as vlapic routes them: IRQ 0 reaches the PIC (vector 0x30
 * after Linux's init) and the I/O APIC's pin 2. */
static void test_irq0_reaches_pic_and_ioapic(void **state)
{
	(void)state;
	fake_route_irqs = true;
	const u8 pic[] = {0x11, 0x30, 0x04, 0x01};
	for (int i = 0; i < 4; i++)
		fake_write(&vpic_ops, &fake_dev.pic, i ? 0x21 : 0x20, 1, pic[i]);
	fake_write(&vpic_ops, &fake_dev.pic, 0x21, 1, 0xfe);
	dev_lock(vm);
	fake_dev.ioapic.redir[2] = 0x31; /* unmasked, edge, vector 0x31, APIC 0 */
	dev_unlock(vm);
	out(0x43, 0x34);
	out(0x40, 0x00);
	out(0x40, 0x10);
	fake_advance(clocks(0x1000));
	dev_lock(vm);
	assert_int_equal(vpic_peek(vm), 0x30);
	assert_int_equal(vpic_ack(vm), 0x30);
	dev_unlock(vm);
	assert_int_equal(fake_ndeliveries, 1);
	assert_int_equal(fake_deliveries[0].vector, 0x31);
	fake_advance(clocks(0x1000));
	assert_int_equal(fake_ndeliveries, 2); /* each edge reaches the I/O APIC */
	assert_int_equal(fake_notifies, 1);    /* the PIC's IRQ0 is in service: no new INT */
}

/* ---- save and load ---- */

/* What the PIT does from now on: every port's reads, IRQ 0's edges and channel 0's deadline,
 * as time goes by, with the gate moved and a read-back on the way (times from start). */
static void behaviour(struct fake_trace *t)
{
	u64 start = fake_now;
	memset(fake_irq_rises, 0, sizeof(fake_irq_rises));
	for (u64 step = 0; step < 40; step++) {
		fake_note(t, fake_deadline(0, &fake_dev.pit, start));
		for (u16 port = 0x40; port <= 0x42; port++)
			fake_note(t, in(port));
		fake_note(t, in(0x61));
		fake_note(t, (u64)fake_irq_rises[0]);
		if (step == 10)
			out(0x43, 0xce); /* read-back: status of channels 0-2 */
		if (step == 20 || step == 25)
			out(0x61, step == 20 ? 0 : 1); /* gate 2 down, then up */
		fake_advance(clocks(97 * step + 13) + step);
	}
}

/* A PIT mid-count in mode m on channel 0 and on channel 2 (frozen by its gate, half read),
 * channel 1 half-programmed, a latched count half read. */
static void busy(u8 m)
{
	out(0x43, (u8)(0x30 | m << 1)); /* channel 0, low then high */
	out(0x40, 0x34);
	out(0x40, 0x12);
	out(0x61, 1);
	out(0x43, (u8)(0xb0 | m << 1)); /* channel 2 */
	out(0x42, 0x00);
	out(0x42, 0x08);
	out(0x61, 0); /* a trigger for modes 1 and 5 */
	out(0x61, 1);
	fake_advance(clocks(1000) + 7);
	out(0x43, 0x00); /* latch channel 0 and read half of it */
	in(0x40);
	out(0x43, (u8)(0x70 | m << 1)); /* channel 1: a control word and half a count */
	out(0x41, 0x55);
	fake_advance(clocks(123));
	in(0x42);     /* channel 2: the low byte live, the high byte next */
	out(0x61, 0); /* and its gate low: the count frozen */
}

/* Save a busy PIT, watch it; load the record into a fresh VM at an earlier clock (before
 * the record's own times) and watch that: the two behave the same, in every mode. */
static void test_save_load_each_mode(void **state)
{
	(void)state;
	for (u8 m = 0; m <= 5; m++) {
		static u8 rec[VREC_MAX], again[VREC_MAX];
		static struct fake_trace a, b;
		fake_now = 1000000;
		vm = fake_vm(1, 64 * MiB);
		busy(m);
		u64 len = vpit_save(&fake_dev.pit, fake_now, rec, sizeof(rec));
		assert_int_equal(len, 16 + 144);
		assert_int_equal(vpit_save(&fake_dev.pit, fake_now, rec, len - 1), 0);
		a.n = b.n = 0;
		behaviour(&a);

		fake_now = 5000;
		vm = fake_vm(1, 64 * MiB);
		assert_null(vpit_load(vm, &fake_dev.pit, fake_now, rec, len));
		assert_int_equal(vpit_save(&fake_dev.pit, fake_now, again, sizeof(again)), len);
		assert_memory_equal(rec, again, len); /* the same record back */
		behaviour(&b);
		fake_same(&a, &b);
	}
}

/* Damaged records are refused and change nothing; so is a field out of range (mode 6, a count over
 * 65536). */
static void test_load_refusals(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	busy(2);
	u64 len = vpit_save(&fake_dev.pit, fake_now, rec, sizeof(rec));
	vm = fake_vm(1, 64 * MiB);
	fake_refusals(vpit_load, &fake_dev.pit, sizeof(fake_dev.pit), rec, len, 16 + 0x1e, 6);
	fake_refusals(vpit_load, &fake_dev.pit, sizeof(fake_dev.pit), rec, len, 16 + 0x1a, 2);
	assert_int_equal(fake_deadline(0, &fake_dev.pit, 0), 0); /* no timer armed either */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_off_at_reset, setup),
		cmocka_unit_test_setup(test_periodic_mode2, setup),
		cmocka_unit_test_setup(test_live_and_latched_count, setup),
		cmocka_unit_test_setup(test_oneshot_and_shutdown, setup),
		cmocka_unit_test_setup(test_mode0_interrupt_on_terminal_count, setup),
		cmocka_unit_test_setup(test_channel2_calibration, setup),
		cmocka_unit_test_setup(test_readback_and_status, setup),
		cmocka_unit_test_setup(test_square_wave_out2, setup),
		cmocka_unit_test_setup(test_gate_pauses_mode0, setup),
		cmocka_unit_test_setup(test_refresh_toggle_and_port61_bits, setup),
		cmocka_unit_test_setup(test_bcd_and_access_modes, setup),
		cmocka_unit_test_setup(test_tiny_period_is_bounded, setup),
		cmocka_unit_test_setup(test_irq0_reaches_pic_and_ioapic, setup),
		cmocka_unit_test_setup(test_save_load_each_mode, setup),
		cmocka_unit_test_setup(test_load_refusals, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
