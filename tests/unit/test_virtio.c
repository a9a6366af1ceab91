/* The virtio PCI transport (vdev/virtio*.c) with the virtio-rng kind: the PCI function a VM
 * with rng=yes gets (IDs, BARs, the five vendor capabilities, MSI-X), feature negotiation,
 * the device status rules, queue set-up checks, the register widths the spec allows, ISR and
 * INTx, the DEVICE_NEEDS_RESET path, the PCI_CFG window, the rng serving requests, and the
 * state record's round trip and refusals. */
#include "tests/unit/virtio_drv.h"
#include "mm/mm.h"
#include "vdev/virtio_kinds.h"
#include "vdev/vrecord.h"

static struct vm *vm;
static struct virtio_devs devs;
static struct virtio_dev *d;

/* The devices' blocks (kmalloc'd at attach), freed. */
static void free_devs(void)
{
	for (u32 i = 0; i < devs.n; i++)
		kfree(devs.d[i]);
	kfree(devs.rec);
	memset(&devs, 0, sizeof(devs));
}

/* A VM with rng and console=virtio as given, its virtio devices attached and reset. */
static struct vm *machine_with(bool rng, bool console)
{
	free_devs();
	struct vm *v = fake_vm(1, RAM);
	strcpy(v->name, "r");
	fake_ram(v, RAM);
	v->hw.rng = rng;
	v->hw.virtio_console = console;
	fake_nslots = fake_nmsix = 0;
	fake_msix_on = false;
	assert_true(virtio_ops.attach(v, &devs));
	virtio_ops.reset(v, &devs);
	log_reset();
	return v;
}

static struct vm *machine(bool rng)
{
	return machine_with(rng, false);
}

static int setup(void **state)
{
	(void)state;
	fake_entropy = true;
	fake_entropy_left = -1;
	fake_entropy_next = 0x0706050403020100ull;
	vm = machine(true);
	assert_int_equal(devs.n, 1);
	d = devs.d[0];
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free_devs();
	return 0;
}

static u64 bar_rd(u64 off, u8 size)
{
	return d->pci.ops->bar_read(&d->pci, VIRTIO_BAR, off, size);
}

static void bar_wr(u64 off, u8 size, u64 val)
{
	d->pci.ops->bar_write(&d->pci, VIRTIO_BAR, off, size, val);
}

static u32 cfg32(u32 off)
{
	u32 v;
	memcpy(&v, d->pci.cfg + off, 4);
	return v;
}

/* The vendor capability of cfg_type type (4.1.4): its offset, 0 if absent. */
static u32 find_cap(u8 type)
{
	for (u32 at = d->pci.cfg[0x34]; at; at = d->pci.cfg[at + 1])
		if (d->pci.cfg[at] == 0x09 && d->pci.cfg[at + 3] == type)
			return at;
	return 0;
}

/* 4.1.2: IDs; BAR 4 64-bit 16 KiB and BAR 1 for MSI-X; each capability where it says. */
static void test_pci_function(void **state)
{
	static const struct {
		u8 type, len;
		u32 off, size;
	} caps[] = {{1, 16, 0x0000, 0x38},
		    {2, 20, 0x3000, 4},
		    {3, 16, 0x1000, 1},
		    {4, 16, 0x2000, 1},
		    {5, 20, 0, 0}};
	(void)state;
	assert_int_equal(cfg32(0x00), 0x10441af4);
	assert_int_equal(cfg32(0x08), 0x00ff0001); /* class 00 ff 00, revision 1 */
	assert_int_equal(cfg32(0x2c), 0x00441af4);
	assert_int_equal(d->pci.bar[4].size, 0x4000);
	assert_true(d->pci.bar[4].is64);
	assert_int_equal(d->pci.bar[1].size, 0x1000);
	assert_int_equal(d->pci.msix_n, 2); /* the queue's and the configuration's */
	assert_int_equal(d->pci.msix_bar, 1);
	assert_int_equal(d->pci.msix_pba, 0x800);
	assert_int_equal(d->pci.slot, 1);
	for (size_t i = 0; i < ARRAY_SIZE(caps); i++) {
		u32 at = find_cap(caps[i].type);
		assert_true(at >= 0x40);
		assert_int_equal(d->pci.cfg[at + 2], caps[i].len);
		assert_int_equal(d->pci.cfg[at + 4], caps[i].type == 5 ? 0 : 4);
		assert_int_equal(cfg32(at + 8), caps[i].off);
		assert_int_equal(cfg32(at + 12), caps[i].size);
	}
	assert_int_equal(cfg32(find_cap(2) + 16), 4); /* notify_off_multiplier */
	assert_int_equal(rd(d, C_NUMQ, 2), 1);
	assert_int_equal(rd(d, C_QSIZE, 2), 64);
}

/* rng=no, or a host with neither RDRAND nor RDSEED (logged once): no device. */
static void test_no_rng(void **state)
{
	(void)state;
	machine(false);
	assert_int_equal(devs.n, 0);
	fake_entropy = false;
	free_devs();
	vm->hw.rng = true;
	log_reset();
	assert_true(virtio_ops.attach(vm, &devs));
	assert_int_equal(devs.n, 0);
	assert_true(log_contains("no virtio-rng"));
}

/* 2.2, 6: the transport's bits on top of the kind's; the driver's word selects. */
static void test_device_features(void **state)
{
	(void)state;
	wr(d, C_DFSELECT, 4, 0);
	assert_int_equal(rd(d, C_DF, 4), VIRTIO_F_INDIRECT_DESC | VIRTIO_F_EVENT_IDX);
	wr(d, C_DFSELECT, 4, 1);
	assert_int_equal(rd(d, C_DFSELECT, 4), 1);
	assert_int_equal(rd(d, C_DF, 4), 1); /* VERSION_1 */
	wr(d, C_DFSELECT, 4, 2);
	assert_int_equal(rd(d, C_DF, 4), 0);
	wr(d, C_DF, 4, 0xffffffff); /* read-only */
	assert_int_equal(rd(d, C_DF, 4), 0);
}

/* 3.1.1: FEATURES_OK sticks only for offered bits with VERSION_1; features are fixed after. */
static void test_feature_negotiation(void **state)
{
	(void)state;
	assert_false(negotiate(d, VIRTIO_F_VERSION_1 | BIT(0)) & VIRTIO_S_FEATURES_OK);
	wr(d, C_STATUS, 1, 0);
	assert_false(negotiate(d, VIRTIO_F_EVENT_IDX) & VIRTIO_S_FEATURES_OK);
	wr(d, C_STATUS, 1, 0);
	assert_true(negotiate(d, VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX) & VIRTIO_S_FEATURES_OK);
	assert_int_equal(d->driver_features, VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX);
	wr(d, C_GFSELECT, 4, 0);
	wr(d, C_GF, 4, 0); /* too late */
	assert_int_equal(rd(d, C_GF, 4), VIRTIO_F_EVENT_IDX);
	wr(d, C_GFSELECT, 4, 1);
	assert_int_equal(rd(d, C_GF, 4), 1);
}

/* 2.1: bits are only added; NEEDS_RESET is the device's; DRIVER_OK needs FEATURES_OK; 0
 * resets everything the driver set. */
static void test_status_rules(void **state)
{
	(void)state;
	wr(d, C_STATUS, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_NEEDS_RESET);
	assert_int_equal(rd(d, C_STATUS, 1), VIRTIO_S_ACKNOWLEDGE);
	wr(d, C_STATUS, 1, VIRTIO_S_DRIVER);
	assert_int_equal(rd(d, C_STATUS, 1), VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	wr(d, C_STATUS, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_DRIVER_OK);
	assert_false(rd(d, C_STATUS, 1) & VIRTIO_S_DRIVER_OK);
	negotiate(d, VIRTIO_F_VERSION_1);
	wr(d, C_MSIX, 2, 1);
	wr(d, C_QSIZE, 2, 16);
	driver_ok(d);
	assert_int_equal(rd(d, C_STATUS, 1), 0x0f);
	wr(d, C_STATUS, 1, VIRTIO_S_FAILED);
	assert_int_equal(rd(d, C_STATUS, 1), 0x8f);
	wr(d, C_STATUS, 1, 0);
	assert_int_equal(rd(d, C_STATUS, 1), 0);
	assert_int_equal(d->driver_features, 0);
	assert_int_equal(rd(d, C_MSIX, 2), VIRTIO_NO_VECTOR);
	assert_int_equal(rd(d, C_QSIZE, 2), 64);
}

/* 4.1.4.3: queue size a power of two up to the maximum; vectors past the table read back
 * NO_VECTOR; an absent queue reads 0; addresses by halves or whole. */
static void test_queue_registers(void **state)
{
	(void)state;
	wr(d, C_QSIZE, 2, 48);
	assert_int_equal(rd(d, C_QSIZE, 2), 64);
	wr(d, C_QSIZE, 2, 128);
	assert_int_equal(rd(d, C_QSIZE, 2), 64);
	wr(d, C_QSIZE, 2, 0);
	assert_int_equal(rd(d, C_QSIZE, 2), 64);
	wr(d, C_QSIZE, 2, 8);
	assert_int_equal(rd(d, C_QSIZE, 2), 8);
	wr(d, C_QMSIX, 2, 1);
	assert_int_equal(rd(d, C_QMSIX, 2), 1);
	wr(d, C_QMSIX, 2, 2);
	assert_int_equal(rd(d, C_QMSIX, 2), VIRTIO_NO_VECTOR);
	wr(d, C_MSIX, 2, 7);
	assert_int_equal(rd(d, C_MSIX, 2), VIRTIO_NO_VECTOR);
	assert_int_equal(rd(d, C_QNOTIFY, 2), 0);
	wr(d, C_QDESC, 4, 0x12345000);
	wr(d, C_QDESC + 4, 4, 0x1);
	assert_int_equal(rd(d, C_QDESC, 8), 0x112345000ull);
	assert_int_equal(rd(d, C_QDESC + 4, 4), 1);
	wr(d, C_QDEVICE, 8, 0xabcd000);
	assert_int_equal(rd(d, C_QDEVICE, 4), 0xabcd000);
	wr(d, C_QSEL, 2, 1);
	assert_int_equal(rd(d, C_QSEL, 2), 1);
	assert_int_equal(rd(d, C_QSIZE, 2), 0);
	wr(d, C_QSIZE, 2, 4);
	assert_int_equal(rd(d, C_QSIZE, 2), 0);
}

/* 4.1.3.1: other widths read 0 and write nothing. */
static void test_access_widths(void **state)
{
	(void)state;
	assert_int_equal(rd(d, C_NUMQ, 1), 0);
	assert_int_equal(rd(d, C_DFSELECT, 2), 0);
	assert_int_equal(rd(d, C_STATUS, 2), 0);
	assert_int_equal(rd(d, C_QSIZE + 1, 1), 0);
	assert_int_equal(rd(d, 0x38, 4), 0);
	wr(d, C_STATUS, 4, VIRTIO_S_ACKNOWLEDGE);
	wr(d, C_QSIZE, 4, 8);
	wr(d, C_QDESC + 2, 4, 0x1000);
	assert_int_equal(rd(d, C_STATUS, 1), 0);
	assert_int_equal(rd(d, C_QSIZE, 2), 64);
	assert_int_equal(rd(d, C_QDESC, 8), 0);
	/* The same through BAR 4, and its pages. */
	assert_int_equal(bar_rd(VIRTIO_COMMON + C_NUMQ, 2), 1);
	assert_int_equal(bar_rd(VIRTIO_NOTIFY, 2), 0);
	assert_int_equal(bar_rd(VIRTIO_DEVICE, 4), 0); /* virtio-rng has no configuration */
	assert_int_equal(d->pci.ops->bar_read(&d->pci, 1, 0, 4), 0);
}

/* 4.1.4.3.2: enabling checks the rings: aligned and inside RAM, or the device needs a reset. */
static void test_queue_enable_checks(void **state)
{
	static const struct {
		u64 desc, avail, used;
		const char *why;
	} bad[] = {
		{DESC + 8, AVAIL, USED, "rings misaligned"},
		{DESC, AVAIL + 1, USED, "rings misaligned"},
		{DESC, AVAIL, USED + 2, "rings misaligned"},
		{RAM - 0x100, AVAIL, USED, "rings outside RAM"},
		{DESC, RAM - 8, USED, "rings outside RAM"},
		{DESC, AVAIL, RAM - 0x100, "rings outside RAM"},
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		wr(d, C_STATUS, 1, 0);
		log_reset();
		negotiate(d, VIRTIO_F_VERSION_1);
		queue_at(d, 0, 64, bad[i].desc, bad[i].avail, bad[i].used);
		assert_int_equal(rd(d, C_QENABLE, 2), 0);
		assert_true(rd(d, C_STATUS, 1) & VIRTIO_S_NEEDS_RESET);
		assert_true(log_contains("vm r: virtio-rng 0: queue 0: "));
		assert_true(log_contains(bad[i].why));
	}
	wr(d, C_STATUS, 1, 0);
	negotiate(d, VIRTIO_F_VERSION_1);
	queue_at(d, 0, 64, DESC, AVAIL, USED);
	assert_int_equal(rd(d, C_QENABLE, 2), 1);
	wr(d, C_QSIZE, 2, 16); /* fixed once enabled */
	wr(d, C_QDESC, 8, 0);
	assert_int_equal(rd(d, C_QSIZE, 2), 64);
	assert_int_equal(rd(d, C_QDESC, 8), DESC);
}

/* 4.1.4.5, 4.1.5.3: a configuration change under INTx sets ISR bit 1 and raises the line; the
 * read returns and clears it and lowers the line. Under MSI-X, the configuration vector. */
static void test_isr_and_config_interrupt(void **state)
{
	(void)state;
	negotiate(d, VIRTIO_F_VERSION_1);
	virtio_config_changed(d); /* before DRIVER_OK: nothing */
	assert_false(d->pci.intx);
	assert_int_equal(rd(d, C_GEN, 1), 1);
	driver_ok(d);
	virtio_config_changed(d);
	assert_int_equal(rd(d, C_GEN, 1), 2);
	assert_true(d->pci.intx);
	assert_int_equal(bar_rd(VIRTIO_ISR, 1), 2);
	assert_false(d->pci.intx);
	assert_int_equal(bar_rd(VIRTIO_ISR, 1), 0);
	fake_msix_on = true;
	wr(d, C_MSIX, 2, 1);
	virtio_config_changed(d);
	assert_int_equal(fake_nmsix, 1);
	assert_int_equal(fake_msix_sent[0], 1);
	assert_false(d->pci.intx);
}

/* 2.1.2: a guest's lie marks DEVICE_NEEDS_RESET, interrupts, logs once; a reset recovers. */
static void test_fail_and_recover(void **state)
{
	(void)state;
	negotiate(d, VIRTIO_F_VERSION_1);
	queue_at(d, 0, 64, DESC, AVAIL, USED);
	driver_ok(d);
	assert_true(virtio_queue_ready(d, 0));
	virtio_fail(d, "queue %u: %s", 0, "made up");
	virtio_fail(d, "twice");
	assert_int_equal(log_count(), 1);
	assert_string_equal(strstr(log_line(0), "vm r:"), "vm r: virtio-rng 0: queue 0: made up");
	assert_true(rd(d, C_STATUS, 1) & VIRTIO_S_NEEDS_RESET);
	assert_false(virtio_queue_ready(d, 0));
	assert_true(d->pci.intx);
	wr(d, C_STATUS, 1, 0);
	assert_false(d->pci.intx);
	assert_false(d->broken);
	negotiate(d, VIRTIO_F_VERSION_1);
	queue_at(d, 0, 64, DESC, AVAIL, USED);
	driver_ok(d);
	assert_true(virtio_queue_ready(d, 0));
	virtio_ops.reset(vm, &devs); /* a VM reset too */
	assert_int_equal(rd(d, C_STATUS, 1), 0);
}

/* 4.1.4.9: the PCI_CFG capability's window reaches BAR 4 through configuration space. */
static void test_pci_cfg_window(void **state)
{
	(void)state;
	struct pci_func *f = &d->pci;
	u32 cap = find_cap(5);
	f->ops->cfg_write(f, cap + 4, 1, VIRTIO_BAR);
	f->ops->cfg_write(f, cap + 8, 4, VIRTIO_COMMON + C_NUMQ);
	f->ops->cfg_write(f, cap + 12, 4, 2);
	assert_int_equal(f->ops->cfg_read(f, cap + 16, 4) & 0xffff, 1);
	f->ops->cfg_write(f, cap + 8, 4, VIRTIO_COMMON + C_STATUS);
	f->ops->cfg_write(f, cap + 12, 4, 1);
	f->ops->cfg_write(f, cap + 16, 1, VIRTIO_S_ACKNOWLEDGE);
	assert_int_equal(rd(d, C_STATUS, 1), VIRTIO_S_ACKNOWLEDGE);
	f->ops->cfg_write(f, cap + 12, 4, 3); /* a length of 3: closed */
	f->ops->cfg_write(f, cap + 16, 1, 0);
	assert_int_equal(rd(d, C_STATUS, 1), VIRTIO_S_ACKNOWLEDGE);
	f->ops->cfg_write(f, cap + 2, 1, 0x77); /* cap_len and the rest stay */
	assert_int_equal(f->cfg[cap + 2], 20);
	assert_int_equal(f->ops->cfg_read(f, cap + 2, 1), 20);
}

/* A driver's start: queue 0 at the test rings, DRIVER_OK. */
static void rng_up(u64 features)
{
	fake_msix_on = true;
	assert_true(negotiate(d, features) & VIRTIO_S_FEATURES_OK);
	queue_at(d, 0, 64, DESC, AVAIL, USED);
	driver_ok(d);
}

/* 5.4.6: each writable buffer filled from the host's source, given back, one interrupt. */
static void test_rng_serves(void **state)
{
	(void)state;
	rng_up(VIRTIO_F_VERSION_1);
	desc(DESC, 0, BUF, 32, D_WRITE, 0);
	desc(DESC, 1, BUF + 0x100, 5, D_WRITE, 0);
	offer(64, 0);
	offer(64, 1);
	bar_wr(VIRTIO_NOTIFY, 2, 0);
	assert_int_equal(used_idx(), 2);
	assert_int_equal(used_id(64, 0), 0);
	assert_int_equal(used_len(64, 0), 32);
	assert_int_equal(used_len(64, 1), 5);
	for (u8 i = 0; i < 32; i++)
		assert_int_equal(((u8 *)fake_gpa(BUF))[i], i);
	assert_int_equal(fake_nmsix, 1);
	assert_int_equal(fake_msix_sent[0], 0);
	/* The source runs dry: what was filled, here nothing. */
	fake_entropy_left = 0;
	offer(64, 0);
	bar_wr(VIRTIO_NOTIFY, 2, 0);
	assert_int_equal(used_idx(), 3);
	assert_int_equal(used_len(64, 2), 0);
}

/* A huge buffer gets RNG_REQ_MAX bytes; a readable one nothing; notify before DRIVER_OK or on
 * an absent queue does nothing. */
static void test_rng_limits(void **state)
{
	(void)state;
	bar_wr(VIRTIO_NOTIFY, 2, 0);
	rng_up(VIRTIO_F_VERSION_1);
	bar_wr(VIRTIO_NOTIFY + 4, 2, 1);
	desc(DESC, 0, BUF, 0x10000, D_WRITE, 0);
	desc(DESC, 1, BUF, 16, 0, 0);
	offer(64, 0);
	offer(64, 1);
	bar_wr(VIRTIO_NOTIFY, 2, 0);
	assert_int_equal(used_len(64, 0), 4096);
	assert_int_equal(used_len(64, 1), 0);
	assert_false(d->broken);
}

/* The record holds the registers and indices; it loads into a fresh VM with the same devices,
 * which saves the same bytes and carries on from where the first stood. */
static void test_record_round_trip(void **state)
{
	static u8 rec[VREC_MAX], again[VREC_MAX];
	(void)state;
	rng_up(VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX);
	desc(DESC, 0, BUF, 8, D_WRITE, 0);
	offer(64, 0);
	bar_wr(VIRTIO_NOTIFY, 2, 0);
	u64 len = virtio_ops.save(&devs, fake_now, rec, sizeof(rec));
	assert_true(len > 16);
	assert_int_equal(virtio_ops.save(&devs, fake_now, rec, len - 1), 0);
	struct virtio_dev before = *d;
	static u8 mem[BUF + 0x100]; /* the rings and the buffer go with the VM's memory */
	memcpy(mem, fake_gpa(0), sizeof(mem));
	machine(true);
	memcpy(fake_gpa(0), mem, sizeof(mem));
	d = devs.d[0];
	assert_null(virtio_ops.load(vm, &devs, fake_now, rec, len));
	assert_int_equal(virtio_ops.save(&devs, fake_now, again, sizeof(again)), len);
	assert_memory_equal(rec, again, len);
	assert_int_equal(d->status, before.status);
	assert_int_equal(d->vq[0].last_avail, 1);
	assert_int_equal(d->vq[0].desc, DESC);
	offer(64, 0);
	bar_wr(VIRTIO_NOTIFY, 2, 0);
	assert_int_equal(used_idx(), 2);
}

/* Damaged records are refused and change nothing. */
static void test_record_refusals(void **state)
{
	static u8 rec[VREC_MAX];
	(void)state;
	rng_up(VIRTIO_F_VERSION_1);
	u64 len = virtio_ops.save(&devs, fake_now, rec, sizeof(rec));
	/* payload: head (8), device: status at 0x1c, queue size at 0x60 + 0x18 */
	u64 status = 16 + 8 + 0x1c, qsize = 16 + 8 + 0x60 + 0x18, vec = 16 + 8 + 0x1a;
	fake_refusals(virtio_ops.load, &devs, sizeof(devs), rec, len, status, 0x40);
	fake_refusals(virtio_ops.load, &devs, sizeof(devs), rec, len, status, 0x1f);
	fake_refusals(virtio_ops.load, &devs, sizeof(devs), rec, len, qsize, 48);
	fake_refusals(virtio_ops.load, &devs, sizeof(devs), rec, len, vec, 5);
	assert_int_equal(d->status, 0x0f);
	assert_int_equal(d->vq[0].size, 64);
	machine(false); /* a VM without the device */
	assert_non_null(virtio_ops.load(vm, &devs, fake_now, rec, len));
}

/* A kind's own state (the console's) follows its queues in the record; a lie there refuses
 * the whole record, and a VM without that kind's device refuses it too. */
static void test_record_kind_part(void **state)
{
	static u8 rec[VREC_MAX];
	(void)state;
	vm = machine_with(true, true);
	assert_int_equal(devs.n, 2); /* hvc0, then the rng */
	u64 len = virtio_ops.save(&devs, fake_now, rec, sizeof(rec));
	u64 cons = 16 + 8 + 0x60 + 2 * 0x28; /* the console's part, after its two queues */
	assert_int_equal(len, cons + vcons_kind.rec_size + 0x60 + 0x28);
	assert_null(virtio_ops.load(vm, &devs, fake_now, rec, len));
	rec[cons + 7] = 0x05; /* rx_len 0x500 */
	assert_string_equal(virtio_ops.load(vm, &devs, fake_now, rec, len),
			    "virtio-console input out of range");
	rec[cons + 7] = 0;
	machine(true);
	assert_non_null(virtio_ops.load(vm, &devs, fake_now, rec, len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pci_function, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_rng, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feature_negotiation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_widths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_enable_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_isr_and_config_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_and_recover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pci_cfg_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_serves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rng_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_kind_part, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
