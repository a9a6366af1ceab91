/* Reference timers (8254 PIT channel 2, ACPI PM timer) and TSC calibration against them. */
#include "drivers/timer.h"
#include "drivers/acpi.h"
#include "kernel/log.h"
#include "kernel/x86.h"

#define PIT_HZ	   1193182u /* 8254 input clock */
#define PMTIMER_HZ 3579545u /* ACPI PM timer (ACPI 4.8.3.3) */

u64 tsc_khz;
u64 tsc_boot;

/* PIT channel 2 in mode 0 counts down once; its output shows on port 0x61 bit 5. The gate is
 * port 0x61 bit 0 and bit 1 drives the speaker, which stays off. At most ~54 ms per call. */
static void pit_delay(u32 us)
{
	u32 count = (u32)((u64)PIT_HZ * us / 1000000);
	if (count > 0xffff)
		count = 0xffff;
	if (count < 1)
		count = 1;
	u8 p61 = inb(0x61);
	outb(0x61, (p61 & ~0x02) | 0x01); /* gate on, speaker off */
	outb(0x43, 0xb0);		  /* channel 2, low then high byte, mode 0, binary */
	outb(0x42, (u8)count);
	outb(0x42, (u8)(count >> 8));
	for (u32 i = 0; i < 100000000 && !(inb(0x61) & 0x20); i++)
		;
	outb(0x61, p61);
}

static void pmtimer_delay(u32 us)
{
	u32 mask = acpi.pm_timer_32bit ? 0xffffffffu : 0xffffffu;
	u32 ticks = (u32)((u64)PMTIMER_HZ * us / 1000000);
	u32 start = inl(acpi.pm_timer_port) & mask;
	for (u32 i = 0; i < 100000000; i++) {
		u32 now = inl(acpi.pm_timer_port) & mask;
		if (((now - start) & mask) >= ticks)
			return;
	}
}

void ref_delay_us(u32 us)
{
	if (acpi.pm_timer_port) {
		pmtimer_delay(us);
		return;
	}
	while (us) {
		u32 step = MIN(us, 50000u);
		pit_delay(step);
		us -= step;
	}
}

const char *ref_timer_name(void)
{
	return acpi.pm_timer_port ? "ACPI PM timer" : "PIT";
}

u64 tsc_now(void)
{
	return rdtsc();
}

void tsc_init(void)
{
	const u32 us = 10000;
	/* Take the best of three: an emulator's host can stall us in any one of them. */
	u64 best = 0;
	for (int i = 0; i < 3; i++) {
		u64 t0 = rdtsc();
		ref_delay_us(us);
		u64 d = rdtsc() - t0;
		if (!best || d < best)
			best = d;
	}
	tsc_khz = best * 1000 / us;
	if (!tsc_khz)
		tsc_khz = 1000000; /* a TSC that does not move: assume 1 GHz rather than divide by 0
				    */
	log_set_clock(tsc_now, tsc_khz, tsc_boot);
	log_info("timer: TSC %llu.%03llu MHz (measured against the %s)", (tsc_khz / 1000),
		 (tsc_khz % 1000), ref_timer_name());
}

u64 tsc_to_us(u64 ticks)
{
	return tsc_khz ? ticks / tsc_khz * 1000 + ticks % tsc_khz * 1000 / tsc_khz : 0;
}

u64 us_to_tsc(u64 us)
{
	return us * tsc_khz / 1000;
}

u64 time_us(void)
{
	return tsc_to_us(rdtsc() - tsc_boot);
}
