/* Conformance checks of XSAVE and XCR0 (issue 13, item 4), each from the SDM / APM: CPUID's
 * XSAVE bits and leaf 0xD (SDM vol. 2 CPUID, vol. 1 13.2-13.4), XSETBV's #UD and #GP cases
 * and XGETBV (vol. 2 "XSETBV", "XGETBV", vol. 1 13.3; APM vol. 3), an XSAVE/XRSTOR round trip
 * and XRSTOR's #GP on a bad header (vol. 1 13.7-13.8), AVX's #UD until XCR0 enables it (vol. 1
 * 14.3), and PKRU (vol. 3 4.6.2, RDPKRU/WRPKRU). A check the host cannot support prints
 * SKIP with the reason. */
#include "rt/trap.h"
#include "rt/user.h"

#define UD	    6
#define GP	    13
#define CR4_OSXSAVE (1ull << 18)
#define CR4_PKE	    (1ull << 22)
#define HEX(x)	    ((unsigned long long)(x))

static u8 area[4096] __attribute__((aligned(64)));
static u32 l1[4], l7[4], ld[4];
static u64 offered; /* leaf 0xD.0 EDX:EAX */

static void skip(const char *name, const char *why)
{
	printf("SKIP %s: %s\n", name, why);
}

static u32 cr4_set(u64 bit)
{
	return TRAP_TRY("mov %0, %%cr4", ::"r"(cr4_read() | bit));
}

static u32 xsetbv_try(u32 xcr, u64 v)
{
	return TRAP_TRY("xsetbv", ::"c"(xcr), "a"((u32)v), "d"((u32)(v >> 32)));
}

static u32 xgetbv_try(u32 xcr, u64 *v)
{
	u32 lo = 0, hi = 0, vec = TRAP_TRY("xgetbv", : "=a"(lo), "=d"(hi) : "c"(xcr));
	*v = (u64)hi << 32 | lo;
	return vec;
}

static u64 xcr0(void)
{
	u64 v;
	xgetbv_try(0, &v);
	return v;
}

/* Without XSAVE in CPUID everything that needs it is absent and faults as on such a CPU. */
static void no_xsave(void)
{
	u32 d[4];
	cpuid(0xd, 0, d);
	check(!(l1[2] & (1u << 28)) && !(l7[1] & (1u << 5)),
	      "no-xsave-no-avx: leaf 1 ECX 0x%x, leaf 7 EBX 0x%x: no AVX, no AVX2", l1[2], l7[1]);
	check(!d[0] && !d[1] && !d[2] && !d[3], "no-xsave-leaf-d: 0xD.0 all zero (0x%x 0x%x 0x%x)",
	      d[0], d[1], d[2]);
	u32 vec = cr4_set(CR4_OSXSAVE);
	check(vec == GP, "no-xsave-cr4: CR4.OSXSAVE raises #GP: saw %u, want 13", vec);
	vec = xsetbv_try(0, 1);
	check(vec == UD, "no-xsave-xsetbv: XSETBV raises #UD: saw %u, want 6", vec);
	skip("xsave", "CPUID offers no XSAVE (the host has none)");
}

/* SDM vol. 2 XSETBV/XGETBV: #UD while CR4.OSXSAVE is clear; CPUID.1:ECX.OSXSAVE reads it. */
static void osxsave(void)
{
	u64 v;
	check(!(l1[2] & (1u << 27)), "osxsave-clear: CPUID OSXSAVE 0 with CR4.OSXSAVE 0");
	u32 vec = xsetbv_try(0, 1);
	check(vec == UD, "xsetbv-ud: XSETBV with CR4.OSXSAVE 0: saw %u, want 6", vec);
	vec = xgetbv_try(0, &v);
	check(vec == UD, "xgetbv-ud: XGETBV with CR4.OSXSAVE 0: saw %u, want 6", vec);
	vec = cr4_set(CR4_OSXSAVE);
	check(vec == TRAP_NONE && (cr4_read() & CR4_OSXSAVE), "cr4-osxsave: set: saw %u", vec);
	u32 r[4];
	cpuid(1, 0, r);
	check(r[2] & (1u << 27), "osxsave-set: CPUID OSXSAVE 1 with CR4.OSXSAVE 1");
	check(xcr0() == 1, "xcr0-reset: XCR0 at reset: saw 0x%llx, want 1", HEX(xcr0()));
}

/* Leaf 0xD.0 (SDM vol. 2 CPUID): x87 and SSE always, AVX with CPUID's AVX, PKRU with PKU,
 * EBX the size for the current XCR0, ECX for all; sub-leaves of absent components zero. */
static void leaf_d(void)
{
	bool avx = l1[2] & (1u << 28), pku = l7[2] & (1u << 3);
	check((offered & 3) == 3, "leaf-d-x87-sse: EAX 0x%llx has bits 0, 1", HEX(offered));
	check(!!(offered & 4) == avx, "leaf-d-avx: EAX bit 2 %u, CPUID AVX %u",
	      (u32) !!(offered & 4), avx);
	check(!!(offered & 0x200) == pku, "leaf-d-pkru: EAX bit 9 %u, CPUID PKU %u",
	      (u32) !!(offered & 0x200), pku);
	check(!(offered & 0xe0) || (l7[1] & (1u << 16)),
	      "leaf-d-avx512: bits 7:5 only with AVX512F");
	check(ld[1] == 576, "leaf-d-size-x87: EBX with XCR0 1: saw %u, want 576", ld[1]);
	u32 bad = 0, r[4];
	for (u32 i = 2; i < 63; i++) {
		cpuid(0xd, i, r);
		if (!(offered & (1ull << i)) && (r[0] | r[1] | r[2] | r[3]) && !bad)
			bad = i;
		if ((offered & (1ull << i)) && (!r[0] || r[1] + r[0] > ld[2]) && !bad)
			bad = i;
	}
	check(!bad, "leaf-d-subleaves: sub-leaf %u out of line (sizes within ECX %u)", bad, ld[2]);
	if (avx) {
		cpuid(0xd, 2, r);
		check(r[0] == 256 && r[1] == 576,
		      "leaf-d-avx-layout: size %u at %u, want 256 at 576", r[0], r[1]);
	}
}

void user_xsetbv(void);
__asm__(".text\nuser_xsetbv: xor %ecx, %ecx; mov $3, %eax; xor %edx, %edx\n"
	"1: xsetbv\n2: int $0x80\n"
	".pushsection extable, \"a\"\n.balign 4\n.long 1b, 2b\n.popsection\n");

/* SDM vol. 2 XSETBV: #GP(0) for each bad case; XCR0 keeps its value. */
static void xsetbv_faults(void)
{
	static const struct {
		const char *name;
		u32 xcr;
		u64 v;
	} bad[] = {
		{"xsetbv-gp-ecx", 1, 3},
		{"xsetbv-gp-zero", 0, 0},
		{"xsetbv-gp-no-x87", 0, 2},
		{"xsetbv-gp-avx-no-sse", 0, 5},
		{"xsetbv-gp-edx", 0, 1ull << 32 | 3},
		{"xsetbv-gp-bit63", 0, 1ull << 63 | 3},
		{"xsetbv-gp-avx512-part", 0, 0x27},
		{"xsetbv-gp-mpx-part", 0, 0x9},
	};
	for (u32 i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		u32 vec = xsetbv_try(bad[i].xcr, bad[i].v);
		check(vec == GP && xcr0() == 1, "%s: XCR%u 0x%llx: saw %u, XCR0 0x%llx, want 13, 1",
		      bad[i].name, bad[i].xcr, HEX(bad[i].v), vec, HEX(xcr0()));
	}
	u32 first = 2; /* the first XCR0 bit not offered */
	while (offered & (1ull << first))
		first++;
	u32 vec = xsetbv_try(0, 3 | 1ull << first);
	check(vec == GP, "xsetbv-gp-unsupported: bit %u: saw %u, want 13", first, vec);
	if (!(offered & 0xe0)) {
		vec = xsetbv_try(0, 0xe7);
		check(vec == GP, "xsetbv-gp-avx512: not offered: saw %u, want 13", vec);
	}
	user_init();
	trap_vector = TRAP_NONE;
	user_run(user_xsetbv);
	u32 seen = trap_vector; /* before xcr0(), whose TRAP_TRY resets it */
	check(seen == GP && xcr0() == 1, "xsetbv-gp-cpl3: saw %u, XCR0 0x%llx, want 13", seen,
	      HEX(xcr0()));
	u64 v;
	vec = xgetbv_try(2, &v);
	check(vec == GP, "xgetbv-gp-ecx2: XGETBV ECX 2: saw %u, want 13", vec);
}

/* Good values take, and leaf 0xD's EBX follows XCR0. */
static void xsetbv_good(void)
{
	u32 r[4];
	u32 vec = xsetbv_try(0, 3);
	cpuid(0xd, 0, r);
	check(vec == TRAP_NONE && xcr0() == 3 && r[1] == 576,
	      "xsetbv-sse: saw %u, XCR0 0x%llx, EBX %u, want 3, 576", vec, HEX(xcr0()), r[1]);
	vec = xsetbv_try(0, offered);
	cpuid(0xd, 0, r);
	check(vec == TRAP_NONE && xcr0() == offered && r[1] == r[2],
	      "xsetbv-all: XCR0 0x%llx: saw %u, XCR0 0x%llx, EBX %u, ECX %u", HEX(offered), vec,
	      HEX(xcr0()), r[1], r[2]);
	cpuid(0xd, 1, r);
	u64 v;
	vec = xgetbv_try(1, &v);
	if (r[0] & 4)
		check(vec == TRAP_NONE && !(v & ~offered), "xgetbv1: XINUSE 0x%llx within XCR0",
		      HEX(v));
	else
		check(vec == GP, "xgetbv1-gp: not offered: saw %u, want 13", vec);
}

/* SDM vol. 1 13.7-13.8: XSAVE writes XMM0 at 160 and YMM0's upper half at AVX's offset, with
 * XSTATE_BV bits; XRSTOR brings them back; a header bit XCR0 lacks is #GP. */
static void round_trip(void)
{
	static const u64 x[4] = {0x1111222233334444ull, 0x5555666677778888ull,
				 0x99990000aaaabbbbull, 0xccccddddeeeeffffull};
	u64 got[4] = {0}, zero[4] = {0};
	bool avx = offered & 4;
	memset(area, 0, sizeof(area));
	if (avx)
		__asm__ volatile("vmovdqu %0, %%ymm0" ::"m"(x));
	else
		__asm__ volatile("movdqu %0, %%xmm0" ::"m"(x));
	__asm__ volatile("xsave64 %0" : "+m"(area) : "a"((u32)offered), "d"(0));
	u64 bv = *(u64 *)(area + 512);
	check(!memcmp(area + 160, x, 16) && (bv & 2), "xsave-xmm0: at 160, XSTATE_BV 0x%llx",
	      HEX(bv));
	if (avx) {
		check(!memcmp(area + 576, x + 2, 16) && (bv & 4), "xsave-ymm0-high: at 576");
		__asm__ volatile("vmovdqu %0, %%ymm0" ::"m"(zero));
	} else {
		__asm__ volatile("movdqu %0, %%xmm0" ::"m"(zero));
	}
	__asm__ volatile("xrstor64 %0" ::"m"(area), "a"((u32)offered), "d"(0));
	if (avx)
		__asm__ volatile("vmovdqu %%ymm0, %0" : "=m"(got));
	else
		__asm__ volatile("movdqu %%xmm0, %0" : "=m"(got));
	check(!memcmp(got, x, avx ? 32 : 16), "xrstor-back: 0x%llx 0x%llx 0x%llx 0x%llx",
	      HEX(got[0]), HEX(got[1]), HEX(got[2]), HEX(got[3]));
	u64 saved = *(u64 *)(area + 512);
	*(u64 *)(area + 512) = saved | 1ull << 62; /* a bit no XCR0 can hold */
	u32 vec = TRAP_TRY("xrstor64 %0", ::"m"(area), "a"((u32)offered), "d"(0));
	check(vec == GP, "xrstor-gp-bv: XSTATE_BV bit 62: saw %u, want 13", vec);
	*(u64 *)(area + 512) = saved;
	area[530] = 1; /* header bytes 8..63 are reserved */
	vec = TRAP_TRY("xrstor64 %0", ::"m"(area), "a"((u32)offered), "d"(0));
	check(vec == GP, "xrstor-gp-header: reserved header byte: saw %u, want 13", vec);
	area[530] = 0;
}

/* SDM vol. 1 14.3: a VEX instruction on YMM is #UD unless XCR0 enables SSE and AVX state. */
static void avx_checks(void)
{
	if (!(offered & 4)) {
		skip("avx", "CPUID offers no AVX (the host has none)");
		return;
	}
	static const u32 a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[8] = {10, 20, 30, 40, 50, 60, 70, 80};
	u32 c[8] = {0};
	xsetbv_try(0, 3);
	u32 vec = TRAP_TRY("vmovdqu %0, %%ymm1", ::"m"(a));
	check(vec == UD, "avx-ud-xcr0: VMOVDQU with XCR0 3: saw %u, want 6", vec);
	xsetbv_try(0, 7);
	vec = TRAP_TRY("vmovdqu %0, %%ymm1", ::"m"(a));
	__asm__ volatile("vmovdqu %1, %%ymm2; vpaddd %%ymm1, %%ymm2, %%ymm3; vmovdqu %%ymm3, %0"
			 : "=m"(c)
			 : "m"(b));
	u32 bad = 0;
	for (u32 i = 0; i < 8; i++)
		bad += c[i] != a[i] + b[i];
	check(vec == TRAP_NONE && !bad, "avx-vpaddd: 8 sums, %u wrong (vector %u)", bad, vec);
	if (l7[1] & (1u << 5)) {
		__asm__ volatile("vpaddd %%ymm3, %%ymm3, %%ymm4; vmovdqu %%ymm4, %0" : "=m"(c));
		check(c[7] == 2 * 88, "avx2-vpaddd: %u, want 176", c[7]);
	}
}

/* PKRU (SDM vol. 3 4.6.2): CR4.PKE where CPUID has PKU, OSPKE follows it, RDPKRU starts at 0,
 * WRPKRU sets it, and XSAVE stores it as component 9. */
static void pku_checks(void)
{
	if (!(l7[2] & (1u << 3))) {
		skip("pku", "CPUID offers no PKU (the host has none)");
		return;
	}
	u32 r[4], lo, hi, vec = cr4_set(CR4_PKE);
	cpuid(7, 0, r);
	check(vec == TRAP_NONE && (r[2] & (1u << 4)), "pku-cr4: CR4.PKE set (%u), OSPKE %u", vec,
	      (r[2] >> 4) & 1);
	__asm__ volatile("rdpkru" : "=a"(lo), "=d"(hi) : "c"(0));
	check(lo == 0, "pkru-reset: saw 0x%x, want 0", lo);
	u32 want = 0x55555554; /* key 0 left open: the guest's own pages use it */
	__asm__ volatile("wrpkru" ::"a"(want), "c"(0), "d"(0));
	__asm__ volatile("rdpkru" : "=a"(lo), "=d"(hi) : "c"(0));
	check(lo == want, "pkru-rw: saw 0x%x, want 0x%x", lo, want);
	cpuid(0xd, 9, r);
	xsetbv_try(0, offered);
	memset(area, 0, sizeof(area));
	__asm__ volatile("xsave64 %0" : "+m"(area) : "a"((u32)offered), "d"(0));
	check(r[0] == 8 && *(u32 *)(area + r[1]) == want && (*(u64 *)(area + 512) & 0x200),
	      "xsave-pkru: at %u (size %u): saw 0x%x", r[1], r[0], *(u32 *)(area + r[1]));
	__asm__ volatile("wrpkru" ::"a"(0), "c"(0), "d"(0));
}

int guest_main(void)
{
	trap_init();
	cpuid(1, 0, l1);
	cpuid(7, 0, l7);
	if (!(l1[2] & (1u << 26))) {
		no_xsave();
		return check_done();
	}
	cpuid(0xd, 0, ld);
	offered = (u64)ld[3] << 32 | ld[0];
	printf("xsave: XCR0 bits offered 0x%llx, AVX %u, PKU %u\n", HEX(offered), (l1[2] >> 28) & 1,
	       (l7[2] >> 3) & 1);
	osxsave();
	leaf_d();
	xsetbv_faults();
	xsetbv_good();
	round_trip();
	avx_checks();
	pku_checks();
	return check_done();
}
