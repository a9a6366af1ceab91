/* lib/fmt.c against the C library's snprintf. */
#include "tests/unit/fakes.h"
#include "lib/fmt.h"

#include <stdio.h>
#include <string.h>

#define SAME(...)                                                 \
	do {                                                      \
		char a[128], b[128];                              \
		int ra = fmt_snprintf(a, sizeof(a), __VA_ARGS__); \
		int rb = snprintf(b, sizeof(b), __VA_ARGS__);     \
		assert_string_equal(a, b);                        \
		assert_int_equal(ra, rb);                         \
	} while (0)

static void test_integers(void **state)
{
	(void)state;
	SAME("%d %i %u", 42, -17, 3000000000u);
	SAME("%x %X %o", 0xbeef, 0xbeef, 8);
	SAME("%5d|%-5d|%05d", 42, 42, 42);
	SAME("%ld %lld %llx", -1234567890123l, 9223372036854775807ll, 0xffffffffffffffffull);
	SAME("%zu %lu", (size_t)12345, 0ul);
	SAME("%d %d", -2147483647 - 1, 0);
	SAME("%.3d %.0d|", 5, 0);
	SAME("%#x %#x %#o %#llx", 0x1f, 0, 8, 0x123ull);
	SAME("%#010x", 0xab);
	SAME("%5.3d", 7);
}

static void test_strings(void **state)
{
	(void)state;
	SAME("%s|%10s|%-10s|", "keel", "keel", "keel");
	SAME("%.2s|%.*s|", "keel", 3, "hypervisor");
	SAME("%c%c%5c", 'a', 'b', 'c');
	SAME("100%%");
	SAME("%*d|%-*d|", 6, 1, 6, 2);
}

static void test_pointer_and_null(void **state)
{
	(void)state;
	char a[64];
	fmt_snprintf(a, sizeof(a), "%p", (void *)0x1234);
	assert_string_equal(a, "0x1234");
	const char *volatile null = NULL;
	fmt_snprintf(a, sizeof(a), "%s", null);
	assert_string_equal(a, "(null)");
}

static void test_truncation(void **state)
{
	(void)state;
	char a[8];
	memset(a, 'X', sizeof(a));
	int r = fmt_snprintf(a, sizeof(a), "hello, %s", "world");
	assert_int_equal(r, 12);
	assert_string_equal(a, "hello, ");
	assert_int_equal(fmt_snprintf(NULL, 0, "%d", 12345), 5);
	char one[1] = {'X'};
	fmt_snprintf(one, 1, "abc");
	assert_int_equal(one[0], '\0');
}

#pragma GCC diagnostic ignored "-Wformat-security"
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void test_odd_formats(void **state)
{
	(void)state;
	char a[32];
	const char *unknown = "%q", *trailing = "end%";
	fmt_snprintf(a, sizeof(a), unknown, 0);
	assert_string_equal(a, "%q"); /* unknown conversions are shown, not consumed */
	fmt_snprintf(a, sizeof(a), trailing, 0);
	assert_string_equal(a, "end");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),	 cmocka_unit_test(test_strings),
		cmocka_unit_test(test_pointer_and_null), cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_odd_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
