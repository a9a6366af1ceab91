/* The CPUID bits that follow XSAVE (exit/cpuid_xsave.c) and the XCR0 rules XSETBV checks, over
 * a fake host with XSAVE, AVX, AVX-512 and PKU, and the same host without each of them. */
#include "tests/unit/fakes.h"
#include "exit/cpuid.h"
#include "kernel/x86.h"

enum { EAX, EBX, ECX, EDX };

static u32 l1_ecx, l7_ebx, l7_ecx, ld_eax; /* the host's leaf 1 ECX, leaf 7 EBX/ECX, 0xD EAX */

/* Skylake-X's leaf 0xD (SDM vol. 1 table 13-1 offsets): AVX at 576, the three AVX-512
 * components, PKRU at 2688 (0xa80). */
static void xhost(u32 leaf, u32 sub, u32 r[4])
{
	static const u32 comp[10][3] = {
		[2] = {256, 576, 0},   [5] = {64, 1088, 0}, [6] = {512, 1152, 0},
		[7] = {1024, 1664, 0}, [9] = {8, 2688, 0},
	};
	r[EAX] = r[EBX] = r[ECX] = r[EDX] = 0;
	if (leaf == 0)
		r[EAX] = 0xd;
	else if (leaf == 1)
		r[ECX] = l1_ecx;
	else if (leaf == 7 && sub == 0)
		r[EBX] = l7_ebx, r[ECX] = l7_ecx;
	else if (leaf == 0xd && sub == 0)
		r[EAX] = ld_eax, r[EBX] = 0x240, r[ECX] = 0xa88; /* EBX: the host's own XCR0 */
	else if (leaf == 0xd && sub == 1)
		r[EAX] = 0xf; /* XSAVEOPT, XSAVEC, XGETBV1, XSAVES */
	else if (leaf == 0xd && sub < 10)
		r[EAX] = comp[sub][0], r[EBX] = comp[sub][1], r[ECX] = comp[sub][2];
}

static struct cpuid_ctx ctx = {.ncpus = 1, .tsc_khz = 2400000, .host = xhost};
static u32 r[4];

static int setup(void **state)
{
	(void)state;
	l1_ecx = BIT(12) | BIT(26) | BIT(27) | BIT(28) | BIT(29); /* FMA XSAVE OSXSAVE AVX F16C */
	l7_ebx = BIT(5) | BIT(16);				  /* AVX2, AVX512F */
	l7_ecx = BIT(3) | BIT(4);				  /* PKU, OSPKE */
	ld_eax = 0x2e7;
	ctx.cr4 = 0;
	ctx.xcr0 = XCR0_X87;
	return 0;
}

static void ask(u32 leaf, u32 sub)
{
	r[EAX] = r[EBX] = r[ECX] = r[EDX] = 0x5a5a5a5a;
	cpuid_policy(&ctx, leaf, sub, r);
}

/* x87, SSE, AVX, PKRU: never AVX-512 (not offered). OSXSAVE and OSPKE read the guest's CR4. */
static void test_offered(void **state)
{
	(void)state;
	assert_int_equal(cpuid_xcr0_offered(&ctx), 0x207);
	ask(1, 0);
	assert_int_equal(r[ECX] & (BIT(12) | BIT(26) | BIT(27) | BIT(28) | BIT(29)),
			 BIT(12) | BIT(26) | BIT(28) | BIT(29));
	ask(7, 0);
	assert_true(r[EBX] & BIT(5));
	assert_false(r[EBX] & BIT(16));
	assert_int_equal(r[ECX] & (BIT(3) | BIT(4)), BIT(3));
	ctx.cr4 = CR4_OSXSAVE | CR4_PKE;
	ask(1, 0);
	assert_true(r[ECX] & BIT(27));
	ask(7, 0);
	assert_int_equal(r[ECX] & (BIT(3) | BIT(4)), BIT(3) | BIT(4));
}

/* Without AVX the AVX family goes; without PKU, PKRU; without XSAVE, all and leaf 0xD. */
static void test_host_lacks(void **state)
{
	(void)state;
	l1_ecx &= ~BIT(28);
	assert_int_equal(cpuid_xcr0_offered(&ctx), 0x203);
	ask(1, 0);
	assert_false(r[ECX] & (BIT(12) | BIT(28) | BIT(29)));
	assert_true(r[ECX] & BIT(26));
	ask(7, 0);
	assert_false(r[EBX] & BIT(5));
	l7_ecx = 0;
	assert_int_equal(cpuid_xcr0_offered(&ctx), 0x3);
	ask(7, 0);
	assert_int_equal(r[ECX], 0);
	l1_ecx &= ~BIT(26);
	ctx.cr4 = CR4_OSXSAVE;
	assert_int_equal(cpuid_xcr0_offered(&ctx), 0);
	ask(1, 0);
	assert_false(r[ECX] & (BIT(26) | BIT(27)));
	for (u32 sub = 0; sub < 64; sub++) {
		ask(0xd, sub);
		assert_true(!r[EAX] && !r[EBX] && !r[ECX] && !r[EDX]);
	}
}

/* Sub-leaf 0: EBX the standard size for the asking vCPU's XCR0 (SDM vol. 2 CPUID leaf 0DH),
 * ECX for everything offered. */
static void test_leaf_d0(void **state)
{
	(void)state;
	static const struct {
		u64 xcr0;
		u32 size;
	} sizes[] = {{1, 576}, {3, 576}, {7, 832}, {0x203, 2696}, {0x207, 2696}, {0xe7, 832}};
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		ctx.xcr0 = sizes[i].xcr0;
		ask(0xd, 0);
		assert_int_equal(r[EAX], 0x207);
		assert_int_equal(r[EDX], 0);
		assert_int_equal(r[EBX], sizes[i].size);
		assert_int_equal(r[ECX], 2696);
	}
}

/* Sub-leaf 1: XSAVEOPT, XSAVEC, XGETBV1 but not XSAVES; EBX the compacted size. Sub-leaves of
 * components offered: the host's size and offset; the others zero. */
static void test_leaf_d_subleaves(void **state)
{
	(void)state;
	ctx.xcr0 = 0x207;
	ask(0xd, 1);
	assert_int_equal(r[EAX], 0x7);
	assert_int_equal(r[EBX], 576 + 256 + 8);
	assert_int_equal(r[ECX] | r[EDX], 0);
	ask(0xd, 2);
	assert_true(r[EAX] == 256 && r[EBX] == 576 && !r[ECX] && !r[EDX]);
	ask(0xd, 9);
	assert_true(r[EAX] == 8 && r[EBX] == 2688 && !r[ECX] && !r[EDX]);
	static const u32 zero[] = {3, 4, 5, 6, 7, 8, 10, 17, 18, 62, 63, 64, 200};
	for (size_t i = 0; i < ARRAY_SIZE(zero); i++) {
		ask(0xd, zero[i]);
		assert_true(!r[EAX] && !r[EBX] && !r[ECX] && !r[EDX]);
	}
}

/* XSETBV's rules on the value (SDM vol. 1 13.3). */
static void test_xcr0_valid(void **state)
{
	(void)state;
	u64 all = 0x602e7; /* every rule's bits offered: x87 .. AVX-512, PKRU, AMX */
	static const struct {
		u64 val;
		bool ok;
	} cases[] = {
		{1, true},    {3, true},       {7, true},     {0x207, true},
		{0xe7, true}, {0x600e7, true}, {0, false},    {2, false},
		{5, false},   {0x27, false},   {0xe3, false}, {0x20007, false},
		{0x8, false}, {0x19, true},    {0x11, false}, {BIT(63) | 1, false},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (cpuid_xcr0_valid(cases[i].val, all | 0x18) != cases[i].ok)
			fail_msg("XCR0 %#llx: want %s", (unsigned long long)cases[i].val,
				 cases[i].ok ? "valid" : "refused");
	assert_false(cpuid_xcr0_valid(0x207, 0x7)); /* PKRU not offered */
	assert_true(cpuid_xcr0_valid(0x7, 0x207));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_offered, setup),
		cmocka_unit_test_setup(test_host_lacks, setup),
		cmocka_unit_test_setup(test_leaf_d0, setup),
		cmocka_unit_test_setup(test_leaf_d_subleaves, setup),
		cmocka_unit_test_setup(test_xcr0_valid, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
