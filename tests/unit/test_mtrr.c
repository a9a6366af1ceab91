/* The MTRR MSRs' rules (exit/mtrr.c) from the SDM, vol. 3 11.11: what reads back, and every
 * write a CPU refuses with #GP. */
#include "tests/unit/fakes.h"
#include "exit/mtrr.h"

#include <string.h>

/* Reset state is all zero; MTRRCAP says VCNT 8, FIX, WC and no SMRR, and is read-only. */
static void test_reset_and_cap(void **state)
{
	(void)state;
	struct mtrr_state m;
	memset(&m, 0, sizeof(m));
	u64 v = 1;
	assert_int_equal(mtrr_read(&m, MSR_MTRRCAP, &v), 0);
	assert_int_equal(v, 0x508);
	assert_int_equal(mtrr_write(&m, MSR_MTRRCAP, 0x508, 36), -1);
	for (u32 msr = 0x200; msr < 0x210; msr++) {
		assert_true(mtrr_msr(msr));
		assert_int_equal(mtrr_read(&m, msr, &v), 0);
		assert_int_equal(v, 0);
	}
	assert_false(mtrr_msr(0x210));
	assert_false(mtrr_msr(0x251));
	assert_false(mtrr_msr(0x270));
}

/* DEF_TYPE: type, FE (10), E (11); reserved bits and types 2, 3, 7, 8 #GP (SDM 11.11.2.1). */
static void test_def_type(void **state)
{
	(void)state;
	struct mtrr_state m = {0};
	u64 v;
	assert_int_equal(mtrr_write(&m, MSR_MTRR_DEF_TYPE, 0xc06, 36), 0);
	assert_int_equal(mtrr_read(&m, MSR_MTRR_DEF_TYPE, &v), 0);
	assert_int_equal(v, 0xc06);
	static const u64 bad[] = {2, 3, 7, 8, 0x100, 0x200, 0x1000, 1ull << 63};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(mtrr_write(&m, MSR_MTRR_DEF_TYPE, bad[i], 36), -1);
	assert_int_equal(m.def_type, 0xc06);
}

/* Each byte of the 11 fixed-range MSRs is a memory type (SDM 11.11.2.2). */
static void test_fixed(void **state)
{
	(void)state;
	static const u32 msrs[] = {0x250, 0x258, 0x259, 0x268, 0x269, 0x26a,
				   0x26b, 0x26c, 0x26d, 0x26e, 0x26f};
	struct mtrr_state m = {0};
	for (size_t i = 0; i < ARRAY_SIZE(msrs); i++) {
		u64 v, good = 0x0605040100060504ull;
		assert_int_equal(mtrr_write(&m, msrs[i], i & 1 ? 0x0606060606060606ull : good, 36),
				 0);
		assert_int_equal(mtrr_read(&m, msrs[i], &v), 0);
		assert_int_equal(v, i & 1 ? 0x0606060606060606ull : good);
		assert_int_equal(mtrr_write(&m, msrs[i], 0x0206060606060606ull, 36), -1);
		assert_int_equal(mtrr_write(&m, msrs[i], 0x0606060606060607ull, 36), -1);
	}
	assert_int_equal(m.fixed[9], 0x0606060606060606ull);
}

/* Variable ranges: bits above MAXPHYADDR and 11:8 of PHYSBASE, 10:0 of PHYSMASK, reserved. */
static void test_variable(void **state)
{
	(void)state;
	struct mtrr_state m = {0};
	u64 v;
	assert_int_equal(mtrr_write(&m, 0x20e, 0xfff000006ull, 36), 0); /* PHYSBASE7, WB */
	assert_int_equal(mtrr_write(&m, 0x20f, 0xff0000800ull, 36), 0); /* PHYSMASK7, V */
	assert_int_equal(mtrr_read(&m, 0x20f, &v), 0);
	assert_int_equal(v, 0xff0000800ull);
	assert_int_equal(m.base[7], 0xfff000006ull);
	assert_int_equal(mtrr_write(&m, 0x200, 0x1000000006ull, 36), -1); /* bit 36 */
	assert_int_equal(mtrr_write(&m, 0x200, 0x1000000006ull, 40), 0);
	assert_int_equal(mtrr_write(&m, 0x200, 0x106, 36), -1);		  /* bit 8 */
	assert_int_equal(mtrr_write(&m, 0x200, 0x3, 36), -1);		  /* type 3 */
	assert_int_equal(mtrr_write(&m, 0x201, 0x801, 36), -1);		  /* bit 0 */
	assert_int_equal(mtrr_write(&m, 0x201, 0x1000000800ull, 36), -1); /* bit 36 */
	assert_int_equal(m.base[0], 0x1000000006ull);
	assert_int_equal(m.mask[0], 0);
}

/* What keel leaves for a Linux guest as its firmware: on, WB, [3 GiB, 4 GiB) UC; and valid. */
static void test_firmware(void **state)
{
	(void)state;
	struct mtrr_state m, w = {0};
	mtrr_firmware(&m, 40);
	assert_int_equal(m.def_type, 0x806);
	assert_int_equal(m.base[0], 0xc0000000ull);
	assert_int_equal(m.mask[0], 0xffc0000800ull);
	assert_int_equal(mtrr_write(&w, MSR_MTRR_DEF_TYPE, m.def_type, 40), 0);
	assert_int_equal(mtrr_write(&w, 0x200, m.base[0], 40), 0);
	assert_int_equal(mtrr_write(&w, 0x201, m.mask[0], 40), 0);
	assert_memory_equal(&m, &w, sizeof(m));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_and_cap), cmocka_unit_test(test_def_type),
		cmocka_unit_test(test_fixed),	      cmocka_unit_test(test_variable),
		cmocka_unit_test(test_firmware),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
