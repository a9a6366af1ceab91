/* A hostile virtio driver (issue 14 items 2 and 7): for every virtio function on PCI bus 0
 * (vendor 0x1af4, found through 0xcf8/0xcfc), find its COMMON and NOTIFY structures through its
 * vendor capabilities (virtio 1.2, 4.1.4), negotiate VERSION_1, and break the split-virtqueue
 * rules (2.7) one at a time on the queue the device reads on a notify: a descriptor loop, a
 * buffer outside RAM and one wrapping past 2^64, avail idx far past the ring, a head and a
 * next index past the queue, indirect tables nested, cut short, longer than the queue, and
 * used without the feature, a huge length, a zero length, rings outside RAM. After each the
 * device must show DEVICE_NEEDS_RESET (2.1.2) where the rules were broken, and must work
 * again once reset (status 0). Last, a storm of storm=N notifies (default 100000) with
 * nothing in the ring: the device must still work without a reset. A second NIC (net=SW,SW)
 * takes the first's frames with MRG_RXBUF (5.1.6.3): a buffer smaller than the header and a
 * read-only one break the rules; a frame over two buffers says num_buffers 2.
 *
 * "Works" is one good request of the device's kind: a sector read (virtio-blk), a frame sent
 * (virtio-net), a line written (virtio-console), random bytes (virtio-rng). A kind absent from
 * the bus prints "SKIP: NAME: why" instead of its checks. */
#include "rt/vio.h"

#define QSZ  16 /* the queue size this driver asks for */
#define SPIN 2000000

#define S_ACK	      1
#define S_DRIVER      2
#define S_DRIVER_OK   4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 0x40
#define F_INDIRECT    (1ull << 28)
#define F_VERSION_1   (1ull << 32)
#define D_NEXT	      1 /* 2.7.5 */
#define D_WRITE	      2
#define D_INDIRECT    4

static struct desc desc[QSZ] __attribute__((aligned(4096)));
static volatile VIO_AVAIL(QSZ) avail __attribute__((aligned(4096)));
static volatile VIO_USED(QSZ) used __attribute__((aligned(4096)));
static struct desc ind[128] __attribute__((aligned(16)));
static struct desc ind2[2] __attribute__((aligned(16)));
static u8 buf[4096] __attribute__((aligned(4096)));
static u8 data[512] __attribute__((aligned(512)));

/* One virtio function as this driver found it. */
struct vdev {
	u8 slot;
	u16 id; /* device ID: PCI device ID - 0x1040 (4.1.2.1) */
	uintptr_t common, notify;
	u32 notify_mult;
	u16 q, qsz, notify_off, avail_idx, last_used;
	u16 dir; /* D_WRITE if the attacked queue's buffers are device-writable */
};

static u64 ram_end;

#define HEX(x) ((unsigned long long)(x))

static const char *kind_name(u16 id)
{
	switch (id) {
	case 1: return "virtio-net";
	case 2: return "virtio-blk";
	case 3: return "virtio-console";
	case 4: return "virtio-rng";
	default: return "virtio-other";
	}
}

/* COMMON and NOTIFY through the vendor capabilities (4.1.4), on a function that has a list. */
static bool find_caps(struct vdev *d)
{
	struct vio_caps c;
	if (!(pci_cfg32(d->slot, 4) & (1u << 20)) ||
	    !vio_find(d->slot, &c)) /* status bit 4: a list */
		return false;
	d->common = c.common;
	d->notify = c.notify;
	d->notify_mult = c.notify_mult;
	return true;
}

/* ---- the driver side of one queue ---- */

/* Reset and wait for status to read 0 (4.1.4.3.2). */
static bool reset(struct vdev *d)
{
	w8(d->common + VIO_STATUS, 0);
	for (int i = 0; i < 1000; i++)
		if (!r8(d->common + VIO_STATUS))
			return true;
	return false;
}

/* Initialise the device (3.1.1) with these features and queue d->q's rings at desc_at,
 * avail_at and used_at (zeroed by the caller); false if a step is refused. */
static bool setup_at(struct vdev *d, u64 features, u64 desc_at, u64 avail_at, u64 used_at)
{
	uintptr_t c = d->common;
	if (!reset(d))
		return false;
	w8(c + VIO_STATUS, S_ACK);
	w8(c + VIO_STATUS, S_ACK | S_DRIVER);
	w32(c + VIO_DFSELECT, 1);
	if (!(r32(c + VIO_DF) & 1)) /* VERSION_1 */
		return false;
	w32(c + VIO_GFSELECT, 0);
	w32(c + VIO_GF, (u32)features);
	w32(c + VIO_GFSELECT, 1);
	w32(c + VIO_GF, (u32)(features >> 32));
	w8(c + VIO_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (!(r8(c + VIO_STATUS) & S_FEATURES_OK))
		return false;
	w16(c + VIO_Q_SELECT, d->q);
	u16 max = r16(c + VIO_Q_SIZE);
	if (!max)
		return false;
	d->qsz = max < QSZ ? max : QSZ;
	w16(c + VIO_Q_SIZE, d->qsz);
	d->avail_idx = d->last_used = 0;
	w64(c + VIO_Q_DESC, desc_at);
	w64(c + VIO_Q_DRIVER, avail_at);
	w64(c + VIO_Q_DEVICE, used_at);
	d->notify_off = r16(c + VIO_Q_NOTIFY_OFF);
	w16(c + VIO_Q_ENABLE, 1);
	w8(c + VIO_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return true;
}

/* The same with this driver's one set of rings (the descriptors at desc_at). */
static bool setup(struct vdev *d, u64 features, u64 desc_at)
{
	memset(desc, 0, sizeof(desc));
	memset((void *)&avail, 0, sizeof(avail));
	memset((void *)&used, 0, sizeof(used));
	return setup_at(d, features, desc_at, (uintptr_t)&avail, (uintptr_t)&used);
}

static void kick(struct vdev *d)
{
	w16(d->notify + (uintptr_t)d->notify_off * d->notify_mult, d->q);
}

/* Make head available (2.7.13) and notify. */
static void submit(struct vdev *d, u16 head)
{
	avail.ring[d->avail_idx % d->qsz] = head;
	__asm__ volatile("" ::: "memory");
	avail.idx = ++d->avail_idx;
	__asm__ volatile("" ::: "memory");
	kick(d);
}

/* The device used the buffer at head 0 (the only one this driver makes available at a time):
 * true and its written length in *len. */
static bool wait_used(struct vdev *d, u32 *len)
{
	for (int i = 0; i < SPIN; i++) {
		if (used.idx != d->last_used) {
			u32 id = used.ring[d->last_used % d->qsz].id;
			*len = used.ring[d->last_used % d->qsz].len;
			d->last_used++;
			return id == 0;
		}
		__asm__ volatile("pause" ::: "memory");
	}
	return false;
}

static bool needs_reset(struct vdev *d)
{
	return r8(d->common + VIO_STATUS) & S_NEEDS_RESET;
}

static void put(u16 i, const void *p, u32 len, u16 flags, u16 next)
{
	desc[i] = (struct desc){(uintptr_t)p, len, flags, next};
}

/* One good request of the device's kind, answered as the kind answers it. */
static bool works(struct vdev *d)
{
	static const char line[] = "virtio-hostile: hvc0 works\n";
	u32 len = 0;
	if (d->id == 2) {	   /* virtio-blk: read sector 0 (5.2.6) */
		static u32 hdr[4]; /* type (VIRTIO_BLK_T_IN: 0), reserved, sector 0 (le64) */
		buf[0] = 0xff;
		put(0, hdr, sizeof(hdr), D_NEXT, 1);
		put(1, data, sizeof(data), D_WRITE | D_NEXT, 2);
		put(2, buf, 1, D_WRITE, 0);
		submit(d, 0);
		return wait_used(d, &len) && buf[0] == 0 && !needs_reset(d);
	}
	if (d->id == 1) { /* virtio-net: a broadcast frame after the 12-byte header (5.1.6) */
		memset(buf, 0, 12 + 60);
		memset(buf + 12, 0xff, 6);
		buf[12 + 6] = 0x02; /* source 02:00:00:00:00:99, locally administered */
		buf[12 + 11] = 0x99;
		buf[12 + 12] = 0x88; /* ethertype 0x88b5: local experimental */
		buf[12 + 13] = 0xb5;
		put(0, buf, 12 + 60, 0, 0);
	} else if (d->id == 3) { /* virtio-console: a line on transmitq0 (5.3.6) */
		put(0, line, sizeof(line) - 1, 0, 0);
	} else { /* virtio-rng: bytes into a writable buffer (5.4.6) */
		put(0, buf, 64, D_WRITE, 0);
	}
	submit(d, 0);
	return wait_used(d, &len) && (d->id != 4 || (len > 0 && len <= 64)) && !needs_reset(d);
}

/* ---- the attacks: each fills the ring and submits; true if the device must fail ---- */

typedef void attack_fn(struct vdev *d);

static void a_loop(struct vdev *d)
{
	put(0, buf, 16, D_NEXT | d->dir, 1);
	put(1, buf + 16, 16, D_NEXT | d->dir, 0);
	submit(d, 0);
}

static void a_outside(struct vdev *d)
{
	desc[0] = (struct desc){ram_end, 512, d->dir, 0};
	submit(d, 0);
}

static void a_wrap(struct vdev *d)
{
	desc[0] = (struct desc){0xfffffffffffff000ull, 0x2000, d->dir, 0};
	submit(d, 0);
}

static void a_avail_far(struct vdev *d)
{
	put(0, buf, 16, d->dir, 0);
	avail.ring[0] = 0;
	avail.idx = (u16)(d->avail_idx + d->qsz + 7);
	kick(d);
}

static void a_head(struct vdev *d)
{
	submit(d, (u16)(d->qsz + 3));
}

static void a_next(struct vdev *d)
{
	put(0, buf, 16, D_NEXT | d->dir, (u16)(d->qsz + 1));
	submit(d, 0);
}

static void a_nested(struct vdev *d)
{
	desc[0] = (struct desc){(uintptr_t)ind, 2 * sizeof(struct desc), D_INDIRECT, 0};
	ind[0] = (struct desc){(uintptr_t)ind2, sizeof(ind2), D_INDIRECT, 0};
	ind2[0] = (struct desc){(uintptr_t)buf, 16, d->dir, 0};
	submit(d, 0);
}

static void a_indirect_short(struct vdev *d)
{
	desc[0] = (struct desc){(uintptr_t)ind, 24, D_INDIRECT, 0}; /* not a multiple of 16 */
	ind[0] = (struct desc){(uintptr_t)buf, 16, d->dir, 0};
	submit(d, 0);
}

/* Set up without INDIRECT_DESC, so a valid indirect table is against the rules (2.7.5.3.1). */
static void a_indirect_unnegotiated(struct vdev *d)
{
	desc[0] = (struct desc){(uintptr_t)ind, sizeof(struct desc), D_INDIRECT, 0};
	ind[0] = (struct desc){(uintptr_t)buf, 16, d->dir, 0};
	submit(d, 0);
}

/* An indirect chain of 128 descriptors: longer than the queue (2.7.5.3.1). */
static void a_long_chain(struct vdev *d)
{
	for (u16 i = 0; i < 128; i++)
		ind[i] = (struct desc){(uintptr_t)buf + i, 1,
				       (u16)(d->dir | (i < 127 ? D_NEXT : 0)), (u16)(i + 1)};
	desc[0] = (struct desc){(uintptr_t)ind, sizeof(ind), D_INDIRECT, 0};
	submit(d, 0);
}

static void a_huge(struct vdev *d)
{
	put(0, buf, 0xffffffffu, d->dir, 0);
	submit(d, 0);
}

static void a_zero(struct vdev *d)
{
	put(0, buf, 0, d->dir, 0);
	submit(d, 0);
}

/* virtio-net only: a transmit header that lies (5.1.6.2): a TCPv4 segmentation request with
 * csum_start, hdr_len and gso_size past any frame, before a frame that is no TCP at all. The
 * device drops the frame and counts it; it is not broken. */
static void a_gso_lie(struct vdev *d)
{
	static const u8 hdr[12] = {1, 1, 0xff, 0xff, 0xff, 0xff, 0xf0, 0xff, 0xff, 0xff, 0, 0};
	memset(buf, 0, 12 + 60);
	memcpy(buf, hdr, sizeof(hdr));
	memset(buf + 12, 0xff, 6);
	buf[12 + 12] = 0x08; /* "IPv4", with nothing of an IP header behind it */
	put(0, buf, 12 + 60, 0, 0);
	submit(d, 0);
	u32 len = 0;
	check(wait_used(d, &len) && !needs_reset(d),
	      "virtio-net: a lying header: dropped, the "
	      "device not broken (status 0x%x)",
	      r8(d->common + VIO_STATUS));
}

/* The rings were set up outside RAM (see run_attack): any notify must fail the device. */
static void a_rings(struct vdev *d)
{
	kick(d);
}

struct attack {
	const char *name;
	attack_fn *fn;
	bool must_fail;
	u64 features; /* on top of VERSION_1 */
	bool rings_outside;
};
static const struct attack attacks[] = {
	{"descriptor loop", a_loop, true, 0, false},
	{"buffer outside RAM", a_outside, true, 0, false},
	{"buffer wrapping past 2^64", a_wrap, true, 0, false},
	{"avail idx past the ring", a_avail_far, true, 0, false},
	{"head index past the queue", a_head, true, 0, false},
	{"next index past the queue", a_next, true, 0, false},
	{"nested indirect tables", a_nested, true, F_INDIRECT, false},
	{"indirect table of 24 bytes", a_indirect_short, true, F_INDIRECT, false},
	{"indirect without the feature", a_indirect_unnegotiated, true, 0, false},
	{"chain of 128 descriptors", a_long_chain, true, F_INDIRECT, false},
	{"buffer of 4 GiB", a_huge, true, 0, false},
	{"zero-length buffer", a_zero, false, 0, false},
	{"rings outside RAM", a_rings, true, 0, true},
};
/* virtio-net's own: CSUM and HOST_TSO4 (5.1.3) negotiated, then a lying header. */
static const struct attack net_gso_lie = {"lying GSO header", a_gso_lie, false, 1 | 1u << 11,
					  false};

/* One attack on a freshly set-up device, then a reset and a good request. */
static void run_attack(struct vdev *d, const struct attack *a)
{
	const char *k = kind_name(d->id);
	u64 at = a->rings_outside ? ram_end + 0x100000 : (uintptr_t)desc;
	if (!check(setup(d, F_VERSION_1 | a->features, at), "%s: set up for %s", k, a->name))
		return;
	a->fn(d);
	if (a->must_fail)
		check(needs_reset(d), "%s: %s: DEVICE_NEEDS_RESET (status 0x%x)", k, a->name,
		      r8(d->common + VIO_STATUS));
	check(setup(d, F_VERSION_1, (uintptr_t)desc) && works(d), "%s: works after %s and a reset",
	      k, a->name);
}

/* Many notifies with nothing new in the ring: nothing happens, and the device still works. */
static void storm(struct vdev *d, u32 n)
{
	const char *k = kind_name(d->id);
	if (!check(setup(d, F_VERSION_1, (uintptr_t)desc), "%s: set up for the storm", k))
		return;
	for (u32 i = 0; i < n; i++)
		kick(d);
	check(!needs_reset(d) && works(d), "%s: works after %u notifies, no reset", k, n);
}

/* The queue a device reads when notified: transmitq for net and console (5.1.2, 5.3.2),
 * requestq / the one queue otherwise. */
static u16 attack_queue(u16 id)
{
	return id == 1 || id == 3 ? 1 : 0;
}

static void attack(struct vdev *d, u32 notifies)
{
	d->q = attack_queue(d->id);
	d->dir = d->id == 4 ? D_WRITE : 0;
	u16 cmd = (u16)pci_cfg32(d->slot, 4);
	pci_cfg_w16(d->slot, 4, cmd | 6); /* memory space and bus master */
	u32 nq = setup(d, F_VERSION_1, (uintptr_t)desc) ? r16(d->common + VIO_NUM_QUEUES) : 0;
	printf("%s at 00:%02x.0, %u queues\n", kind_name(d->id), d->slot, nq);
	if (!check(works(d), "%s: works before any attack", kind_name(d->id)))
		return;
	for (u32 i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
		run_attack(d, &attacks[i]);
	if (d->id == 1)
		run_attack(d, &net_gso_lie);
	storm(d, notifies);
	reset(d);
}

/* ---- merged receive buffers (virtio-net 5.1.6.3): a second NIC on the same switch ---- */

#define F_MRG_RXBUF (1ull << 15)

static struct desc rdesc[QSZ] __attribute__((aligned(4096)));
static volatile VIO_AVAIL(QSZ) ravail __attribute__((aligned(4096)));
static volatile VIO_USED(QSZ) rused __attribute__((aligned(4096)));
static u8 rbuf[QSZ][64];

/* b's receiveq set up with MRG_RXBUF and n buffers of len bytes made available (read-only
 * ones if ro: against the rules, 5.1.6.3.1); false if a step is refused. */
static bool rx_ready(struct vdev *b, u16 n, u32 len, bool ro)
{
	memset(rdesc, 0, sizeof(rdesc));
	memset((void *)&ravail, 0, sizeof(ravail));
	memset((void *)&rused, 0, sizeof(rused));
	memset(rbuf, 0xee, sizeof(rbuf));
	b->q = 0;
	if (!setup_at(b, F_VERSION_1 | F_MRG_RXBUF, (uintptr_t)rdesc, (uintptr_t)&ravail,
		      (uintptr_t)&rused))
		return false;
	for (u16 i = 0; i < n; i++) {
		rdesc[i] = (struct desc){(uintptr_t)rbuf[i], len, ro ? 0 : D_WRITE, 0};
		ravail.ring[i] = i;
	}
	__asm__ volatile("" ::: "memory");
	ravail.idx = n;
	__asm__ volatile("" ::: "memory");
	kick(b);
	return true;
}

/* a sends its broadcast frame (12 + 60 bytes, works()); then wait until b needs a reset or
 * has used want buffers: true if it has. */
static bool rx_frame(struct vdev *a, struct vdev *b, u16 want)
{
	a->q = 1;
	if (!check(setup(a, F_VERSION_1, (uintptr_t)desc) && works(a),
		   "virtio-net: the first NIC sends to the second"))
		return false;
	for (int i = 0; i < SPIN; i++) {
		if (needs_reset(b) || rused.idx >= want)
			break;
		__asm__ volatile("pause" ::: "memory");
	}
	return rused.idx >= want;
}

/* A buffer smaller than the header and a read-only one break the rules: b needs a reset.
 * Then the frame over two 40-byte buffers: both used, num_buffers 2 (5.1.6.4), its bytes. */
static void merged_rx(struct vdev *a, struct vdev *b)
{
	static const struct {
		const char *name;
		u32 len;
		bool ro;
	} lies[] = {{"a merged receive buffer of 4 bytes", 4, false},
		    {"a read-only receive buffer", 64, true}};
	for (u32 i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		if (!check(rx_ready(b, 1, lies[i].len, lies[i].ro), "virtio-net: receiveq set up"))
			return;
		rx_frame(a, b, 1);
		check(needs_reset(b), "virtio-net: %s: DEVICE_NEEDS_RESET (status 0x%x)",
		      lies[i].name, r8(b->common + VIO_STATUS));
	}
	if (!check(rx_ready(b, 3, 40, false), "virtio-net: receiveq set up"))
		return;
	bool got = rx_frame(a, b, 2);
	u16 nbufs = (u16)(rbuf[0][10] | rbuf[0][11] << 8);
	check(got && !needs_reset(b) && rused.ring[0].len == 40 && rused.ring[1].len == 32 &&
		      rused.ring[0].id == 0 && rused.ring[1].id == 1 && nbufs == 2,
	      "virtio-net: a frame over two merged buffers (used %u: %u, %u bytes; num_buffers "
	      "%u)",
	      rused.idx, rused.ring[0].len, rused.ring[1].len, nbufs);
	static const u8 head[14] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2,
				    0,	  0,	0,    0,    0x99, 0x88, 0xb5};
	check(!memcmp(rbuf[0] + 12, head, sizeof(head)) && rbuf[1][31] == 0 && rbuf[1][32] == 0xee,
	      "virtio-net: the frame's bytes across the buffers");
	reset(a);
	reset(b);
}

/* The end of RAM below 4 GiB: the multiboot memory map's last entry there, usable or not
 * (keel reserves its page tables at the top of RAM, which are RAM all the same). */
static u64 low_ram_end(void)
{
	u64 end = 0x100000 + (u64)boot_mbi->mem_upper * 1024;
	if (!(boot_mbi->flags & (1u << 6)))
		return end;
	for (u32 at = 0; at + 24 <= boot_mbi->mmap_length;) {
		const u8 *e = (const u8 *)(uintptr_t)(boot_mbi->mmap_addr + at);
		u32 size;
		u64 base, len;
		memcpy(&size, e, 4);
		memcpy(&base, e + 4, 8);
		memcpy(&len, e + 12, 8);
		if (base < 0x100000000ull && base + len > end)
			end = base + len;
		at += size + 4;
	}
	return end;
}

int guest_main(void)
{
	bool seen[5] = {false};
	struct vdev nic = {0}, nic2 = {0}; /* the first two NICs */
	u32 notifies = (u32)cmdline_num("storm", 100000);
	ram_end = low_ram_end();
	for (u8 slot = 1; slot < 32; slot++) {
		u32 id = pci_cfg32(slot, 0);
		if ((id & 0xffff) != VIO_VENDOR || (id >> 16) < 0x1040)
			continue;
		struct vdev d = {.slot = slot, .id = (u16)((id >> 16) - 0x1040)};
		if (!check(find_caps(&d), "%s at 00:%02x.0: COMMON and NOTIFY capabilities",
			   kind_name(d.id), slot))
			continue;
		if (d.id == 1 && seen[1] && !nic2.slot) { /* a second NIC: merged receive */
			nic2 = d;
			printf("virtio-net at 00:%02x.0: the second NIC\n", slot);
			continue;
		}
		if (d.id < 5)
			seen[d.id] = true;
		if (d.id == 1)
			nic = d;
		attack(&d, notifies);
	}
	if (nic2.slot) {
		u16 cmd = (u16)pci_cfg32(nic2.slot, 4);
		pci_cfg_w16(nic2.slot, 4, cmd | 6);
		merged_rx(&nic, &nic2);
	} else if (seen[1]) {
		printf("SKIP: virtio-net: merged receive buffers: no second NIC\n");
	}
	for (u16 id = 1; id < 5; id++)
		if (!seen[id])
			printf("SKIP: %s: not on bus 0\n", kind_name(id));
	return check_done();
}
