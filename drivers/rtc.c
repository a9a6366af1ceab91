/* Host MC146818 RTC at ports 0x70 (index) and 0x71 (data). keel reads the time once, between
 * two updates (UIP clear, and the same seconds read twice), and counts on with the TSC. */
#include "drivers/rtc.h"
#include "drivers/timer.h"
#include "lib/calendar.h"
#include "kernel/log.h"
#include "kernel/x86.h"

#define UIP_SPINS 100000 /* reads of register A: far longer than one update cycle (2 ms) */

static s64 boot_unix = RTC_FALLBACK_UNIX;
static u64 boot_tsc;

static u8 cmos(u8 reg)
{
	outb(0x70, reg); /* bit 7 clear: NMIs stay as the firmware left them enabled */
	return inb(0x71);
}

static bool read_regs(struct rtc_regs *r)
{
	for (int i = 0; i < UIP_SPINS; i++) {
		if (cmos(RTC_REG_A) & RTC_A_UIP)
			continue;
		*r = (struct rtc_regs){.sec = cmos(RTC_SEC),
				       .min = cmos(RTC_MIN),
				       .hour = cmos(RTC_HOUR),
				       .mday = cmos(RTC_MDAY),
				       .mon = cmos(RTC_MONTH),
				       .year = cmos(RTC_YEAR),
				       .century = cmos(CMOS_CENTURY),
				       .b = cmos(RTC_REG_B)};
		if (!(cmos(RTC_REG_A) & RTC_A_UIP) && cmos(RTC_SEC) == r->sec)
			return true; /* no update began while we read */
	}
	return false;
}

void rtc_init(void)
{
	struct rtc_regs r;
	struct civil tm;
	boot_tsc = rdtsc();
	if (!read_regs(&r) || !civil_from_rtc(&r, &tm)) {
		civil_from_unix(RTC_FALLBACK_UNIX, &tm);
		log_warn("rtc: no valid time in the CMOS RTC; guests start at %04lld-%02u-%02u",
			 (long long)tm.year, tm.mon, tm.mday);
		return;
	}
	boot_unix = civil_to_unix(&tm);
	log_info("rtc: %04lld-%02u-%02u %02u:%02u:%02u UTC", (long long)tm.year, tm.mon, tm.mday,
		 tm.hour, tm.min, tm.sec);
}

s64 rtc_unix_now(void)
{
	return boot_unix + (s64)tsc_to_us(rdtsc() - boot_tsc) / 1000000;
}

u64 rtc_unix_ns_at(u64 tsc)
{
	u64 since = tsc > boot_tsc ? tsc - boot_tsc : 0;
	return (u64)boot_unix * 1000000000ull + tsc_to_us(since) * 1000;
}
