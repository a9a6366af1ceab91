/* Civil dates and Unix time (proleptic Gregorian, UTC) and the RTC's register formats, for
 * the host RTC driver and the guests' virtual RTC. */
#ifndef KEEL_CALENDAR_H
#define KEEL_CALENDAR_H

#include "kernel/types.h"

struct civil {
	s64 year;
	u32 mon, mday, wday, hour, min, sec; /* mon 1-12, mday 1-31, wday 1-7 with Sunday = 1 */
};

void civil_from_unix(s64 t, struct civil *tm);
s64 civil_to_unix(const struct civil *tm);
/* A calendar date and time of day that exists (mon, mday within the month, hour < 24...). */
bool civil_valid(const struct civil *tm);

/* The MC146818 RTC's time registers as read, with register B, whose DM bit (binary or BCD)
 * and 24/12 bit say how to read the others; century is CMOS byte 0x32, 0 where absent. */
struct rtc_regs {
	u8 sec, min, hour, mday, mon, year, century, b;
};

/* The date and time those registers show; false when they show none (no RTC reads 0xff). A
 * century byte that is not 19-21 is taken as 20. */
bool civil_from_rtc(const struct rtc_regs *r, struct civil *tm);

#endif
