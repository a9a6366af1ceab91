/* The fake hosts and helpers the CPUID policy's tests share (test_cpuid.c, test_cpuid_ext.c):
 * an Intel Skylake-X, an AMD Zen 2, and a host that sets every bit of every leaf. */
#ifndef KEEL_TEST_CPUID_HOSTS_H
#define KEEL_TEST_CPUID_HOSTS_H

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

static inline void use_host(const struct host_leaf *t, size_t n, u32 fill_value)
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

static inline void fake_host(u32 leaf, u32 sub, u32 r[4])
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

static inline void cpuid(u32 leaf, u32 sub)
{
	r[EAX] = r[EBX] = r[ECX] = r[EDX] = 0x5a5a5a5a; /* every register must be written */
	cpuid_policy(&ctx, leaf, sub, r);
}

static inline void assert_regs(u32 a, u32 b, u32 c, u32 d)
{
	assert_int_equal(r[EAX], a);
	assert_int_equal(r[EBX], b);
	assert_int_equal(r[ECX], c);
	assert_int_equal(r[EDX], d);
}

static inline void assert_zero(u32 leaf, u32 sub)
{
	cpuid(leaf, sub);
	if (r[EAX] || r[EBX] || r[ECX] || r[EDX])
		fail_msg("leaf %#x.%u: %08x %08x %08x %08x, wanted zeros", leaf, sub, r[EAX],
			 r[EBX], r[ECX], r[EDX]);
}

static inline u32 bits(const int *b, size_t n)
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

static inline int setup_skylake(void **state)
{
	(void)state;
	use_host(skylake, ARRAY_SIZE(skylake), 0);
	ctx.ncpus = 1;
	ctx.vcpu_id = 0;
	ctx.tsc_khz = 2400000;
	ctx.lapic_khz = 100000;
	return 0;
}

static inline int setup_zen2(void **state)
{
	setup_skylake(state);
	use_host(zen2, ARRAY_SIZE(zen2), 0);
	return 0;
}

/* Every bit of every leaf set, the maxima included. */
static inline int setup_all_ones(void **state)
{
	setup_skylake(state);
	use_host(NULL, 0, 0xffffffff);
	return 0;
}

static inline void vendor(char out[13], u32 a, u32 b, u32 c)
{
	memcpy(out, &a, 4);
	memcpy(out + 4, &b, 4);
	memcpy(out + 8, &c, 4);
	out[12] = '\0';
}

/* ---- basic leaves ------------------------------------------------------------------------ */

#define T(f, s) cmocka_unit_test_setup(f, s)

#endif
