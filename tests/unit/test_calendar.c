/* Unix time and civil dates both ways (epoch, leap days, centuries, negative times), which
 * dates exist, and the host RTC's registers read in BCD and binary, 24 and 12 hours, with
 * and without a century byte, and as a machine without an RTC shows them. */
#include "tests/unit/fakes.h"
#include "lib/calendar.h"

#include <stdio.h>

static void expect_civil(s64 t, const char *want)
{
	struct civil tm;
	char got[40];
	civil_from_unix(t, &tm);
	snprintf(got, sizeof(got), "%04lld-%02u-%02u %02u:%02u:%02u %u", (long long)tm.year, tm.mon,
		 tm.mday, tm.hour, tm.min, tm.sec, tm.wday);
	assert_string_equal(got, want);
	assert_int_equal(civil_to_unix(&tm), t);
}

static void test_unix_to_civil_and_back(void **state)
{
	(void)state;
	expect_civil(0, "1970-01-01 00:00:00 5");	   /* a Thursday */
	expect_civil(951782400, "2000-02-29 00:00:00 3");  /* 2000 is a leap year */
	expect_civil(1767225600, "2026-01-01 00:00:00 5"); /* keel's fallback date */
	expect_civil(1795478399, "2026-11-23 23:59:59 2"); /* a Monday */
	expect_civil(4107542400, "2100-03-01 00:00:00 2"); /* 2100 is not */
	expect_civil(-1, "1969-12-31 23:59:59 4");
	for (s64 t = -400ll * 366 * 86400; t < 400ll * 366 * 86400; t += 86400 * 7 + 3661) {
		struct civil tm;
		civil_from_unix(t, &tm);
		assert_true(civil_valid(&tm));
		assert_int_equal(civil_to_unix(&tm), t);
	}
}

static void test_valid_dates(void **state)
{
	(void)state;
	struct civil ok = {.year = 2024, .mon = 2, .mday = 29, .hour = 23, .min = 59, .sec = 59};
	assert_true(civil_valid(&ok));
	struct civil bad[] = {
		{.year = 2026, .mon = 2, .mday = 29},
		{.year = 1900, .mon = 2, .mday = 29},
		{.year = 2026, .mon = 0, .mday = 1},
		{.year = 2026, .mon = 13, .mday = 1},
		{.year = 2026, .mon = 4, .mday = 31},
		{.year = 2026, .mon = 1, .mday = 0},
		{.year = 2026, .mon = 1, .mday = 1, .hour = 24},
		{.year = 2026, .mon = 1, .mday = 1, .sec = 60},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(civil_valid(&bad[i]));
}

static s64 rtc(struct rtc_regs r)
{
	struct civil tm;
	if (!civil_from_rtc(&r, &tm))
		return -1;
	return civil_to_unix(&tm);
}

static void test_rtc_registers(void **state)
{
	(void)state;
	s64 want = 1795478399; /* 2026-11-23 23:59:59 */
	/* BCD, 24 hours (register B 0x02), with the century byte. */
	assert_int_equal(rtc((struct rtc_regs){0x59, 0x59, 0x23, 0x23, 0x11, 0x26, 0x20, 0x02}),
			 want);
	/* Binary, 24 hours; no century byte (0): the 21st century. */
	assert_int_equal(rtc((struct rtc_regs){59, 59, 23, 23, 11, 26, 0, 0x06}), want);
	/* BCD, 12 hours: 11 PM is 0x11 with bit 7; 12 AM is midnight, 12 PM noon. */
	assert_int_equal(rtc((struct rtc_regs){0x59, 0x59, 0x91, 0x23, 0x11, 0x26, 0x20, 0x00}),
			 want);
	assert_int_equal(rtc((struct rtc_regs){0, 0, 0x12, 0x23, 0x11, 0x26, 0x20, 0x00}),
			 want - 86399);
	assert_int_equal(rtc((struct rtc_regs){0, 0, 0x92, 0x23, 0x11, 0x26, 0x20, 0x00}),
			 want - 86399 + 12 * 3600);
	/* A 1999 RTC with its century byte. */
	assert_int_equal(rtc((struct rtc_regs){0, 0, 0, 0x31, 0x12, 0x99, 0x19, 0x02}), 946598400);
	/* No RTC: every port reads 0xff. Bad BCD digits, an impossible date, hour 0 in 12-hour
	 * mode, a PM bit in 24-hour mode: no time. */
	assert_int_equal(rtc((struct rtc_regs){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
			 -1);
	assert_int_equal(rtc((struct rtc_regs){0x5a, 0, 0, 0x01, 0x01, 0x26, 0x20, 0x02}), -1);
	assert_int_equal(rtc((struct rtc_regs){0, 0, 0, 0x30, 0x02, 0x26, 0x20, 0x02}), -1);
	assert_int_equal(rtc((struct rtc_regs){0, 0, 0x00, 0x01, 0x01, 0x26, 0x20, 0x00}), -1);
	assert_int_equal(rtc((struct rtc_regs){0, 0, 0x81, 0x01, 0x01, 0x26, 0x20, 0x02}), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unix_to_civil_and_back),
		cmocka_unit_test(test_valid_dates),
		cmocka_unit_test(test_rtc_registers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
