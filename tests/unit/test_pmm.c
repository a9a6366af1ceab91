/* The bitmap page allocator. */
#include "tests/unit/fakes.h"
#include "mm/pmm.h"

#include <stdlib.h>

#define END (64 * MiB)
static struct pmm p;
static u64 *bm;

static void init(const u64 *ranges, int n)
{
	static struct range buf[16];
	struct rangeset rs = {buf, 0, 16, false};
	for (int i = 0; i < n; i++)
		rs_add(&rs, ranges[2 * i], ranges[2 * i + 1]);
	free(bm);
	bm = malloc(pmm_bitmap_bytes(END));
	pmm_init(&p, bm, END, &rs);
}

static void test_basic(void **state)
{
	(void)state;
	u64 r[] = {1 * MiB, 2 * MiB};
	init(r, 1);
	assert_int_equal(p.nfree, 256);
	u64 a = pmm_alloc(&p, 1, 1, 0), b = pmm_alloc(&p, 1, 1, 0);
	assert_int_equal(a, 1 * MiB);
	assert_int_equal(b, 1 * MiB + 4096);
	assert_int_equal(p.nfree, 254);
	assert_true(pmm_free(&p, a, 1));
	assert_false(pmm_free(&p, a, 1));	     /* double free is refused */
	assert_int_equal(pmm_alloc(&p, 1, 1, 0), a); /* the lowest page comes back first */
}

static void test_never_outside_ranges(void **state)
{
	(void)state;
	u64 r[] = {1 * MiB, 1 * MiB + 3 * 4096, 5 * MiB, 5 * MiB + 4096};
	init(r, 2);
	u64 got[4];
	for (int i = 0; i < 4; i++)
		got[i] = pmm_alloc(&p, 1, 1, 0);
	assert_int_equal(got[3], 5 * MiB);
	assert_int_equal(pmm_alloc(&p, 1, 1, 0), 0); /* exhausted: 0, not a crash */
	assert_int_equal(p.nfree, 0);
}

static void test_aligned_runs(void **state)
{
	(void)state;
	u64 r[] = {1 * MiB + 4096, 12 * MiB};
	init(r, 1);
	u64 a = pmm_alloc(&p, 512, 512, 0); /* a 2 MiB guest page */
	assert_int_equal(a % (2 * MiB), 0);
	assert_int_equal(a, 2 * MiB);
	u64 b = pmm_alloc(&p, 1, 1, 0);
	assert_int_equal(b, 1 * MiB + 4096);
	u64 c = pmm_alloc(&p, 3 * 512, 512, 0);
	assert_int_equal(c, 4 * MiB);
	assert_int_equal(pmm_alloc(&p, 3 * 512, 512, 0), 0); /* no 6 MiB aligned run left */
	assert_int_equal(pmm_alloc(&p, 100, 1, 8 * MiB), 10 * MiB);
}

static void test_fragmentation(void **state)
{
	(void)state;
	u64 r[] = {1 * MiB, 2 * MiB};
	init(r, 1);
	u64 pages[256];
	for (int i = 0; i < 256; i++)
		pages[i] = pmm_alloc(&p, 1, 1, 0);
	for (int i = 0; i < 256; i += 2)
		assert_true(pmm_free(&p, pages[i], 1));
	assert_int_equal(pmm_alloc(&p, 2, 1, 0), 0); /* 128 free pages, none adjacent */
	assert_true(pmm_free(&p, pages[1], 1));
	assert_int_equal(pmm_alloc(&p, 3, 1, 0), pages[0]);
}

/* Single pages past a used stretch move the hint past it, so the next search starts there,
 * not at the stretch again (a disk's blocks after a VM's RAM: one scan each, not thousands);
 * a free page left below still comes first, and a free page below brings the hint back. */
static void test_hint_passes_used(void **state)
{
	(void)state;
	u64 r[] = {1 * MiB, 16 * MiB};
	init(r, 1);
	u64 one = pmm_alloc(&p, 1, 1, 0);
	assert_int_equal(pmm_alloc(&p, 512, 512, 0), 2 * MiB); /* aligned: leaves a hole */
	assert_int_equal(pmm_alloc(&p, 1, 1, 0), one + 4096);  /* the hole first */
	for (u64 a = one + 2 * 4096; a < 2 * MiB; a += 4096)
		assert_int_equal(pmm_alloc(&p, 1, 1, 0), a);
	assert_int_equal(pmm_alloc(&p, 1, 1, 0), 4 * MiB); /* past the run */
	assert_int_equal(p.hint, 4 * MiB / 4096 + 1);
	assert_int_equal(pmm_alloc(&p, 2, 1, 0), 4 * MiB + 4096);
	assert_int_equal(p.hint, 4 * MiB / 4096 + 3);
	assert_true(pmm_free(&p, one + 4096, 1));
	assert_int_equal(p.hint, one / 4096 + 1);
	assert_int_equal(pmm_alloc(&p, 1, 1, 0), one + 4096);
	assert_int_equal(pmm_alloc(&p, 1, 1, 0), 4 * MiB + 3 * 4096);
	assert_int_equal(p.hint, 4 * MiB / 4096 + 4);
}

static void test_bad_requests(void **state)
{
	(void)state;
	u64 r[] = {1 * MiB, 2 * MiB};
	init(r, 1);
	assert_int_equal(pmm_alloc(&p, 0, 1, 0), 0);
	assert_int_equal(pmm_alloc(&p, 1, 3, 0), 0); /* alignment not a power of two */
	assert_int_equal(pmm_alloc(&p, 1000000, 1, 0), 0);
	assert_false(pmm_free(&p, 123, 1));	  /* unaligned */
	assert_false(pmm_free(&p, 512 * MiB, 1)); /* past the end */
	pmm_reserve(&p, 1 * MiB, 16);
	assert_int_equal(p.nfree, 240);
	assert_false(pmm_is_free(&p, 1 * MiB));
}

/* Shared pages: each ref is one more holder; the last unref frees the page, not before. */
static void test_refs(void **state)
{
	(void)state;
	u64 r[] = {1 * MiB, 2 * MiB};
	init(r, 1);
	u32 *refs = calloc(1, pmm_refs_bytes(&p));
	u64 a = pmm_alloc(&p, 4, 1, 0);
	bool freed;
	assert_false(pmm_ref(&p, a)); /* no counts kept yet */
	pmm_set_refs(&p, refs);
	assert_int_equal(pmm_sharers(&p, a + 4096), 0);
	assert_true(pmm_ref(&p, a + 4096));
	assert_true(pmm_ref(&p, a + 4096));
	assert_int_equal(pmm_sharers(&p, a + 4096), 2);
	assert_true(pmm_unref(&p, a + 4096, &freed));
	assert_false(freed);
	assert_true(pmm_unref(&p, a + 4096, &freed));
	assert_false(freed);
	assert_int_equal(pmm_sharers(&p, a + 4096), 0);
	assert_false(pmm_is_free(&p, a + 4096));
	assert_true(pmm_unref(&p, a + 4096, &freed)); /* the last holder: one page of the run */
	assert_true(freed);
	assert_true(pmm_is_free(&p, a + 4096));
	assert_false(pmm_is_free(&p, a));
	assert_false(pmm_unref(&p, a + 4096, &freed)); /* free already */
	assert_false(pmm_ref(&p, a + 4096));
	assert_false(pmm_ref(&p, a + 1)); /* not a page address */
	refs[(a >> PAGE_SHIFT)] = ~0u;
	assert_false(pmm_ref(&p, a)); /* the count is full */
	free(refs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_never_outside_ranges),
		cmocka_unit_test(test_aligned_runs),
		cmocka_unit_test(test_fragmentation),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_hint_passes_used),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	free(bm);
	return r;
}
