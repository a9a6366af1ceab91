/* The platform's table walked whole (vdev/vdevs.c): every device attaches (its ranges on the
 * buses, its timers on the vCPUs) and resets; vdevs_save writes one record per device, one per
 * vCPU for the local APIC, in the table's order; vdevs_load puts a busy VM's devices into a
 * fresh VM, which then saves the same bytes and behaves the same; a record short, a byte over,
 * or a VM with fewer vCPUs is refused. Links the real vdevs.c and vlapic.c. */
#include "tests/unit/fakes_vdev.h"
#include "mm/mm.h"
#include "vdev/vdevs.h"

/* vCPU n's local APIC in vm. */
#define LAPIC(vm, n) ((struct vlapic *)vm_device(vm, &vlapic_ops) + (n))
#include "vdev/vrecord.h"

#include <stdlib.h>
#include <string.h>

static struct vm *vm;
static void *blocks[8];
static int nblocks;

/* vdevs_attach's allocation (mm/mm.c in keel): zeroed, freed after each test. */
void *kmalloc(size_t size)
{
	assert_true(nblocks < (int)ARRAY_SIZE(blocks));
	return blocks[nblocks++] = calloc(1, size);
}

/* A fresh VM with ncpus vCPUs and the whole platform attached. */
static struct vm *platform(u32 ncpus)
{
	struct vm *v = fake_vm(ncpus, 64 * MiB);
	assert_true(vdevs_attach(v));
	return v;
}

static int setup(void **state)
{
	(void)state;
	fake_khz = 3000000;
	fake_now = 1000000;
	vm = platform(2);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	while (nblocks)
		free(blocks[--nblocks]);
	return 0;
}

/* Every device's ranges are on the buses, the local APIC is the interrupt controller, and the
 * timers went where the devices asked: the APIC's on each vCPU, the PIT's and RTC's on 0. */
static void test_attach(void **state)
{
	(void)state;
	assert_int_equal(vm->io.n + vm->mmio.n, 16); /* the real buses (vm/busmap.c) */
	assert_non_null(vm->irqc);
	assert_int_equal(vm->vcpu[0]->ntimers, 3);
	assert_int_equal(vm->vcpu[1]->ntimers, 1);
	assert_ptr_equal(vm->vcpu[1]->timers[0].dev, LAPIC(vm, 1));
	assert_int_equal(fake_deadline(0, vm_device(vm, &vpit_ops), 0),
			 0); /* reset: all disarmed */
}

/* The record kinds in buf (len bytes), in order; returns how many. */
static int kinds(const u8 *buf, u64 len, u16 *out, int max)
{
	int n = 0;
	for (u64 at = 0; at < len && n < max; n++) {
		struct vrec_header h;
		assert_true(len - at >= sizeof(h));
		memcpy(&h, buf + at, sizeof(h));
		out[n] = h.kind;
		at += sizeof(h) + h.size;
	}
	return n;
}

/* A busy platform: the PIT in rate-generator mode, vCPU 1's APIC timer periodic, fw_cfg's
 * selector set, a byte in the UART's scratch register, an ELCR bit. */
static void busy(void)
{
	fake_write(&vpit_ops, vm_device(vm, &vpit_ops), 0x43, 1, 0x34);
	fake_write(&vpit_ops, vm_device(vm, &vpit_ops), 0x40, 1, 0x00);
	fake_write(&vpit_ops, vm_device(vm, &vpit_ops), 0x40, 1, 0x10); /* 4096: 3.4 ms */
	void *l = LAPIC(vm, 0);
	vlapic_ops.write(vm->vcpu[1], l, VLAPIC_BASE + 0xf0, 4, 0x1ff);
	vlapic_ops.write(vm->vcpu[1], l, VLAPIC_BASE + 0x320, 4, 0x20040);
	vlapic_ops.write(vm->vcpu[1], l, VLAPIC_BASE + 0x380, 4, 50000);
	fake_write(&fwcfg_ops, vm_device(vm, &fwcfg_ops), 0x510, 2, 0x0001);
	fake_write(&vuart_ops, vm_device(vm, &vuart_ops), 0x3ff, 1, 0x5a);
	fake_write(&vpic_ops, vm_device(vm, &vpic_ops), 0x4d0, 1, 0x20);
	fake_advance(fake_us(777));
}

/* What the platform does from now: timer deadlines, IRQ 0's rises, registers read back. */
static void watch(struct fake_trace *t)
{
	u64 start = fake_now;
	for (int i = 0; i < 20; i++) {
		fake_note(t, fake_deadline(0, vm_device(vm, &vpit_ops), start));
		fake_note(t, fake_deadline(1, LAPIC(vm, 1), start));
		fake_note(t, (u64)fake_irq_rises[0]);
		fake_advance(fake_us(1000));
	}
	fake_note(t, fake_read(&vuart_ops, vm_device(vm, &vuart_ops), 0x3ff, 1));
	fake_note(t, fake_read(&vpic_ops, vm_device(vm, &vpic_ops), 0x4d0, 1));
	fake_note(t, vlapic_ops.read(vm->vcpu[1], LAPIC(vm, 0), VLAPIC_BASE + 0x390, 4));
}

/* Saved whole, loaded whole into a fresh VM at another time: the same records come back
 * out, and the devices go on alike. */
static void test_save_load_round_trip(void **state)
{
	(void)state;
	static u8 buf[16 * VREC_MAX], again[16 * VREC_MAX];
	static struct fake_trace a, b;
	static const u16 order[] = {VREC_LAPIC,	 VREC_LAPIC,	 VREC_PIC,    VREC_PIT, VREC_RTC,
				    VREC_IOAPIC, VREC_PCI,	 VREC_VIRTIO, VREC_KBD, VREC_PM,
				    VREC_UART,	 VREC_DEBUGEXIT, VREC_FWCFG};
	u16 got[16];
	bool lines[24];
	busy();
	u64 len = vdevs_save(vm, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(kinds(buf, len, got, 16), ARRAY_SIZE(order));
	assert_memory_equal(got, order, sizeof(order));
	assert_int_equal(vdevs_save(vm, again, len - 1), 0); /* too small a buffer */
	memcpy(lines, fake_irq_level, sizeof(lines));
	memset(fake_irq_rises, 0, sizeof(fake_irq_rises));
	a.n = b.n = 0;
	watch(&a);

	fake_now = 5000;
	vm = platform(2);
	memcpy(fake_irq_level, lines, sizeof(lines)); /* the lines as the PIC's record has them */
	const char *why = vdevs_load(vm, buf, len);
	if (why)
		print_error("refused: %s\n", why);
	assert_null(why);
	assert_int_equal(vdevs_save(vm, again, sizeof(again)), len);
	assert_memory_equal(buf, again, len);
	watch(&b);
	fake_same(&a, &b);
}

/* A blob a byte short or a byte over, or one for more vCPUs than the VM has, is refused. */
static void test_load_refusals(void **state)
{
	(void)state;
	static u8 buf[16 * VREC_MAX];
	busy();
	u64 len = vdevs_save(vm, buf, sizeof(buf) - 1);
	buf[len] = 0;
	vm = platform(2);
	assert_non_null(vdevs_load(vm, buf, len - 1));
	assert_string_equal(vdevs_load(vm, buf, len + 1), "bytes after the last device's record");
	vm = platform(1);
	assert_non_null(vdevs_load(vm, buf, len)); /* the second APIC's record where the PIC's is */
	assert_int_equal(fake_lock_depth, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
