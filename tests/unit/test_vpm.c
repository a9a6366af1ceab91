/* The ACPI PM registers: the PM timer's rate and width, PM1 control's SCI_EN and S5 power-off,
 * the status and enable registers, and accesses of every width. */
#include "tests/unit/fakes_vdev.h"
#include "vdev/vrecord.h"
#include "vdev/vpm.h"

static struct vm *vm;

static u32 in(u16 port, u8 size)
{
	return (u32)fake_read(&vpm_ops, &fake_dev.pm, port, size);
}

static void out(u16 port, u8 size, u32 val)
{
	fake_write(&vpm_ops, &fake_dev.pm, port, size, val);
}

static int setup(void **state)
{
	(void)state;
	fake_khz = 2500000;
	vm = fake_vm(1, 64 * MiB);
	return 0;
}

static void test_timer(void **state)
{
	(void)state;
	u32 t0 = in(0x608, 4);
	fake_now += fake_khz * 1000; /* one second */
	assert_int_equal(in(0x608, 4) - t0, VPM_TMR_HZ);
	fake_now += fake_khz * 1000 * 1200; /* 20 minutes: past 2^32 ticks */
	u32 t = in(0x608, 4);
	assert_int_equal(t, (u32)(1201ull * VPM_TMR_HZ));
	assert_int_equal(in(0x608, 2), t & 0xffff);
	assert_int_equal(in(0x60a, 1), (t >> 16) & 0xff);
	u32 a = in(0x608, 4), b = in(0x608, 4);
	assert_true(b >= a); /* never backwards */
}

static void test_control_and_poweroff(void **state)
{
	(void)state;
	assert_int_equal(in(0x604, 2), 0x0001); /* SCI_EN: ACPI mode already */
	out(0x604, 2, 0x0000);
	assert_int_equal(in(0x604, 2), 0x0001); /* and it stays */
	out(0x604, 2, 5 << 10 | 1);		/* SLP_TYP 5 alone */
	assert_int_equal(in(0x604, 2), 0x1401);
	out(0x604, 2, 5 << 10 | 0x2000 | 1); /* SLP_EN with a type keel does not offer */
	assert_int_equal(fake_poweroffs, 0);
	/* ACPICA: write SLP_TYP, then SLP_TYP | SLP_EN. */
	out(0x604, 2, 0x0001);
	out(0x604, 2, 0x2001);
	assert_int_equal(fake_poweroffs, 1);
	assert_int_equal(in(0x604, 2) & 0x2000, 0); /* SLP_EN reads 0 */
	out(0x605, 1, 0x20);			    /* a byte write of the high half */
	assert_int_equal(fake_poweroffs, 2);
}

static void test_status_enable(void **state)
{
	(void)state;
	assert_int_equal(in(0x600, 4), 0);
	out(0x602, 2, 0xffff);
	assert_int_equal(in(0x602, 2), 0x0521); /* RTC, PWRBTN, GBL, TMR enables */
	assert_int_equal(in(0x600, 4), 0x05210000);
	fake_dev.pm.sts = 0x0100; /* as a power button would */
	out(0x600, 2, 0x0000);
	assert_int_equal(in(0x600, 2), 0x0100);
	assert_true(fake_irq_level[9]); /* status and enable: SCI */
	out(0x600, 2, 0x0100);		/* write 1 to clear */
	assert_int_equal(in(0x600, 2), 0);
	assert_false(fake_irq_level[9]);
	out(0x600, 4, 0x00000000); /* a dword write clears the enables too */
	assert_int_equal(in(0x602, 2), 0);
	assert_int_equal(in(0x606, 2), 0);
}

/* system_powerdown (ACPI 6.5 4.8.2.2.1): the status is set whatever the enable says; the SCI
 * follows the enable, and falls when the guest clears the status. */
static void test_power_button(void **state)
{
	(void)state;
	assert_true(vpm_power_button(vm));
	assert_int_equal(in(0x600, 2), 0x0100);
	assert_false(fake_irq_level[9]); /* not enabled: no SCI */
	out(0x602, 2, 0x0100);		 /* PWRBTN_EN */
	assert_true(fake_irq_level[9]);
	out(0x600, 2, 0x0100); /* write 1 to clear */
	assert_false(fake_irq_level[9]);
	assert_true(vpm_power_button(vm)); /* enabled: the SCI at once */
	assert_true(fake_irq_level[9]);
	assert_int_equal(fake_lock_depth, 0); /* it took and gave back the device lock */
}

/* ---- save and load ---- */

/* What the PM registers do from now on: every register at every width, the timer as time
 * goes by, the SCI, a status bit cleared and the enables changed. */
static void watch(struct fake_trace *t)
{
	for (int step = 0; step < 8; step++) {
		for (u16 port = 0x600; port < 0x60c; port++)
			fake_note(t, in(port, 1));
		fake_note(t, in(0x600, 4)), fake_note(t, in(0x604, 2)), fake_note(t, in(0x608, 4));
		fake_note(t, fake_irq_level[9]);
		if (step == 3)
			out(0x602, 2, 0x0521);
		if (step == 5)
			out(0x600, 2, 0x0100); /* clear the power button's status */
		fake_now += fake_us(12345) + (u64)step;
	}
	fake_note(t, (u64)fake_poweroffs);
}

/* The power button's status and enable set (the SCI high), SLP_TYP written, the timer
 * counting since a while. */
static void busy(void)
{
	fake_now += fake_us(777777);
	dev_lock(vm);
	fake_dev.pm.sts = 0x0100; /* what a power button event sets */
	dev_unlock(vm);
	out(0x602, 2, 0x0100);
	out(0x604, 2, 3 << 10 | 1);
	assert_true(fake_irq_level[9]);
}

static void test_save_load(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	busy();
	assert_int_equal(fake_save_load(vpm_save, vpm_load, &fake_dev.pm, rec, watch, NULL, 5000),
			 16 + 16);
}

/* Damaged records are refused and change nothing; so is SCI_EN clear, and an SCI level out
 * of step with status and enable. */
static void test_load_refusals(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	busy();
	u64 len = vpm_save(&fake_dev.pm, fake_now, rec, sizeof(rec));
	vm = fake_vm(1, 64 * MiB);
	fake_refusals(vpm_load, &fake_dev.pm, sizeof(fake_dev.pm), rec, len, 16 + 4, 0);
	fake_refusals(vpm_load, &fake_dev.pm, sizeof(fake_dev.pm), rec, len, 16 + 6, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_timer, setup),
		cmocka_unit_test_setup(test_control_and_poweroff, setup),
		cmocka_unit_test_setup(test_status_enable, setup),
		cmocka_unit_test_setup(test_power_button, setup),
		cmocka_unit_test_setup(test_save_load, setup),
		cmocka_unit_test_setup(test_load_refusals, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
