/* vm/guestout.c: which guest bytes reach keel's terminal, and long lines in pieces. */
#include "tests/unit/fakes.h"
#include "vm/guestout.h"

#include <string.h>

/* Clean a copy of s (n bytes) and compare it with want. */
static void clean_is(const char *s, size_t n, const char *want)
{
	char b[64];
	memcpy(b, s, n);
	guest_text_clean(b, n);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(b, want, n);
}

static void test_controls(void **state)
{
	(void)state;
	clean_is("a\tb", 3, "a\tb");
	clean_is("\x1b[31mred", 8, ".[31mred");
	clean_is("\x07\x7f\x00z", 4, "...z");
	clean_is("x\x9b"
		 "31my",
		 6, "x.31my"); /* raw C1 CSI */
	clean_is("\x9d"
		 "0;t\x9c",
		 5, ".0;t."); /* raw OSC ... ST */
	clean_is("\xc2\x9b"
		 "1m",
		 4, "..1m");			 /* CSI written as UTF-8 U+009B */
	clean_is("\x80\xbf\xff\xfe", 4, "...."); /* stray bytes */
}

static void test_utf8(void **state)
{
	(void)state;
	clean_is("caf\xc3\xa9", 5, "caf\xc3\xa9");	     /* e acute */
	clean_is("\xc2\xa0", 2, "\xc2\xa0");		     /* U+00A0: the first allowed */
	clean_is("\xe2\x82\xac", 3, "\xe2\x82\xac");	     /* euro sign */
	clean_is("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80"); /* an emoji */
	clean_is("\xc0\x9b", 2, "..");			     /* overlong ESC-like */
	clean_is("\xe0\x80\x9b", 3, "...");		     /* overlong */
	clean_is("\xed\xa0\x80", 3, "...");		     /* a surrogate */
	clean_is("\xf4\x90\x80\x80", 4, "....");	     /* past U+10FFFF */
	clean_is("\xe2\x82", 2, "..");			     /* cut short */
	clean_is("\xe2\x9b\x1b", 3, "...");		     /* ESC inside a sequence */
}

static void test_lines(void **state)
{
	(void)state;
	struct guest_line l = {0};
	log_reset();
	guest_line_put(&l, "vm", (const u8 *)"one\r\ntwo\n\nthr", 13);
	assert_int_equal(log_count(), 3);
	assert_string_equal(log_line(0), "[vm] one");
	assert_string_equal(log_line(1), "[vm] two");
	assert_string_equal(log_line(2), "[vm] ");
	guest_line_flush(&l, "vm");
	assert_string_equal(log_line(3), "[vm] thr");
	guest_line_flush(&l, "vm");
	assert_int_equal(log_count(), 4);
}

/* A line of exactly the maximum is one line; one byte more makes a continuation. */
static void test_long_lines(void **state)
{
	(void)state;
	static u8 buf[2 * GUEST_LINE_MAX + 10];
	struct guest_line l = {0};
	memset(buf, 'a', sizeof(buf));
	log_reset();
	buf[GUEST_LINE_MAX] = '\n';
	guest_line_put(&l, "vm", buf, GUEST_LINE_MAX + 1);
	assert_int_equal(log_count(), 1);
	assert_int_equal(strlen(log_line(0)), 5 + GUEST_LINE_MAX);
	log_reset();
	buf[GUEST_LINE_MAX] = 'b';
	guest_line_put(&l, "vm", buf, sizeof(buf));
	guest_line_flush(&l, "vm");
	assert_int_equal(log_count(), 3);
	assert_memory_equal(log_line(1), "[vm]+ baa", 9);
	assert_int_equal(strlen(log_line(2)), 6 + 10);
	assert_memory_equal(log_line(2), "[vm]+ ", 6);
}

/* A piece never ends inside a UTF-8 character: the character moves to the next piece. */
static void test_cut_utf8(void **state)
{
	(void)state;
	static u8 buf[GUEST_LINE_MAX + 8];
	struct guest_line l = {0};
	memset(buf, 'a', sizeof(buf));
	memcpy(buf + GUEST_LINE_MAX - 2, "\xe2\x82\xac", 3); /* the euro sign across the end */
	log_reset();
	guest_line_put(&l, "vm", buf, sizeof(buf));
	guest_line_flush(&l, "vm");
	assert_int_equal(log_count(), 2);
	assert_int_equal(strlen(log_line(0)), 5 + GUEST_LINE_MAX - 2);
	assert_memory_equal(log_line(1), "[vm]+ \xe2\x82\xac", 9);
	assert_null(strchr(log_line(1), '.'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls), cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_lines),	 cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_cut_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
