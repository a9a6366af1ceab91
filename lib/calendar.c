/* Days from 1970-01-01 to a civil date and back, by the era (400-year cycle) method, which is
 * exact for every proleptic Gregorian date. */
#include "lib/calendar.h"

void civil_from_unix(s64 t, struct civil *tm)
{
	s64 days = (t >= 0 ? t : t - 86399) / 86400, secs = t - days * 86400;
	s64 z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	s64 doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	s64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	tm->mday = (u32)(doy - (153 * mp + 2) / 5 + 1);
	tm->mon = (u32)(mp < 10 ? mp + 3 : mp - 9);
	tm->year = yoe + era * 400 + (tm->mon <= 2);
	tm->wday = (u32)(((days + 4) % 7 + 7) % 7 + 1); /* 1970-01-01 was a Thursday */
	tm->hour = (u32)(secs / 3600);
	tm->min = (u32)(secs / 60 % 60);
	tm->sec = (u32)(secs % 60);
}

s64 civil_to_unix(const struct civil *tm)
{
	s64 y = tm->year - (tm->mon <= 2), era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
	s64 doy = (153 * (tm->mon > 2 ? tm->mon - 3 : tm->mon + 9) + 2) / 5 + tm->mday - 1;
	s64 days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
	return days * 86400 + tm->hour * 3600 + tm->min * 60 + tm->sec;
}

bool civil_valid(const struct civil *tm)
{
	static const u8 mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (tm->mon < 1 || tm->mon > 12 || tm->mday < 1 || tm->mday > mdays[tm->mon - 1] ||
	    tm->hour > 23 || tm->min > 59 || tm->sec > 59)
		return false;
	bool leap = (tm->year % 4 == 0 && tm->year % 100 != 0) || tm->year % 400 == 0;
	return tm->mon != 2 || tm->mday <= 28 || leap;
}

static bool bcd_ok(u8 x)
{
	return (x & 0xf) < 10 && (x >> 4) < 10;
}

/* One register as a number, or 0xff when it is not a valid number in its format. */
static u32 field(const struct rtc_regs *r, u8 x)
{
	if (r->b & RTC_B_DM_BIN)
		return x;
	return bcd_ok(x) ? (x >> 4) * 10u + (x & 0xf) : 0xff;
}

bool civil_from_rtc(const struct rtc_regs *r, struct civil *tm)
{
	u32 hour = field(r, r->hour & (u8)~RTC_HOUR_PM);
	if (!(r->b & RTC_B_24H)) {
		if (hour < 1 || hour > 12)
			return false;
		hour = hour % 12 + (r->hour & RTC_HOUR_PM ? 12 : 0);
	} else if (r->hour & RTC_HOUR_PM) {
		return false;
	}
	u32 century = field(r, r->century), year = field(r, r->year);
	if (century < 19 || century > 21)
		century = 20;
	*tm = (struct civil){.year = century * 100 + year,
			     .mon = field(r, r->mon),
			     .mday = field(r, r->mday),
			     .hour = hour,
			     .min = field(r, r->min),
			     .sec = field(r, r->sec)};
	if (year > 99 || !civil_valid(tm))
		return false;
	civil_from_unix(civil_to_unix(tm), tm); /* fills in the day of the week */
	return true;
}
