/* The CPUID policy's basic leaves (0 to 0xD: vendor, features, cache and topology) over fake
 * hosts (cpuid_hosts.h), to show that only allow-listed bits get through. */
#include "tests/unit/cpuid_hosts.h"

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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
