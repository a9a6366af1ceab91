/* The heap over a counted page source. */
#include "tests/unit/fakes.h"
#include "mm/heap.h"

#include <string.h>

static struct heap h;

/* Small blocks' pages stay with the heap for good (by design): not a leak to report. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

static int setup(void **state)
{
	(void)state;
	memset(&h, 0, sizeof(h));
	h.page_alloc = fake_page_alloc;
	h.page_free = fake_page_free;
	return 0;
}

static void test_small_blocks(void **state)
{
	(void)state;
	u8 *a = heap_alloc(&h, 10), *b = heap_alloc(&h, 10);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a != b);
	assert_int_equal((uintptr_t)a % 16, 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(a[i], 0);
	memset(a, 0xaa, 10);
	assert_true(heap_free(&h, a));
	u8 *c = heap_alloc(&h, 12);
	assert_ptr_equal(a, c);	   /* same class: reused */
	assert_int_equal(c[0], 0); /* and zeroed again */
	assert_int_equal(fake_pages_live, 1);
}

static void test_large_blocks(void **state)
{
	(void)state;
	long before = fake_pages_live;
	void *p = heap_alloc(&h, 10000);
	assert_non_null(p);
	assert_int_equal(fake_pages_live - before, 3);
	assert_true(heap_free(&h, p));
	assert_int_equal(fake_pages_live, before);
}

static void test_bad_frees(void **state)
{
	(void)state;
	void *p = heap_alloc(&h, 100);
	assert_true(heap_free(&h, p));
	assert_false(heap_free(&h, (u8 *)heap_alloc(&h, 100) + 16)); /* not a block start */
	assert_true(heap_free(&h, NULL));
	assert_null(heap_alloc(&h, 0));
}

static void test_exhaustion(void **state)
{
	(void)state;
	fake_pages_limit = fake_pages_live;
	assert_null(heap_alloc(&h, 5000));
	fake_pages_limit = -1;
}

static void test_many(void **state)
{
	(void)state;
	void *ptrs[1000];
	for (int i = 0; i < 1000; i++) {
		ptrs[i] = heap_alloc(&h, (size_t)(i % 300) + 1);
		assert_non_null(ptrs[i]);
		memset(ptrs[i], i, (size_t)(i % 300) + 1);
	}
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(((u8 *)ptrs[i])[0], (u8)i);
		assert_true(heap_free(&h, ptrs[i]));
	}
	assert_int_equal(h.in_use, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_small_blocks, setup),
		cmocka_unit_test_setup(test_large_blocks, setup),
		cmocka_unit_test_setup(test_bad_frees, setup),
		cmocka_unit_test_setup(test_exhaustion, setup),
		cmocka_unit_test_setup(test_many, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
