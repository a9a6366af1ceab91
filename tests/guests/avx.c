/* AVX state kept per vCPU (issue 13, item 4): several VMs share host CPUs, each with its own
 * tag=N. Each enables AVX (CR4.OSXSAVE, XCR0; tag 2 also PKRU's bit where offered, so the VMs'
 * XCR0s differ), loads YMM0-YMM15 with 256-bit patterns made from its tag and the round, yields
 * (and naps, nap=N, so that idle CPUs steal it), then doubles each register with VPADDQ and
 * stores it: every lane must be twice its own pattern, and XGETBV its own XCR0, after each of
 * rounds=N yields. Without AVX in CPUID it prints SKIP and checks that AVX2 is absent too. */
#include "rt/nap.h"
#include "rt/trap.h"

#define HC_YIELD 3
#define HEX(x)	 ((unsigned long long)(x))

static u64 in[16][4] __attribute__((aligned(32))), out[16][4] __attribute__((aligned(32)));

#define YMM_LOAD(n) __asm__ volatile("vmovdqu %0, %%ymm" #n ::"m"(in[n]))
#define YMM_STORE(n)                                                        \
	__asm__ volatile("vpaddq %%ymm" #n ", %%ymm" #n ", %%ymm" #n "\n\t" \
			 "vmovdqu %%ymm" #n ", %0"                          \
			 : "=m"(out[n]))

static void load_all(void)
{
	YMM_LOAD(0);
	YMM_LOAD(1);
	YMM_LOAD(2);
	YMM_LOAD(3);
	YMM_LOAD(4);
	YMM_LOAD(5);
	YMM_LOAD(6);
	YMM_LOAD(7);
	YMM_LOAD(8);
	YMM_LOAD(9);
	YMM_LOAD(10);
	YMM_LOAD(11);
	YMM_LOAD(12);
	YMM_LOAD(13);
	YMM_LOAD(14);
	YMM_LOAD(15);
}

static void double_all(void)
{
	YMM_STORE(0);
	YMM_STORE(1);
	YMM_STORE(2);
	YMM_STORE(3);
	YMM_STORE(4);
	YMM_STORE(5);
	YMM_STORE(6);
	YMM_STORE(7);
	YMM_STORE(8);
	YMM_STORE(9);
	YMM_STORE(10);
	YMM_STORE(11);
	YMM_STORE(12);
	YMM_STORE(13);
	YMM_STORE(14);
	YMM_STORE(15);
}

static u64 xgetbv0(void)
{
	u32 lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (u64)hi << 32 | lo;
}

/* Lane l of register n in round r: distinct per tag, register, lane and round, below 2^62
 * so that doubling does not carry out. */
static u64 lane(u64 tag, u64 r, u32 n, u32 l)
{
	return (tag << 52 | (u64)n << 44 | (u64)l << 40 | (r & 0xffffff) << 8 | 0x5a) &
	       0x3fffffffffffffffull;
}

int guest_main(void)
{
	trap_init();
	u64 tag = cmdline_num("tag", 1), rounds = cmdline_num("rounds", 200);
	u64 spin = cmdline_num("spin", 100), nap_us = cmdline_num("nap", 0);
	u32 l1[4], l7[4], ld[4];
	cpuid(1, 0, l1);
	cpuid(7, 0, l7);
	if (!(l1[2] & (1u << 28))) {
		check(!(l7[1] & (1u << 5)), "avx-absent: no AVX, so no AVX2 (leaf 7 EBX 0x%x)",
		      l7[1]);
		printf("SKIP avx-state: CPUID offers no AVX (the host has none)\n");
		return check_done();
	}
	cpuid(0xd, 0, ld);
	u64 cr4, want_xcr0 = 7 | (tag == 2 ? ld[0] & 0x200 : 0);
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | 1ull << 18));
	__asm__ volatile("xsetbv" ::"c"(0), "a"((u32)want_xcr0), "d"(0));
	u32 bad_rounds = 0, bad_xcr0 = 0, first = 0;
	u64 saw = 0, want = 0;
	for (u64 r = 0; r < rounds; r++) {
		for (u32 n = 0; n < 16; n++)
			for (u32 l = 0; l < 4; l++)
				in[n][l] = lane(tag, r, n, l);
		load_all();
		hypercall(HC_YIELD, 0, 0, 0, 0);
		tsc_delay_us(spin);
		if (nap_us)
			nap(nap_us);
		double_all();
		bad_xcr0 += xgetbv0() != want_xcr0;
		u32 bad = 0;
		for (u32 n = 0; n < 16; n++)
			for (u32 l = 0; l < 4; l++)
				if (out[n][l] != 2 * in[n][l] && !bad++ && !bad_rounds)
					first = n, saw = out[n][l], want = 2 * in[n][l];
		bad_rounds += bad != 0;
	}
	check(!bad_rounds,
	      "avx-ymm-kept: YMM0-15 doubled right after %llu yields (%u rounds wrong, "
	      "first ymm%u saw 0x%llx, want 0x%llx)",
	      HEX(rounds), bad_rounds, first, HEX(saw), HEX(want));
	check(!bad_xcr0, "avx-xcr0-kept: XCR0 0x%llx after every yield (%u wrong)", HEX(want_xcr0),
	      bad_xcr0);
	printf("avx: tag %llu done\n", HEX(tag));
	return check_done();
}
