/* Timers while the guest sleeps: the local APIC timer, first periodic, then one-shot re-armed
 * from its handler, then the 8254 PIT's channel 0 as a rate generator through the 8259 PIC and
 * the local APIC's LINT0 in ExtINT mode (the PC's "virtual wire"). Each runs for a window of TSC
 * during which the guest only halts (STI; HLT), so every tick has to wake it; a handler counts
 * the interrupts and sends EOI. Checks that ticks arrive (a sanity floor of a quarter of the
 * expected count, since the VM may share its CPU) and never faster than the period allows.
 *
 * cmdline: ms=N (each phase's window, default 500), period=N (microseconds, default 1000),
 * phases=N (a mask: 1 periodic, 2 one-shot, 4 PIT; default 7), floor=0 (ask only for one
 * tick: several VMs with 100 us ticks on one emulated CPU cannot all keep up, and the
 * scheduler tests that use it look for a false stop, not for a rate). */
#include "rt/apic.h"
#include "rt/trap.h"

#define VEC	 0x40 /* the APIC timer */
#define PIC_BASE 0x50 /* the master PIC's vectors: IRQ 0 (the PIT) is 0x50 */
#define PIT_HZ	 1193182u

enum source { APIC_PERIODIC, APIC_ONESHOT, PIT };
static const char *const source_name[] = {"periodic", "one-shot", "pit"};

static volatile u32 ticks;
static volatile u32 rearm; /* one-shot: the count the handler writes back, 0 otherwise */

void timer_isr(void);
void timer_isr(void)
{
	ticks++;
	if (rearm)
		apic_write(APIC_TMR_INIT, rearm);
	apic_eoi();
}
IRQ_STUB(timer_stub, timer_isr);

void pit_isr(void);
void pit_isr(void)
{
	ticks++;
	outb(0x20, 0x20); /* non-specific EOI to the master PIC: an ExtINT needs no APIC EOI */
}
IRQ_STUB(pit_stub, pit_isr);

/* Both PICs initialised (ICW1-4) with every line masked but the master's IRQ 0, and LINT0
 * taking the master's output as ExtINT; or everything masked again. */
static void pic_route_pit(bool on)
{
	static const u8 icw[2][4] = {{0x11, PIC_BASE, 0x04, 0x01},
				     {0x11, PIC_BASE + 8, 0x02, 0x01}};
	for (int i = 0; i < 2; i++) {
		u16 port = i ? 0xa0 : 0x20;
		outb(port, icw[i][0]);
		for (int j = 1; j < 4; j++)
			outb(port + 1, icw[i][j]);
		outb(port + 1, (u8)(on && !i ? 0xfe : 0xff));
	}
	apic_write(APIC_LVT_LINT0, on ? APIC_LVT_EXTINT : APIC_LVT_MASKED);
}

/* Start the source with a period of count (APIC timer or PIT clocks); stop it. */
static void source_start(enum source s, u32 count)
{
	if (s == PIT) {
		pic_route_pit(true);
		outb(0x43, 0x34); /* channel 0, low then high byte, mode 2 (rate generator) */
		outb(0x40, (u8)count);
		outb(0x40, (u8)(count >> 8));
		return;
	}
	rearm = s == APIC_ONESHOT ? count : 0;
	apic_write(APIC_LVT_TIMER, VEC | (s == APIC_PERIODIC ? APIC_LVT_PERIOD : 0));
	apic_write(APIC_TMR_DIV, APIC_DIV_1);
	apic_write(APIC_TMR_INIT, count);
	u32 cur = apic_read(APIC_TMR_CUR);
	check(cur <= count, "%s: current count %u <= initial count %u", source_name[s], cur, count);
}

static void source_stop(enum source s)
{
	if (s == PIT) {
		pic_route_pit(false);
		return;
	}
	apic_write(APIC_LVT_TIMER, VEC | APIC_LVT_MASKED);
	apic_write(APIC_TMR_INIT, 0);
	check(apic_read(APIC_TMR_CUR) == 0, "%s: stopped timer reads 0", source_name[s]);
}

/* One phase: ticks counted over a window of halting; checks on the count. */
static bool floor_on = true;

static void phase(enum source s, u32 count, u64 window, u64 period_ticks)
{
	const char *mode = source_name[s];
	ticks = 0;
	u64 start = rdtsc();
	source_start(s, count);
	while (rdtsc() - start < window)
		__asm__ volatile("sti; hlt; cli" ::: "memory"); /* STI's shadow covers the HLT */
	u32 n = ticks;
	u64 elapsed = rdtsc() - start;
	source_stop(s);
	u32 expected = (u32)div64(elapsed, (u32)period_ticks);
	printf("timer: %s: %u ticks in %llu ticks of TSC, %u expected\n", mode, n,
	       (unsigned long long)elapsed, expected);
	if (floor_on)
		check(n >= expected / 4, "%s: %u ticks, at least a quarter of %u", mode, n,
		      expected);
	else
		check(n >= 1, "%s: %u ticks, at least one", mode, n);
	check(n <= expected + expected / 10 + 2, "%s: %u ticks, not more than one a period (%u)",
	      mode, n, expected);
}

int guest_main(void)
{
	u64 ms = cmdline_num("ms", 500), period_us = cmdline_num("period", 1000);
	u64 phases = cmdline_num("phases", 7);
	floor_on = cmdline_num("floor", 1) != 0;
	u64 khz = tsc_khz();
	u32 count = (u32)div64(period_us * apic_timer_khz(), 1000);
	u64 period_ticks = div64(period_us * khz, 1000);
	printf("timer: period %llu us (count %u at %llu kHz), %llu ms per phase\n",
	       (unsigned long long)period_us, count, (unsigned long long)apic_timer_khz(),
	       (unsigned long long)ms);
	trap_init();
	trap_set_gate(VEC, timer_stub, 0);
	trap_set_gate(PIC_BASE, pit_stub, 0);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff); /* enabled, spurious vector 0xff */
	if (phases & 1)
		phase(APIC_PERIODIC, count, ms * khz, period_ticks);
	if (phases & 2)
		phase(APIC_ONESHOT, count, ms * khz, period_ticks);
	u32 pit_count = (u32)div64(period_us * PIT_HZ, 1000000);
	if (phases & 4)
		phase(PIT, pit_count, ms * khz, div64((u64)pit_count * khz * 1000, PIT_HZ));
	return check_done();
}
