/* The 16550A: output collected into log lines, input through keel's console into the FIFO,
 * the interrupt identification and IRQ 4 under OUT2, loopback, and save and load of a busy
 * UART. */
#include "tests/unit/fakes_vdev.h"
#include "vdev/vrecord.h"
#include "vdev/vuart.h"

#include <string.h>

static struct vm *vm;

static u8 in(u16 port)
{
	return (u8)fake_read(&vuart_ops, &fake_dev.uart, port, 1);
}

static void out(u16 port, u8 val)
{
	fake_write(&vuart_ops, &fake_dev.uart, port, 1, val);
}

static void fresh(struct vm *v)
{
	strcpy(v->name, "u");
	assert_true(vuart_ops.attach(v, &fake_dev.uart));
	vuart_ops.reset(v, &fake_dev.uart);
}

static int setup(void **state)
{
	(void)state;
	vm = fake_vm(1, 64 * MiB);
	fresh(vm);
	log_reset();
	return 0;
}

static void test_output_lines_and_thre(void **state)
{
	(void)state;
	out(0x3fc, 0x08); /* OUT2 */
	out(0x3f9, 0x02); /* THRE interrupt: raised at once, THR being empty */
	assert_true(fake_irq_level[4]);
	assert_int_equal(in(0x3fa), 0x02); /* IIR names it, and reading clears it */
	assert_false(fake_irq_level[4]);
	for (const char *s = "hi\r\n"; *s; s++)
		out(0x3f8, (u8)*s);
	assert_true(log_contains("[u] hi"));
	assert_int_equal(in(0x3fd) & 0x60, 0x60); /* always ready */
}

static void test_console_input(void **state)
{
	(void)state;
	out(0x3fc, 0x08);
	out(0x3f9, 0x01);
	assert_true(vm->console_wakes);
	assert_true(vm->console_input(vm, 'k'));
	assert_true(fake_irq_level[4]);
	assert_int_equal(in(0x3fa), 0x04); /* received data */
	assert_int_equal(in(0x3fd) & 0x01, 0x01);
	assert_int_equal(in(0x3f8), 'k');
	assert_false(fake_irq_level[4]);
	for (int i = 0; i < VUART_FIFO; i++)
		assert_true(vm->console_input(vm, 'x'));
	assert_false(vm->console_input(vm, 'x')); /* full: offered again later */
}

/* ---- save and load ---- */

/* What the UART does from now on: every register, IRQ 4, console input taken or not, and the
 * log lines its output makes. */
static void watch(struct fake_trace *t)
{
	static const char text[] = "ld!\nnext line\n";
	log_reset();
	for (int step = 0; step < (int)sizeof(text) - 1; step++) {
		for (u16 port = 0x3f8; port < 0x400; port++)
			fake_note(t, in(port));
		fake_note(t, fake_irq_level[4]);
		fake_note(t, vm->console_wakes);
		out(0x3f8, (u8)text[step]);
		if (step % 4 == 0)
			fake_note(t, vm->console_input(vm, (u8)('0' + step)));
		if (step == 6)
			out(0x3f9, 0x00); /* interrupts off */
	}
	fake_note(t, (u64)log_count());
	for (int i = 0; i < log_count(); i++)
		for (const char *c = log_line(i); *c; c++)
			fake_note(t, (u8)*c);
}

/* Divisor and line control set, FIFOs on, bytes waiting in the receive FIFO (from the
 * console and from loopback, with an overrun), half a line of output, both interrupts
 * enabled and IRQ 4 high. */
static void busy(void)
{
	out(0x3fb, 0x80);
	out(0x3f8, 0x01);
	out(0x3f9, 0x00);
	out(0x3fb, 0x03);
	out(0x3fa, 0x01);
	out(0x3ff, 0x5a);
	out(0x3fc, 0x1b); /* loopback */
	for (int i = 0; i < VUART_FIFO + 2; i++)
		out(0x3f8, (u8)('A' + i % 26));
	for (int i = 0; i < 60; i++)
		in(0x3f8);
	out(0x3fc, 0x0b);
	for (const char *s = "abcde"; *s; s++)
		vm->console_input(vm, (u8)*s);
	for (const char *s = "hello wor"; *s; s++)
		out(0x3f8, (u8)*s);
	out(0x3f9, 0x03);
	assert_true(fake_irq_level[4]);
}

static void test_save_load(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	busy();
	u64 len = fake_save_load(vuart_save, vuart_load, &fake_dev.uart, rec, watch, fresh, 5000);
	assert_int_equal(len, 16 + 480);
	assert_true(log_contains("[u] hello world!"));
}

/* Damaged records are refused and change nothing; so is a FIFO head past its end and an
 * output line longer than a line. */
static void test_load_refusals(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	busy();
	u64 len = vuart_save(&fake_dev.uart, fake_now, rec, sizeof(rec));
	vm = fake_vm(1, 64 * MiB);
	size_t size = sizeof(fake_dev.uart);
	fake_refusals(vuart_load, &fake_dev.uart, size, rec, len, 16 + 0x0b, VUART_FIFO);
	fake_refusals(vuart_load, &fake_dev.uart, size, rec, len, 16 + 0x01, 0x02);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_output_lines_and_thre, setup),
		cmocka_unit_test_setup(test_console_input, setup),
		cmocka_unit_test_setup(test_save_load, setup),
		cmocka_unit_test_setup(test_load_refusals, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
