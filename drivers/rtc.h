/* The host's CMOS real-time clock: read once at boot, so that guests start at the real time
 * of day. */
#ifndef KEEL_RTC_H
#define KEEL_RTC_H

#include "lib/types.h"

/* Where there is no RTC to read (or it shows no valid time): 2026-01-01 00:00:00 UTC. */
#define RTC_FALLBACK_UNIX 1767225600ll

/* Read the RTC (taken to keep UTC, as Linux and the firmware of servers do) and log it. */
void rtc_init(void);
/* Unix seconds now: the RTC's time at rtc_init() plus the TSC's count since then. */
s64 rtc_unix_now(void);
/* Unix time in nanoseconds at host TSC value tsc (at or after rtc_init()). */
u64 rtc_unix_ns_at(u64 tsc);

#endif
