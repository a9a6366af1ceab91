/* Host time: the TSC (keel's clock) and the fixed-rate timers used to measure it. */
#ifndef KEEL_TIMER_H
#define KEEL_TIMER_H

#include "lib/types.h"

extern u64 tsc_khz;  /* TSC ticks per millisecond */
extern u64 tsc_boot; /* TSC at keel's start: time zero of the log */

/* Busy-wait about us microseconds on the ACPI PM timer, or PIT channel 2 without one. */
void ref_delay_us(u32 us);
const char *ref_timer_name(void);
/* Measure the TSC against the reference timer. */
void tsc_init(void);
u64 tsc_now(void);
/* Microseconds since time zero. */
u64 time_us(void);
u64 tsc_to_us(u64 ticks);
u64 us_to_tsc(u64 us);

#endif
