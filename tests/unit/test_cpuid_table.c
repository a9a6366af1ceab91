/* A VM's fixed CPUID answers (exit/cpuid.c, cpuid_table_fill and cpuid_table_find): every leaf
 * the table holds answers what the policy would, at any sub-leaf; the leaves that follow the
 * asking vCPU or the sub-leaf (1, 4, 7, 0xB, 0xD, 0x80000001) and unknown leaves are not held,
 * so the policy answers them at each exit. */
#include "tests/unit/fakes.h"
#include "exit/cpuid.h"

/* A host whose every leaf up to 0x16 and 0x80000008 answers something that depends on the
 * leaf, and which has no leaf past those. */
static void host(u32 leaf, u32 sub, u32 r[4])
{
	(void)sub;
	bool ext = leaf >= 0x80000000u;
	u32 max = ext ? 0x80000008u : 0x16;
	r[0] = r[1] = r[2] = r[3] = 0;
	if (leaf == 0 || leaf == 0x80000000u) {
		r[0] = max;
		r[1] = 0x68747541, r[2] = 0x444d4163, r[3] = 0x69746e65; /* "AuthenticAMD" */
	} else if (leaf <= max) {
		r[0] = leaf * 0x01010101u, r[1] = ~leaf, r[2] = leaf << 8, r[3] = 0xffffffffu;
	}
}

static const struct cpuid_ctx ctx = {
	.ncpus = 2, .tsc_khz = 2400000, .lapic_khz = 100000, .host = host};
static struct cpuid_table table;

static void same_as_policy(u32 leaf)
{
	const u32 *t = cpuid_table_find(&table, leaf);
	assert_non_null(t);
	for (u32 sub = 0; sub < 3; sub++) {
		u32 r[4];
		cpuid_policy(&ctx, leaf, sub, r);
		assert_memory_equal(t, r, sizeof(r));
	}
}

static void test_held_leaves(void **state)
{
	(void)state;
	cpuid_table_fill(&table, &ctx);
	for (u32 leaf = 0; leaf <= 0x16; leaf++)
		if (leaf != 1 && leaf != 4 && leaf != 7 && leaf != 0xb && leaf != 0xd)
			same_as_policy(leaf);
	for (u32 leaf = 0x80000000u; leaf <= 0x80000008u; leaf++)
		if (leaf != 0x80000001u)
			same_as_policy(leaf);
	same_as_policy(0x40000000u);
	same_as_policy(0x40000010u);
	same_as_policy(KVM_CPUID_BASE);
	same_as_policy(KVM_CPUID_FEATURES);
}

static void test_policy_leaves(void **state)
{
	(void)state;
	static const u32 policy[] = {1,	   4,		7,	     0xb,	  0xd,
				     0x17, 0x80000001u, 0x80000009u, 0x40000001u, 0xffffffffu};
	for (size_t i = 0; i < ARRAY_SIZE(policy); i++)
		assert_null(cpuid_table_find(&table, policy[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held_leaves),
		cmocka_unit_test(test_policy_leaves),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
