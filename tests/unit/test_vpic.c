/* The 8259A pair: initialisation as Linux does it, masks, edge and level inputs, priorities
 * across the cascade, EOI and rotation, special mask, poll, spurious IRQ7/15, auto-EOI. */
#include "tests/unit/fakes_vdev.h"
#include "vdev/vrecord.h"
#include "vdev/vpic.h"

static struct vm *vm;

static void out(u16 port, u8 val)
{
	fake_write(&vpic_ops, &fake_dev.pic, port, 1, val);
}

static u8 in(u16 port)
{
	return (u8)fake_read(&vpic_ops, &fake_dev.pic, port, 1);
}

static void line(u32 irq, bool level)
{
	dev_lock(vm);
	vpic_line(vm, irq, level);
	dev_unlock(vm);
}

static int peek(void)
{
	return vpic_peek(vm);
}

static int ack(void)
{
	return vpic_ack(vm);
}

/* Linux's init_8259A: vectors 0x30/0x38, cascade on IRQ2, then masks as given. */
static void init(u8 icw4, u8 master_mask, u8 slave_mask)
{
	out(0x21, 0xff);
	out(0xa1, 0xff);
	out(0x20, 0x11), out(0x21, 0x30), out(0x21, 0x04), out(0x21, icw4);
	out(0xa0, 0x11), out(0xa1, 0x38), out(0xa1, 0x02), out(0xa1, 0x01);
	out(0x21, master_mask);
	out(0xa1, slave_mask);
}

static u8 isr(u16 cmd)
{
	out(cmd, 0x0b); /* OCW3: read ISR */
	u8 v = in(cmd);
	out(cmd, 0x0a); /* back to IRR */
	return v;
}

static int setup(void **state)
{
	(void)state;
	vm = fake_vm(1, 64 * MiB);
	return 0;
}

static void test_reset_masked(void **state)
{
	(void)state;
	assert_int_equal(in(0x21), 0xff);
	assert_int_equal(in(0xa1), 0xff);
	line(0, true);
	line(8, true);
	assert_int_equal(peek(), -1);
	assert_int_equal(fake_notifies, 0);
	assert_int_equal(in(0x20), 0x01); /* IRR still latches the request */
}

static void test_edge_ack_eoi(void **state)
{
	(void)state;
	init(0x01, 0xfe, 0xff);
	assert_int_equal(in(0x21), 0xfe);
	line(0, true);
	assert_int_equal(fake_notifies, 1);
	assert_int_equal(peek(), 0x30);
	assert_int_equal(peek(), 0x30); /* peeking changes nothing */
	assert_int_equal(ack(), 0x30);
	assert_int_equal(isr(0x20), 0x01);
	assert_int_equal(in(0x20), 0x00); /* edge: IRR cleared by the acknowledge */
	assert_int_equal(peek(), -1);
	out(0x20, 0x20); /* non-specific EOI */
	assert_int_equal(isr(0x20), 0x00);
	assert_int_equal(peek(), -1); /* the line stayed high: no new edge */
	line(0, false);
	line(0, true);
	assert_int_equal(peek(), 0x30);
	assert_int_equal(fake_notifies, 2);
}

static void test_mask_unmask(void **state)
{
	(void)state;
	init(0x01, 0xff, 0xff);
	line(4, true);
	assert_int_equal(peek(), -1);
	assert_int_equal(fake_notifies, 0);
	out(0x21, 0xef);
	assert_int_equal(fake_notifies, 1);
	assert_int_equal(peek(), 0x34);
}

static void test_level_elcr(void **state)
{
	(void)state;
	out(0x4d0, 0xff);
	out(0x4d1, 0xff);
	assert_int_equal(in(0x4d0), 0xf8); /* IRQ 0-2 cannot be level */
	assert_int_equal(in(0x4d1), 0xde); /* nor IRQ 8 and 13 */
	assert_int_equal(fake_read(&vpic_ops, &fake_dev.pic, 0x4d0, 2), 0xdef8);
	init(0x01, 0xfb, 0xfd);
	line(9, true);
	assert_int_equal(peek(), 0x39);
	assert_int_equal(ack(), 0x39);
	assert_int_equal(isr(0xa0), 0x02);
	assert_int_equal(isr(0x20), 0x04);
	assert_int_equal(in(0xa0), 0x02); /* level: still requested */
	out(0xa0, 0x20);
	out(0x20, 0x20);
	assert_int_equal(peek(), 0x39); /* still high after EOI: again */
	line(9, false);
	assert_int_equal(peek(), -1);
	assert_int_equal(in(0xa0), 0x00);
}

static void test_priority(void **state)
{
	(void)state;
	init(0x01, 0x00, 0x00);
	line(3, true);
	line(1, true);
	assert_int_equal(ack(), 0x31);
	assert_int_equal(peek(), -1); /* 3 waits behind 1 in service */
	line(0, true);
	assert_int_equal(ack(), 0x30); /* 0 nests over 1 */
	out(0x20, 0x20);	       /* EOI ends 0, the highest in service */
	assert_int_equal(isr(0x20), 0x02);
	out(0x20, 0x20);
	assert_int_equal(ack(), 0x33);
	out(0x20, 0x63); /* specific EOI for 3 */
	assert_int_equal(isr(0x20), 0x00);
}

static void test_cascade_priority(void **state)
{
	(void)state;
	init(0x01, 0x00, 0x00);
	line(3, true);
	line(12, true);
	assert_int_equal(peek(), 0x3c); /* slave on IRQ2 beats master IRQ3 */
	assert_int_equal(ack(), 0x3c);
	assert_int_equal(isr(0xa0), 0x10);
	line(8, true);
	assert_int_equal(peek(), -1); /* IRQ2 is in service on the master (not fully nested) */
	out(0xa0, 0x20);
	out(0x20, 0x20);
	assert_int_equal(ack(), 0x38);
	out(0xa0, 0x20);
	out(0x20, 0x20);
	assert_int_equal(ack(), 0x33);
}

static void test_spurious(void **state)
{
	(void)state;
	out(0x4d0, 0x20); /* IRQ 5 level */
	out(0x4d1, 0x04); /* IRQ 10 level */
	init(0x01, 0x00, 0x00);
	line(5, true);
	assert_int_equal(peek(), 0x35);
	line(5, false); /* gone before the acknowledge */
	assert_int_equal(ack(), 0x37);
	assert_int_equal(isr(0x20), 0x00); /* a spurious IRQ7 sets no ISR bit */
	line(10, true);
	assert_int_equal(peek(), 0x3a);
	line(10, false); /* the slave's INT drops, and with it the master's IR2 */
	assert_int_equal(ack(), 0x37);
	assert_int_equal(isr(0x20), 0x00);
	assert_int_equal(isr(0xa0), 0x00);
}

static void test_auto_eoi(void **state)
{
	(void)state;
	init(0x03, 0xfe, 0xff);
	line(0, true);
	assert_int_equal(ack(), 0x30);
	assert_int_equal(isr(0x20), 0x00);
	line(0, false);
	line(0, true);
	assert_int_equal(peek(), 0x30);
}

static void test_rotation(void **state)
{
	(void)state;
	init(0x01, 0x00, 0xff);
	line(1, true);
	line(4, true);
	assert_int_equal(ack(), 0x31);
	out(0x20, 0xa0); /* rotate on non-specific EOI: 1 becomes the lowest */
	line(1, false);
	line(1, true);
	assert_int_equal(ack(), 0x34); /* 4 now outranks 1 */
	out(0x20, 0x20);
	out(0x20, 0xc0 | 5); /* set priority: 5 lowest, so 6 highest */
	line(6, true);
	line(5, true);
	assert_int_equal(ack(), 0x36);
	out(0x20, 0xe6); /* rotate on specific EOI 6 */
	assert_int_equal(ack(), 0x31);
	out(0x20, 0x20);
	assert_int_equal(ack(), 0x35);
}

static void test_special_mask(void **state)
{
	(void)state;
	init(0x01, 0x00, 0xff);
	line(3, true);
	assert_int_equal(ack(), 0x33);
	line(5, true);
	assert_int_equal(peek(), -1);
	out(0x21, 0x08);	       /* mask 3, which is in service */
	out(0x20, 0x68);	       /* OCW3: special mask mode on */
	assert_int_equal(ack(), 0x35); /* a lower priority gets through */
	out(0x20, 0x48);	       /* off */
	assert_int_equal(isr(0x20), 0x28);
}

static void test_poll(void **state)
{
	(void)state;
	init(0x01, 0x00, 0xff);
	line(6, true);
	out(0x20, 0x0c); /* OCW3 poll */
	assert_int_equal(in(0x20), 0x86);
	assert_int_equal(isr(0x20), 0x40);
	out(0x20, 0x0c);
	assert_int_equal(in(0x20), 0x00); /* nothing more */
	assert_int_equal(in(0x21), 0x00); /* and the poll is over */
}

static void test_reinit_clears(void **state)
{
	(void)state;
	init(0x01, 0x00, 0xff);
	line(3, true);
	assert_int_equal(ack(), 0x33);
	out(0x20, 0x11);		   /* ICW1 again */
	assert_int_equal(in(0x21), 0x00);  /* IMR cleared */
	assert_int_equal(isr(0x20), 0x00); /* ISR cleared */
	out(0x21, 0x20), out(0x21, 0x04), out(0x21, 0x01);
	assert_int_equal(in(0x21), 0x00); /* the ICWs were not taken as masks */
	line(3, false);
	line(3, true);
	assert_int_equal(peek(), 0x23);
}

/* ---- save and load ---- */

/* What the PIC pair does from now on: its registers, the vector it offers and acknowledges,
 * EOIs and lines going up and down. */
static void watch(struct fake_trace *t)
{
	for (int step = 0; step < 12; step++) {
		fake_note(t, in(0x20)), fake_note(t, in(0x21)), fake_note(t, in(0xa0));
		fake_note(t, in(0xa1)), fake_note(t, in(0x4d0)), fake_note(t, in(0x4d1));
		dev_lock(vm);
		fake_note(t, (u64)peek());
		fake_note(t, (u64)ack());
		dev_unlock(vm);
		fake_note(t, fake_dev.pic.output);
		out(step % 2 ? 0xa0 : 0x20, 0x20); /* non-specific EOI */
		if (step == 4)
			out(0x21, 0x00); /* unmask everything */
		line((u32)(step % 12) + 3, step % 3 != 0);
		out(0x20, step % 2 ? 0x0b : 0x0a); /* read ISR, then IRR */
	}
}

/* Both chips initialised, IRQ 9 and 10 level-triggered, IRQ 3 masked and pending, IRQ 4 in
 * service, IRQ 5 and the slave's IRQ 10 (high) waiting, IRQ 6 low again, the slave's
 * priority rotated, ISR selected. */
static void busy(void)
{
	init(0x01, 0x88 /* IRQ 3 and 7 masked */, 0x00);
	out(0x4d1, 0x06);
	line(3, true);
	line(4, true);
	dev_lock(vm);
	assert_int_equal(ack(), 0x34);
	dev_unlock(vm);
	line(5, true);
	line(10, true);
	line(6, true);
	line(6, false);
	out(0xa0, 0xc3); /* slave: IRQ 11 lowest priority */
	out(0x20, 0x0b);
}

static void test_save_load(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	busy();
	assert_int_equal(
		fake_save_load(vpic_save, vpic_load, &fake_dev.pic, rec, watch, NULL, 5000),
		16 + 24);
}

/* Damaged records are refused and change nothing; so is an ELCR bit on IRQ 0 and a vector
 * base that is not a multiple of 8. */
static void test_load_refusals(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	busy();
	u64 len = vpic_save(&fake_dev.pic, fake_now, rec, sizeof(rec));
	vm = fake_vm(1, 64 * MiB);
	fake_refusals(vpic_load, &fake_dev.pic, sizeof(fake_dev.pic), rec, len, 16 + 4, 0x01);
	fake_refusals(vpic_load, &fake_dev.pic, sizeof(fake_dev.pic), rec, len, 16 + 9 + 5, 0x29);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reset_masked, setup),
		cmocka_unit_test_setup(test_edge_ack_eoi, setup),
		cmocka_unit_test_setup(test_mask_unmask, setup),
		cmocka_unit_test_setup(test_level_elcr, setup),
		cmocka_unit_test_setup(test_priority, setup),
		cmocka_unit_test_setup(test_cascade_priority, setup),
		cmocka_unit_test_setup(test_spurious, setup),
		cmocka_unit_test_setup(test_auto_eoi, setup),
		cmocka_unit_test_setup(test_rotation, setup),
		cmocka_unit_test_setup(test_special_mask, setup),
		cmocka_unit_test_setup(test_poll, setup),
		cmocka_unit_test_setup(test_reinit_clears, setup),
		cmocka_unit_test_setup(test_save_load, setup),
		cmocka_unit_test_setup(test_load_refusals, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
