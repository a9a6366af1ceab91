/* The i8042 with nothing plugged in, and port 0x92: the controller's own commands, the
 * command byte and IRQ 1, timeouts for the absent keyboard, and every way to reset. */
#include "tests/unit/fakes_vdev.h"
#include "vdev/vrecord.h"
#include "vdev/vkbd.h"

static struct vm *vm;

static u8 in(u16 port)
{
	return (u8)fake_read(&vkbd_ops, &fake_dev.kbd, port, 1);
}

static void out(u16 port, u8 val)
{
	fake_write(&vkbd_ops, &fake_dev.kbd, port, 1, val);
}

static int setup(void **state)
{
	(void)state;
	vm = fake_vm(1, 64 * MiB);
	return 0;
}

static void test_controller_commands(void **state)
{
	(void)state;
	assert_int_equal(in(0x64) & 0x03, 0); /* nothing to read, ready for input */
	out(0x64, 0xaa);
	assert_int_equal(in(0x64) & 0x05, 0x05); /* OBF and the system flag */
	assert_int_equal(in(0x60), 0x55);
	assert_int_equal(in(0x64) & 0x01, 0);
	out(0x64, 0xab);
	assert_int_equal(in(0x60), 0x00);
	out(0x64, 0xa9);
	assert_int_equal(in(0x60), 0x00);
	/* Linux's i8042_controller_init: read the command byte, write it back changed. */
	out(0x64, 0x20);
	u8 ctr = in(0x60);
	assert_int_equal(ctr & 0x04, 0x04);
	out(0x64, 0x60);
	out(0x60, (u8)(ctr & ~0x03));
	out(0x64, 0x20);
	assert_int_equal(in(0x60), ctr & ~0x03);
	out(0x64, 0xad);
	out(0x64, 0xa7);
	out(0x64, 0x20);
	assert_int_equal(in(0x60) & 0x30, 0x30);
	out(0x64, 0xae);
	out(0x64, 0xa8);
	out(0x64, 0x20);
	assert_int_equal(in(0x60) & 0x30, 0x00);
	assert_int_equal(fake_resets, 0);
}

static void test_echo_and_irqs(void **state)
{
	(void)state;
	out(0x64, 0x60);
	out(0x60, 0x07); /* both interrupts on */
	out(0x64, 0xd2);
	out(0x60, 0x1c);
	assert_int_equal(in(0x64) & 0x21, 0x01);
	assert_true(fake_irq_level[1]);
	assert_int_equal(in(0x60), 0x1c);
	assert_false(fake_irq_level[1]);
	out(0x64, 0xd3);
	out(0x60, 0x08);
	assert_int_equal(in(0x64) & 0x21, 0x21); /* mouse data */
	assert_true(fake_irq_level[12]);
	assert_int_equal(in(0x60), 0x08);
	assert_false(fake_irq_level[12]);
}

static void test_absent_keyboard(void **state)
{
	(void)state;
	out(0x60, 0xff); /* reset the keyboard: nobody answers */
	assert_int_equal(in(0x64) & 0x41, 0x41);
	assert_int_equal(in(0x60), 0xfe);
	assert_int_equal(in(0x64) & 0x41, 0x00);
	out(0x64, 0xd4);
	out(0x60, 0xf2); /* to the mouse: nor there */
	assert_int_equal(in(0x64) & 0x61, 0x61);
	in(0x60);
}

static void test_resets(void **state)
{
	(void)state;
	out(0x64, 0xfe);
	assert_int_equal(fake_resets, 1);
	out(0x64, 0xff); /* pulses nothing */
	assert_int_equal(fake_resets, 1);
	out(0x64, 0xd0);
	u8 port = in(0x60);
	assert_int_equal(port & 0x03, 0x03);
	out(0x64, 0xd1);
	out(0x60, port & ~0x02); /* A20 off: no reset */
	assert_int_equal(fake_resets, 1);
	out(0x64, 0xd0);
	assert_int_equal(in(0x60) & 0x02, 0);
	out(0x64, 0xd1);
	out(0x60, 0x00); /* reset line low */
	assert_int_equal(fake_resets, 2);
	/* Port 0x92: A20 reads back, a rising bit 0 resets. */
	assert_int_equal(in(0x92), 0x02);
	out(0x92, 0x00);
	assert_int_equal(in(0x92), 0x00);
	out(0x92, 0x03);
	assert_int_equal(fake_resets, 3);
	out(0x92, 0x03);
	assert_int_equal(fake_resets, 3);
}

/* ---- save and load ---- */

/* What the controller does from now on: status, the output buffer, the pending command's
 * data, further commands, IRQ 1 and 12, resets. */
static void watch(struct fake_trace *t)
{
	static const u8 cmds[] = {0x20, 0xd3, 0xa8, 0x20, 0xd0, 0xdd, 0xd0, 0xd4, 0xfe};
	fake_note(t, in(0x64));
	out(0x60, 0x47); /* the data the pending command waits for */
	for (size_t i = 0; i < sizeof(cmds); i++) {
		fake_note(t, in(0x64));
		fake_note(t, fake_irq_level[1] | fake_irq_level[12] << 1);
		fake_note(t, in(0x60));
		out(0x64, cmds[i]);
		if (cmds[i] == 0xd3 || cmds[i] == 0xd4)
			out(0x60, 0x99);
		fake_note(t, in(0x64));
		fake_note(t, fake_irq_level[1] | fake_irq_level[12] << 1);
	}
	fake_note(t, in(0x92));
	fake_note(t, (u64)fake_resets);
}

/* The command byte read into the output buffer (IRQ 1 high), then "write command byte"
 * waiting for its data, and port 0x92 changed. */
static void busy(void)
{
	out(0x92, 0x00);
	out(0x64, 0x20);
	out(0x64, 0x60);
	assert_true(fake_irq_level[1]);
}

static void test_save_load(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	busy();
	assert_int_equal(
		fake_save_load(vkbd_save, vkbd_load, &fake_dev.kbd, rec, watch, NULL, 5000),
		16 + 8);
}

/* Damaged records are refused and change nothing; so is a pending command that takes no
 * data, and IRQ 1 out of step with the output buffer. */
static void test_load_refusals(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	busy();
	u64 len = vkbd_save(&fake_dev.kbd, fake_now, rec, sizeof(rec));
	vm = fake_vm(1, 64 * MiB);
	fake_refusals(vkbd_load, &fake_dev.kbd, sizeof(fake_dev.kbd), rec, len, 16 + 5, 0xaa);
	fake_refusals(vkbd_load, &fake_dev.kbd, sizeof(fake_dev.kbd), rec, len, 16 + 6, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_controller_commands, setup),
		cmocka_unit_test_setup(test_echo_and_irqs, setup),
		cmocka_unit_test_setup(test_absent_keyboard, setup),
		cmocka_unit_test_setup(test_resets, setup),
		cmocka_unit_test_setup(test_save_load, setup),
		cmocka_unit_test_setup(test_load_refusals, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
