/* The CPUID policy over fake hosts: an Intel Skylake-X, an AMD Zen 2, and a host that sets
 * every bit of every leaf, to show that only allow-listed bits get through. */
#include "tests/unit/fakes.h"
#include "exit/cpuid.h"

#include <string.h>

enum { EAX, EBX, ECX, EDX };

struct host_leaf {
	u32 leaf, sub;
	bool indexed; /* the answer depends on the subleaf */
	u32 r[4];
};

/* Intel Xeon Gold 6148 (Skylake-X, family 6 model 0x55), as bare metal answers. */
static const struct host_leaf skylake[] = {
	{0x0, 0, false, {0x16, 0x756e6547, 0x6c65746e, 0x49656e69}}, /* GenuineIntel */
	{0x1, 0, false, {0x00050654, 0x12200800, 0x7ffefbff, 0xbfebfbff}},
	{0x2, 0, false, {0x76036301, 0x00f0b5ff, 0, 0x00c30000}},
	{0x4, 0, true, {0x7c004121, 0x01c0003f, 0x3f, 0}},
	{0x4, 1, true, {0x7c004122, 0x01c0003f, 0x3f, 0}},
	{0x4, 2, true, {0x7c004143, 0x03c0003f, 0x3ff, 0}},
	{0x4, 3, true, {0x7c0fc163, 0x0280003f, 0x6fff, 4}},
	{0x5, 0, false, {0x40, 0x40, 3, 0x00002020}},
	{0x6, 0, false, {0x77, 2, 9, 0}},
	{0x7, 0, true, {0, 0xd39ffffb, 0x00000018, 0x9c000000}},
	{0xa, 0, false, {0x07300404, 0, 0, 0x603}},
	{0xb, 0, true, {1, 2, 0x100, 0x12}},
	{0xb, 1, true, {6, 0x28, 0x201, 0x12}},
	{0xd, 0, true, {0x2ff, 0xa80, 0xa88, 0}},
	{0xd, 1, true, {0xf, 0xa00, 0, 0}},
	{0xd, 2, true, {0x100, 0x240, 0, 0}},
	{0x15, 0, false, {2, 0xa8, 0, 0}},
	{0x16, 0, false, {0x834, 0xe10, 0x64, 0}},
	{0x80000000, 0, false, {0x80000008, 0, 0, 0}},
	{0x80000001, 0, false, {0, 0, 0x00000121, 0x2c100800}},
	{0x80000002, 0, false, {0x65746e49, 0x2952286c, 0x6f655820, 0x2952286e}},
	{0x80000003, 0, false, {0x6c6f4720, 0x31362064, 0x43203834, 0x40205550}},
	{0x80000004, 0, false, {0x342e3220, 0x7a484730, 0, 0}},
	{0x80000006, 0, false, {0, 0, 0x01006040, 0}},
	{0x80000007, 0, false, {0, 0, 0, 0x100}},
	{0x80000008, 0, false, {0x0000302e, 0, 0, 0}},
};

/* AMD EPYC 7742 (Zen 2, family 0x17 model 0x31). */
static const struct host_leaf zen2[] = {
	{0x0, 0, false, {0x10, 0x68747541, 0x444d4163, 0x69746e65}}, /* AuthenticAMD */
	{0x1, 0, false, {0x00830f10, 0x05400800, 0x7ed8320b, 0x178bfbff}},
	{0x5, 0, false, {0x40, 0x40, 3, 0x11}},
	{0x6, 0, false, {4, 0, 1, 0}},
	{0x7, 0, true, {0, 0x219c91a9, 0x00400004, 0}},
	{0xd, 0, true, {0x207, 0x340, 0x380, 0}},
	{0x80000000, 0, false, {0x80000020, 0x68747541, 0x444d4163, 0x69746e65}},
	{0x80000001, 0, false, {0x00830f10, 0x40000000, 0x75c237ff, 0x2fd3fbff}},
	{0x80000002, 0, false, {0x20444d41, 0x43595045, 0x34373720, 0x34362032}},
	{0x80000005, 0, false, {0xff40ff40, 0xff40ff40, 0x20080140, 0x20080140}},
	{0x80000006, 0, false, {0x48006400, 0x68006400, 0x02006140, 0x01009140}},
	{0x80000007, 0, false, {0, 0x3b, 0, 0x6799}},
	{0x80000008, 0, false, {0x00003030, 0x010cf757, 0x0000707f, 0x00010007}},
	{0x8000000a, 0, false, {1, 0x8000, 0, 0x0001b6ff}},
	{0x8000001f, 0, false, {0x0001000f, 0x0000016f, 0x000001fd, 1}},
};

/* The host the policy asks; leaves within its maxima but not in the table read as fill. */
static const struct host_leaf *table;
static size_t ntable;
static u32 fill;
static u32 basic_max, ext_max;
static int asked_beyond; /* questions about leaves the host does not have */

static void use_host(const struct host_leaf *t, size_t n, u32 fill_value)
{
	table = t;
	ntable = n;
	fill = fill_value;
	basic_max = ext_max = fill_value;
	for (size_t i = 0; i < n; i++) {
		if (t[i].leaf == 0)
			basic_max = t[i].r[EAX];
		if (t[i].leaf == 0x80000000)
			ext_max = t[i].r[EAX];
	}
	asked_beyond = 0;
}

static void fake_host(u32 leaf, u32 sub, u32 r[4])
{
	bool max_leaf = leaf == 0 || leaf == 0x80000000; /* always answered */
	if (!max_leaf && (leaf < 0x80000000 ? leaf > basic_max : leaf > ext_max)) {
		/* Real CPUs answer with some other leaf's data here: nothing to trust. */
		asked_beyond++;
		r[EAX] = r[EBX] = r[ECX] = r[EDX] = 0xdeadbeef;
		return;
	}
	for (size_t i = 0; i < ntable; i++) {
		const struct host_leaf *h = &table[i];
		if (h->leaf == leaf && (!h->indexed || h->sub == sub)) {
			memcpy(r, h->r, 16);
			return;
		}
	}
	r[EAX] = r[EBX] = r[ECX] = r[EDX] = fill;
}

static struct cpuid_ctx ctx = {
	.ncpus = 1,
	.vcpu_id = 0,
	.tsc_khz = 2400000,
	.lapic_khz = 100000,
	.host = fake_host,
};
static u32 r[4];

static void cpuid(u32 leaf, u32 sub)
{
	r[EAX] = r[EBX] = r[ECX] = r[EDX] = 0x5a5a5a5a; /* every register must be written */
	cpuid_policy(&ctx, leaf, sub, r);
}

static void assert_regs(u32 a, u32 b, u32 c, u32 d)
{
	assert_int_equal(r[EAX], a);
	assert_int_equal(r[EBX], b);
	assert_int_equal(r[ECX], c);
	assert_int_equal(r[EDX], d);
}

static void assert_zero(u32 leaf, u32 sub)
{
	cpuid(leaf, sub);
	if (r[EAX] || r[EBX] || r[ECX] || r[EDX])
		fail_msg("leaf %#x.%u: %08x %08x %08x %08x, wanted zeros", leaf, sub, r[EAX],
			 r[EBX], r[ECX], r[EDX]);
}

static u32 bits(const int *b, size_t n)
{
	u32 m = 0;
	for (size_t i = 0; i < n; i++)
		m |= 1u << b[i];
	return m;
}
#define BITS(...) bits((const int[]){__VA_ARGS__}, sizeof((int[]){__VA_ARGS__}) / sizeof(int))

/* The allow-lists, written out from the SDM / APM bit names rather than copied from keel. */
#define L1_ECX_ALLOWED BITS(0, 1, 9, 13, 17, 19, 20, 22, 23, 25, 30) /* SSE3 .. RDRAND */
#define L1_ECX_ALWAYS  BITS(21, 24) /* x2APIC, TSC-deadline: keel's virtual APIC, any host */
#define L1_EDX_ALLOWED BITS(0, 1, 2, 3, 4, 5, 6, 8, 9, 11, 12, 13, 15, 16, 17, 19, 23, 24, 25, 26)
#define L7_EBX_ALLOWED BITS(0, 3, 7, 8, 9, 10, 18, 19, 20, 23, 29)
#define L7_EBX_ALWAYS  BITS(1)		    /* TSC_ADJUST: keel emulates it on any host */
#define L7_ECX_ALLOWED BITS(2)		    /* UMIP */
#define L7_EDX_ALLOWED BITS(26, 27, 29, 31) /* SPEC_CTRL, STIBP, ARCH_CAPABILITIES, SSBD */
#define X8_EBX_ALLOWED BITS(12, 14, 15, 24) /* AMD IBPB, IBRS, STIBP, SSBD */
/* What follows XSAVE on a host with it (exit/cpuid_xsave.c, test_cpuid_xsave.c): leaf 1 FMA,
 * XSAVE, AVX, F16C (OSXSAVE follows CR4), leaf 7 AVX2, and PKU where the host has it. */
#define L1_ECX_XSAVE   BITS(12, 26, 28, 29)
#define L7_EBX_XSAVE   BITS(5)
#define L7_ECX_PKU     BITS(3)
#define X1_ECX_ALLOWED BITS(0, 5, 6, 7, 8)
#define X1_EDX_ALLOWED \
	BITS(0, 1, 2, 3, 4, 5, 6, 8, 9, 11, 12, 13, 15, 16, 17, 20, 23, 24, 26, 27, 29)

#define HYPERVISOR (1u << 31)
#define HTT	   (1u << 28)

static int setup_skylake(void **state)
{
	(void)state;
	use_host(skylake, ARRAY_SIZE(skylake), 0);
	ctx.ncpus = 1;
	ctx.vcpu_id = 0;
	ctx.tsc_khz = 2400000;
	ctx.lapic_khz = 100000;
	return 0;
}

static int setup_zen2(void **state)
{
	setup_skylake(state);
	use_host(zen2, ARRAY_SIZE(zen2), 0);
	return 0;
}

/* Every bit of every leaf set, the maxima included. */
static int setup_all_ones(void **state)
{
	setup_skylake(state);
	use_host(NULL, 0, 0xffffffff);
	return 0;
}

static void vendor(char out[13], u32 a, u32 b, u32 c)
{
	memcpy(out, &a, 4);
	memcpy(out + 4, &b, 4);
	memcpy(out + 8, &c, 4);
	out[12] = '\0';
}

/* ---- basic leaves ------------------------------------------------------------------------ */

static void test_leaf0(void **state)
{
	(void)state;
	char v[13];
	cpuid(0, 0);
	assert_int_equal(r[EAX], 0x16);
	vendor(v, r[EBX], r[EDX], r[ECX]);
	assert_string_equal(v, "GenuineIntel");
	use_host(zen2, ARRAY_SIZE(zen2), 0); /* a host whose maximum is 0x10 */
	cpuid(0, 0);
	assert_int_equal(r[EAX], 0x16);
	vendor(v, r[EBX], r[EDX], r[ECX]);
	assert_string_equal(v, "AuthenticAMD");
	use_host(NULL, 0, 0xffffffff);
	cpuid(0, 0);
	assert_int_equal(r[EAX], 0x16);
	assert_int_equal(asked_beyond, 0);
}

static void test_leaf1_skylake(void **state)
{
	(void)state;
	cpuid(1, 0);
	assert_int_equal(r[EAX], 0x00050654); /* family, model, stepping */
	assert_true(r[ECX] & HYPERVISOR);
	static const struct {
		int bit;
		const char *name;
	} hidden_ecx[] = {
		{3, "monitor"}, {5, "VMX"}, {6, "SMX"}, {27, "OSXSAVE"}, {2, "DTES64"},
		{4, "DS-CPL"},	{7, "EST"}, {8, "TM2"}, {15, "PDCM"},	 {18, "DCA"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(hidden_ecx); i++)
		if (r[ECX] & (1u << hidden_ecx[i].bit))
			fail_msg("leaf 1 ECX shows %s", hidden_ecx[i].name);
	/* What the host has and keel allows gets through. */
	assert_int_equal(r[ECX], (0x7ffefbffu & L1_ECX_ALLOWED) | L1_ECX_XSAVE | HYPERVISOR |
					 L1_ECX_ALWAYS);
	assert_int_equal(r[ECX],
			 BITS(0, 1, 9, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 28, 29, 30, 31));
	static const struct {
		int bit;
		const char *name;
	} hidden_edx[] = {
		{7, "MCE"}, {14, "MCA"}, {18, "PSN"}, {21, "DS"},  {22, "ACPI"},
		{27, "SS"}, {28, "HTT"}, {29, "TM"},  {31, "PBE"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(hidden_edx); i++)
		if (r[EDX] & (1u << hidden_edx[i].bit))
			fail_msg("leaf 1 EDX shows %s", hidden_edx[i].name);
	assert_int_equal(r[EDX], 0xbfebfbffu & L1_EDX_ALLOWED);
	static const int kept_edx[] = {0, 4, 5, 6, 8, 9, 11, 13, 15, 16, 19, 23, 24, 25, 26};
	for (size_t i = 0; i < ARRAY_SIZE(kept_edx); i++)
		assert_true(r[EDX] & (1u << kept_edx[i]));
}

static void test_leaf1_masking(void **state)
{
	(void)state;
	cpuid(1, 0);
	assert_int_equal(r[EAX], 0xffffffff);
	assert_int_equal(r[ECX], L1_ECX_ALLOWED | L1_ECX_XSAVE | HYPERVISOR | L1_ECX_ALWAYS);
	assert_int_equal(r[EDX], L1_EDX_ALLOWED);
	/* EBX: APIC ID 0, one logical processor, the host's CLFLUSH size, no brand index. */
	assert_int_equal(r[EBX], 0x0001ff00);
	ctx.ncpus = 4;
	ctx.vcpu_id = 3;
	cpuid(1, 0);
	assert_int_equal(r[EDX], L1_EDX_ALLOWED | HTT);
	assert_int_equal(r[EBX], 0x0304ff00);
	/* IA32_APIC_BASE.EN clear: no APIC flag, in leaf 1 or AMD's copy (SDM 11.4.3). */
	ctx.apic_off = true;
	cpuid(1, 0);
	assert_int_equal(r[EDX], (L1_EDX_ALLOWED | HTT) & ~(1u << 9));
	cpuid(0x80000001, 0);
	assert_false(r[EDX] & (1u << 9));
	ctx.apic_off = false;
	cpuid(0x80000001, 0);
	assert_true(r[EDX] & (1u << 9));
}

static void test_leaf1_ebx_and_htt(void **state)
{
	(void)state;
	/* Skylake's host EBX says APIC ID 0x12, 32 logical processors, CLFLUSH 8 qwords. */
	for (u32 n = 1; n <= 16; n++) {
		for (u32 id = 0; id < n; id++) {
			ctx.ncpus = n;
			ctx.vcpu_id = id;
			cpuid(1, 0);
			assert_int_equal(r[EBX] >> 24, id);
			assert_int_equal((r[EBX] >> 16) & 0xff, n);
			assert_int_equal((r[EBX] >> 8) & 0xff, 8);
			assert_int_equal(r[EBX] & 0xff, 0);
			assert_int_equal(!!(r[EDX] & HTT), n > 1);
		}
	}
	/* HTT follows the VM, not the host: set on a host without it, for two vCPUs. */
	static const struct host_leaf no_htt[] = {
		{0x0, 0, false, {1, 0, 0, 0}},
		{0x1, 0, false, {0x00050654, 0x00000800, 0, 0xbfebfbff & ~HTT}},
	};
	use_host(no_htt, ARRAY_SIZE(no_htt), 0);
	ctx.ncpus = 1;
	cpuid(1, 0);
	assert_false(r[EDX] & HTT);
	ctx.ncpus = 2;
	cpuid(1, 0);
	assert_true(r[EDX] & HTT);
	assert_int_equal((r[EBX] >> 16) & 0xff, 2);
}

static void test_leaf1_zen2(void **state)
{
	(void)state;
	cpuid(1, 0);
	assert_int_equal(r[EAX], 0x00830f10);
	assert_int_equal(r[ECX], (0x7ed8320bu & L1_ECX_ALLOWED) | L1_ECX_XSAVE | HYPERVISOR |
					 L1_ECX_ALWAYS);
	assert_false(r[ECX] & (1u << 3));			/* monitor */
	assert_true(r[ECX] & (1u << 26));			/* XSAVE */
	assert_true(r[ECX] & (1u << 28));			/* AVX */
	assert_true(r[ECX] & (1u << 30));			/* RDRAND */
	assert_int_equal(r[EDX], 0x178bfbffu & L1_EDX_ALLOWED); /* no HTT with one vCPU */
	assert_int_equal(r[EBX], 0x00010800);
}

static void test_leaf7(void **state)
{
	(void)state;
	cpuid(7, 0);
	assert_regs(0, (0xd39ffffbu & L7_EBX_ALLOWED) | L7_EBX_ALWAYS | L7_EBX_XSAVE, L7_ECX_PKU,
		    0x9c000000u & L7_EDX_ALLOWED);
	static const struct {
		int bit;
		const char *name;
	} hidden[] = {
		{2, "SGX"},	  {4, "HLE"},	    {11, "RTM"},      {12, "RDT-M"},
		{14, "MPX"},	  {16, "AVX512F"},  {17, "AVX512DQ"}, {25, "Intel PT"},
		{28, "AVX512CD"}, {30, "AVX512BW"}, {31, "AVX512VL"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(hidden); i++)
		if (r[EBX] & (1u << hidden[i].bit))
			fail_msg("leaf 7 EBX shows %s", hidden[i].name);
	static const int kept[] = {0, 3, 7, 8, 9, 10, 18, 19, 20, 23}; /* FSGSBASE BMI1 SMEP ... */
	for (size_t i = 0; i < ARRAY_SIZE(kept); i++)
		assert_true(r[EBX] & (1u << kept[i]));
	assert_zero(7, 1);
	assert_zero(7, 2);
}

static void test_leaf7_masking(void **state)
{
	(void)state;
	cpuid(7, 0);
	assert_regs(0, L7_EBX_ALLOWED | L7_EBX_ALWAYS | L7_EBX_XSAVE, L7_ECX_ALLOWED | L7_ECX_PKU,
		    L7_EDX_ALLOWED);
	assert_zero(7, 1);
	use_host(zen2, ARRAY_SIZE(zen2), 0);
	cpuid(7, 0);
	assert_regs(0, (0x219c91a9u & L7_EBX_ALLOWED) | L7_EBX_ALWAYS | L7_EBX_XSAVE,
		    L7_ECX_ALLOWED, 0);
	assert_true(r[EBX] & (1u << 29)); /* SHA, which Zen 2 has */
	assert_true(r[EBX] & (1u << 1));  /* TSC_ADJUST, which it lacks: keel's own */
}

static void test_leaf_d(void **state)
{
	(void)state;
	/* x87, SSE, AVX and PKRU of Skylake-X's 0x2ff (no MPX, no AVX-512); test_cpuid_xsave.c has
	 * the rest. Zen 2's 0x207 without PKU in leaf 7 gives x87, SSE, AVX. */
	cpuid(0xd, 0);
	assert_int_equal(r[EAX], 0x207);
	for (u32 sub = 3; sub < 9; sub++)
		assert_zero(0xd, sub);
	use_host(zen2, ARRAY_SIZE(zen2), 0);
	cpuid(0xd, 0);
	assert_int_equal(r[EAX], 0x7);
}

static void test_hidden_basic_leaves(void **state)
{
	(void)state;
	/* Monitor, power, PMU, serial number, RDT, SGX, PT...: zeros even from a host with every
	 * bit set. */
	static const u32 leaves[] = {3,	  5,   6,    8,	   9,	 0xa,  0xc,
				     0xe, 0xf, 0x10, 0x11, 0x12, 0x13, 0x14};
	for (size_t i = 0; i < ARRAY_SIZE(leaves); i++) {
		assert_zero(leaves[i], 0);
		assert_zero(leaves[i], 1);
	}
}

static void test_cache_leaves(void **state)
{
	(void)state;
	/* Leaf 2: the host's descriptors. */
	cpuid(2, 0);
	assert_regs(0x76036301, 0x00f0b5ff, 0, 0x00c30000);
	/* Leaf 4: the host's caches, with this VM's core count in EAX 31:26 and 25:14. */
	for (u32 n = 1; n <= 16; n *= 2) {
		ctx.ncpus = n;
		for (u32 sub = 0; sub < 4; sub++) {
			cpuid(4, sub);
			const struct host_leaf *h = &skylake[3 + sub];
			assert_int_equal(r[EAX] & 0x3ff, h->r[EAX] & 0x3ff); /* type, level... */
			assert_int_equal(r[EAX] >> 26, n - 1);
			/* L1 and L2 belong to one core; L3 and up are shared by all vCPUs. */
			u32 level = (h->r[EAX] >> 5) & 7;
			assert_int_equal((r[EAX] >> 14) & 0xfff, level > 2 ? n - 1 : 0);
			assert_int_equal(r[EBX], h->r[EBX]);
			assert_int_equal(r[ECX], h->r[ECX]);
			assert_int_equal(r[EDX], h->r[EDX]);
		}
		assert_zero(4, 4); /* no more caches: type 0, left alone */
	}
	/* Only type, level, self-initialising and fully-associative come from the host's EAX. */
	use_host(NULL, 0, 0xffffffff);
	ctx.ncpus = 2;
	cpuid(4, 0);
	assert_regs(0x3ff | 1u << 26 | 1u << 14, 0xffffffff, 0xffffffff, 0xffffffff);
}

static void test_topology(void **state)
{
	(void)state;
	static const struct {
		u32 ncpus, shift;
	} t[] = {{1, 0}, {2, 1}, {3, 2}, {4, 2}, {5, 3}, {16, 4}};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		ctx.ncpus = t[i].ncpus;
		for (u32 id = 0; id < t[i].ncpus; id++) {
			ctx.vcpu_id = id;
			/* Subleaf 0: the SMT level, one thread per core. */
			cpuid(0xb, 0);
			assert_regs(0, 1, 0x100, id);
			/* Subleaf 1: the core level, ncpus cores in the package. */
			cpuid(0xb, 1);
			assert_regs(t[i].shift, t[i].ncpus, 0x201, id);
			/* Subleaf 2 and on: invalid level type, no processors; ECX echoes the
			 * subleaf and EDX still holds the x2APIC id (SDM CPUID leaf 0BH). */
			for (u32 sub = 2; sub < 5; sub++) {
				cpuid(0xb, sub);
				assert_regs(0, 0, sub, id);
			}
		}
	}
	/* The same on a host with no leaf 0xb at all. */
	use_host(zen2, ARRAY_SIZE(zen2), 0);
	ctx.ncpus = 3;
	ctx.vcpu_id = 2;
	cpuid(0xb, 1);
	assert_regs(2, 3, 0x201, 2);
}

static void test_tsc_leaves(void **state)
{
	(void)state;
	static const u64 khz[] = {2400000, 2100000, 1000000, 3700000, 4294967,
				  4500000, 199998,  28199,   1000,    1};
	for (size_t i = 0; i < ARRAY_SIZE(khz); i++) {
		ctx.tsc_khz = khz[i];
		/* Leaf 0x15: TSC Hz = ECX * EBX / EAX. The crystal is the virtual APIC clock; the
		 * ratio is within 25 ppm, and Linux's crystal kHz * EBX fits in 32 bits. */
		cpuid(0x15, 0);
		assert_int_equal(r[ECX], ctx.lapic_khz * 1000);
		assert_true(r[EAX] > 0 && r[EBX] > 0);
		assert_true((u64)(r[ECX] / 1000) * r[EBX] <= 0xffffffffull);
		u64 got = (u64)r[ECX] * r[EBX] / r[EAX] / 1000;
		u64 err = got > khz[i] ? got - khz[i] : khz[i] - got;
		assert_true(err * 40000 <= khz[i] || err <= 1);
		assert_int_equal(r[EDX], 0);
		/* Leaf 0x16: base and maximum MHz, a 100 MHz bus. */
		cpuid(0x16, 0);
		assert_regs((u32)(khz[i] / 1000), (u32)(khz[i] / 1000), 100, 0);
	}
	ctx.tsc_khz = 2400000; /* 24 times the crystal: 24576 / 1024, exact */
	cpuid(0x15, 0);
	assert_regs(1024, 24576, 100000000, 0);
	ctx.tsc_khz = 199998; /* Bochs: 32768 / 16384, 200 MHz, 10 ppm off */
	cpuid(0x15, 0);
	assert_regs(16384, 32768, 100000000, 0);
	ctx.tsc_khz = 2400000;
	cpuid(0x16, 0);
	assert_regs(2400, 2400, 100, 0);
	/* An unknown TSC frequency: a zero ratio (EBX) means "not enumerated". */
	ctx.tsc_khz = 0;
	cpuid(0x15, 0);
	assert_int_equal(r[EBX], 0);
	cpuid(0x16, 0);
	assert_int_equal(r[EAX], 0);
	assert_int_equal(r[EBX], 0);
	/* A host without these leaves (Zen 2's maximum is 0x10) gets them all the same. */
	use_host(zen2, ARRAY_SIZE(zen2), 0);
	ctx.tsc_khz = 2250000;
	cpuid(0x15, 0);
	assert_regs(1024, 23040, 100000000, 0);
	cpuid(0x16, 0);
	assert_regs(2250, 2250, 100, 0);
	assert_int_equal(asked_beyond, 0);
}

static void test_beyond_host_max(void **state)
{
	(void)state;
	/* A host whose basic maximum is 0xd and extended maximum 0x80000004; every leaf it
	 * has is all ones. */
	static const struct host_leaf small[] = {
		{0x0, 0, false, {0xd, 0x756e6547, 0x6c65746e, 0x49656e69}},
		{0x80000000, 0, false, {0x80000004, 0, 0, 0}},
	};
	use_host(small, ARRAY_SIZE(small), 0xffffffff);
	cpuid(7, 0);
	assert_regs(0, L7_EBX_ALLOWED | L7_EBX_ALWAYS | L7_EBX_XSAVE, L7_ECX_ALLOWED | L7_ECX_PKU,
		    L7_EDX_ALLOWED); /* present */
	assert_zero(0x10, 0);
	assert_zero(0xe, 0);
	cpuid(0x80000000, 0);
	assert_int_equal(r[EAX], 0x80000004);
	cpuid(0x80000004, 0);
	assert_regs(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff); /* brand string */
	assert_zero(0x80000005, 0);
	assert_zero(0x80000006, 0);
	assert_zero(0x80000007, 0);
	assert_zero(0x80000008, 0);
	assert_int_equal(asked_beyond, 0);
	/* Basic maximum 3: leaves 4 and 7 are past it. */
	static const struct host_leaf tiny[] = {
		{0x0, 0, false, {0x3, 0x756e6547, 0x6c65746e, 0x49656e69}},
		{0x80000000, 0, false, {0x80000001, 0, 0, 0}},
	};
	use_host(tiny, ARRAY_SIZE(tiny), 0xffffffff);
	assert_zero(7, 0);
	assert_zero(4, 0);
	cpuid(1, 0);
	assert_int_equal(r[ECX], L1_ECX_ALLOWED | HYPERVISOR | L1_ECX_ALWAYS);
	cpuid(0x80000001, 0);
	assert_int_equal(r[EDX], X1_EDX_ALLOWED);
	assert_zero(0x80000002, 0);
	assert_int_equal(asked_beyond, 0);
	/* No extended leaves at all. */
	static const struct host_leaf none[] = {
		{0x0, 0, false, {0x1, 0x756e6547, 0x6c65746e, 0x49656e69}},
		{0x80000000, 0, false, {0, 0, 0, 0}},
	};
	use_host(none, ARRAY_SIZE(none), 0xffffffff);
	assert_zero(0x80000000, 0);
	assert_zero(0x80000001, 0);
	assert_zero(0x80000008, 0);
}

/* ---- hypervisor leaves ------------------------------------------------------------------- */

static void test_hypervisor_leaves(void **state)
{
	(void)state;
	char v[13];
	cpuid(0x40000000, 0);
	assert_int_equal(r[EAX], 0x40000010);
	assert_int_equal(r[EAX], KEEL_CPUID_MAX_HV);
	vendor(v, r[EBX], r[ECX], r[EDX]);
	assert_string_equal(v, "keelkeelkeel");
	assert_string_equal(v, KEEL_CPUID_SIGNATURE);
	/* 0x40000010: TSC and LAPIC timer frequencies in kHz (the VMware convention). */
	ctx.tsc_khz = 2400000;
	ctx.lapic_khz = 100000;
	cpuid(0x40000010, 0);
	assert_regs(2400000, 100000, 0, 0);
	ctx.tsc_khz = 3000123;
	ctx.lapic_khz = 0;
	cpuid(0x40000010, 0);
	assert_regs(3000123, 0, 0, 0);
	for (u32 leaf = 0x40000001; leaf < 0x40000010; leaf++)
		assert_zero(leaf, 0);
	assert_zero(0x40000011, 0);
	assert_zero(0x400000ff, 0);
	assert_zero(0x40000102, 0);
	assert_zero(0x40000200, 0);
	assert_zero(0x4fffffff, 0);
	/* The same whatever the host: these never ask it. */
	use_host(NULL, 0, 0xffffffff);
	cpuid(0x40000000, 0);
	vendor(v, r[EBX], r[ECX], r[EDX]);
	assert_string_equal(v, "keelkeelkeel");
	assert_zero(0x40000005, 0);
}

/* KVM's leaves at 0x40000100, where Linux's scan in steps of 0x100 finds them: the signature
 * with the range's last leaf, then the clock (bit 3) and its TSC-stable flag (bit 24), and
 * nothing else (EDX, the hints, is 0). Without a TSC rate keel cannot fill the clock. */
static void test_kvm_leaves(void **state)
{
	(void)state;
	char v[13];
	cpuid(0x40000100, 0);
	assert_int_equal(r[EAX], 0x40000101);
	assert_int_equal(r[EBX], 0x4b4d564b);
	assert_int_equal(r[ECX], 0x564b4d56);
	assert_int_equal(r[EDX], 0x4d);
	vendor(v, r[EBX], r[ECX], r[EDX]);
	assert_string_equal(v, "KVMKVMKVM");
	ctx.tsc_khz = 2400000;
	cpuid(0x40000101, 0);
	assert_regs(BIT(3) | BIT(24), 0, 0, 0);
	ctx.tsc_khz = 0;
	assert_zero(0x40000101, 0);
	/* keel's own signature stays at 0x40000000, and no host answer changes either. */
	use_host(NULL, 0, 0xffffffff);
	cpuid(0x40000000, 0);
	vendor(v, r[EBX], r[ECX], r[EDX]);
	assert_string_equal(v, "keelkeelkeel");
	cpuid(0x40000100, 0);
	vendor(v, r[EBX], r[ECX], r[EDX]);
	assert_string_equal(v, "KVMKVMKVM");
}

/* ---- extended leaves --------------------------------------------------------------------- */

static void test_ext_max_and_vendor(void **state)
{
	(void)state;
	char v[13];
	cpuid(0x80000000, 0);
	assert_regs(0x80000008, 0, 0, 0);
	use_host(zen2, ARRAY_SIZE(zen2), 0); /* the host goes to 0x80000020 */
	cpuid(0x80000000, 0);
	assert_int_equal(r[EAX], 0x80000008);
	vendor(v, r[EBX], r[EDX], r[ECX]);
	assert_string_equal(v, "AuthenticAMD");
	use_host(NULL, 0, 0xffffffff);
	cpuid(0x80000000, 0);
	assert_int_equal(r[EAX], 0x80000008);
}

static void test_ext1_skylake(void **state)
{
	(void)state;
	cpuid(0x80000001, 0);
	assert_int_equal(r[EAX], 0);
	assert_int_equal(r[EBX], 0);
	assert_int_equal(r[ECX], BITS(0, 5, 8)); /* LAHF, LZCNT, PREFETCHW */
	assert_true(r[EDX] & (1u << 11));	 /* SYSCALL */
	assert_true(r[EDX] & (1u << 20));	 /* NX */
	assert_true(r[EDX] & (1u << 26));	 /* 1 GiB pages */
	assert_true(r[EDX] & (1u << 29));	 /* long mode */
	assert_true(r[EDX] & (1u << 27));	 /* RDTSCP: keel switches TSC_AUX */
	assert_int_equal(r[EDX], BITS(11, 20, 26, 27, 29));
}

static void test_ext1_zen2(void **state)
{
	(void)state;
	cpuid(0x80000001, 0);
	assert_int_equal(r[EAX], 0x00830f10);
	assert_int_equal(r[EBX], 0);	  /* brand ID and package type: not passed on */
	assert_false(r[ECX] & (1u << 2)); /* SVM */
	assert_int_equal(r[ECX], 0x75c237ffu & X1_ECX_ALLOWED);
	assert_true(r[EDX] & (1u << 27));  /* RDTSCP */
	assert_true(r[EDX] & (1u << 11));  /* SYSCALL */
	assert_true(r[EDX] & (1u << 20));  /* NX */
	assert_true(r[EDX] & (1u << 29));  /* long mode */
	assert_true(r[EDX] & (1u << 12));  /* MTRR: keel emulates them */
	assert_false(r[EDX] & (1u << 7));  /* MCE */
	assert_false(r[EDX] & (1u << 14)); /* MCA */
	assert_false(r[EDX] & (1u << 22)); /* MmxExt */
	assert_false(r[EDX] & (1u << 25)); /* FFXSR */
	assert_int_equal(r[EDX], 0x2fd3fbffu & X1_EDX_ALLOWED);
}

static void test_ext1_masking(void **state)
{
	(void)state;
	cpuid(0x80000001, 0);
	assert_regs(0xffffffff, 0, X1_ECX_ALLOWED, X1_EDX_ALLOWED);
	/* NX, long mode and SYSCALL are kept only when the host has them. */
	static const struct host_leaf old[] = {
		{0x0, 0, false, {1, 0, 0, 0}},
		{0x80000000, 0, false, {0x80000001, 0, 0, 0}},
		{0x80000001, 0, false, {0, 0, 0x4 /* SVM */, 0x08000000 /* RDTSCP */}},
	};
	use_host(old, ARRAY_SIZE(old), 0);
	cpuid(0x80000001, 0);
	assert_regs(0, 0, 0, 0x08000000); /* RDTSCP, which the host has */
}

static void test_ext_other(void **state)
{
	(void)state;
	/* The brand string and cache leaves pass through. */
	char brand[49];
	for (u32 i = 0; i < 3; i++) {
		cpuid(0x80000002 + i, 0);
		memcpy(brand + 16 * i, r, 16);
	}
	brand[48] = '\0';
	assert_string_equal(brand, "Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz");
	cpuid(0x80000006, 0);
	assert_regs(0, 0, 0x01006040, 0);
	assert_zero(0x80000005, 0); /* Intel's is reserved, and zero */
	/* 0x80000007: invariant TSC only. */
	cpuid(0x80000007, 0);
	assert_regs(0, 0, 0, 0x100);
	/* 0x80000008: address sizes, and the VM's core count. */
	ctx.ncpus = 4;
	cpuid(0x80000008, 0);
	assert_regs(0x302e, 0, 3, 0);

	use_host(zen2, ARRAY_SIZE(zen2), 0);
	cpuid(0x80000005, 0);
	assert_regs(0xff40ff40, 0xff40ff40, 0x20080140, 0x20080140);
	cpuid(0x80000007, 0);
	assert_regs(0, 0, 0, 0x100); /* not the host's power bits */
	ctx.ncpus = 16;
	cpuid(0x80000008, 0);
	assert_regs(0x3030, 0x010cf757u & X8_EBX_ALLOWED, 15, 0); /* not its 128 threads */
	ctx.ncpus = 1;
	cpuid(0x80000008, 0);
	assert_int_equal(r[ECX], 0);

	use_host(NULL, 0, 0xffffffff);
	cpuid(0x80000007, 0);
	assert_regs(0, 0, 0, 0x100);
	cpuid(0x80000008, 0);
	assert_regs(0xffff, X8_EBX_ALLOWED, 0, 0);
}

static void test_svm_and_unknown_leaves(void **state)
{
	(void)state;
	/* SVM's leaf reads as zero on a host that has it... */
	assert_zero(0x8000000a, 0);
	/* ...as does every leaf keel does not know, whatever the host says. */
	static const u32 unknown[] = {
		0x17,	    0x1a,	0x1f,	    0x20,	0x100,	    0x3fffffff,
		0x40000005, 0x80000009, 0x8000001e, 0x8000001f, 0x80000020, 0x80000021,
		0x8fffffff, 0xc0000000, 0xc0000001, 0xffffffff,
	};
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++)
		assert_zero(unknown[i], 0);
	use_host(NULL, 0, 0xffffffff);
	assert_zero(0x8000000a, 0);
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
		assert_zero(unknown[i], 0);
		assert_zero(unknown[i], 1);
	}
}

/* CR4 follows the policy: on a host with everything (skylake has PKU, OSXSAVE, PCID, VMX...)
 * only the bits of features the guest is shown may be set. */
static void test_cr4_allowed(void **state)
{
	(void)state;
	u64 m = cpuid_cr4_allowed(&ctx);
	/* VME PVI TSD DE PSE PAE PGE PCE OSFXSR OSXMMEXCPT UMIP FSGSBASE PCIDE OSXSAVE SMEP SMAP PKE
	 * (SDM 2.5) */
	u64 want = BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(7) | BIT(8) | BIT(9) |
		   BIT(10) | BIT(11) | BIT(16) | BIT(17) | BIT(18) | BIT(20) | BIT(21) | BIT(22);
	assert_int_equal(m, want);
	/* never MCE, LA57, VMXE, SMXE */
	assert_false(m & (BIT(6) | BIT(12) | BIT(13) | BIT(14)));
}

#define T(f, s) cmocka_unit_test_setup(f, s)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_leaf0, setup_skylake),
		T(test_leaf1_skylake, setup_skylake),
		T(test_leaf1_masking, setup_all_ones),
		T(test_leaf1_ebx_and_htt, setup_skylake),
		T(test_leaf1_zen2, setup_zen2),
		T(test_leaf7, setup_skylake),
		T(test_leaf7_masking, setup_all_ones),
		T(test_leaf_d, setup_skylake),
		T(test_hidden_basic_leaves, setup_all_ones),
		T(test_cache_leaves, setup_skylake),
		T(test_topology, setup_skylake),
		T(test_tsc_leaves, setup_skylake),
		T(test_beyond_host_max, setup_skylake),
		T(test_hypervisor_leaves, setup_skylake),
		T(test_kvm_leaves, setup_skylake),
		T(test_ext_max_and_vendor, setup_skylake),
		T(test_ext1_skylake, setup_skylake),
		T(test_ext1_zen2, setup_zen2),
		T(test_ext1_masking, setup_all_ones),
		T(test_ext_other, setup_skylake),
		T(test_svm_and_unknown_leaves, setup_zen2),
		T(test_cr4_allowed, setup_all_ones),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
