/* The memory-map sanitiser and the range sets under it: unsorted, overlapping, zero-length,
 * wrapping and unaligned entries from a loader must yield only memory every entry agrees is
 * free. */
#include "tests/unit/fakes.h"
#include "mm/memmap.h"

static struct range buf[64];
static struct rangeset rs;

static void reset(void)
{
	rs = (struct rangeset){buf, 0, 64, false};
	log_reset();
}

static void test_range_ops(void **state)
{
	(void)state;
	reset();
	rs_add(&rs, 0x3000, 0x5000);
	rs_add(&rs, 0x1000, 0x2000);
	rs_add(&rs, 0x2000, 0x3000); /* bridges the two */
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.r[0].start, 0x1000);
	assert_int_equal(rs.r[0].end, 0x5000);
	rs_sub(&rs, 0x2000, 0x3000); /* a hole in the middle splits */
	assert_int_equal(rs.n, 2);
	assert_int_equal(rs_total(&rs), 0x3000);
	rs_sub(&rs, 0, 0x10000);
	assert_int_equal(rs.n, 0);
}

static void test_sane_map(void **state)
{
	(void)state;
	reset();
	struct boot_mem m[] = {
		{0, 0x9fc00, MEM_USABLE},
		{0x9fc00, 0x400, MEM_RESERVED},
		{0xf0000, 0x10000, MEM_RESERVED},
		{0x100000, 0x7ee0000, MEM_USABLE},
	};
	memmap_usable(m, 4, &rs);
	assert_int_equal(rs.n, 2);
	assert_int_equal(rs.r[0].end, 0x9f000); /* shrunk to whole pages */
	assert_int_equal(rs.r[1].start, 0x100000);
	assert_int_equal(log_count(), 0);
}

static void test_overlap_reserved_wins(void **state)
{
	(void)state;
	reset();
	struct boot_mem m[] = {
		{0x100000, 0x1000000, MEM_USABLE},
		{0x800000, 0x100000, MEM_RESERVED}, /* inside the usable range */
		{0x780000, 0x100000, MEM_USABLE},   /* overlaps usable: harmless */
		{0x10ff000, 0x1000, MEM_ACPI},	    /* the last page of usable */
	};
	memmap_usable(m, 4, &rs);
	assert_int_equal(rs.n, 2);
	assert_int_equal(rs.r[0].start, 0x100000);
	assert_int_equal(rs.r[0].end, 0x800000);
	assert_int_equal(rs.r[1].start, 0x900000);
	assert_int_equal(rs.r[1].end, 0x10ff000);
	assert_true(log_contains("reserved wins"));
}

static void test_unsorted_and_garbage(void **state)
{
	(void)state;
	reset();
	struct boot_mem m[] = {
		{0x4000000, 0x1000000, MEM_USABLE},
		{0x100000, 0x100000, MEM_USABLE},
		{0x500000, 0, MEM_USABLE},		     /* zero length */
		{0xfffffffffffff000ull, 0x2000, MEM_USABLE}, /* wraps */
		{0x200123, 0x2000, MEM_USABLE},		     /* unaligned */
		{0x3000000, 0x1000000, MEM_BAD},
	};
	memmap_usable(m, 6, &rs);
	assert_int_equal(rs.n, 3);
	assert_int_equal(rs.r[0].start, 0x100000);
	assert_int_equal(rs.r[0].end, 0x200000);
	assert_int_equal(rs.r[1].start, 0x201000);
	assert_int_equal(rs.r[1].end, 0x202000);
	assert_int_equal(rs.r[2].start, 0x4000000);
	assert_true(log_count() > 0);
}

static void test_all_reserved(void **state)
{
	(void)state;
	reset();
	struct boot_mem m[] = {{0x100000, 0x1000000, MEM_USABLE}, {0, ~0ull, MEM_RESERVED}};
	memmap_usable(m, 2, &rs);
	assert_int_equal(rs.n, 0);
}

static void test_fragmented_overflow(void **state)
{
	(void)state;
	reset();
	struct boot_mem m[200];
	for (int i = 0; i < 200; i++)
		m[i] = (struct boot_mem){0x100000 + (u64)i * 0x4000, 0x2000, MEM_USABLE};
	memmap_usable(m, 200, &rs);
	assert_int_equal(rs.n, 64);
	assert_true(rs.overflow);
	assert_true(log_contains("fragmented"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_ops),
		cmocka_unit_test(test_sane_map),
		cmocka_unit_test(test_overlap_reserved_wins),
		cmocka_unit_test(test_unsorted_and_garbage),
		cmocka_unit_test(test_all_reserved),
		cmocka_unit_test(test_fragmented_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
