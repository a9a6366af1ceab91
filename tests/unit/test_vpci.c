/* PCI mechanism 1: Linux's type 1 probe and sanity check, the i440FX host bridge's header,
 * accesses of every width and byte lane, all-ones for absent functions, read-only registers,
 * and the reset control register at 0xcf9. */
#include "tests/unit/fakes_vdev.h"
#include "vdev/vrecord.h"
#include "vdev/vpci.h"

static struct vm *vm;

static u32 in(u16 port, u8 size)
{
	return (u32)fake_read(&vpci_ops, &fake_dev.pci, port, size);
}

static void out(u16 port, u8 size, u32 val)
{
	fake_write(&vpci_ops, &fake_dev.pci, port, size, val);
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

/* ---- save and load ---- */

/* What the bus does from now on: the address and reset control registers, then the bridge's
 * whole configuration space, before and after a few writes. */
static void watch(struct fake_trace *t)
{
	fake_note(t, in(0xcf8, 4));
	fake_note(t, in(0xcf9, 1));
	fake_note(t, in(0xcfe, 2)); /* through the address as it was left */
	for (int pass = 0; pass < 2; pass++) {
		for (u32 reg = 0; reg < 256; reg += 4)
			fake_note(t, cfg(0, (u8)reg, 4));
		cfg_write(0, 0x04, 2, 0xffff);
		cfg_write(0, 0x90, 4, 0x12345678);
	}
	fake_note(t, (u64)fake_resets);
}

/* The address register left on the chipset's PAM bytes, some of them written, the command
 * register and latency timer changed, reset control's full-reset bit set. */
static void busy(void)
{
	cfg_write(0, 0x59, 1, 0x33);
	cfg_write(0, 0x5c, 4, 0x11223344);
	cfg_write(0, 0x04, 2, 0x0001);
	cfg_write(0, 0x0d, 1, 0x40);
	out(0xcf9, 1, 0x08);
	out(0xcf8, 4, 0x8000005c);
}

static void test_save_load(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	busy();
	assert_int_equal(
		fake_save_load(vpci_save, vpci_load, &fake_dev.pci, rec, watch, NULL, 5000),
		16 + 208);
}

/* Damaged records are refused and change nothing; so is a reserved address bit. */
static void test_load_refusals(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	busy();
	u64 len = vpci_save(&fake_dev.pci, fake_now, rec, sizeof(rec));
	vm = fake_vm(1, 64 * MiB);
	fake_refusals(vpci_load, &fake_dev.pci, sizeof(fake_dev.pci), rec, len, 16 + 3, 0xc0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_linux_type1_probe, setup),
		cmocka_unit_test_setup(test_host_bridge_header, setup),
		cmocka_unit_test_setup(test_absent_functions, setup),
		cmocka_unit_test_setup(test_writes, setup),
		cmocka_unit_test_setup(test_reset_control, setup),
		cmocka_unit_test_setup(test_save_load, setup),
		cmocka_unit_test_setup(test_load_refusals, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
