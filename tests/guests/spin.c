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
 * instead of clear; no interrupt source is enabled, so none arrives).
 *
 * Inside the window it also sums the TSC it saw itself run: every step between two rounds
 * shorter than 100 us. A longer step is time it did not run (another VM's slice, or, under an
 * emulator, the host not running the emulated CPU), so the sum is the CPU time it got whatever
 * the speed of the CPU under it; the tests compare those sums (iterations per tick vary with
 * an emulator's load, a loaded host stalls it at random). */
#include "rt/apic.h"

static u32 x = 1;

/* Spin until the TSC reaches end; returns the rounds done and the TSC then, and in *ran the
 * sum of the steps between rounds of max_step ticks or less. Everything stays in registers
 * until the end: a store per round could land in a page of code, which an emulator then
 * retranslates at every round. */
static u64 spin(u64 end, u64 *now, u64 max_step, u64 *ran)
{
	u64 n = 0, last = rdtsc(), t, sum = 0;
	u32 y = x;
	do {
		/* One round: 32 steps of a linear congruential generator the compiler must keep. */
		for (int i = 0; i < 32; i++) {
			y = y * 1103515245u + 12345u;
			__asm__ volatile("" : "+r"(y));
		}
		n++;
		t = rdtsc();
		if (t - last <= max_step)
			sum += t - last;
		last = t;
	} while (t < end);
	x = y;
	*now = t;
	*ran = sum;
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
	u64 margin = cmdline_num("margin", 0) * khz, start, end, now, ran, ran_window;
	spin(first + margin, &start, 0, &ran);
	u64 n = spin(start + window, &end, khz / 10, &ran_window);
	spin(end + margin, &now, 0, &ran);
	printf("spin: window %llu ticks at %llu kHz, margin %llu, interrupts %s\n",
	       (unsigned long long)window, (unsigned long long)khz, (unsigned long long)margin,
	       flags & 0x200 ? "on" : "off");
	printf("spin: %llu iterations in %llu ticks, ran %llu ticks, tsc 0x%llx-0x%llx (x %x)\n",
	       (unsigned long long)n, (unsigned long long)(end - start),
	       (unsigned long long)ran_window, (unsigned long long)start, (unsigned long long)end,
	       x);
	return 0;
}
