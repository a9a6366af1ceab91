/* The debugger's pure decisions (exit/debug_hw.c): DR7 for its slots (SDM 17.2.4), which
 * stop a #DB's causes make (SDM 17.2.3), the guest's DR6 after a #DB of its own, and the
 * intercepts each vCPU gets for what is set. */
#include "tests/unit/fakes.h"
#include "exit/debug_hw.h"

#include <string.h>

/* No slot: DR7 reads its reset value. Each slot: Ln, R/Wn, LENn at their fields. */
static void test_dr7_encode(void **state)
{
	(void)state;
	struct dbg_hw hw[DBG_HW_MAX];
	memset(hw, 0, sizeof(hw));
	assert_int_equal(dbg_dr7_encode(hw), 0x400);
	hw[0] = (struct dbg_hw){true, DBG_HW_EXEC, 0x1000, 1};
	assert_int_equal(dbg_dr7_encode(hw), 0x401); /* L0, R/W0 00, LEN0 00 */
	hw[0].used = false;
	hw[1] = (struct dbg_hw){true, DBG_HW_WRITE, 0x2000, 4};
	assert_int_equal(dbg_dr7_encode(hw), 0x400 | 0x4 | (1ull << 20) | (3ull << 22));
	hw[1].used = false;
	hw[2] = (struct dbg_hw){true, DBG_HW_READ, 0x3000, 8}; /* read: 11, no read-only */
	assert_int_equal(dbg_dr7_encode(hw), 0x400 | 0x10 | (3ull << 24) | (2ull << 26));
	hw[2].used = false;
	hw[3] = (struct dbg_hw){true, DBG_HW_ACCESS, 0x3002, 2};
	assert_int_equal(dbg_dr7_encode(hw), 0x400 | 0x40 | (3ull << 28) | (1ull << 30));
}

/* Lengths 1, 2, 4, 8 aligned to themselves; execution covers one byte. */
static void test_hw_check(void **state)
{
	(void)state;
	assert_null(dbg_hw_check(DBG_HW_EXEC, 0x1001, 1));
	assert_non_null(dbg_hw_check(DBG_HW_EXEC, 0x1000, 4));
	assert_null(dbg_hw_check(DBG_HW_WRITE, 0x1008, 8));
	assert_non_null(dbg_hw_check(DBG_HW_WRITE, 0x1004, 8));
	assert_non_null(dbg_hw_check(DBG_HW_WRITE, 0x1000, 3));
	assert_null(dbg_hw_check(DBG_HW_ACCESS, 0x1002, 2));
	assert_non_null(dbg_hw_check(DBG_HW_ACCESS, 0x1001, 2));
}

/* A slot's B bit stops the VM only while the debugger owns DR7; BS only while it steps. */
static void test_db_stop(void **state)
{
	(void)state;
	struct dbg_hw hw[DBG_HW_MAX];
	memset(hw, 0, sizeof(hw));
	hw[0] = (struct dbg_hw){true, DBG_HW_EXEC, 0x1000, 1};
	hw[2] = (struct dbg_hw){true, DBG_HW_WRITE, 0x2000, 4};
	int slot;
	u32 dr = DBG_CTL_DR | DBG_CTL_DB;
	assert_int_equal(dbg_db_stop(hw, dr, DR6_FIXED | 1, &slot), DBG_STOP_HWBREAK);
	assert_int_equal(slot, 0);
	assert_int_equal(dbg_db_stop(hw, dr, DR6_FIXED | 4, &slot), DBG_STOP_WATCH);
	assert_int_equal(slot, 2);
	assert_int_equal(dbg_db_stop(hw, dr, DR6_FIXED | 2, &slot), DBG_STOP_NONE); /* unused */
	assert_int_equal(dbg_db_stop(hw, DBG_CTL_DB, DR6_FIXED | 1, &slot), DBG_STOP_NONE);
	assert_int_equal(dbg_db_stop(hw, DBG_CTL_DB | DBG_CTL_STEP, DR6_BS, &slot), DBG_STOP_STEP);
	assert_int_equal(dbg_db_stop(hw, DBG_CTL_DB, DR6_BS, &slot), DBG_STOP_NONE);
	assert_int_equal(dbg_db_stop(hw, dr | DBG_CTL_STEP, DR6_BS | 4, &slot), DBG_STOP_WATCH);
}

/* The guest's DR6: B0-B3 replaced, BD and BS added, reserved bits read 1. */
static void test_dr6_merge(void **state)
{
	(void)state;
	assert_int_equal(dbg_dr6_merge(0xffff0ff1, 2), 0xffff0ff2);
	assert_int_equal(dbg_dr6_merge(0xffff4ff0, 1), 0xffff4ff1);
	assert_int_equal(dbg_dr6_merge(0, DR6_BS), DR6_FIXED | DR6_BS);
}

/* INT3s give every vCPU DBG_CTL_BP, a slot DBG_CTL_DR|DB; a vCPU's step stays. */
static void test_ctl_update(void **state)
{
	(void)state;
	static struct vm_debug d;
	static struct vcpu v0, v1;
	static struct vm vm;
	memset(&d, 0, sizeof(d));
	vm.debug = &d, vm.nvcpus = 2, vm.vcpu[0] = &v0, vm.vcpu[1] = &v1;
	v1.dbg.ctl = DBG_CTL_STEP | DBG_CTL_DB;
	d.sw[5].used = true;
	dbg_ctl_update(&vm);
	assert_int_equal(v0.dbg.ctl, DBG_CTL_BP);
	assert_int_equal(v1.dbg.ctl, DBG_CTL_BP | DBG_CTL_STEP | DBG_CTL_DB);
	d.sw[5].used = false;
	d.hw[3].used = true;
	v1.dbg.ctl = 0;
	dbg_ctl_update(&vm);
	assert_int_equal(v0.dbg.ctl, DBG_CTL_DR | DBG_CTL_DB);
	assert_int_equal(v1.dbg.ctl, DBG_CTL_DR | DBG_CTL_DB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dr7_encode), cmocka_unit_test(test_hw_check),
		cmocka_unit_test(test_db_stop),	   cmocka_unit_test(test_dr6_merge),
		cmocka_unit_test(test_ctl_update),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
