/* Device state records (vdev/vrecord.h): the header's checks, times carried across clocks of
 * another "now" and another rate, every device's save and load in one shape, and the records
 * of the two smallest devices, fw_cfg (mid-read) and the debug exit (no state). */
#include "tests/unit/fakes_vdev.h"
#include "vdev/debugexit.h"
#include "vdev/fwcfg.h"
#include "vdev/vioapic.h"
#include "vdev/vkbd.h"
#include "vdev/vpci.h"
#include "vdev/vpic.h"
#include "vdev/vpit.h"
#include "vdev/vpm.h"
#include "vdev/vrecord.h"
#include "vdev/vrtc.h"
#include "vdev/vuart.h"

#include <string.h>

static struct vm *vm;

static int setup(void **state)
{
	(void)state;
	fake_khz = 3000000;
	fake_now = 1000000;
	vm = fake_vm(2, 64 * MiB);
	return 0;
}

/* Every device's functions have the one shape the device ops table will hold (the local
 * APIC's too: test_vlapic). */
static void test_one_shape(void **state)
{
	(void)state;
	static fake_save_fn *const saves[] = {vuart_save, debugexit_save, fwcfg_save,	vpic_save,
					      vpit_save,  vrtc_save,	  vioapic_save, vpci_save,
					      vkbd_save,  vpm_save};
	static fake_load_fn *const loads[] = {vuart_load, debugexit_load, fwcfg_load,	vpic_load,
					      vpit_load,  vrtc_load,	  vioapic_load, vpci_load,
					      vkbd_load,  vpm_load};
	static const u16 kinds[] = {VREC_UART, VREC_DEBUGEXIT, VREC_FWCFG, VREC_PIC, VREC_PIT,
				    VREC_RTC,  VREC_IOAPIC,    VREC_PCI,   VREC_KBD, VREC_PM};
	void *devs[] = {&fake_dev.uart, NULL,	       &fake_dev.fwcfg,	 &fake_dev.pic,
			&fake_dev.pit,	&fake_dev.rtc, &fake_dev.ioapic, &fake_dev.pci,
			&fake_dev.kbd,	&fake_dev.pm};
	static u8 rec[VREC_MAX];
	for (size_t i = 0; i < ARRAY_SIZE(saves); i++) {
		struct vrec_header h;
		u64 len = saves[i](devs[i], fake_now, rec, sizeof(rec));
		assert_true(len >= sizeof(h) && len <= VREC_MAX);
		memcpy(&h, rec, sizeof(h));
		assert_int_equal(h.magic, VREC_MAGIC);
		assert_int_equal(h.kind, kinds[i]);
		assert_int_equal(h.version, kinds[i] == VREC_PCI ? 2 : 1); /* with functions */
		assert_int_equal(h.size, len - sizeof(h));
		assert_int_equal(h.clock_khz, fake_khz);
		assert_null(loads[i](vm, devs[i], fake_now, rec, len)); /* a reset device's too */
		/* Another device's record: refused by kind. */
		size_t other = (i + 1) % ARRAY_SIZE(loads);
		assert_string_equal(loads[other](vm, devs[other], fake_now, rec, len),
				    "record of another device");
	}
}

/* The header's reasons, in the words a user reads. */
static void test_header_reasons(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	u64 len = vpci_save(&fake_dev.pci, fake_now, rec, sizeof(rec));
	void *d = &fake_dev.pci;
	assert_string_equal(vpci_load(vm, d, fake_now, rec, 10), "truncated record");
	assert_string_equal(vpci_load(vm, d, fake_now, rec, len - 1), "truncated record");
	assert_string_equal(vpci_load(vm, d, fake_now, rec, len + 1), "bytes after the record");
	rec[6] = 3;
	assert_string_equal(vpci_load(vm, d, fake_now, rec, len), "unknown record version");
	rec[6] = 2, rec[8]--;
	assert_string_equal(vpci_load(vm, d, fake_now, rec, len), "wrong payload size");
	rec[8]++, rec[0] = 'X';
	assert_string_equal(vpci_load(vm, d, fake_now, rec, len), "not a device record");
	rec[0] = 'K';
	memset(rec + 12, 0, 4);
	assert_string_equal(vpci_load(vm, d, fake_now, rec, len), "guest clock rate out of range");
	assert_int_equal(vpci_save(d, fake_now, rec, 16), 0); /* no room */
}

/* A time, a deadline and a span saved under one clock come back under another: at another
 * now (even one below the record's own times), and at another rate (rescaled). */
static void test_times_across_clocks(void **state)
{
	(void)state;
	struct vrec_reader r = {.now = 100, .khz = (u32)fake_khz};
	assert_int_equal(vrec_rel(700, 1000), -300);
	assert_int_equal(vrec_time(&r, -300), (u64)-200); /* before the clock's zero */
	assert_int_equal(vrec_since(100, vrec_time(&r, -300)), 300);
	assert_int_equal(vrec_deadline(&r, 50), 150);
	assert_int_equal(vrec_deadline(&r, -300), 1); /* long due: at once, never "disarmed" */
	assert_int_equal(vrec_deadline(&r, -100), 1);
	assert_null(r.why);
	r.khz = (u32)(fake_khz / 2); /* saved on a clock half as fast */
	assert_int_equal(vrec_time(&r, -300), (u64)(100 - 600));
	assert_int_equal(vrec_span(&r, 1000), 2000);
	assert_null(r.why);
	r.khz = (u32)(fake_khz / 16); /* the slowest clock a record may come from */
	vrec_span(&r, VREC_TIME_MAX); /* would overflow rescaled */
	assert_string_equal(r.why, "time out of range");
	r = (struct vrec_reader){.now = 100, .khz = (u32)fake_khz};
	vrec_time(&r, VREC_TIME_MAX + 1);
	assert_string_equal(r.why, "time out of range");
	vrec_require(&r, false, "second reason");
	assert_string_equal(r.why, "time out of range"); /* the first one is kept */
}

/* A PIT saved on a 3 GHz clock and loaded on a 2 GHz one counts on at the same PIT rate. */
static void test_pit_across_rates(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	fake_write(&vpit_ops, &fake_dev.pit, 0x43, 1, 0x34);
	fake_write(&vpit_ops, &fake_dev.pit, 0x40, 1, 0x00);
	fake_write(&vpit_ops, &fake_dev.pit, 0x40, 1, 0x80); /* 32768 */
	fake_now += fake_us(10000);			     /* 11931 PIT clocks */
	u64 len = vpit_save(&fake_dev.pit, fake_now, rec, sizeof(rec));
	fake_khz = 2000000;
	vm = fake_vm(2, 64 * MiB);
	assert_null(vpit_load(vm, &fake_dev.pit, fake_now, rec, len));
	fake_now += fake_us(5000); /* 5965 more */
	fake_write(&vpit_ops, &fake_dev.pit, 0x43, 1, 0x00);
	u16 n = (u16)fake_read(&vpit_ops, &fake_dev.pit, 0x40, 1);
	n = (u16)(n | fake_read(&vpit_ops, &fake_dev.pit, 0x40, 1) << 8);
	assert_in_range(n, 32768 - 17897, 32768 - 17895);
	fake_khz = 3000000;
}

/* fw_cfg mid-read: the signature's next bytes come from the loaded copy. */
static void test_fwcfg_mid_read(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	fake_write(&fwcfg_ops, &fake_dev.fwcfg, 0x510, 2, 0x0000);
	assert_int_equal(fake_read(&fwcfg_ops, &fake_dev.fwcfg, 0x511, 1), 'Q');
	assert_int_equal(fake_read(&fwcfg_ops, &fake_dev.fwcfg, 0x511, 1), 'E');
	u64 len = fwcfg_save(&fake_dev.fwcfg, fake_now, rec, sizeof(rec));
	assert_int_equal(len, 16 + 8);
	vm = fake_vm(2, 64 * MiB);
	assert_null(fwcfg_load(vm, &fake_dev.fwcfg, fake_now, rec, len));
	assert_int_equal(fake_read(&fwcfg_ops, &fake_dev.fwcfg, 0x510, 2), 0);
	assert_int_equal(fake_read(&fwcfg_ops, &fake_dev.fwcfg, 0x511, 1), 'M');
	assert_int_equal(fake_read(&fwcfg_ops, &fake_dev.fwcfg, 0x511, 1), 'U');
	assert_int_equal(fake_read(&fwcfg_ops, &fake_dev.fwcfg, 0x511, 1), 0); /* past its end */
	size_t size = sizeof(fake_dev.fwcfg);
	fake_refusals(fwcfg_load, &fake_dev.fwcfg, size, rec, len, 16 + 4, 9); /* offset 9 */
}

/* The debug exit's record is a header alone; a write still ends the VM after a load. */
static void test_debugexit(void **state)
{
	(void)state;
	static u8 rec[VREC_MAX];
	u8 none = 0;
	u64 len = debugexit_save(NULL, fake_now, rec, sizeof(rec));
	assert_int_equal(len, 16);
	assert_null(debugexit_load(vm, NULL, fake_now, rec, len));
	fake_write(&debugexit_ops, NULL, 0xf4, 1, 0x21);
	assert_int_equal(fake_stops, 1);
	assert_int_equal(fake_stop_status, 0x21);
	fake_refusals(debugexit_load, &none, 1, rec, len, 15, 0xff); /* a clock out of range */
}

/* A record is input that may come from a file: records with random bytes changed are refused
 * or, if taken, leave a device that keel can run without undefined behaviour (UBSan and ASan
 * watch) through port accesses and time going by. */
static void test_damaged_records_are_safe(void **state)
{
	(void)state;
	static fake_save_fn *const saves[] = {vuart_save, fwcfg_save, vpic_save,
					      vpit_save,  vrtc_save,  vioapic_save,
					      vpci_save,  vkbd_save,  vpm_save};
	static fake_load_fn *const loads[] = {vuart_load, fwcfg_load, vpic_load,
					      vpit_load,  vrtc_load,  vioapic_load,
					      vpci_load,  vkbd_load,  vpm_load};
	static const struct vdev_ops *const ops[] = {&vuart_ops, &fwcfg_ops, &vpic_ops,
						     &vpit_ops,	 &vrtc_ops,  &vioapic_ops,
						     &vpci_ops,	 &vkbd_ops,  &vpm_ops};
	static const u64 ports[] = {0x3f8,	  0x510, 0x20, 0x40, 0x70,
				    VIOAPIC_BASE, 0xcf8, 0x60, 0x600};
	static u8 good[VREC_MAX], rec[VREC_MAX];
	u32 seed = 12345, taken = 0;
	for (size_t d = 0; d < ARRAY_SIZE(saves); d++) {
		for (int i = 0; i < 300; i++) {
			vm = fake_vm(2, 64 * MiB);
			void *devs[] = {&fake_dev.uart, &fake_dev.fwcfg, &fake_dev.pic,
					&fake_dev.pit,	&fake_dev.rtc,	 &fake_dev.ioapic,
					&fake_dev.pci,	&fake_dev.kbd,	 &fake_dev.pm};
			u8 size = ports[d] == VIOAPIC_BASE ? 4 : 1;
			for (u64 k = 0; k < 6; k++) { /* a device somewhere, not fresh */
				seed = seed * 1103515245 + 12345;
				u64 at = ports[d] +
					 (ports[d] == VIOAPIC_BASE ? (k & 1) * 0x10 : k % 4);
				fake_write(ops[d], devs[d], at, size, seed >> 16);
				fake_advance(fake_us(100));
			}
			u64 len = saves[d](devs[d], fake_now, good, sizeof(good));
			memcpy(rec, good, len);
			for (int n = 0; n < 1 + i % 3; n++) {
				seed = seed * 1103515245 + 12345;
				rec[16 + (seed >> 8) % (len - 16)] = (u8)(seed >> 20);
			}
			if (loads[d](vm, devs[d], fake_now, rec, len))
				continue;
			taken++;
			for (u64 k = 0; k < 8; k++) {
				u64 at = ports[d] +
					 (ports[d] == VIOAPIC_BASE ? (k & 1) * 0x10 : k % 2);
				fake_read(ops[d], devs[d], at, size);
				fake_advance(fake_us(3000));
			}
		}
	}
	print_message("%u of %zu damaged records taken\n", taken, ARRAY_SIZE(saves) * 300);
	assert_true(taken > 0); /* some changes are within range */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_one_shape, setup),
		cmocka_unit_test_setup(test_header_reasons, setup),
		cmocka_unit_test_setup(test_times_across_clocks, setup),
		cmocka_unit_test_setup(test_pit_across_rates, setup),
		cmocka_unit_test_setup(test_fwcfg_mid_read, setup),
		cmocka_unit_test_setup(test_debugexit, setup),
		cmocka_unit_test_setup(test_damaged_records_are_safe, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
