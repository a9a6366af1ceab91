/* PCI functions behind the host bridge, with a fake function at 00:01.0: its header through
 * mechanism 1, the capability walk, BAR sizing (32- and 64-bit, PCI 3.0 6.2.5.1), placement at
 * reset, moves and decoding with the MMIO bus following (refused over RAM, the local APIC or
 * another BAR), MSI-X table accesses, masking and pending bits (6.8.2), MSI delivery to the
 * local APICs, INTx with its disable bit and status bit, and the record's round trip and
 * refusals. */
#include "tests/unit/pci_fake.h"

static u32 hook_off, hook_val;
static u8 hook_size;
static int hook_calls;

static u32 fn_cfg_read(struct pci_func *f, u32 off, u8 size)
{
	(void)f;
	hook_calls++, hook_off = off, hook_size = size;
	return 0xabcd0000u | off;
}

static void fn_cfg_write(struct pci_func *f, u32 off, u8 size, u32 val)
{
	(void)f;
	hook_calls++, hook_off = off, hook_size = size, hook_val = val;
}

static int setup(void **state)
{
	(void)state;
	vm = fake_vm(2, 64 * MiB);
	add_fn(vm);
	log_reset();
	return 0;
}

/* Linux's scan: the header, class, a single-function header type, the capability list. */
static void test_header_and_caps(void **state)
{
	(void)state;
	assert_int_equal(cfg(DEV1, 0x00, 4), 0x10441af4);
	assert_int_equal(cfg(DEV1, 0x08, 4), 0x00ff0001);
	assert_int_equal(cfg(DEV1, 0x0e, 1), 0x00);
	assert_int_equal(cfg(DEV1, 0x2c, 4), 0x00041af4);
	assert_int_equal(cfg(DEV1, 0x3d, 1), 1); /* INTA# */
	assert_int_equal(cfg(DEV1, 0x06, 2) & 0x10, 0x10);
	u8 at = (u8)cfg(DEV1, 0x34, 1);
	assert_int_equal(at, 0x40);
	assert_int_equal(cfg(DEV1, at, 4), 0x20104809); /* vendor cap, next 0x48, body */
	at = (u8)cfg(DEV1, (u8)(at + 1), 1);
	assert_int_equal(at, 0x48);			    /* dword-aligned after the first */
	assert_int_equal(cfg(DEV1, at, 4), 0x00030011);	    /* MSI-X, last, table size 4 - 1 */
	assert_int_equal(cfg(DEV1, at + 4, 4), 0x00000001); /* table at 0 in BAR 1 */
	assert_int_equal(cfg(DEV1, at + 8, 4), 0x00000801); /* PBA at 0x800 in BAR 1 */
	/* Absent: other slots, functions 1-7 of slot 1, bus 1. */
	assert_int_equal(cfg(2u << 3, 0x00, 4), 0xffffffff);
	assert_int_equal(cfg(DEV1 | 1, 0x00, 4), 0xffffffff);
	assert_int_equal(cfg(0x100 | DEV1, 0x00, 4), 0xffffffff);
	/* Read-only bytes stay; a dword read at 0xcfe sees bytes 2-3, all-ones after. */
	cfg_write(DEV1, 0x00, 4, 0);
	cfg_write(DEV1, 0x08, 4, 0);
	cfg_write(DEV1, 0x2c, 4, 0);
	cfg_write(DEV1, 0x3d, 1, 4);
	cfg_write(DEV1, 0x40, 4, 0);
	assert_int_equal(cfg(DEV1, 0x00, 4), 0x10441af4);
	assert_int_equal(cfg(DEV1, 0x08, 4), 0x00ff0001);
	assert_int_equal(cfg(DEV1, 0x3d, 1), 1);
	assert_int_equal(cfg(DEV1, 0x40, 4), 0x20104809);
	out(0xcf8, 4, 0x80000000u | DEV1 << 8);
	assert_int_equal(in(0xcfe, 4), 0xffff1044);
}

/* vpci.h: a device with cfg_read/cfg_write answers accesses to the capabilities it added (the
 * virtio PCI_CFG window); the header and the MSI-X capability stay vpci's. */
static void test_device_capability_hooks(void **state)
{
	static const struct pci_func_ops hooked = {.bar_read = fn_read,
						   .bar_write = fn_write,
						   .cfg_read = fn_cfg_read,
						   .cfg_write = fn_cfg_write};
	(void)state;
	fn.ops = &hooked;
	hook_calls = 0;
	assert_int_equal(cfg(DEV1, 0x44, 4), 0xabcd0044);
	assert_int_equal(hook_size, 4);
	cfg_write(DEV1, 0x42, 2, 0x1234);
	assert_int_equal(hook_off, 0x42);
	assert_int_equal(hook_size, 2);
	assert_int_equal(hook_val, 0x1234);
	assert_int_equal(hook_calls, 2);
	assert_int_equal(cfg(DEV1, 0x00, 4), 0x10441af4);
	assert_int_equal(cfg(DEV1, 0x48, 4), 0x00030011); /* MSI-X */
	cfg_write(DEV1, 0x4a, 2, 0x8000);		  /* MSI-X enable: vpci's */
	assert_int_equal(cfg(DEV1, 0x48, 4), 0x80030011);
	assert_int_equal(hook_calls, 2);
	fn.ops = &fn_ops;
}

/* The writable registers: command (with INTx disable), latency timer, interrupt line. */
static void test_writable(void **state)
{
	(void)state;
	assert_int_equal(cfg(DEV1, 0x04, 2), 0x0002); /* memory decoding on, as a BIOS leaves it */
	cfg_write(DEV1, 0x04, 2, 0xffff);
	assert_int_equal(cfg(DEV1, 0x04, 2), 0x0546);
	cfg_write(DEV1, 0x06, 2, 0xffff); /* status: read-only */
	assert_int_equal(cfg(DEV1, 0x06, 2), 0x0010);
	cfg_write(DEV1, 0x0d, 1, 0x40);
	cfg_write(DEV1, 0x3c, 1, 11);
	assert_int_equal(cfg(DEV1, 0x0c, 4), 0x00004000);
	assert_int_equal(cfg(DEV1, 0x3c, 4), 0x0000010b);
	cfg_write(DEV1, 0x30, 4, 0xffffffff); /* no expansion ROM */
	assert_int_equal(cfg(DEV1, 0x30, 4), 0);
}

/* Sizing (6.2.5.1): all-ones reads back the size mask with the type bits; no BAR reads 0. */
static void test_bar_sizing(void **state)
{
	(void)state;
	cfg_write(DEV1, 0x04, 2, 0); /* Linux turns decoding off to size */
	for (u8 r = 0x10; r < 0x28; r += 4)
		cfg_write(DEV1, r, 4, 0xffffffff);
	assert_int_equal(cfg(DEV1, 0x10, 4), 0);
	assert_int_equal(cfg(DEV1, 0x14, 4), 0xfffff000); /* 4 KiB, 32-bit, not prefetchable */
	assert_int_equal(cfg(DEV1, 0x18, 4), 0);
	assert_int_equal(cfg(DEV1, 0x20, 4), 0xffffc00c); /* 16 KiB, 64-bit, prefetchable */
	assert_int_equal(cfg(DEV1, 0x24, 4), 0xffffffff); /* the upper half: all writable */
	assert_int_equal(vm->mmio.n, 2);
	assert_null(bus_find(&vm->mmio, 0xfffff000));
	assert_int_equal(log_count(), 0); /* nothing refused while decoding is off */
	/* Byte writes merge into the BAR. */
	cfg_write(DEV1, 0x14, 4, 0xc1000000);
	cfg_write(DEV1, 0x16, 1, 0x23);
	assert_int_equal(cfg(DEV1, 0x14, 4), 0xc1230000);
}

/* At reset each BAR is in the window, naturally aligned, mapped; accesses reach the device
 * with the offset inside the BAR. */
static void test_placement(void **state)
{
	(void)state;
	u64 b1 = cfg(DEV1, 0x14, 4) & ~0xfu;
	u64 b4 = (cfg(DEV1, 0x20, 4) & ~0xfu) | (u64)cfg(DEV1, 0x24, 4) << 32;
	assert_true(b1 >= VPCI_MEM_BASE && b1 + 4096 <= VPCI_MEM_END && b1 % 4096 == 0);
	assert_true(b4 >= VPCI_MEM_BASE && b4 + 16384 <= VPCI_MEM_END && b4 % 16384 == 0);
	assert_int_equal(fn.bar[1].mapped, b1);
	assert_int_equal(fn.bar[4].mapped, b4);
	assert_int_equal(mmio_read(b4 + 0x124, 4), 0xd0040124);
	mmio_write(b4 + 0x3ff8, 8, 0x1122334455667788ull);
	assert_int_equal(last_bar, 4);
	assert_int_equal(last_off, 0x3ff8);
	assert_int_equal(last_val, 0x1122334455667788ull);
	assert_int_equal(mmio_read(b1 + 0x900, 4), 0xd0010900); /* past the PBA: the device's */
	/* A guest reset puts them back after a move. */
	cfg_write(DEV1, 0x20, 4, 0xd0000000);
	dev_lock(vm);
	vpci_ops.reset(vm, &fake_dev.pci);
	dev_unlock(vm);
	assert_int_equal(fn.bar[4].mapped, b4);
	assert_null(bus_find(&vm->mmio, 0xd0000000));
}

/* A move takes the range with it; decoding off takes it away; over RAM, over the local APIC
 * or over another BAR it is refused (logged once) until moved somewhere free. */
static void test_moves(void **state)
{
	(void)state;
	u64 b1 = fn.bar[1].mapped, b4 = fn.bar[4].mapped;
	cfg_write(DEV1, 0x20, 4, 0xd0000000);
	cfg_write(DEV1, 0x24, 4, 0x8); /* 64-bit: above 4 GiB, past the VM's RAM */
	assert_int_equal(mmio_read(b4, 4), ~0ull);
	assert_int_equal(mmio_read(0x8d0000010ull, 4), 0xd0040010);
	cfg_write(DEV1, 0x04, 2, 0x0000); /* decoding off */
	assert_int_equal(mmio_read(0x8d0000010ull, 4), ~0ull);
	assert_int_equal(mmio_read(b1, 4), ~0ull);
	cfg_write(DEV1, 0x04, 2, 0x0002);
	assert_int_equal(mmio_read(0x8d0000010ull, 4), 0xd0040010);
	/* Over RAM (the VM has 64 MiB): refused, once. */
	cfg_write(DEV1, 0x14, 4, 0x01000000);
	cfg_write(DEV1, 0x14, 4, 0x01001000);
	assert_int_equal(fn.bar[1].mapped, 0);
	assert_int_equal(log_count(), 1);
	assert_true(log_contains("BAR1"));
	/* Over the local APIC's page. */
	assert_true(bus_add(&vm->mmio, 0xfee00000, 4096, &vlapic_ops, fake_dev.lapic));
	cfg_write(DEV1, 0x14, 4, 0xfee00000);
	assert_int_equal(fn.bar[1].mapped, 0);
	assert_ptr_equal(bus_find(&vm->mmio, 0xfee00000)->ops, &vlapic_ops);
	/* Over the other BAR, then that one moves away: this one maps. */
	cfg_write(DEV1, 0x24, 4, 0);
	cfg_write(DEV1, 0x14, 4, 0xd0001000);
	assert_int_equal(fn.bar[1].mapped, 0);
	cfg_write(DEV1, 0x20, 4, 0xe0000000);
	assert_int_equal(fn.bar[1].mapped, 0xd0001000);
	assert_int_equal(fn.bar[4].mapped, 0xe0000000);
	assert_int_equal(mmio_read(0xd0001900, 4), 0xd0010900);
	assert_true(vm->mmio.n <= 4); /* removed slots are taken again */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_header_and_caps, setup),
		cmocka_unit_test_setup(test_device_capability_hooks, setup),
		cmocka_unit_test_setup(test_writable, setup),
		cmocka_unit_test_setup(test_bar_sizing, setup),
		cmocka_unit_test_setup(test_placement, setup),
		cmocka_unit_test_setup(test_moves, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
