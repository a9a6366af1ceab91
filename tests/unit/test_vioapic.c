/* The I/O APIC: its identification registers, masked reset state, edge and level pins with
 * remote IRR and EOI, physical and logical (flat and cluster) destinations, lowest priority
 * and NMI delivery, and the register rules (dword access, read-only bits). */
#include "tests/unit/fakes_vdev.h"
#include "vdev/vrecord.h"
#include "vdev/vioapic.h"

static struct vm *vm;

static u32 reg(u32 r)
{
	fake_write(&vioapic_ops, &fake_dev.ioapic, VIOAPIC_BASE, 4, r);
	return (u32)fake_read(&vioapic_ops, &fake_dev.ioapic, VIOAPIC_BASE + 0x10, 4);
}

static void set_reg(u32 r, u32 val)
{
	fake_write(&vioapic_ops, &fake_dev.ioapic, VIOAPIC_BASE, 4, r);
	fake_write(&vioapic_ops, &fake_dev.ioapic, VIOAPIC_BASE + 0x10, 4, val);
}

/* Linux's order: the high dword (destination), then the low one. */
static void route(u32 pin, u64 entry)
{
	set_reg(0x11 + 2 * pin, (u32)(entry >> 32));
	set_reg(0x10 + 2 * pin, (u32)entry);
}

static void line(u32 pin, bool level)
{
	dev_lock(vm);
	vioapic_line(vm, pin, level);
	dev_unlock(vm);
}

static void eoi(u8 vector)
{
	dev_lock(vm);
	vioapic_eoi(vm, vector);
	dev_unlock(vm);
}

static int setup(void **state)
{
	(void)state;
	vm = fake_vm(4, 64 * MiB);
	for (u32 i = 0; i < 4; i++)
		fake_dev.lapic[i].dfr = 0xffffffff;
	return 0;
}

static void test_identification(void **state)
{
	(void)state;
	assert_int_equal(reg(0x01), 0x00170011); /* 24 entries, version 0x11 */
	assert_int_equal(reg(0x00), 4u << 24);	 /* the MADT's id: the vCPU count */
	set_reg(0x00, 0x0a000000);
	assert_int_equal(reg(0x00), 0x0a000000);
	assert_int_equal(reg(0x02), 0x0a000000); /* arbitration id follows */
	set_reg(0x01, 0);
	assert_int_equal(reg(0x01), 0x00170011);
	for (u32 pin = 0; pin < VIOAPIC_PINS; pin++) {
		assert_int_equal(reg(0x10 + 2 * pin), 0x00010000); /* masked */
		assert_int_equal(reg(0x11 + 2 * pin), 0);
	}
	assert_int_equal(reg(0x40), 0); /* past the table */
	/* IOREGSEL reads back; other widths read all-ones and write nothing. */
	assert_int_equal(fake_read(&vioapic_ops, &fake_dev.ioapic, VIOAPIC_BASE, 4), 0x40);
	assert_true(fake_read(&vioapic_ops, &fake_dev.ioapic, VIOAPIC_BASE, 8) == ~0ull);
	fake_write(&vioapic_ops, &fake_dev.ioapic, VIOAPIC_BASE, 1, 0x01);
	assert_int_equal(fake_read(&vioapic_ops, &fake_dev.ioapic, VIOAPIC_BASE, 4), 0x40);
}

static void test_edge(void **state)
{
	(void)state;
	line(2, true);
	line(2, false);
	assert_int_equal(fake_ndeliveries, 0); /* masked: an edge is lost */
	route(2, 0x0000000000000030ull | (1ull << 56));
	assert_int_equal(fake_ndeliveries, 0);
	line(2, true);
	assert_int_equal(fake_ndeliveries, 1);
	assert_int_equal(fake_deliveries[0].vcpu, 1);
	assert_int_equal(fake_deliveries[0].vector, 0x30);
	assert_false(fake_deliveries[0].level);
	line(2, true); /* still high: no new edge */
	assert_int_equal(fake_ndeliveries, 1);
	line(2, false);
	line(2, true);
	assert_int_equal(fake_ndeliveries, 2);
	eoi(0x30); /* an edge vector's EOI changes nothing */
	assert_int_equal(fake_ndeliveries, 2);
}

static void test_level_remote_irr(void **state)
{
	(void)state;
	route(9, 0x41 | BIT(15)); /* level, active high, to APIC 0 */
	line(9, true);
	assert_int_equal(fake_ndeliveries, 1);
	assert_true(fake_deliveries[0].level);
	assert_int_equal(reg(0x10 + 18) & BIT(14), BIT(14)); /* remote IRR */
	line(9, true);
	assert_int_equal(fake_ndeliveries, 1);
	eoi(0x41); /* still asserted: again */
	assert_int_equal(fake_ndeliveries, 2);
	line(9, false);
	eoi(0x41);
	assert_int_equal(fake_ndeliveries, 2);
	assert_int_equal(reg(0x10 + 18) & BIT(14), 0);
	/* Remote IRR is read-only... */
	line(9, true);
	set_reg(0x10 + 18, 0x41 | BIT(15));
	assert_int_equal(reg(0x10 + 18) & BIT(14), BIT(14));
	/* ...but switching the pin to edge clears it (Linux's EOI for old I/O APICs). */
	set_reg(0x10 + 18, 0x41 | BIT(16));
	assert_int_equal(reg(0x10 + 18) & BIT(14), 0);
	set_reg(0x10 + 18, 0x41 | BIT(15)); /* back to level, unmasked, line high: fires */
	assert_int_equal(fake_ndeliveries, 4);
}

static void test_unmask_asserted_level(void **state)
{
	(void)state;
	route(10, 0x50 | BIT(15) | BIT(16));
	line(10, true);
	assert_int_equal(fake_ndeliveries, 0);
	route(10, 0x50 | BIT(15));
	assert_int_equal(fake_ndeliveries, 1);
}

static void test_logical_destinations(void **state)
{
	(void)state;
	for (u32 i = 0; i < 4; i++)
		fake_dev.lapic[i].ldr = (1u << i) << 24; /* flat: one bit each */
	route(4, 0x60 | BIT(11) | (0x0aull << 56));	 /* logical, CPUs 1 and 3 */
	line(4, true);
	assert_int_equal(fake_ndeliveries, 2);
	assert_int_equal(fake_deliveries[0].vcpu, 1);
	assert_int_equal(fake_deliveries[1].vcpu, 3);
	route(5, 0x61 | BIT(11) | (1u << 8) | (0x0eull << 56)); /* lowest priority */
	line(5, true);
	assert_int_equal(fake_ndeliveries, 3);
	assert_int_equal(fake_deliveries[2].vcpu, 1); /* the first that accepts */
	/* Cluster model: cluster 1, members 0 and 1. */
	for (u32 i = 0; i < 4; i++) {
		fake_dev.lapic[i].dfr = 0x0fffffff;
		fake_dev.lapic[i].ldr = ((i < 2 ? 0x10u : 0x20u) | (1u << (i % 2))) << 24;
	}
	route(6, 0x62 | BIT(11) | (0x12ull << 56));
	line(6, true);
	assert_int_equal(fake_ndeliveries, 4);
	assert_int_equal(fake_deliveries[3].vcpu, 1);
}

static void test_broadcast_and_nmi(void **state)
{
	(void)state;
	route(7, 0x70 | (0xffull << 56));
	line(7, true);
	assert_int_equal(fake_ndeliveries, 4);
	route(8, (4u << 8) | (2ull << 56)); /* NMI to APIC 2 */
	line(8, true);
	assert_int_equal(fake_nmis, 1);
	assert_int_equal(fake_ndeliveries, 4);
	route(11, 0x71 | (9ull << 56)); /* no such APIC */
	line(11, true);
	assert_int_equal(fake_ndeliveries, 4);
	line(30, true); /* no such pin */
}

/* ---- save and load ---- */

/* What the I/O APIC does from now on: its registers, deliveries, EOIs and lines. */
static void watch(struct fake_trace *t)
{
	fake_note(t, (u64)fake_read(&vioapic_ops, &fake_dev.ioapic, VIOAPIC_BASE, 4));
	for (u32 r = 0; r < 0x40; r++)
		fake_note(t, reg(r));
	eoi(0x39);				  /* pin 9 still high: again */
	route(10, 0x3a | BIT(15));		  /* unmask level pin 10: delivered */
	line(1, false), line(1, true);		  /* an edge */
	line(4, false), line(4, true);		  /* masked: lost */
	line(9, false), eoi(0x39), line(9, true); /* low at the EOI, then high: once */
	for (int i = 0; i < fake_ndeliveries; i++) {
		fake_note(t, fake_deliveries[i].vcpu);
		fake_note(t, fake_deliveries[i].vector);
		fake_note(t, fake_deliveries[i].level);
	}
	fake_note(t, (u64)fake_ndeliveries);
	fake_note(t, (u64)fake_nmis);
	for (u32 r = 0x10; r < 0x40; r++)
		fake_note(t, reg(r));
}

/* Pin 1 edge and unmasked, pin 9 level, high and delivered (remote IRR), pin 10 level, high
 * and masked, pin 4 masked, pin 12 an NMI, the ID written and IOREGSEL left on pin 9. */
static void busy(void)
{
	route(1, 0x31);
	route(4, 0x34 | BIT(16));
	route(9, 0x39 | BIT(15));
	route(10, 0x3a | BIT(15) | BIT(16));
	route(12, 0x400 | 0xff00000000000000ull);
	set_reg(0, 0x05000000);
	line(9, true);
	line(10, true);
	line(4, true);
	assert_int_equal(fake_ndeliveries, 1);
	fake_write(&vioapic_ops, &fake_dev.ioapic, VIOAPIC_BASE, 4, 0x22);
}

static void test_save_load(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	busy();
	assert_int_equal(fake_save_load(vioapic_save, vioapic_load, &fake_dev.ioapic, rec, watch,
					NULL, 5000),
			 16 + 208);
}

/* Damaged records are refused and change nothing; so is remote IRR on an edge pin (1) and
 * a level pin left high, unmasked and undelivered (9 without its remote IRR). */
static void test_load_refusals(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	busy();
	u64 len = vioapic_save(&fake_dev.ioapic, fake_now, rec, sizeof(rec));
	vm = fake_vm(4, 64 * MiB);
	size_t size = sizeof(fake_dev.ioapic);
	fake_refusals(vioapic_load, &fake_dev.ioapic, size, rec, len, 16 + 0x10 + 8 + 1, 0x40);
	fake_refusals(vioapic_load, &fake_dev.ioapic, size, rec, len, 16 + 0x10 + 72 + 1, 0x80);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_identification, setup),
		cmocka_unit_test_setup(test_edge, setup),
		cmocka_unit_test_setup(test_level_remote_irr, setup),
		cmocka_unit_test_setup(test_unmask_asserted_level, setup),
		cmocka_unit_test_setup(test_logical_destinations, setup),
		cmocka_unit_test_setup(test_broadcast_and_nmi, setup),
		cmocka_unit_test_setup(test_save_load, setup),
		cmocka_unit_test_setup(test_load_refusals, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
