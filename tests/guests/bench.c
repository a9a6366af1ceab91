/* Exit round trips timed from inside the guest: guest TSC cycles per CPUID (leaf 0), keel
 * hypercall (VERSION), port read (inb 0x21, the PIC mask) and MMIO read (the LAPIC version
 * register), each the mean of n= iterations (default 2000) after a warm-up of n/10. Built as a
 * multiboot ELF32 it also boots on bare QEMU (-kernel), where the hypercall row is skipped.
 * tools/bench reads the "bench: NAME N cycles" lines. */
#include "rt/rt.h"

#define LAPIC_VER 0xfee00030u

static bool amd;

static void op_cpuid(void)
{
	u32 r[4];
	cpuid(0, 0, r);
}

/* The hypercall instruction itself: rt's hypercall() would add a CPUID to pick it. */
static void op_hypercall(void)
{
	unsigned long ret;
	if (amd)
		__asm__ volatile("vmmcall" : "=a"(ret) : "a"(0ul) : "memory");
	else
		__asm__ volatile("vmcall" : "=a"(ret) : "a"(0ul) : "memory");
}

static void op_port(void)
{
	inb(0x21);
}

static void op_mmio(void)
{
	(void)*(volatile u32 *)LAPIC_VER;
}

/* Mean TSC cycles of one op over n runs. */
static u64 measure(void (*op)(void), u32 n)
{
	for (u32 i = 0; i < n / 10 + 1; i++)
		op();
	u64 t0 = rdtsc();
	for (u32 i = 0; i < n; i++)
		op();
	return div64(rdtsc() - t0, n);
}

int guest_main(void)
{
	u32 n = (u32)cmdline_num("n", 2000);
	bool keel = on_keel();
	amd = is_amd();
	printf("bench: %u iterations, %s, %s\n", n, keel ? "under keel" : "bare",
	       amd ? "AMD" : "Intel");
	printf("bench: cpuid %llu cycles\n", (unsigned long long)measure(op_cpuid, n));
	if (keel)
		printf("bench: hypercall %llu cycles\n",
		       (unsigned long long)measure(op_hypercall, n));
	printf("bench: port-read %llu cycles\n", (unsigned long long)measure(op_port, n));
	printf("bench: mmio-read %llu cycles\n", (unsigned long long)measure(op_mmio, n));
	return 0;
}
