/* The guest the VM-control and snapshot tests watch (README "Management API"): it keeps a
 * counter and a 4 MiB area, and every ~100 ms of guest time (its TSC, at the rate CPUID
 * 0x40000010 gives) it increments the counter, rewrites page (counter % 1024) of the area with
 * bytes derived from the counter, updates a running checksum by the page's change, then
 * recomputes the checksum over the whole area and prints
 *
 *     tick N csum XXXXXXXX ok        (or BAD: the area is not what the running sum says)
 *
 * Between ticks it sleeps on its local APIC timer (so a paused VM's timer is exercised). A tick
 * that comes more than 500 ms after the previous one (the VM was paused) also prints
 * `gap N ms`. It answers the ACPI fixed power button (ACPI 6.5 4.8.2.2.1): it sets
 * PM1_EN.PWRBTN_EN, polls PM1_STS.PWRBTN_STS each tick, and when it is set prints
 * `power button` and enters S5 (PM1_CNT: SLP_TYP of \_S5, SLP_EN). Run with mem=16M.
 * cmdline: ticks=N (exit 0 after N ticks; default: run until stopped), period=MS (100). */
#include "rt/nap.h"

#define PAGES	   1024 /* the area: 4 MiB */
#define WORDS	   (4096 / 8)
#define PM1_STS	   0x600 /* keel's PM1a event block (its FADT) */
#define PM1_EN	   0x602
#define PM1_CNT	   0x604
#define PWRBTN	   0x0100 /* PM1_STS/PM1_EN bit 8 (ACPI 6.5 4.8.3.1) */
#define SLP_EN	   0x2000 /* PM1_CNT bit 13 */
#define SLP_TYP_S5 0x0000 /* PM1_CNT bits 12:10: SLP_TYP of keel's \_S5 (0) */
#define GAP_MS	   500

static u64 area[PAGES][WORDS] __attribute__((aligned(4096)));
static volatile u64 counter, running;

/* The word i of page p after tick n: from the counter, so a rollback is checkable. */
static u64 word(u64 n, u32 i)
{
	u64 x = (n + 1) * 0x9e3779b97f4a7c15ull ^ ((u64)i << 32 | i);
	return x ^ x >> 29;
}

static u64 page_sum(u32 p)
{
	u64 s = 0;
	for (u32 i = 0; i < WORDS; i++)
		s += area[p][i];
	return s;
}

static u32 fold(u64 s)
{
	return (u32)(s ^ s >> 32);
}

/* One tick: the next page rewritten, the running sum moved by its change, the whole area
 * summed again and compared. */
static void tick(void)
{
	u64 n = ++counter;
	u32 p = (u32)(n % PAGES);
	u64 before = page_sum(p);
	for (u32 i = 0; i < WORDS; i++)
		area[p][i] = word(n, i);
	running = running - before + page_sum(p);
	u64 full = 0;
	for (u32 q = 0; q < PAGES; q++)
		full += page_sum(q);
	printf("tick %llu csum %08x %s\n", (unsigned long long)n, fold(running),
	       full == running ? "ok" : "BAD");
}

/* The power button was pressed: clear its status (write 1), then S5. */
static void power_button(void)
{
	puts("power button\n");
	outw(PM1_STS, PWRBTN);
	outw(PM1_CNT, SLP_TYP_S5 + SLP_EN);
	for (;;)
		__asm__ volatile("cli; hlt");
}

int guest_main(void)
{
	u64 khz = tsc_khz(), ticks = cmdline_num("ticks", 0);
	trap_init();
	u64 period = cmdline_num("period", 100) * khz;
	outw(PM1_EN, PWRBTN);
	printf("counter: TSC %llu kHz, period %llu ms\n", (unsigned long long)khz,
	       (unsigned long long)(period / khz));
	u64 last = rdtsc(), next = last + period;
	while (!ticks || counter < ticks) {
		u64 now = rdtsc();
		if (now < next) {
			nap(div64(next - now, (u32)khz) * 1000 + 1);
			continue;
		}
		if (now - last > GAP_MS * khz)
			printf("gap %llu ms\n", (unsigned long long)div64(now - last, (u32)khz));
		last = now;
		next = now + period;
		tick();
		if (inw(PM1_STS) & PWRBTN)
			power_button();
	}
	return 0;
}
