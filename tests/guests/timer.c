/* The local APIC timer while the guest sleeps: an IDT gate whose handler counts interrupts and
 * sends EOI, the timer programmed first periodic, then one-shot and re-armed from the handler;
 * each for a window of TSC during which the guest only halts (STI; HLT), so every tick has to
 * wake it. Checks that ticks arrive (a sanity floor of a quarter of the expected count, since
 * the VM may share its CPU) and never faster than the period allows.
 *
 * cmdline: ms=N (each phase's window, default 500), period=N (microseconds, default 1000). */
#include "rt/apic.h"
#include "rt/trap.h"

#define VEC 0x40

static volatile u32 ticks;
static volatile u32 rearm; /* one-shot: the count the handler writes back, 0 in periodic mode */

void timer_isr(void);
void timer_isr(void)
{
	ticks++;
	if (rearm)
		apic_write(APIC_TMR_INIT, rearm);
	apic_eoi();
}
IRQ_STUB(timer_stub, timer_isr);

/* One phase: ticks counted over a window of halting; checks on the count. */
static void phase(bool periodic, u32 count, u64 window, u64 period_ticks)
{
	const char *mode = periodic ? "periodic" : "one-shot";
	ticks = 0;
	rearm = periodic ? 0 : count;
	apic_write(APIC_LVT_TIMER, VEC | (periodic ? APIC_LVT_PERIOD : 0));
	apic_write(APIC_TMR_DIV, APIC_DIV_1);
	u64 start = rdtsc();
	apic_write(APIC_TMR_INIT, count);
	u32 cur = apic_read(APIC_TMR_CUR);
	check(cur <= count, "%s: current count %u <= initial count %u", mode, cur, count);
	while (rdtsc() - start < window)
		__asm__ volatile("sti; hlt; cli" ::: "memory"); /* STI's shadow covers the HLT */
	apic_write(APIC_LVT_TIMER, VEC | APIC_LVT_MASKED);
	apic_write(APIC_TMR_INIT, 0);
	u64 elapsed = rdtsc() - start;
	u32 n = ticks, expected = (u32)div64(elapsed, (u32)period_ticks);
	printf("timer: %s: %u ticks in %llu ticks of TSC, %u expected\n", mode, n,
	       (unsigned long long)elapsed, expected);
	check(n >= expected / 4, "%s: %u ticks, at least a quarter of %u", mode, n, expected);
	check(n <= expected + expected / 10 + 2, "%s: %u ticks, not more than one a period (%u)",
	      mode, n, expected);
	check(apic_read(APIC_TMR_CUR) == 0, "%s: stopped timer reads 0", mode);
}

int guest_main(void)
{
	u64 ms = cmdline_num("ms", 500), period_us = cmdline_num("period", 1000);
	u64 khz = tsc_khz();
	u32 count = (u32)div64(period_us * apic_timer_khz(), 1000);
	u64 period_ticks = div64(period_us * khz, 1000);
	printf("timer: period %llu us (count %u at %llu kHz), %llu ms per phase\n",
	       (unsigned long long)period_us, count, (unsigned long long)apic_timer_khz(),
	       (unsigned long long)ms);
	trap_init();
	trap_set_gate(VEC, timer_stub, 0);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff); /* enabled, spurious vector 0xff */
	phase(true, count, ms * khz, period_ticks);
	phase(false, count, ms * khz, period_ticks);
	return check_done();
}
