/* The format-neutral page-table engine, driven with an x86-like test format: map, split,
 * unmap, protect, look up, and free every table page again. */
#include "tests/unit/fakes.h"
#include "mm/pagetable.h"
#include "tests/unit/pt_format.h"

static void test_map_large_and_small(void **state)
{
	(void)state;
	struct pt pt;
	assert_true(pt_init(&pt, &fmt));
	/* 4 MiB + 8 KiB from an aligned start: two 2 MiB leaves and two 4 KiB leaves. */
	assert_true(pt_map(&pt, 0x40000000, 0x200000, 4 * MiB + 8192, PT_R | PT_W, false));
	u64 pa;
	unsigned pr;
	int level;
	assert_true(pt_lookup(&pt, 0x40000000 + 0x1234, &pa, &pr, &level));
	assert_int_equal(pa, 0x201234);
	assert_int_equal(level, 2);
	assert_int_equal(pr, PT_R | PT_W);
	assert_true(pt_lookup(&pt, 0x40000000 + 4 * MiB + 4096, &pa, NULL, &level));
	assert_int_equal(pa, 0x200000 + 4 * MiB + 4096);
	assert_int_equal(level, 1);
	assert_false(pt_lookup(&pt, 0x40000000 + 4 * MiB + 8192, NULL, NULL, NULL));
	assert_int_equal(pt.pages, 4); /* PML4, PDPT, PD, one PT */
	pt_destroy(&pt);
	assert_int_equal(fake_pages_live, 0);
}

static void test_misaligned_pa_uses_small_pages(void **state)
{
	(void)state;
	struct pt pt;
	assert_true(pt_init(&pt, &fmt));
	assert_true(pt_map(&pt, 0, 0x1000, 2 * MiB, PT_R, false));
	int level;
	assert_true(pt_lookup(&pt, 0x1ff000, NULL, NULL, &level));
	assert_int_equal(level, 1);
	assert_true(pt_map(&pt, 2 * MiB, 2 * MiB, 2 * MiB, PT_R, true)); /* small_only */
	assert_true(pt_lookup(&pt, 2 * MiB, NULL, NULL, &level));
	assert_int_equal(level, 1);
	pt_destroy(&pt);
	assert_int_equal(fake_pages_live, 0);
}

static void test_split_on_unmap_and_protect(void **state)
{
	(void)state;
	struct pt pt;
	assert_true(pt_init(&pt, &fmt));
	assert_true(pt_map(&pt, 0, 0, 4 * MiB, PT_R | PT_W, false));
	assert_int_equal(pt.pages, 3);
	assert_true(pt_unmap(&pt, 0, 4096)); /* page 0 out of a 2 MiB leaf: split */
	assert_int_equal(pt.pages, 4);
	assert_false(pt_lookup(&pt, 0, NULL, NULL, NULL));
	u64 pa;
	unsigned pr;
	int level;
	assert_true(pt_lookup(&pt, 4096, &pa, &pr, &level));
	assert_int_equal(pa, 4096);
	assert_int_equal(level, 1);
	assert_int_equal(pr, PT_R | PT_W); /* the split kept the rights */
	assert_true(pt_protect(&pt, 0x100000, 0x10000, PT_R | PT_X));
	assert_true(pt_lookup(&pt, 0x100000, NULL, &pr, NULL));
	assert_int_equal(pr, PT_R | PT_X);
	assert_true(pt_lookup(&pt, 0x110000, NULL, &pr, NULL));
	assert_int_equal(pr, PT_R | PT_W);
	/* Protect a whole 2 MiB leaf: stays large. */
	assert_true(pt_protect(&pt, 2 * MiB, 2 * MiB, PT_R));
	assert_true(pt_lookup(&pt, 3 * MiB, NULL, &pr, &level));
	assert_int_equal(level, 2);
	assert_int_equal(pr, PT_R);
	/* Unmapping the whole split range drops its page table. */
	assert_true(pt_unmap(&pt, 0, 2 * MiB));
	assert_int_equal(pt.pages, 3);
	assert_false(pt_lookup(&pt, 4096, NULL, NULL, NULL));
	pt_destroy(&pt);
	assert_int_equal(fake_pages_live, 0);
}

static void test_holes_stay_holes(void **state)
{
	(void)state;
	struct pt pt;
	assert_true(pt_init(&pt, &fmt));
	assert_true(pt_protect(&pt, 0, 8 * MiB, PT_R)); /* nothing mapped: nothing appears */
	assert_true(pt_unmap(&pt, 1 * GiB, 4 * MiB));
	assert_false(pt_lookup(&pt, 0, NULL, NULL, NULL));
	assert_int_equal(pt.pages, 1);
	assert_false(pt_map(&pt, 0x123, 0, 4096, PT_R, false)); /* unaligned */
	pt_destroy(&pt);
	assert_int_equal(fake_pages_live, 0);
}

static void test_out_of_memory(void **state)
{
	(void)state;
	struct pt pt;
	fake_pages_limit = 2;
	assert_true(pt_init(&pt, &fmt));
	assert_false(pt_map(&pt, 0, 0, 4096, PT_R, false)); /* needs 4 table pages */
	fake_pages_limit = -1;
	pt_destroy(&pt);
	assert_int_equal(fake_pages_live, 0);
}

static void test_high_addresses(void **state)
{
	(void)state;
	struct pt pt;
	assert_true(pt_init(&pt, &fmt));
	u64 va = 0x7fffffe00000ull; /* top of the lower half */
	assert_true(pt_map(&pt, va, 0xfffe00000ull, 2 * MiB, PT_R, false));
	u64 pa;
	assert_true(pt_lookup(&pt, va + 5, &pa, NULL, NULL));
	assert_int_equal(pa, 0xfffe00005ull);
	pt_destroy(&pt);
	assert_int_equal(fake_pages_live, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_large_and_small),
		cmocka_unit_test(test_misaligned_pa_uses_small_pages),
		cmocka_unit_test(test_split_on_unmap_and_protect),
		cmocka_unit_test(test_holes_stay_holes),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_high_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
