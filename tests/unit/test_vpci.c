/* PCI mechanism 1: Linux's type 1 probe and sanity check, the i440FX host bridge's header,
 * accesses of every width and byte lane, all-ones for absent functions, read-only registers,
 * and the reset control register at 0xcf9. */
#include "tests/unit/fakes_vdev.h"
#include "vdev/vpci.h"

static struct vm *vm;

static u32 in(u16 port, u8 size)
{
	return (u32)fake_read(&vpci_ops, &vm->dev.pci, port, size);
}

static void out(u16 port, u8 size, u32 val)
{
	fake_write(&vpci_ops, &vm->dev.pci, port, size, val);
}

static u32 cfg(u32 bdf, u8 reg, u8 size)
{
	out(0xcf8, 4, 0x80000000u | bdf << 8 | (reg & 0xfc));
	return in((u16)(0xcfc + (reg & 3)), size);
}

static void cfg_write(u32 bdf, u8 reg, u8 size, u32 val)
{
	out(0xcf8, 4, 0x80000000u | bdf << 8 | (reg & 0xfc));
	out((u16)(0xcfc + (reg & 3)), size, val);
}

static int setup(void **state)
{
	(void)state;
	vm = fake_vm(1, 64 * MiB);
	return 0;
}

/* arch/x86/pci/direct.c: pci_check_type1. */
static void test_linux_type1_probe(void **state)
{
	(void)state;
	out(0xcfb, 1, 0x01);
	u32 tmp = in(0xcf8, 4);
	out(0xcf8, 4, 0x80000000);
	assert_int_equal(in(0xcf8, 4), 0x80000000);
	out(0xcf8, 4, tmp);
	assert_int_equal(in(0xcf8, 4), 0);
	assert_int_equal(fake_resets, 0);
	/* pci_sanity_check: a host bridge class or an Intel vendor on bus 0. */
	assert_int_equal(cfg(0, 0x0a, 2), 0x0600);
	assert_int_equal(cfg(0, 0x00, 2), 0x8086);
}

static void test_host_bridge_header(void **state)
{
	(void)state;
	assert_int_equal(cfg(0, 0x00, 4), 0x12378086);
	assert_int_equal(cfg(0, 0x02, 2), 0x1237);
	assert_int_equal(cfg(0, 0x04, 4), 0x02800006); /* status, command */
	assert_int_equal(cfg(0, 0x08, 4), 0x06000002); /* class 06 00 00, revision 2 */
	assert_int_equal(cfg(0, 0x0e, 1), 0x00);       /* header type 0, single function */
	assert_int_equal(cfg(0, 0x09, 1), 0x00);
	assert_int_equal(cfg(0, 0x0b, 1), 0x06);
	for (u8 r = 0x10; r < 0x40; r += 4)
		assert_int_equal(cfg(0, r, 4), 0); /* no BARs, no capabilities */
	/* A dword read at 0xcfe sees only bytes 2-3; the rest is off the end. */
	out(0xcf8, 4, 0x80000000);
	assert_int_equal(in(0xcfe, 4), 0xffff1237);
}

static void test_absent_functions(void **state)
{
	(void)state;
	assert_int_equal(cfg(0x01 << 3, 0x00, 4), 0xffffffff); /* 00:01.0 */
	assert_int_equal(cfg(0x01, 0x00, 4), 0xffffffff);      /* 00:00.1 */
	assert_int_equal(cfg(0x100, 0x00, 4), 0xffffffff);     /* 01:00.0 */
	assert_int_equal(cfg(0x1f << 3, 0x0a, 2), 0xffff);
	out(0xcf8, 4, 0x00000000); /* enable bit clear */
	assert_int_equal(in(0xcfc, 4), 0xffffffff);
	out(0xcfc, 4, 0);
	assert_int_equal(cfg(0, 0x00, 4), 0x12378086);
	cfg_write(0x08, 0x04, 2, 0x0007); /* to nobody */
	assert_int_equal(cfg(0x08, 0x04, 2), 0xffff);
}

static void test_writes(void **state)
{
	(void)state;
	cfg_write(0, 0x00, 4, 0);
	assert_int_equal(cfg(0, 0x00, 4), 0x12378086); /* read-only */
	cfg_write(0, 0x08, 4, 0);
	assert_int_equal(cfg(0, 0x08, 4), 0x06000002);
	cfg_write(0, 0x04, 2, 0xffff);
	assert_int_equal(cfg(0, 0x04, 2), 0x0147); /* only the enables stick */
	cfg_write(0, 0x06, 2, 0xffff);
	assert_int_equal(cfg(0, 0x06, 2), 0x0280);
	cfg_write(0, 0x0d, 1, 0x40);
	assert_int_equal(cfg(0, 0x0c, 4), 0x00004000); /* latency timer */
	cfg_write(0, 0x10, 4, 0xffffffff);
	assert_int_equal(cfg(0, 0x10, 4), 0); /* no BAR to size */
	cfg_write(0, 0x59, 1, 0x30);	      /* PAM0: BIOS area read/write */
	cfg_write(0, 0x5a, 2, 0x3333);
	assert_int_equal(cfg(0, 0x58, 4), 0x33333000);
	/* CONFIG_ADDRESS keeps only the defined bits. */
	out(0xcf8, 4, 0xffffffff);
	assert_int_equal(in(0xcf8, 4), 0x80fffffc);
	out(0xcf8, 2, 0x1234); /* not a 32-bit access: not the address register */
	assert_int_equal(in(0xcf8, 4), 0x80fffffc);
}

static void test_reset_control(void **state)
{
	(void)state;
	out(0xcf9, 1, 0x02); /* Linux: select system reset first */
	assert_int_equal(fake_resets, 0);
	assert_int_equal(in(0xcf9, 1), 0x02);
	out(0xcf9, 1, 0x06); /* then RST_CPU: the ACPI reset value */
	assert_int_equal(fake_resets, 1);
	out(0xcf9, 1, 0x0e);
	assert_int_equal(fake_resets, 2);
	assert_int_equal(in(0xcf9, 1), 0x0a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_linux_type1_probe, setup),
		cmocka_unit_test_setup(test_host_bridge_header, setup),
		cmocka_unit_test_setup(test_absent_functions, setup),
		cmocka_unit_test_setup(test_writes, setup),
		cmocka_unit_test_setup(test_reset_control, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
