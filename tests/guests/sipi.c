/* Start-up IPIs racing a HLT with interrupts off (issue 11, "suspected": keel marked such a
 * vCPU as waiting for a SIPI while it was still on its host CPU, so a SIPI sent from another
 * CPU could reset its VMCB/VMCS there, and the HLT's own exit handling then moved RIP on or
 * wrote the old state back). The BSP sends SIPIs to APIC id 1 without pause; each one that
 * lands starts the AP in a real-mode stub at 0x9000 that counts its start and parks itself
 * with CLI; HLT at once, ready for the next. A start anywhere but the stub's first byte, or a
 * resume after its HLT instead of a restart, is counted as bad: the vCPU was reset behind the
 * back of the CPU that ran it.
 *
 * cmdline: starts=N (AP starts to count, default 2000), wait=N (give up after N ms of TSC;
 * default 0: never, so that how fast the emulator runs cannot fail the test: a hang shows as
 * keel-run's timeout).
 * Run it with cpus=2 on two host CPUs. */
#include "rt/apic.h"

#define STUB	 0x9000u /* SIPI vector 0x09 */
#define SIPI_VEC (STUB >> 12)

/* The stub runs at CS:IP 0900:0000 with every general register 0 (SDM 8.4.4.2: a SIPI start
 * is a reset). "inc %bx" is its first byte: a start at byte 1 leaves BX 0. */
/* clang-format off */
__asm__(".section .rodata.stub, \"a\"\n"
	".globl stub_start, stub_end, stub_good, stub_bad\n"
	".code16\n"
	"stub_start:\n"
	"	inc %bx\n"
	"	cmp $1, %bx\n"
	"	jne 1f\n"
	"	lock incl %cs:(stub_good - stub_start)\n"
	"	cli\n"
	"	hlt\n" /* only a SIPI may start it again, at stub_start */
	"1:	lock incl %cs:(stub_bad - stub_start)\n"
	"	cli\n"
	"	hlt\n"
	"	jmp 1b\n"
	"	.balign 4\n"
	"stub_good: .long 0\n"
	"stub_bad: .long 0\n"
	"stub_end:\n"
#if defined(__x86_64__)
	".code64\n"
#else
	".code32\n"
#endif
	".text\n");
/* clang-format on */
extern const u8 stub_start[], stub_end[], stub_good[], stub_bad[];

/* The stub's counters, in its copy at STUB. */
static volatile u32 *counter(const u8 *sym)
{
	return (volatile u32 *)(uintptr_t)(STUB + ((uintptr_t)sym - (uintptr_t)stub_start));
}

int guest_main(void)
{
	u64 want = cmdline_num("starts", 2000), wait = cmdline_num("wait", 0);
	memcpy((void *)(uintptr_t)STUB, stub_start,
	       (size_t)((uintptr_t)stub_end - (uintptr_t)stub_start));
	volatile u32 *good = counter(stub_good), *bad = counter(stub_bad);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	apic_ipi(1, APIC_ICR_INIT);
	apic_ipi(1, APIC_ICR_INIT_DE);
	u64 sent = 0, end = wait ? rdtsc() + wait * tsc_khz() : ~0ull;
	while (*good < want && !*bad && rdtsc() < end) {
		apic_ipi(1, APIC_ICR_SIPI | SIPI_VEC);
		sent++;
	}
	printf("sipi: %llu SIPIs sent, %u starts, %u bad\n", (unsigned long long)sent, *good, *bad);
	check(*bad == 0, "no start of the AP outside its stub's first byte (%u bad)", *bad);
	check(*good >= want, "the AP started %u times (wanted %llu)", *good,
	      (unsigned long long)want);
	return check_done();
}
