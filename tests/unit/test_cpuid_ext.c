/* The CPUID policy past the basic feature leaves: the TSC leaves, leaves beyond the host's,
 * keel's and KVM's hypervisor leaves, the extended leaves, and the CR4 bits the policy allows,
 * over the fake hosts of cpuid_hosts.h. */
#include "tests/unit/cpuid_hosts.h"

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
 * with the range's last leaf, then the paravirtual EOI (bit 6), the clock (bit 3) and its
 * TSC-stable flag (bit 24), and nothing else (EDX, the hints, is 0). Without a TSC rate keel
 * cannot fill the clock. */
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
	assert_regs(BIT(3) | BIT(6) | BIT(24), 0, 0, 0);
	ctx.tsc_khz = 0;
	cpuid(0x40000101, 0);
	assert_regs(BIT(6), 0, 0, 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
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
