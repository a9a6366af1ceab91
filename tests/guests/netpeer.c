/* A peer on keel's switch (issue 17's uplink test): drives the first virtio-net function on
 * bus 0 (virtio 1.2 4.1 and 5.1, its own small split-queue driver), broadcasts a ping (a frame
 * of ethertype 0x88b5, local experimental) every 200 ms until some other MAC answers it with a
 * pong, and answers every ping it hears from another MAC with a pong to that MAC. Once it has
 * heard a ping and had its own answered it keeps answering for linger=S seconds (default 5),
 * so a peer that started later can finish too; wait=S (default 120) bounds the whole run.
 * "PASS: heard a ping from MAC" and "PASS: ping answered by MAC" are what the test reads. */
#include "rt/vio.h"

#define QSZ   16
#define BUFSZ 2048
#define HDR   12 /* 5.1.6: virtio_net_hdr with num_buffers */

/* One split virtqueue (2.7), each part on its own page. */
struct vq {
	struct desc desc[QSZ] __attribute__((aligned(4096)));
	volatile VIO_AVAIL(QSZ) avail __attribute__((aligned(4096)));
	volatile VIO_USED(QSZ) used __attribute__((aligned(4096)));
	u8 buf[QSZ][BUFSZ] __attribute__((aligned(4096)));
	u16 avail_idx, seen, size, index;
	uintptr_t notify;
};

static struct vq rxq, txq;
static uintptr_t common, device_cfg, notify_base;
static u32 notify_mult;
static u8 mac[6];
static u64 khz;

/* The vendor capabilities (4.1.4): COMMON, NOTIFY and DEVICE. */
static bool find_caps(u8 slot)
{
	struct vio_caps c;
	if (!vio_find(slot, &c) || !c.device)
		return false;
	common = c.common;
	notify_base = c.notify;
	notify_mult = c.notify_mult;
	device_cfg = c.device;
	return true;
}

static void queue(struct vq *q, u16 index)
{
	w16(common + VIO_Q_SELECT, index);
	u16 max = r16(common + VIO_Q_SIZE);
	q->size = max < QSZ ? max : QSZ;
	q->index = index;
	w16(common + VIO_Q_SIZE, q->size);
	w64(common + VIO_Q_DESC, (uintptr_t)q->desc);
	w64(common + VIO_Q_DRIVER, (uintptr_t)&q->avail);
	w64(common + VIO_Q_DEVICE, (uintptr_t)&q->used);
	q->notify = notify_base + (uintptr_t)r16(common + VIO_Q_NOTIFY_OFF) * notify_mult;
	w16(common + VIO_Q_ENABLE, 1);
}

/* 3.1.1: reset, VERSION_1 and MAC, both queues, DRIVER_OK. */
static bool setup(void)
{
	w8(common + VIO_STATUS, 0);
	w8(common + VIO_STATUS, 1);
	w8(common + VIO_STATUS, 3);
	w32(common + VIO_GFSELECT, 0);
	w32(common + VIO_GF, 1u << 5); /* VIRTIO_NET_F_MAC */
	w32(common + VIO_GFSELECT, 1);
	w32(common + VIO_GF, 1); /* VIRTIO_F_VERSION_1 */
	w8(common + VIO_STATUS, 3 | 8);
	if (!(r8(common + VIO_STATUS) & 8))
		return false;
	queue(&rxq, 0);
	queue(&txq, 1);
	w8(common + VIO_STATUS, 3 | 8 | 4);
	for (int i = 0; i < 6; i++)
		mac[i] = r8(device_cfg + (uintptr_t)i);
	return true;
}

static void offer(struct vq *q, u16 i)
{
	q->avail.ring[q->avail_idx % q->size] = i;
	__asm__ volatile("mfence" ::: "memory");
	q->avail.idx = ++q->avail_idx;
	__asm__ volatile("mfence" ::: "memory");
	w16(q->notify, q->index);
}

/* Send a frame of kind ('P' ping, 'A' answer) to dst. */
static void send(const u8 *dst, u8 kind, u32 seq)
{
	u16 i = txq.avail_idx % txq.size;
	u8 *b = txq.buf[i];
	memset(b, 0, HDR + 60);
	memcpy(b + HDR, dst, 6);
	memcpy(b + HDR + 6, mac, 6);
	b[HDR + 12] = 0x88;
	b[HDR + 13] = 0xb5;
	b[HDR + 14] = 'K';
	b[HDR + 15] = kind;
	memcpy(b + HDR + 16, &seq, 4);
	txq.desc[i] = (struct desc){(uintptr_t)b, HDR + 60, 0, 0};
	offer(&txq, i);
}

static const char *mac_str(const u8 *m)
{
	static char s[18];
	snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return s;
}

static u64 now_ms(void)
{
	return div64(rdtsc(), (u32)khz);
}

static bool heard, answered;

/* One received frame: answer a ping from another MAC, note an answer addressed to us. */
static void got(const u8 *f, u32 len)
{
	if (len < 20 || f[12] != 0x88 || f[13] != 0xb5 || f[14] != 'K' || !memcmp(f + 6, mac, 6))
		return;
	if (f[15] == 'P') {
		send(f + 6, 'A', 0);
		if (!heard)
			check(true, "heard a ping from %s", mac_str(f + 6));
		heard = true;
	} else if (f[15] == 'A' && !memcmp(f, mac, 6) && !answered) {
		check(true, "ping answered by %s", mac_str(f + 6));
		answered = true;
	}
}

static void poll_rx(void)
{
	while (rxq.used.idx != rxq.seen) {
		u16 slot = rxq.seen++ % rxq.size;
		u32 id = rxq.used.ring[slot].id, len = rxq.used.ring[slot].len;
		if (id < rxq.size && len > HDR)
			got(rxq.buf[id] + HDR, len - HDR);
		offer(&rxq, (u16)id);
	}
}

int guest_main(void)
{
	u32 r[4];
	cpuid(0x40000010, 0, r); /* keel's leaf: EAX the TSC's kHz */
	khz = r[0] ? r[0] : 1000000;
	u8 slot = 1;
	while (slot < 32 && pci_cfg32(slot, 0) != VIO_PCI_ID(1))
		slot++;
	if (!check(slot < 32 && find_caps(slot) && setup(), "virtio-net found and set up"))
		return check_done();
	printf("netpeer: MAC %s\n", mac_str(mac));
	for (u16 i = 0; i < rxq.size; i++) {
		rxq.desc[i] =
			(struct desc){(uintptr_t)rxq.buf[i], BUFSZ, 2, 0}; /* device-writable */
		offer(&rxq, i);
	}
	static const u8 bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	u64 start = now_ms(), end = start + cmdline_num("wait", 120) * 1000, next = 0, done = 0;
	u32 seq = 0;
	while (now_ms() < end && !(done && now_ms() > done + cmdline_num("linger", 5) * 1000)) {
		if (!answered && now_ms() >= next) {
			send(bcast, 'P', seq++);
			next = now_ms() + 200;
		}
		poll_rx();
		if (heard && answered && !done)
			done = now_ms();
		__asm__ volatile("pause");
	}
	check(heard, "a ping heard");
	check(answered, "a ping answered");
	return check_done();
}
