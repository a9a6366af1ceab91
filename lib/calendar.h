/* Civil dates and Unix time (proleptic Gregorian, UTC) and the RTC's register formats, for
 * the host RTC driver and the guests' virtual RTC. */
#ifndef KEEL_CALENDAR_H
#define KEEL_CALENDAR_H

#include "lib/types.h"

struct civil {
	s64 year;
	u32 mon, mday, wday, hour, min, sec; /* mon 1-12, mday 1-31, wday 1-7 with Sunday = 1 */
};

void civil_from_unix(s64 t, struct civil *tm);
s64 civil_to_unix(const struct civil *tm);
/* A calendar date and time of day that exists (mon, mday within the month, hour < 24...). */
bool civil_valid(const struct civil *tm);

/* The MC146818 RTC's registers (data sheet, "Address map"), for the host's RTC and the
 * guests' alike, and the bits of A and B both read. */
enum {
	RTC_SEC = 0x00,
	RTC_SEC_ALARM = 0x01,
	RTC_MIN = 0x02,
	RTC_MIN_ALARM = 0x03,
	RTC_HOUR = 0x04,
	RTC_HOUR_ALARM = 0x05,
	RTC_WDAY = 0x06,
	RTC_MDAY = 0x07,
	RTC_MONTH = 0x08,
	RTC_YEAR = 0x09,
	RTC_REG_A = 0x0a,    /* UIP, divider, rate */
	RTC_REG_B = 0x0b,    /* SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE */
	RTC_REG_C = 0x0c,    /* IRQF, PF, AF, UF: cleared by reading */
	RTC_REG_D = 0x0d,    /* VRT */
	CMOS_CENTURY = 0x32, /* BCD or binary, as the time (the PC's CMOS layout) */
};
#define RTC_A_UIP    0x80 /* update in progress */
#define RTC_B_DM_BIN 0x04 /* binary, not BCD */
#define RTC_B_24H    0x02 /* 24-hour, not 12-hour with the PM bit */
#define RTC_HOUR_PM  0x80 /* the hour register's PM bit in 12-hour mode */

/* The MC146818 RTC's time registers as read, with register B, whose DM bit (binary or BCD)
 * and 24/12 bit say how to read the others; century is CMOS byte 0x32, 0 where absent. */
struct rtc_regs {
	u8 sec, min, hour, mday, mon, year, century, b;
};

/* The date and time those registers show; false when they show none (no RTC reads 0xff). A
 * century byte that is not 19-21 is taken as 20. */
bool civil_from_rtc(const struct rtc_regs *r, struct civil *tm);

#endif
