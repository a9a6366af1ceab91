/* A CPU-bound guest for the scheduler tests (tests/suite_sched.py): with interrupts off, it
 * counts rounds of arithmetic until its own TSC has moved a window past its first reading,
 * then prints how many it did and exits 0. Guests running side by side for the same window of
 * the (shared) TSC each count in proportion to the CPU time keel gave them.
 *
 * VMs started together still reach their first instruction a slice or two apart. With a
 * margin, a guest spins uncounted for the margin before its window and again after it, so
 * that while any guest counts, all its peers (started within a margin of it) are spinning too;
 * nothing is printed until the end, so printing takes no CPU inside anyone's window.
 *
 * cmdline: ms=N (the window in milliseconds of TSC, from the kHz keel reports in CPUID leaf
 * 0x40000010; default 1000) or ticks=N (the window in TSC ticks); margin=N (milliseconds of
 * uncounted spinning before and after the window, default 0); sti (spin with RFLAGS.IF set
 * instead of clear; no interrupt source is enabled, so none arrives). */
#include "rt/apic.h"

static u32 x = 1;

/* Spin until the TSC reaches end; returns the rounds done and the TSC then. */
static u64 spin(u64 end, u64 *now)
{
	u64 n = 0;
	do {
		/* One round: 32 steps of a linear congruential generator the compiler must keep. */
		for (int i = 0; i < 32; i++) {
			x = x * 1103515245u + 12345u;
			__asm__ volatile("" : "+r"(x));
		}
		n++;
		*now = rdtsc();
	} while (*now < end);
	return n;
}

int guest_main(void)
{
	u64 first = rdtsc();
	uintptr_t flags;
	if (cmdline_has("sti")) /* nothing is sent to it: interrupts on change only RFLAGS.IF */
		__asm__ volatile("sti; pushf; pop %0" : "=r"(flags));
	else
		__asm__ volatile("cli; pushf; pop %0" : "=r"(flags));
	u64 khz = tsc_khz(), window = cmdline_num("ticks", 0);
	if (!window)
		window = cmdline_num("ms", 1000) * khz;
	u64 margin = cmdline_num("margin", 0) * khz, start, end, now;
	spin(first + margin, &start);
	u64 n = spin(start + window, &end);
	spin(end + margin, &now);
	printf("spin: window %llu ticks at %llu kHz, margin %llu, interrupts %s\n",
	       (unsigned long long)window, (unsigned long long)khz, (unsigned long long)margin,
	       flags & 0x200 ? "on" : "off");
	printf("spin: %llu iterations in %llu ticks, tsc 0x%llx-0x%llx (x %x)\n",
	       (unsigned long long)n, (unsigned long long)(end - start), (unsigned long long)start,
	       (unsigned long long)end, x);
	return 0;
}
