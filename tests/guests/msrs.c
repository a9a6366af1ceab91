/* Conformance of the MSRs an OS expects (issue 13 item 6), each checked against the CPUID the
 * guest sees: the MTRRs (SDM vol. 3 11.11), SPEC_CTRL, PRED_CMD and ARCH_CAPABILITIES (SDM vol. 4
 * table 2-2, AMD's 0x80000008 EBX bits), DEBUGCTL (SDM 17.4.1), MISC_ENABLE, TSC_AUX (SDM
 * 17.17.2), and no performance counters: RDPMC and every PMU MSR #GP (SDM 19, APM 13.2). A
 * check of something the host lacks prints "SKIP: name: why". With tag=N, the vCPU's MTRRs
 * (and SPEC_CTRL where offered) hold values of its own across yields to a VM sharing its CPU. */
#include "rt/msr.h"

#define GP	      13
#define BIT(n)	      (1ull << (n))
#define MSR_SPEC_CTRL 0x48u
#define MSR_PRED_CMD  0x49u
#define MSR_MTRRCAP   0xfeu
#define MSR_ARCH_CAP  0x10au
#define MSR_MISC_EN   0x1a0u
#define MSR_DEBUGCTL  0x1d9u
#define MSR_DEF_TYPE  0x2ffu
#define MSR_TSC_AUX   0xc0000103u
#define HEX(x)	      ((unsigned long long)(x))

static u32 r[4];

static u32 *q(u32 leaf, u32 sub)
{
	cpuid(leaf, sub, r);
	return r;
}

static void skip(const char *name, const char *why)
{
	printf("SKIP: %s: %s\n", name, why);
}

static u64 rd(u32 msr)
{
	u64 v = ~0ull;
	rdmsr_try(msr, &v);
	return v;
}

/* val writes and reads back unchanged. */
static bool round_trip(u32 msr, u64 val)
{
	return wrmsr_try(msr, val) == TRAP_NONE && rd(msr) == val;
}

/* MAXPHYADDR: CPUID 0x80000008 EAX[7:0], else 36 (SDM 4.1.4). */
static u32 maxphyaddr(void)
{
	if (q(0x80000000u, 0)[0] >= 0x80000008u && (q(0x80000008u, 0)[0] & 0xff))
		return r[0] & 0xff;
	return 36;
}

/* The fixed-range MSRs (SDM 11.11.2.2). */
static const u32 fixed[] = {0x250, 0x258, 0x259, 0x268, 0x269, 0x26a,
			    0x26b, 0x26c, 0x26d, 0x26e, 0x26f};

/* Power-up state: DEF_TYPE, the fixed and the variable ranges all zero (SDM 11.11.5 leaves
 * firmware to set them; keel's vCPUs start as a machine with none set). */
static void mtrr_reset(void)
{
	u64 any = 0;
	any |= rd(MSR_DEF_TYPE);
	for (u32 i = 0; i < 11; i++)
		any |= rd(fixed[i]);
	for (u32 m = 0x200; m < 0x210; m++)
		any |= rd(m);
	check(any == 0, "MTRR reset state all zero (OR of all: 0x%llx)", HEX(any));
}

/* IA32_MTRR_DEF_TYPE: type (7:0), FE (10), E (11); the rest reserved; types 2, 3, 7 invalid. */
static void mtrr_def_type(void)
{
	check(round_trip(MSR_DEF_TYPE, 0xc06), "MTRR_DEF_TYPE E|FE|WB round-trips");
	check(round_trip(MSR_DEF_TYPE, 0x800), "MTRR_DEF_TYPE E|UC round-trips");
	static const u64 bad[] = {2, 3, 7, 0x100, 0x200, 0x1000, BIT(63)};
	u32 ok = 0;
	for (u32 i = 0; i < 7; i++)
		ok += wrmsr_try(MSR_DEF_TYPE, bad[i]) == GP;
	check(ok == 7 && rd(MSR_DEF_TYPE) == 0x800,
	      "MTRR_DEF_TYPE: bad types and reserved bits #GP (%u of 7), value kept", ok);
	wrmsr_try(MSR_DEF_TYPE, 0);
}

/* Each byte of a fixed-range MSR is a memory type. */
static void mtrr_fixed(void)
{
	u32 ok = 0, gp = 0;
	for (u32 i = 0; i < 11; i++) {
		u64 v = 0x0605040100060504ull ^ ((u64)(i & 1) << 57); /* byte 7: 6 or 4 */
		ok += round_trip(fixed[i], v);
		gp += wrmsr_try(fixed[i], (v & ~0xffull) | 2) ==
		      GP; /* types 2 and 3 are reserved */
		gp += wrmsr_try(fixed[i], (v << 8 >> 8) | 7ull << 56) == GP; /* UC-: the PAT's */
	}
	check(ok == 11, "11 fixed-range MTRRs round-trip valid types (%u)", ok);
	check(gp == 22 && rd(fixed[0]) == 0x0605040100060504ull,
	      "fixed-range MTRR bytes of types 2 and 7 #GP, values kept (%u of 22)", gp);
}

/* PHYSBASEn (type, base) and PHYSMASKn (V, mask): bits above MAXPHYADDR and 11:8 (base), 10:0
 * (mask) reserved (SDM 11.11.2.3). */
static void mtrr_variable(void)
{
	u32 mp = maxphyaddr(), ok = 0;
	u64 top = (BIT(mp) - 1) & ~0xfffull;
	for (u32 n = 0; n < 8; n++) {
		ok += round_trip(0x200 + 2 * n, (top & 0xff00000ull) | 6);
		ok += round_trip(0x201 + 2 * n, top | BIT(11));
	}
	check(ok == 16, "8 PHYSBASE/PHYSMASK pairs round-trip (MAXPHYADDR %u): %u", mp, ok);
	check(wrmsr_try(0x200, BIT(mp) | 6) == GP, "PHYSBASE0 bit %u (MAXPHYADDR) #GP", mp);
	check(wrmsr_try(0x201, BIT(mp) | BIT(11)) == GP, "PHYSMASK0 bit %u #GP", mp);
	check(wrmsr_try(0x200, 0x106) == GP, "PHYSBASE0 bit 8 (reserved) #GP");
	check(wrmsr_try(0x200, 0x3) == GP, "PHYSBASE0 type 3 #GP");
	check(wrmsr_try(0x201, BIT(11) | 1) == GP, "PHYSMASK0 bit 0 (reserved) #GP");
	check(rd(0x201) == (top | BIT(11)), "PHYSMASK0 kept 0x%llx", HEX(rd(0x201)));
	for (u32 m = 0x200; m < 0x210; m++)
		wrmsr_try(m, 0);
}

static void mtrrs(void)
{
	check(q(1, 0)[3] & BIT(12), "CPUID.1:EDX[12] MTRR offered");
	u64 cap;
	u32 vec = rdmsr_try(MSR_MTRRCAP, &cap);
	check(vec == TRAP_NONE && cap == 0x508, "MTRRCAP 0x%llx = 0x508 (VCNT 8, FIX, WC, no SMRR)",
	      HEX(cap));
	check(wrmsr_try(MSR_MTRRCAP, cap) == GP, "MTRRCAP is read-only (#GP)");
	check(rdmsr_try(0x210, &cap) == GP && rdmsr_try(0x1f2, &cap) == GP,
	      "PHYSBASE8 and SMRR_PHYSBASE #GP");
	if (is_amd()) { /* SYSCFG: no DRAM attributes in the fixed ranges, no TOM2 */
		vec = rdmsr_try(0xc0010010u, &cap);
		check(vec == TRAP_NONE && cap == 0, "AMD SYSCFG reads 0 (vector %u)", vec);
	}
	mtrr_reset();
	mtrr_def_type();
	mtrr_fixed();
	mtrr_variable();
}

/* SPEC_CTRL's bits as CPUID offers them: Intel 7.EDX 26/27/31, AMD 0x80000008 EBX 14/15/24. */
static u64 spec_bits(u32 *ibpb, u32 *arch_cap)
{
	u32 d = q(0, 0)[0] >= 7 ? q(7, 0)[3] : 0, b = 0;
	if (q(0x80000000u, 0)[0] >= 0x80000008u)
		b = q(0x80000008u, 0)[1];
	*ibpb = (d & BIT(26)) || (b & BIT(12));
	*arch_cap = !!(d & BIT(29));
	return ((d & BIT(26)) || (b & BIT(14)) ? 1 : 0) | ((d & BIT(27)) || (b & BIT(15)) ? 2 : 0) |
	       ((d & BIT(31)) || (b & BIT(24)) ? 4 : 0);
}

static void spec_ctrl(void)
{
	u32 ibpb, arch_cap;
	u64 bits = spec_bits(&ibpb, &arch_cap), v;
	printf("msrs: SPEC_CTRL bits 0x%llx, IBPB %u, ARCH_CAPABILITIES %u\n", HEX(bits), ibpb,
	       arch_cap);
	if (!bits) {
		check(rdmsr_try(MSR_SPEC_CTRL, &v) == GP && wrmsr_try(MSR_SPEC_CTRL, 0) == GP,
		      "SPEC_CTRL #GP: CPUID offers none of IBRS, STIBP, SSBD");
		skip("SPEC_CTRL", "the host offers no SPEC_CTRL");
	} else {
		check(rd(MSR_SPEC_CTRL) == 0, "SPEC_CTRL reads 0 at reset");
		check(round_trip(MSR_SPEC_CTRL, bits), "SPEC_CTRL takes its bits 0x%llx",
		      HEX(bits));
		check(wrmsr_try(MSR_SPEC_CTRL, bits | BIT(40)) == GP, "SPEC_CTRL bit 40 #GP");
		check(round_trip(MSR_SPEC_CTRL, 0), "SPEC_CTRL back to 0");
	}
	if (!ibpb) {
		check(wrmsr_try(MSR_PRED_CMD, 1) == GP, "PRED_CMD #GP: CPUID offers no IBPB");
		skip("PRED_CMD", "the host offers no IBPB");
	} else {
		check(wrmsr_try(MSR_PRED_CMD, 1) == TRAP_NONE, "PRED_CMD IBPB write");
		check(wrmsr_try(MSR_PRED_CMD, 0) == TRAP_NONE, "PRED_CMD 0 write");
		check(rdmsr_try(MSR_PRED_CMD, &v) == GP, "PRED_CMD is write-only (#GP on read)");
		check(wrmsr_try(MSR_PRED_CMD, 2) == GP, "PRED_CMD bit 1 #GP");
	}
	if (!arch_cap) {
		check(rdmsr_try(MSR_ARCH_CAP, &v) == GP, "ARCH_CAPABILITIES #GP: not in CPUID");
		skip("ARCH_CAPABILITIES", "the host has none");
	} else {
		u32 vec = rdmsr_try(MSR_ARCH_CAP, &v);
		check(vec == TRAP_NONE, "ARCH_CAPABILITIES reads 0x%llx", HEX(v));
		check(!(v & BIT(3)), "ARCH_CAPABILITIES: no SKIP_L1DFL_VMENTRY");
		check(wrmsr_try(MSR_ARCH_CAP, v) == GP, "ARCH_CAPABILITIES is read-only (#GP)");
	}
}

/* DEBUGCTL: reads 0; LBR and BTF are taken (and dropped: no LBR stack, no branch trap);
 * reserved bits #GP. MISC_ENABLE: fast strings, BTS and PEBS unavailable; writes of its
 * architectural bits are taken and change nothing, reserved bits #GP. */
static void debugctl_misc(void)
{
	u64 d = ~0ull;
	u32 vec = rdmsr_try(MSR_DEBUGCTL, &d);
	check(vec == TRAP_NONE && d == 0, "DEBUGCTL reads 0 (vector %u)", vec);
	check(wrmsr_try(MSR_DEBUGCTL, 0) == TRAP_NONE, "DEBUGCTL 0 write");
	check(wrmsr_try(MSR_DEBUGCTL, 3) == TRAP_NONE && rd(MSR_DEBUGCTL) == 0,
	      "DEBUGCTL LBR|BTF taken and dropped (reads 0x%llx)", HEX(rd(MSR_DEBUGCTL)));
	check(wrmsr_try(MSR_DEBUGCTL, BIT(63)) == GP && wrmsr_try(MSR_DEBUGCTL, BIT(5)) == GP,
	      "DEBUGCTL bits 63 and 5 #GP");
	u64 m = rd(MSR_MISC_EN);
	check(m == 0x1801, "MISC_ENABLE 0x%llx = fast strings | BTS, PEBS unavailable", HEX(m));
	check(wrmsr_try(MSR_MISC_EN, m) == TRAP_NONE, "MISC_ENABLE rewritten as is");
	check(wrmsr_try(MSR_MISC_EN, m | BIT(22)) == TRAP_NONE && rd(MSR_MISC_EN) == m,
	      "MISC_ENABLE limit-CPUID write taken, value kept");
	check(wrmsr_try(MSR_MISC_EN, m | BIT(1)) == GP && wrmsr_try(MSR_MISC_EN, m | BIT(40)) == GP,
	      "MISC_ENABLE reserved bits 1 and 40 #GP");
}

/* TSC_AUX exists with RDTSCP (SDM 17.17.2): bits 63:32 reserved; RDTSCP returns it. */
static void tsc_aux(void)
{
	u64 v;
	if (!(q(0x80000001u, 0)[3] & BIT(27))) {
		check(rdmsr_try(MSR_TSC_AUX, &v) == GP, "TSC_AUX #GP without RDTSCP");
		skip("TSC_AUX", "the host has no RDTSCP");
		return;
	}
	check(round_trip(MSR_TSC_AUX, 0x5a5a1234), "TSC_AUX round-trips 0x5a5a1234");
	check(wrmsr_try(MSR_TSC_AUX, BIT(32)) == GP, "TSC_AUX bit 32 #GP");
	u32 lo, hi, aux = 0;
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	check(aux == 0x5a5a1234, "RDTSCP returns TSC_AUX 0x%x", aux);
}

/* Every MSR in [first, last] #GP on read and on write of 0; the count of those that did not. */
static u32 gp_range(u32 first, u32 last, u32 *bad)
{
	u32 n = 0;
	u64 v;
	for (u32 m = first; m <= last; m++)
		if (rdmsr_try(m, &v) != GP || wrmsr_try(m, 0) != GP) {
			*bad = m;
			n++;
		}
	return n;
}

/* No PMU: leaf 0xA zero, PDCM and PerfCtrExtCore hidden, RDPMC and the counters' MSRs #GP. */
static void no_pmu(void)
{
	q(0xa, 0);
	check(!(r[0] | r[1] | r[2] | r[3]), "CPUID leaf 0xA all zero (%x %x %x %x)", r[0], r[1],
	      r[2], r[3]);
	check(!(q(1, 0)[2] & BIT(15)), "CPUID.1:ECX[15] PDCM hidden");
	check(!(q(0x80000001u, 0)[2] & BIT(23)), "CPUID.80000001:ECX[23] PerfCtrExtCore hidden");
	u32 lo, hi;
	u32 vec = TRAP_TRY("rdpmc", : "=a"(lo), "=d"(hi) : "c"(0));
	check(vec == GP, "RDPMC counter 0 #GP (vector %u)", vec);
	vec = TRAP_TRY("rdpmc", : "=a"(lo), "=d"(hi) : "c"(0x40000000u));
	check(vec == GP, "RDPMC fixed counter 0 #GP (vector %u)", vec);
	static const u32 ranges[][2] = {
		{0xc1, 0xc8},		  /* IA32_PMC0-7 */
		{0x186, 0x18d},		  /* IA32_PERFEVTSEL0-7 */
		{0x309, 0x30b},		  /* IA32_FIXED_CTR0-2 */
		{0x345, 0x345},		  /* IA32_PERF_CAPABILITIES */
		{0x38d, 0x390},		  /* FIXED_CTR_CTRL, PERF_GLOBAL_STATUS/CTRL/OVF_CTRL */
		{0x4c1, 0x4c8},		  /* IA32_A_PMC0-7 */
		{0xc0010000, 0xc0010007}, /* AMD PERF_CTL0-3, PERF_CTR0-3 */
		{0xc0010200, 0xc001020b}, /* AMD PERF_CTL0-5/PERF_CTR0-5 */
	};
	for (u32 i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		u32 bad = 0, n = gp_range(ranges[i][0], ranges[i][1], &bad);
		check(n == 0, "PMU MSRs 0x%x-0x%x #GP on read and write (%u did not, e.g. 0x%x)",
		      ranges[i][0], ranges[i][1], n, bad);
	}
}

/* Values from tag written, then read back after each of 20 yields (hypercall 3). */
static void kept(u64 tag)
{
	u32 ibpb, arch_cap;
	u64 spec = spec_bits(&ibpb, &arch_cap) & tag;
	u64 base = (tag << 24 & 0xfff000000ull) | 6, mask = 0xfff000800ull;
	wrmsr_try(0x20e, base);
	wrmsr_try(0x20f, mask);
	wrmsr_try(MSR_DEF_TYPE, 0xc00 | (tag & 1 ? 6 : 4));
	if (spec)
		wrmsr_try(MSR_SPEC_CTRL, spec);
	u32 bad = 0;
	for (int i = 0; i < 20; i++) {
		hypercall(3, 0, 0, 0, 0);
		bad += rd(0x20e) != base || rd(0x20f) != mask ||
		       rd(MSR_DEF_TYPE) != (0xc00 | (tag & 1 ? 6 : 4)) ||
		       (spec && rd(MSR_SPEC_CTRL) != spec);
	}
	check(!bad, "tag %llu: MTRRs%s kept over 20 yields (%u wrong)", HEX(tag),
	      spec ? " and SPEC_CTRL" : "", bad);
	wrmsr_try(MSR_DEF_TYPE, 0);
	wrmsr_try(0x20e, 0);
	wrmsr_try(0x20f, 0);
	wrmsr_try(MSR_SPEC_CTRL, 0);
}

int guest_main(void)
{
	trap_init();
	u64 tag = cmdline_num("tag", 0);
	if (tag) {
		kept(tag);
		return check_done();
	}
	mtrrs();
	spec_ctrl();
	debugctl_misc();
	tsc_aux();
	no_pmu();
	return check_done();
}
