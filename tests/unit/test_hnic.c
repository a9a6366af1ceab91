/* What is pure in keel's host network drivers: PCI BAR decoding (PCI Local Bus 3.0, 6.2.5.1:
 * I/O and memory, 32 and 64 bits, prefetchable, unimplemented) and ring arithmetic (the e1000's
 * head/tail rings, 8254x 3.2.6, with one slot kept empty; virtio's free-running 16-bit
 * indexes, virtio 1.2 2.7). */
#include "tests/unit/fakes.h"
#include "drivers/hpci.h"
#include "drivers/hnic_ring.h"

static void test_bar_mem32(void **state)
{
	(void)state;
	/* 128 KiB at 0xfebc0000, non-prefetchable (the e1000's BAR 0 in QEMU) */
	struct hpci_bar b = hpci_bar_decode(0xfebc0000u, 0, 0xfffe0000u, 0);
	assert_false(b.io);
	assert_false(b.is64);
	assert_false(b.prefetch);
	assert_int_equal(b.base, 0xfebc0000u);
	assert_int_equal(b.size, 128 * 1024);
}

static void test_bar_mem64(void **state)
{
	(void)state;
	/* 16 KiB 64-bit prefetchable above 4 GiB: type 10b in bits 2:1, bit 3 set */
	struct hpci_bar b = hpci_bar_decode(0x0000000cu, 0x1u, 0xffffc00cu, 0xffffffffu);
	assert_true(b.is64);
	assert_true(b.prefetch);
	assert_int_equal(b.base, 0x100000000ull);
	assert_int_equal(b.size, 16 * 1024);
	/* 8 GiB: the mask's low half is all type bits */
	b = hpci_bar_decode(0x4u, 0x2u, 0x0000000cu, 0xfffffffeu);
	assert_int_equal(b.size, 8ull << 30);
}

static void test_bar_io_and_none(void **state)
{
	(void)state;
	struct hpci_bar b = hpci_bar_decode(0xc041u, 0, 0xffffffc1u, 0);
	assert_true(b.io);
	assert_int_equal(b.base, 0xc040);
	assert_int_equal(b.size, 64);
	/* a device that decodes only 16 address bits reads back zeros above them */
	b = hpci_bar_decode(0xc001u, 0, 0x0000fff1u, 0);
	assert_int_equal(b.size, 16);
	b = hpci_bar_decode(0, 0, 0, 0);
	assert_int_equal(b.size, 0);
}

static void test_ring(void **state)
{
	(void)state;
	assert_int_equal(ring_next(0, 8), 1);
	assert_int_equal(ring_next(7, 8), 0);
	assert_int_equal(ring_busy(3, 3, 8), 0);
	assert_int_equal(ring_busy(2, 6, 8), 4);
	assert_int_equal(ring_busy(6, 2, 8), 4);
	assert_false(ring_full(0, 6, 8));
	assert_true(ring_full(0, 7, 8));
	assert_true(ring_full(5, 4, 8));
	assert_false(ring_full(5, 5, 8));
}

static void test_vring(void **state)
{
	(void)state;
	assert_int_equal(vring_slot(0, 64), 0);
	assert_int_equal(vring_slot(65, 64), 1);
	assert_int_equal(vring_slot(0xffff, 16), 15);
	assert_int_equal(vring_new(5, 5), 0);
	assert_int_equal(vring_new(2, 0xfffe), 4); /* across the wrap at 2^16 */
	assert_int_equal(vring_new(0, 0xffff), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bar_mem32),	cmocka_unit_test(test_bar_mem64),
		cmocka_unit_test(test_bar_io_and_none), cmocka_unit_test(test_ring),
		cmocka_unit_test(test_vring),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
