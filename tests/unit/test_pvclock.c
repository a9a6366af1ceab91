/* The paravirtual clock's arithmetic: the mul and shift KVM's kvm_get_time_scale picks for a
 * TSC rate, and the conversion the guest makes with them, exact to a few parts per billion
 * from a 1 MHz to a 10 GHz TSC, and across deltas of hours (a 96-bit product). */
#include "tests/unit/fakes.h"
#include "lib/pvclock.h"

/* A 1 GHz TSC counts nanoseconds: mul 1/2 with shift 1; 3 GHz: 2/3 with shift -1. */
static void test_known_scales(void **state)
{
	(void)state;
	u32 mul;
	s8 shift;
	pvclock_time_scale(1000000, &mul, &shift);
	assert_int_equal(mul, 0x80000000u);
	assert_int_equal(shift, 1);
	assert_int_equal(pvclock_scale(123456789, mul, shift), 123456789);
	pvclock_time_scale(3000000, &mul, &shift);
	assert_int_equal(mul, 2863311530u);
	assert_int_equal(shift, -1);
	assert_int_equal(pvclock_scale(3000000000ull, mul, shift), 999999999);
}

/* One second of ticks is 1e9 ns within a few ns; the fraction uses its top bit. */
static void test_second_of_ticks(void **state)
{
	(void)state;
	static const u64 khz[] = {1000,	   14318,   100000,  1193182,
				  2400000, 2994375, 3600000, 10000000};
	for (size_t i = 0; i < ARRAY_SIZE(khz); i++) {
		u32 mul;
		s8 shift;
		pvclock_time_scale(khz[i], &mul, &shift);
		assert_true(mul >= 0x80000000u);
		u64 ns = pvclock_scale(khz[i] * 1000, mul, shift);
		assert_in_range(ns, 1000000000ull - 8, 1000000000ull);
	}
}

/* Ten hours of a 3.6 GHz TSC overflow 64 bits once multiplied: the product keeps 96. */
static void test_long_delta(void **state)
{
	(void)state;
	u32 mul;
	s8 shift;
	pvclock_time_scale(3600000, &mul, &shift);
	u64 ns = pvclock_scale(3600000000ull * 36000, mul, shift);
	assert_in_range(ns, 36000ull * 1000000000 - 36000ull * 8, 36000ull * 1000000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_scales),
		cmocka_unit_test(test_second_of_ticks),
		cmocka_unit_test(test_long_delta),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
