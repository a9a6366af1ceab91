/* MSI-X on the fake function (PCI 3.0 6.8.2): table accesses of 32 and 64 bits, masking by
 * vector and by function with pending bits that go out on unmasking, delivery through the
 * local APICs (SDM vol. 3 11.11: physical and logical destinations, NMI, reserved vectors);
 * INTx through its GSI with the command register's disable bit, the status bit and MSI-X
 * taking over; the record's round trip and refusals. */
#include "tests/unit/pci_fake.h"

static u64 table; /* the MSI-X table's guest-physical address (BAR 1) */

static int setup(void **state)
{
	(void)state;
	vm = fake_vm(2, 64 * MiB);
	add_fn(vm);
	table = fn.bar[1].mapped;
	log_reset();
	return 0;
}

/* Entry n: an MSI to APIC destination dest (physical) with data. */
static void program(u16 n, u32 dest, u32 data)
{
	mmio_write(table + 16u * n, 4, 0xfee00000u | dest << 12);
	mmio_write(table + 16u * n + 4, 4, 0);
	mmio_write(table + 16u * n + 8, 4, data);
}

static void unmask(u16 n, bool on)
{
	mmio_write(table + 16u * n + 12, 4, on ? 0 : 1);
}

/* Message Control at the capability (0x48): enable and function mask. */
static void control(u16 bits)
{
	cfg_write(DEV1, 0x4a, 2, bits);
}

static void test_table_accesses(void **state)
{
	(void)state;
	for (u16 n = 0; n < 4; n++)
		assert_int_equal(mmio_read(table + 16u * n + 12, 4), 1); /* masked at reset */
	mmio_write(table + 16, 8, 0x00000000fee01003ull); /* address bits 1:0 read 0 */
	mmio_write(table + 24, 8, 0xffffffff00000041ull); /* data, then control: only bit 0 */
	assert_int_equal(mmio_read(table + 16, 8), 0xfee01000ull);
	assert_int_equal(mmio_read(table + 24, 4), 0x41);
	assert_int_equal(mmio_read(table + 28, 4), 1);
	assert_int_equal(mmio_read(table + 24, 8), 0x0000000100000041ull);
	assert_int_equal(mmio_read(table + 18, 2), ~0ull); /* not dword or qword */
	mmio_write(table + 17, 4, 0x12345678);		   /* unaligned: dropped */
	assert_int_equal(mmio_read(table + 16, 4), 0xfee01000u);
	mmio_write(table + 0x800, 8, ~0ull); /* the PBA is read-only */
	assert_int_equal(mmio_read(table + 0x800, 8), 0);
	assert_int_equal(cfg(DEV1, 0x48, 4), 0x00030011);
	control(0xffff); /* only enable and function mask stick */
	assert_int_equal(cfg(DEV1, 0x48, 4), 0xc0030011);
}

static void test_delivery(void **state)
{
	(void)state;
	program(0, 1, 0x45);
	unmask(0, true);
	pci_msix_send(&fn, 0); /* MSI-X not enabled: nothing */
	assert_int_equal(fake_ndeliveries, 0);
	control(0x8000);
	assert_true(pci_msix_enabled(&fn));
	dev_lock(vm);
	pci_msix_send(&fn, 0);
	pci_msix_send(&fn, 4); /* past the table: ignored */
	dev_unlock(vm);
	assert_int_equal(fake_ndeliveries, 1);
	assert_int_equal(fake_deliveries[0].vcpu, 1);
	assert_int_equal(fake_deliveries[0].vector, 0x45);
	assert_false(fake_deliveries[0].level);
	/* Broadcast, logical (flat model: vCPU 0's LDR bit 0), NMI, a reserved vector. */
	fake_dev.lapic[0].ldr = 1u << 24;
	fake_dev.lapic[0].dfr = 0xffffffffu;
	program(1, 0xff, 0x46);
	mmio_write(table + 16 + 0, 4, 0xfee01004u); /* DM bit 2: logical destination 1 */
	program(2, 0, 0x400);			    /* delivery mode 4: NMI */
	program(3, 0, 0x0f);
	for (u16 n = 1; n < 4; n++)
		unmask(n, true);
	dev_lock(vm);
	for (u16 n = 1; n < 4; n++)
		pci_msix_send(&fn, n);
	dev_unlock(vm);
	assert_int_equal(fake_ndeliveries, 2);
	assert_int_equal(fake_deliveries[1].vcpu, 0);
	assert_int_equal(fake_deliveries[1].vector, 0x46);
	assert_int_equal(fake_nmis, 1);
	assert_true(log_contains("vector 15"));
	/* An address outside the APICs' window is dropped, logged. */
	mmio_write(table, 4, 0x1000);
	dev_lock(vm);
	pci_msix_send(&fn, 0);
	dev_unlock(vm);
	assert_int_equal(fake_ndeliveries, 2);
}

/* A masked vector sets its pending bit; unmasking (the vector, then the function) sends it. */
static void test_masking(void **state)
{
	(void)state;
	program(2, 0, 0x52);
	control(0x8000);
	dev_lock(vm);
	pci_msix_send(&fn, 2);
	dev_unlock(vm);
	assert_int_equal(fake_ndeliveries, 0);
	assert_int_equal(mmio_read(table + 0x800, 8), 0x4);
	assert_int_equal(mmio_read(table + 0x800, 4), 0x4);
	control(0xc000); /* function mask */
	unmask(2, true);
	assert_int_equal(fake_ndeliveries, 0);
	assert_false(pci_msix_enabled(&fn));
	control(0x8000);
	assert_int_equal(fake_ndeliveries, 1);
	assert_int_equal(fake_deliveries[0].vector, 0x52);
	assert_int_equal(mmio_read(table + 0x800, 8), 0);
	dev_lock(vm);
	pci_msix_send(&fn, 2);
	dev_unlock(vm);
	assert_int_equal(fake_ndeliveries, 2);
}

/* INTx on its slot's GSI; status bit 3 follows the function; disable bit and MSI-X mask it. */
static void test_intx(void **state)
{
	(void)state;
	u32 gsi = vpci_slot_gsi(1);
	assert_int_equal(gsi, 17);
	dev_lock(vm);
	pci_intx(&fn, true);
	dev_unlock(vm);
	assert_true(fake_irq_level[gsi]);
	assert_int_equal(cfg(DEV1, 0x06, 2), 0x0018);
	cfg_write(DEV1, 0x04, 2, 0x0402);
	assert_false(fake_irq_level[gsi]);
	assert_int_equal(cfg(DEV1, 0x06, 2), 0x0018); /* still asserted inside */
	cfg_write(DEV1, 0x04, 2, 0x0002);
	assert_true(fake_irq_level[gsi]);
	control(0x8000); /* MSI-X on: no INTx (6.8.2) */
	assert_false(fake_irq_level[gsi]);
	control(0);
	assert_true(fake_irq_level[gsi]);
	dev_lock(vm);
	pci_intx(&fn, false);
	dev_unlock(vm);
	assert_false(fake_irq_level[gsi]);
	assert_int_equal(cfg(DEV1, 0x06, 2), 0x0010);
	assert_int_equal(fake_irq_rises[gsi], 3);
}

/* ---- the record ---- */

/* The function left busy: moved, decoding and INTx disable on, latency and line written,
 * vectors programmed, one pending, MSI-X on, the device's INTx high. */
static void busy(void)
{
	cfg_write(DEV1, 0x20, 4, 0xd0000000);
	cfg_write(DEV1, 0x04, 2, 0x0406);
	cfg_write(DEV1, 0x0d, 1, 0x20);
	cfg_write(DEV1, 0x3c, 1, 10);
	program(0, 1, 0x61);
	program(1, 0, 0x62);
	unmask(0, true);
	control(0x8000);
	dev_lock(vm);
	pci_msix_send(&fn, 1);
	pci_intx(&fn, true);
	dev_unlock(vm);
	out(0xcf8, 4, 0x80000800u);
}

/* What the function does from now on: its configuration space, the table and PBA, its BARs
 * through the bus, and the vectors it sends. */
static void watch(struct fake_trace *t)
{
	for (u32 reg = 0; reg < 0x60; reg += 4)
		fake_note(t, cfg(DEV1, (u8)reg, 4));
	for (u32 off = 0; off < 64; off += 4)
		fake_note(t, mmio_read(table + off, 4));
	fake_note(t, mmio_read(table + 0x800, 8));
	fake_note(t, mmio_read(0xd0000010, 4));
	unmask(1, true);
	dev_lock(vm);
	pci_msix_send(&fn, 0);
	dev_unlock(vm);
	fake_note(t, (u64)fake_ndeliveries);
	for (int i = 0; i < fake_ndeliveries; i++)
		fake_note(t, fake_deliveries[i].vcpu << 8 | fake_deliveries[i].vector);
}

/* A fresh VM with the same function. */
static void fresh(struct vm *v)
{
	vm = v;
	add_fn(v);
}

static void test_save_load(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	busy();
	u64 len = fake_save_load(vpci_save, vpci_load, &fake_dev.pci, rec, watch, fresh, 7000);
	assert_int_equal(len, 16 + 208 + 40 + 4 * 16);
	assert_int_equal(fn.bar[4].mapped, 0xd0000000);
}

/* Damaged records change nothing; so do a reserved command bit, a BAR's size bits, an
 * unmasked pending vector, and a VM whose functions differ. */
static void test_load_refusals(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX], bad[VREC_MAX];
	busy();
	u64 len = vpci_save(&fake_dev.pci, fake_now, rec, sizeof(rec));
	fresh(fake_vm(2, 64 * MiB));
	const u64 func = 16 + 208;
	fake_refusals(vpci_load, &fake_dev.pci, sizeof(fake_dev.pci), rec, len, func + 4, 0x01);
	const struct {
		u64 off;
		u8 val;
	} cases[] = {
		{func + 0, 2},		/* another slot */
		{func + 3, 2},		/* INTx level */
		{func + 7, 0x20},	/* Message Control bit 13 */
		{func + 0x0c, 0x01},	/* BAR 1: an address bit under its size */
		{func + 0x08, 0x10},	/* BAR 0: none there */
		{func + 0x20, 0x01},	/* vector 0 pending, unmasked */
		{func + 0x20, 0x10},	/* past the table */
		{func + 40 + 12, 0x02}, /* vector control bit 1 */
		{func + 40 + 0, 0x01},	/* an address not dword-aligned */
		{16 + 0xc8, 2},		/* function count */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		memcpy(bad, rec, len);
		bad[cases[i].off] = cases[i].val;
		dev_lock(vm);
		assert_non_null(vpci_load(vm, &fake_dev.pci, fake_now, bad, len));
		dev_unlock(vm);
	}
	/* A VM without the function: the payload's size differs. */
	vm = fake_vm(2, 64 * MiB);
	dev_lock(vm);
	assert_string_equal(vpci_load(vm, &fake_dev.pci, fake_now, rec, len), "wrong payload size");
	dev_unlock(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_table_accesses, setup),
		cmocka_unit_test_setup(test_delivery, setup),
		cmocka_unit_test_setup(test_masking, setup),
		cmocka_unit_test_setup(test_intx, setup),
		cmocka_unit_test_setup(test_save_load, setup),
		cmocka_unit_test_setup(test_load_refusals, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
