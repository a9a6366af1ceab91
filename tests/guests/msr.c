/* MSRs as keel presents them (README "MSR policy"): the allowed ones read without a fault and
 * hold keel's values; any other MSR, read or written, raises #GP; EFER hides SVME and refuses
 * reserved bits; PAT takes only valid memory types; APIC_BASE stays at 0xfee00000. */
#include "rt/msr.h"
#include "rt/trap.h"

#define GP	       13
#define MSR_TSC	       0x10u
#define MSR_APIC_BASE  0x1bu
#define MSR_FEAT_CTL   0x3au
#define MSR_MTRRCAP    0xfeu
#define MSR_MISC_EN    0x1a0u
#define MSR_PAT	       0x277u
#define MSR_EFER       0xc0000080u
#define MSR_KERNEL_GS  0xc0000102u
#define EFER_LME       (1ull << 8)
#define EFER_LMA       (1ull << 10)
#define EFER_SVME      (1ull << 12)
#define APIC_BASE_BOOT 0xfee00900ull /* 0xfee00000, enabled (bit 11), BSP (bit 8) */

static u64 rd(u32 msr)
{
	u64 v;
	rdmsr_try(msr, &v);
	return v;
}

/* Every MSR the policy lets a guest read. */
static void readable(void)
{
	static const u32 ok[] = {
		0x10,	    0x1b,	0x3a,	    0x8b,	0xfe,	    0x179,
		0x17a,	    0x1a0,	0x277,	    0x2ff,	0xc0000080, 0xc0000081,
		0xc0000082, 0xc0000083, 0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102,
		0x174,	    0x175,	0x176,	    0xc0010015, 0xc0011029,
	};
	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		u64 v;
		u32 vec = rdmsr_try(ok[i], &v);
		check(vec == TRAP_NONE, "rdmsr 0x%x reads 0x%llx (vector %u)", ok[i],
		      (unsigned long long)v, vec);
	}
	check(rd(MSR_APIC_BASE) == APIC_BASE_BOOT, "APIC_BASE 0x%llx = 0xfee00900",
	      (unsigned long long)rd(MSR_APIC_BASE));
	check(rd(MSR_FEAT_CTL) == 1, "FEATURE_CONTROL = 1 (locked, VMX off)");
	check(rd(MSR_MTRRCAP) == 0x508, "MTRRCAP = 0x508 (8 variable, fixed, WC)");
	check(rd(MSR_MISC_EN) == 0x1801, "MISC_ENABLE = 0x1801 (fast strings, no BTS, no PEBS)");
	u64 t0 = rd(MSR_TSC), t1 = rd(MSR_TSC);
	check(t1 > t0, "TSC MSR advances (%llu, %llu)", (unsigned long long)t0,
	      (unsigned long long)t1);
}

/* MSRs a guest may not touch: a CPU without them raises #GP, and so does keel. */
static void unknown(void)
{
	static const u32 bad[] = {
		0x12345678, /* nothing */
		0xc0011000, /* an AMD model-specific MSR */
		0x802,	    /* x2APIC ID: #GP in xAPIC mode (SDM 11.12.1.2) */
		0xc1,	    /* IA32_PMC0: no performance counters */
		0x480,	    /* VMX_BASIC: VMX is hidden */
		0xc0010114, /* VM_CR: SVM is hidden */
		0xc0010117, /* VM_HSAVE_PA */
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		u64 v;
		u32 vec = rdmsr_try(bad[i], &v);
		check(vec == GP, "rdmsr 0x%x raises #GP (vector %u)", bad[i], vec);
	}
	check(wrmsr_try(0x12345678, 1) == GP, "wrmsr 0x12345678 raises #GP");
	check(wrmsr_try(0xc0010117, 0x1000) == GP, "wrmsr VM_HSAVE_PA raises #GP");
	check(wrmsr_try(MSR_MTRRCAP, 0) == GP, "wrmsr MTRRCAP (read-only) raises #GP");
	check(wrmsr_try(MSR_FEAT_CTL, 5) == GP, "wrmsr FEATURE_CONTROL (read-only) raises #GP");
}

/* EFER: SVME never shows; the same value writes back; reserved bits raise #GP. */
static void efer(void)
{
	u64 e;
	u32 vec = rdmsr_try(MSR_EFER, &e);
	check(vec == TRAP_NONE && !(e & EFER_SVME), "EFER 0x%llx: SVME hidden",
	      (unsigned long long)e);
#if defined(__x86_64__)
	check(e & EFER_LMA, "EFER.LMA set in 64-bit mode");
#else
	check(!(e & EFER_LMA), "EFER.LMA clear in 32-bit mode");
#endif
	check(wrmsr_try(MSR_EFER, e) == TRAP_NONE && rd(MSR_EFER) == e, "EFER writes back 0x%llx",
	      (unsigned long long)e);
	check(wrmsr_try(MSR_EFER, e | EFER_SVME) == GP, "EFER | SVME raises #GP");
	check(wrmsr_try(MSR_EFER, e | 2) == GP, "EFER | bit 1 (reserved) raises #GP");
	check(wrmsr_try(MSR_EFER, e | 1ull << 63) == GP, "EFER | bit 63 (reserved) raises #GP");
#if defined(__x86_64__)
	check(wrmsr_try(MSR_EFER, e & ~EFER_LME) == GP,
	      "clearing EFER.LME with paging on raises #GP");
#endif
	check(rd(MSR_EFER) == e, "EFER unchanged: 0x%llx", (unsigned long long)rd(MSR_EFER));
}

/* PAT round-trips a valid value; a byte naming no memory type raises #GP. */
static void pat(void)
{
	const u64 good = 0x0007050600070106ull, bad2 = 0x0007040600070402ull;
	const u64 bad8 = 0x0807040600070406ull;
	u64 orig = rd(MSR_PAT);
	check(wrmsr_try(MSR_PAT, good) == TRAP_NONE && rd(MSR_PAT) == good,
	      "PAT 0x%llx -> 0x%llx -> 0x%llx", (unsigned long long)orig, (unsigned long long)good,
	      (unsigned long long)rd(MSR_PAT));
	check(wrmsr_try(MSR_PAT, bad2) == GP, "PAT with type 2 raises #GP");
	check(wrmsr_try(MSR_PAT, bad8) == GP, "PAT with type 8 raises #GP");
	check(rd(MSR_PAT) == good, "PAT unchanged after the refused writes");
	wrmsr_try(MSR_PAT, orig);
}

/* APIC_BASE: rewriting its value is fine; a move is taken and ignored; a reserved bit and
 * EXTD without EN raise #GP (tests/guests/lapic.c has the modes). */
static void apic_base(void)
{
	check(wrmsr_try(MSR_APIC_BASE, APIC_BASE_BOOT) == TRAP_NONE, "APIC_BASE rewritten as is");
	check(wrmsr_try(MSR_APIC_BASE, APIC_BASE_BOOT + 0x1000) == TRAP_NONE,
	      "APIC_BASE moved to 0xfee01000: taken");
	check(wrmsr_try(MSR_APIC_BASE, APIC_BASE_BOOT | 1u << 9) == GP,
	      "APIC_BASE reserved bit 9 raises #GP");
	check(wrmsr_try(MSR_APIC_BASE, (APIC_BASE_BOOT & ~(1ull << 11)) | 1u << 10) == GP,
	      "APIC_BASE EXTD without EN raises #GP");
	check(rd(MSR_APIC_BASE) == APIC_BASE_BOOT, "APIC_BASE still 0xfee00900");
}

/* The hardware-switched KERNEL_GS_BASE holds what is written. */
static void switched(void)
{
	const u64 v = 0x12345000ull;
	u64 orig = rd(MSR_KERNEL_GS);
	check(wrmsr_try(MSR_KERNEL_GS, v) == TRAP_NONE && rd(MSR_KERNEL_GS) == v,
	      "KERNEL_GS_BASE round-trips 0x%llx", (unsigned long long)v);
	wrmsr_try(MSR_KERNEL_GS, orig);
}

int guest_main(void)
{
	trap_init();
	printf("msr: %d-bit guest\n", (int)sizeof(void *) * 8);
	readable();
	unknown();
	efer();
	pat();
	apic_base();
	switched();
	return check_done();
}
