/* Reads lines typed on keel's console (its UART, polled) and answers each one; "quit" ends
 * it. The console tests switch keel's input between two of these and keel's prompt.
 * wait_ms=N: after "ready", read nothing for N ms (TSC from CPUID 0x40000010), so that a
 * paste meets a full UART FIFO and keel must hold the rest back. A line longer than 64 bytes
 * is answered with its length and FNV-1a hash. */
#include "rt/rt.h"

static void wait_ms(u64 ms)
{
	u32 r[4];
	cpuid(0x40000010, 0, r); /* EAX: TSC kHz */
	u64 end = rdtsc() + ms * r[0];
	/* Interrupts on (none is enabled at the guest's devices, so none comes): Bochs makes a
	 * guest exit for the host's interrupts only while the guest could take one itself. */
	__asm__ volatile("sti");
	while (rdtsc() < end)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
}

int guest_main(void)
{
	char line[512];
	int n = 0;
	printf("echo: ready\n");
	wait_ms(cmdline_num("wait_ms", 0));
	for (;;) {
		if (!(inb(0x3fd) & 1)) /* line status: data ready */
			continue;
		char c = (char)inb(0x3f8);
		if (c != '\r' && c != '\n') {
			if (n < (int)sizeof(line) - 1)
				line[n++] = c;
			continue;
		}
		line[n] = '\0';
		n = 0;
		if (!strncmp(line, "quit", 5)) {
			printf("echo: bye\n");
			return 0;
		}
		if (strlen(line) <= 64) {
			printf("echo: got '%s'\n", line);
			continue;
		}
		u32 h = 2166136261u; /* FNV-1a: a long line's bytes, in order */
		for (const char *p = line; *p; p++)
			h = (h ^ (u8)*p) * 16777619u;
		printf("echo: got %u bytes, fnv1a %08x\n", (unsigned)strlen(line), h);
	}
}
