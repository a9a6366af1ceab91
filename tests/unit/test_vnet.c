/* virtio-net (vdev/vnet.c) over the real transport and switch: a VM with two NICs on one
 * switch, each driven as Linux drives it (receive buffers on queue 0, frames on queue 1). Its
 * configuration (MAC, link up, MTU) and features; a frame sent by one NIC reaches the other's
 * receive buffer with its 12-byte header, through the receive timer; frames wait in the port's
 * queue for receive buffers; a checksum left to the device is passed on to a receiver that
 * takes partial checksums and filled in for one that does not; a chain without room for its
 * header breaks the device, an oversize frame is dropped and the device carries on; a buffer
 * too small for the frame gets nothing; a reset empties the port's queue. With merged receive
 * buffers a frame fills as many as it needs, waits until there are enough, and a buffer too
 * small for a header breaks the device. Interrupts are moderated: sent chains go back within
 * VNET_TX_HOLD_US or once VNET_TX_HOLD_MAX wait, also after a record is loaded; frames reach a
 * running VM within VNET_RX_HOLD_US, a halted one at once. */
#include "tests/unit/virtio_drv.h"
#include "mm/mm.h"
#include "vdev/virtio_kinds.h"
#include "vm/vswitch.h"

#define QSIZE		 16
#define NET_F_CSUM	 BIT(0)
#define NET_F_GUEST_CSUM BIT(1)
#define NET_F_MTU	 BIT(3)
#define NET_F_MAC	 BIT(5)
#define NET_F_MRG_RXBUF	 BIT(15)
#define NET_F_STATUS	 BIT(16)
#define HDR		 12

static struct vm *vm;
static struct virtio_devs devs;
static struct virtio_dev *nic[2];

/* Where NIC k's queue q lives in the fake RAM: its rings, then QSIZE 2 KiB buffers. */
static u64 qbase(int k, u16 q)
{
	return 0x20000ull * (1 + 2 * (u64)k + q);
}

static u64 buf_of(int k, u16 q, u16 i)
{
	return qbase(k, q) + 0x4000 + 2048ull * i;
}

/* The driver's own count of what it made available, per NIC and queue. */
static u16 made[2][2];

static void free_devs(void)
{
	for (u32 i = 0; i < devs.n; i++)
		kfree(devs.d[i]);
	kfree(devs.rec);
	memset(&devs, 0, sizeof(devs));
}

/* A VM with two NICs on a switch of its own (switches outlive VMs: each test takes a new one),
 * its devices attached and reset, and running. */
static void machine(void)
{
	static int n;
	free_devs();
	vm = fake_vm(1, RAM);
	strcpy(vm->name, "n");
	fake_ram(vm, RAM);
	vm->hw.nnics = 2;
	for (int k = 0; k < 2; k++) {
		const u8 mac[6] = {2, 0, 0, 0, 0, (u8)(k + 1)};
		vm->hw.nic[k].sw[0] = 's', vm->hw.nic[k].sw[1] = (char)('a' + n);
		memcpy(vm->hw.nic[k].mac, mac, 6);
	}
	n++;
	fake_msix_on = true;
	fake_nmsix = 0;
	log_reset();
	assert_true(virtio_ops.attach(vm, &devs));
	virtio_ops.reset(vm, &devs);
	assert_int_equal(devs.n, 2);
	nic[0] = devs.d[0], nic[1] = devs.d[1];
	vm->state = VM_RUNNING;
	memset(made, 0, sizeof(made));
}

/* NIC k set up as a driver does, with these features on top of VERSION_1. */
static void bring_up(int k, u64 features)
{
	struct virtio_dev *d = nic[k];
	assert_true(negotiate(d, VIRTIO_F_VERSION_1 | features) & VIRTIO_S_FEATURES_OK);
	for (u16 q = 0; q < 2; q++)
		queue_at(d, q, QSIZE, qbase(k, q), qbase(k, q) + 0x1000, qbase(k, q) + 0x2000);
	driver_ok(d);
}

static void notify(int k, u16 q)
{
	struct virtio_dev *d = nic[k];
	d->pci.ops->bar_write(&d->pci, VIRTIO_BAR, VIRTIO_NOTIFY + 4u * q, 2, q);
}

/* Make descriptor head available on NIC k's queue q. */
static void avail(int k, u16 q, u16 head)
{
	u64 ring = qbase(k, q) + 0x1000;
	*(u16 *)fake_gpa(ring + 4 + 2ull * (made[k][q] % QSIZE)) = head;
	*(u16 *)fake_gpa(ring + 2) = ++made[k][q];
}

/* Give NIC k n receive buffers of len bytes and tell it. */
static void rx_buffers(int k, u16 n, u32 len)
{
	for (u16 i = 0; i < n; i++) {
		u16 slot = made[k][0] % QSIZE;
		desc(qbase(k, 0), slot, buf_of(k, 0, slot), len, D_WRITE, 0);
		avail(k, 0, slot);
	}
	notify(k, 0);
}

/* Send a frame of len bytes from NIC k with this header: the header in one descriptor and
 * the frame in another, as Linux's virtio_net does without VIRTIO_F_ANY_LAYOUT. */
static void send(int k, const u8 *hdr, u32 hdr_len, const u8 *frame, u32 len)
{
	u16 slot = (u16)(made[k][1] * 2 % QSIZE);
	memcpy(fake_gpa(buf_of(k, 1, slot)), hdr, hdr_len);
	memcpy(fake_gpa(buf_of(k, 1, slot + 1)), frame, len);
	desc(qbase(k, 1), slot, buf_of(k, 1, slot), hdr_len, len ? D_NEXT : 0, (u16)(slot + 1));
	desc(qbase(k, 1), (u16)(slot + 1), buf_of(k, 1, slot + 1), len, 0, 0);
	avail(k, 1, slot);
	notify(k, 1);
}

static u8 frame[VSW_FRAME_MAX + 4];

/* A broadcast frame from NIC k's address, byte i of it i & 0xff after the addresses. */
static const u8 *make_frame(int k)
{
	for (u32 i = 0; i < sizeof(frame); i++)
		frame[i] = (u8)i;
	memset(frame, 0xff, 6);
	const u8 src[6] = {2, 0, 0, 0, 0, (u8)(k + 1)};
	memcpy(frame + 6, src, 6);
	return frame;
}

static void send_plain(int k, u32 len)
{
	static const u8 hdr[HDR];
	send(k, hdr, HDR, make_frame(k), len);
}

/* NIC k's used ring on queue q: its index, and entry i's length. */
static u16 used_count(int k, u16 q)
{
	return *(u16 *)fake_gpa(qbase(k, q) + 0x2000 + 2);
}

static u32 used_length(int k, u16 q, u16 i)
{
	return *(u32 *)fake_gpa(qbase(k, q) + 0x2000 + 8 + 8ull * (i % QSIZE));
}

static u32 used_head(int k, u16 q, u16 i)
{
	return *(u32 *)fake_gpa(qbase(k, q) + 0x2000 + 4 + 8ull * (i % QSIZE));
}

/* The receive buffer NIC k's driver got as used entry i. */
static const u8 *received(int k, u16 i)
{
	return fake_gpa(buf_of(k, 0, (u16)used_head(k, 0, i)));
}

/* Let the device's timers run: every hold has ended. */
static void settle(void)
{
	fake_advance(fake_us(VNET_TX_HOLD_US) + 1);
}

static int setup(void **state)
{
	(void)state;
	machine();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free_devs();
	return 0;
}

/* 5.1.3-5.1.5: the network device's ID and class, its features, its configuration. */
static void test_config(void **state)
{
	(void)state;
	const u64 want = NET_F_CSUM | NET_F_GUEST_CSUM | NET_F_MTU | NET_F_MAC | NET_F_STATUS;
	assert_int_equal(nic[0]->pci.cfg[2] | nic[0]->pci.cfg[3] << 8, 0x1041);
	assert_int_equal(nic[0]->pci.cfg[0x0b], 0x02); /* network controller */
	assert_int_equal(nic[0]->features & want, want);
	assert_int_equal(rd(nic[0], C_NUMQ, 2), 2);
	static const u8 cfg1[12] = {2, 0, 0, 0, 0, 2, 1, 0, 1, 0, 0xdc, 0x05};
	assert_memory_equal(nic[1]->config, cfg1, sizeof(cfg1)); /* MAC, LINK_UP, 1 pair, 1500 */
	assert_true(log_contains("vm n: virtio-net 1: 02:00:00:00:00:02 on switch sa"));
}

/* A broadcast from NIC 0 reaches NIC 1's receive buffer, header first (num_buffers 1), and
 * NIC 1's driver is interrupted; NIC 0's chain comes back used. Nothing comes back to 0. */
static void test_frame_crosses(void **state)
{
	(void)state;
	bring_up(0, 0);
	bring_up(1, 0);
	rx_buffers(0, 4, 1526);
	rx_buffers(1, 4, 1526);
	int irqs = fake_nmsix;
	send_plain(0, 60);
	settle();
	assert_int_equal(used_count(0, 1), 1);
	assert_int_equal(used_length(0, 1, 0), 0);
	assert_int_equal(used_count(1, 0), 1);
	assert_int_equal(used_length(1, 0, 0), HDR + 60);
	const u8 *b = received(1, 0);
	static const u8 hdr[HDR] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
	assert_memory_equal(b, hdr, HDR);
	assert_memory_equal(b + HDR, frame, 60);
	assert_true(fake_nmsix > irqs);
	assert_int_equal(used_count(0, 0), 0);
	/* and back, to the address the switch learned: unicast from 1 to 0 */
	static const u8 h[HDR];
	make_frame(1);
	const u8 to0[6] = {2, 0, 0, 0, 0, 1};
	memcpy(frame, to0, 6);
	send(1, h, HDR, frame, 100);
	settle();
	assert_int_equal(used_count(0, 0), 1);
	assert_int_equal(used_length(0, 0, 0), HDR + 100);
}

/* With no receive buffers the frames wait in the port's queue; buffers made available later
 * take them, in order. */
static void test_frames_wait_for_buffers(void **state)
{
	(void)state;
	bring_up(0, 0);
	bring_up(1, 0);
	notify(1, 0); /* the port joins its switch at the first notify */
	send_plain(0, 60);
	send_plain(0, 61);
	settle();
	assert_int_equal(used_count(1, 0), 0);
	rx_buffers(1, 1, 1526);
	assert_int_equal(used_count(1, 0), 1);
	assert_int_equal(used_length(1, 0, 0), HDR + 60);
	rx_buffers(1, 2, 1526);
	assert_int_equal(used_count(1, 0), 2);
	assert_int_equal(used_length(1, 0, 1), HDR + 61);
}

/* A TCP-like segment whose checksum the sender left to the device (NEEDS_CSUM at 34 + 16,
 * the pseudo-header's sum already there): passed on as it is with the flag to a receiver that
 * negotiated GUEST_CSUM; filled in, flag clear, for one that did not. */
static void check_csum(bool guest_csum)
{
	bring_up(0, NET_F_CSUM);
	bring_up(1, guest_csum ? NET_F_GUEST_CSUM : 0);
	rx_buffers(1, 1, 1526);
	make_frame(0);
	frame[50] = 0x12, frame[51] = 0x34;
	const u8 hdr[HDR] = {1, 0, 0, 0, 0, 0, 34, 0, 16, 0, 0, 0};
	send(0, hdr, HDR, frame, 80);
	settle();
	assert_int_equal(used_length(1, 0, 0), HDR + 80);
	const u8 *b = received(1, 0);
	if (guest_csum) {
		assert_memory_equal(b, hdr, 10);
		assert_memory_equal(b + HDR, frame, 80);
		return;
	}
	assert_int_equal(b[0], 0);
	u32 sum = 0;
	for (u32 i = 34; i < 80; i += 2)
		sum += (u32)b[HDR + i] << 8 | b[HDR + i + 1];
	sum += 0x1234; /* the receiver adds the pseudo-header's sum, which the seed stood for */
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(sum, 0xffff);
	assert_memory_equal(b + HDR, frame, 50);
	assert_memory_equal(b + HDR + 52, frame + 52, 28);
}

static void test_csum_passed_on(void **state)
{
	(void)state;
	check_csum(true);
}

static void test_csum_filled(void **state)
{
	(void)state;
	check_csum(false);
}

/* An oversize frame, a runt and a checksum request without F_CSUM are dropped; the device
 * carries on and the next good frame goes through. */
static void test_bad_frames_dropped(void **state)
{
	(void)state;
	bring_up(0, 0);
	bring_up(1, 0);
	rx_buffers(1, 4, 1526);
	send_plain(0, VSW_FRAME_MAX + 1);
	send_plain(0, 10);
	const u8 csum[HDR] = {1, 0, 0, 0, 0, 0, 14, 0, 0, 0, 0, 0};
	send(0, csum, HDR, make_frame(0), 60);
	settle();
	assert_int_equal(used_count(0, 1), 3);
	assert_int_equal(used_count(1, 0), 0);
	assert_false(nic[0]->broken);
	send_plain(0, VSW_FRAME_MAX);
	settle();
	assert_int_equal(used_count(1, 0), 1);
	assert_int_equal(used_length(1, 0, 0), HDR + VSW_FRAME_MAX);
}

/* 5.1.6.2: the header comes first; a chain of 8 bytes has no room for it: the device needs a
 * reset, with a log line. */
static void test_short_chain_breaks(void **state)
{
	(void)state;
	bring_up(0, 0);
	static const u8 hdr[8], none[1];
	send(0, hdr, sizeof(hdr), none, 0);
	assert_true(nic[0]->broken);
	assert_true(rd(nic[0], C_STATUS, 1) & VIRTIO_S_NEEDS_RESET);
	assert_true(log_contains("virtio-net 0: a transmit chain of 8 bytes"));
}

/* A receive buffer too small for the frame gets nothing written (used length 0); the next,
 * big enough, takes the next frame. */
static void test_small_buffer(void **state)
{
	(void)state;
	bring_up(0, 0);
	bring_up(1, 0);
	rx_buffers(1, 1, HDR + 100);
	rx_buffers(1, 1, 1526);
	send_plain(0, 200);
	send_plain(0, 300);
	settle();
	assert_int_equal(used_count(1, 0), 2);
	assert_int_equal(used_length(1, 0, 0), 0);
	assert_int_equal(used_length(1, 0, 1), HDR + 300);
}

/* A driver's reset empties its port's queue: frames from before do not come after. */
static void test_reset_flushes(void **state)
{
	(void)state;
	bring_up(0, 0);
	bring_up(1, 0);
	notify(1, 0);
	send_plain(0, 60);
	wr(nic[1], C_STATUS, 1, 0);
	memset(made[1], 0, sizeof(made[1]));
	memset(fake_gpa(qbase(1, 0)), 0, 0x3000);
	bring_up(1, 0);
	rx_buffers(1, 2, 1526);
	assert_int_equal(used_count(1, 0), 0);
	send_plain(0, 70);
	settle();
	assert_int_equal(used_count(1, 0), 1);
	assert_int_equal(used_length(1, 0, 0), HDR + 70);
}

/* 5.1.6.4.2: with MRG_RXBUF a frame of 1400 bytes fills three buffers of 512, in order, and
 * the first header's num_buffers says 3. */
static void test_merged_spreads(void **state)
{
	(void)state;
	bring_up(0, 0);
	bring_up(1, NET_F_MRG_RXBUF);
	rx_buffers(1, 4, 512);
	send_plain(0, 1400);
	settle();
	assert_int_equal(used_count(1, 0), 3);
	assert_int_equal(used_length(1, 0, 0), 512);
	assert_int_equal(used_length(1, 0, 1), 512);
	assert_int_equal(used_length(1, 0, 2), HDR + 1400 - 1024);
	const u8 *b = received(1, 0);
	assert_int_equal(b[10] | b[11] << 8, 3);
	assert_memory_equal(b + HDR, frame, 512 - HDR);
	assert_memory_equal(received(1, 1), frame + 512 - HDR, 512);
	assert_memory_equal(received(1, 2), frame + 1024 - HDR, 1400 + HDR - 1024);
	send_plain(0, 100); /* the fourth buffer takes a small one whole */
	settle();
	assert_int_equal(used_count(1, 0), 4);
	assert_int_equal(received(1, 3)[10], 1);
	assert_int_equal(used_length(1, 0, 3), HDR + 100);
}

/* Two buffers cannot hold the frame: they go back and the frame waits in the port's queue,
 * nothing lost; a third buffer made available later lets it through. */
static void test_merged_waits(void **state)
{
	(void)state;
	bring_up(0, 0);
	bring_up(1, NET_F_MRG_RXBUF);
	rx_buffers(1, 2, 512);
	send_plain(0, 1400);
	settle();
	assert_int_equal(used_count(1, 0), 0);
	rx_buffers(1, 1, 512);
	assert_int_equal(used_count(1, 0), 3);
	assert_int_equal(received(1, 0)[10], 3);
	assert_memory_equal(received(1, 2), frame + 1024 - HDR, 1400 + HDR - 1024);
	assert_int_equal(nic[1]->vq[0].last_avail, 3);
}

/* 5.1.6.3.1: each merged receive buffer holds a header at least; one of 8 bytes breaks the
 * device, with a log line. */
static void test_merged_tiny_buffer_breaks(void **state)
{
	(void)state;
	bring_up(0, 0);
	bring_up(1, NET_F_MRG_RXBUF);
	rx_buffers(1, 1, 8);
	send_plain(0, 60);
	settle();
	assert_true(nic[1]->broken);
	assert_true(
		log_contains("virtio-net 1: receive buffer 0 holds 8 bytes, less than a header"));
}

/* A sent chain is written to the used ring at once, but its idx and interrupt wait
 * VNET_TX_HOLD_US after the first; VNET_TX_HOLD_MAX waiting chains go back at once. */
static void test_tx_held(void **state)
{
	(void)state;
	bring_up(0, 0);
	bring_up(1, 0);
	int irqs = fake_nmsix;
	send_plain(0, 60);
	assert_int_equal(used_count(0, 1), 0);
	assert_int_equal(nic[0]->vq[1].used_idx, 1);
	fake_advance(fake_us(VNET_TX_HOLD_US) / 2);
	send_plain(0, 60);
	fake_advance(fake_us(VNET_TX_HOLD_US) / 2 - 1);
	assert_int_equal(used_count(0, 1), 0);
	assert_int_equal(fake_nmsix, irqs);
	fake_advance(1);
	assert_int_equal(used_count(0, 1), 2);
	assert_int_equal(fake_nmsix, irqs + 1);
	for (int i = 0; i < VNET_TX_HOLD_MAX; i++)
		send_plain(0, 60);
	assert_int_equal(used_count(0, 1), 2 + VNET_TX_HOLD_MAX);
	assert_int_equal(fake_nmsix, irqs + 2);
}

/* A frame for a VM whose vCPU 0 runs waits up to VNET_RX_HOLD_US; one for a halted VM goes
 * in at once. */
static void test_rx_moderated(void **state)
{
	(void)state;
	bring_up(0, 0);
	bring_up(1, 0);
	rx_buffers(1, 4, 1526);
	send_plain(0, 60);
	fake_advance(fake_us(VNET_RX_HOLD_US) - 1);
	assert_int_equal(used_count(1, 0), 0);
	send_plain(0, 60); /* does not put the first off */
	fake_advance(1);
	assert_int_equal(used_count(1, 0), 2);
	vm->vcpu[0]->state = VCPU_HALTED;
	send_plain(0, 60);
	fake_advance(0);
	assert_int_equal(used_count(1, 0), 3);
}

/* A record taken while a chain is held has it in the used ring, not its idx: once loaded, the
 * device gives it back at the next timer. */
static void test_tx_held_over_record(void **state)
{
	(void)state;
	static u8 rec[4096];
	bring_up(0, 0);
	bring_up(1, 0);
	send_plain(0, 60);
	u64 len = virtio_ops.save(&devs, fake_now, rec, sizeof(rec));
	assert_true(len > 0);
	settle();
	*(u16 *)fake_gpa(qbase(0, 1) + 0x2000 + 2) = 0; /* the RAM as it was saved */
	nic[0]->vq[1].used_idx = 0;
	assert_null(virtio_ops.load(vm, &devs, fake_now, rec, len));
	assert_int_equal(used_count(0, 1), 0);
	fake_advance(0);
	assert_int_equal(used_count(0, 1), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frame_crosses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frames_wait_for_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csum_passed_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csum_filled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_frames_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_chain_breaks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_flushes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merged_spreads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merged_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merged_tiny_buffer_breaks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_moderated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_held_over_record, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
