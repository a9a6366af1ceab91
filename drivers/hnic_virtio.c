/* virtio-net-pci, modern (virtio 1.2 4.1 over PCI, 5.1 the network device): one receive and
 * one transmit split virtqueue (2.7) of up to QMAX entries, a 2 KiB buffer behind each
 * descriptor, no offloads (only VERSION_1 and MAC negotiated), polled. */
#include "drivers/hnic.h"
#include "drivers/hnic_ring.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "mm/mm.h"

#define VENDOR 0x1af4
#define QMAX   64
#define HDR    12 /* 5.1.6: struct virtio_net_hdr with num_buffers, always with VERSION_1 */

/* 4.1.4.3: the common configuration structure. */
enum {
	C_DFSELECT = 0x00,
	C_DF = 0x04,
	C_GFSELECT = 0x08,
	C_GF = 0x0c,
	C_STATUS = 0x14,
	C_Q_SELECT = 0x16,
	C_Q_SIZE = 0x18,
	C_Q_ENABLE = 0x1c,
	C_Q_NOTIFY_OFF = 0x1e,
	C_Q_DESC = 0x20,
	C_Q_DRIVER = 0x28,
	C_Q_DEVICE = 0x30,
};
/* 2.1: device status bits. */
#define S_ACK	      1
#define S_DRIVER      2
#define S_DRIVER_OK   4
#define S_FEATURES_OK 8
#define F_MAC	      5	 /* 5.1.3 */
#define F_VERSION_1   32 /* 6 */
#define D_WRITE	      2	 /* 2.7.5: the device writes this buffer */

struct desc {
	u64 addr;
	u32 len;
	u16 flags, next;
} __packed;
_Static_assert(sizeof(struct desc) == 16, "2.7.5 descriptor");

struct vq {
	struct desc *desc;
	volatile u16 *avail; /* flags, idx, ring[n] */
	volatile u32 *used;  /* flags|idx, then {id, len} pairs */
	u8 *bufs;	     /* n buffers of HNIC_BUF bytes */
	u16 n, avail_idx, used_seen, next;
	bool busy[QMAX];
	volatile u16 *notify;
	u16 index;
};

struct vnic {
	volatile u8 *common, *device;
	volatile u8 *notify_base;
	u32 notify_mult;
	struct vq q[2]; /* 5.1.2: receiveq1 is queue 0, transmitq1 queue 1 */
};

static bool virtio_match(const struct hpci_dev *d)
{
	/* 4.1.2.1: 0x1041 is a modern network device, 0x1000 a transitional one */
	return d->vendor == VENDOR && (d->device == 0x1041 || d->device == 0x1000);
}

static u8 r8(const volatile u8 *b, u32 o)
{
	return b[o];
}
static u16 r16(const volatile u8 *b, u32 o)
{
	return *(const volatile u16 *)(b + o);
}
static void w8(volatile u8 *b, u32 o, u8 v)
{
	b[o] = v;
}
static void w16(volatile u8 *b, u32 o, u16 v)
{
	*(volatile u16 *)(b + o) = v;
}
static void w32(volatile u8 *b, u32 o, u32 v)
{
	*(volatile u32 *)(b + o) = v;
}
static u32 r32(const volatile u8 *b, u32 o)
{
	return *(const volatile u32 *)(b + o);
}
/* 4.1.3.1: 64-bit fields as two 32-bit writes, low half first. */
static void w64(volatile u8 *b, u32 o, u64 v)
{
	w32(b, o, (u32)v);
	w32(b, o + 4, (u32)(v >> 32));
}

/* 4.1.4: the vendor capabilities (id 9) locate each structure as {bar, offset}; map the BAR
 * and return the structure's address, NULL if the type is absent. */
static volatile u8 *find_cfg(struct hnic *n, u8 type, u32 *mult)
{
	for (u8 c = hpci_cap(n->pci, 9, 0); c; c = hpci_cap(n->pci, 9, c)) {
		if (hpci_read8(n->pci, (u16)(c + 3)) != type)
			continue;
		struct hpci_bar b;
		u8 bar = hpci_read8(n->pci, (u16)(c + 4));
		if (!hpci_bar(n->pci, bar, &b) || b.io)
			continue;
		if (mult)
			*mult = hpci_read32(n->pci, (u16)(c + 16));
		return phys_to_virt(b.base + hpci_read32(n->pci, (u16)(c + 8)));
	}
	return NULL;
}

/* 3.1.1 steps 1-6: reset, acknowledge, negotiate VERSION_1 (and MAC if offered). */
static bool negotiate(struct vnic *v, bool *has_mac)
{
	w8(v->common, C_STATUS, 0);
	for (int i = 0; i < 1000000 && r8(v->common, C_STATUS); i++)
		; /* 4.1.4.3.2: reset is done when status reads 0 */
	w8(v->common, C_STATUS, S_ACK);
	w8(v->common, C_STATUS, S_ACK | S_DRIVER);
	w32(v->common, C_DFSELECT, 0);
	u32 lo = r32(v->common, C_DF);
	w32(v->common, C_DFSELECT, 1);
	u32 hi = r32(v->common, C_DF);
	if (!(hi & BIT(F_VERSION_1 - 32)))
		return false;
	*has_mac = lo & BIT(F_MAC);
	w32(v->common, C_GFSELECT, 0);
	w32(v->common, C_GF, lo & (u32)BIT(F_MAC));
	w32(v->common, C_GFSELECT, 1);
	w32(v->common, C_GF, (u32)BIT(F_VERSION_1 - 32));
	w8(v->common, C_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	return r8(v->common, C_STATUS) & S_FEATURES_OK;
}

/* 4.1.5.1.3: size the queue (a power of two no larger than the device's), give it its three
 * rings and buffers, and enable it. */
static bool queue_setup(struct vnic *v, u16 index)
{
	struct vq *q = &v->q[index];
	w16(v->common, C_Q_SELECT, index);
	u16 max = r16(v->common, C_Q_SIZE), n = QMAX;
	while (n > max)
		n >>= 1;
	u64 rings = page_alloc(3), bufs = page_alloc(QMAX * HNIC_BUF / PAGE_SIZE);
	if (!n || !rings || !bufs)
		return false;
	*q = (struct vq){.desc = phys_to_virt(rings),
			 .avail = phys_to_virt(rings + PAGE_SIZE),
			 .used = phys_to_virt(rings + 2 * PAGE_SIZE),
			 .bufs = phys_to_virt(bufs),
			 .n = n,
			 .index = index};
	w16(v->common, C_Q_SIZE, n);
	w64(v->common, C_Q_DESC, rings);
	w64(v->common, C_Q_DRIVER, rings + PAGE_SIZE);
	w64(v->common, C_Q_DEVICE, rings + 2 * PAGE_SIZE);
	u16 off = r16(v->common, C_Q_NOTIFY_OFF);
	q->notify = (volatile u16 *)(v->notify_base + (u32)off * v->notify_mult);
	w16(v->common, C_Q_ENABLE, 1);
	return true;
}

/* 2.7.13: put descriptor head in the next avail slot, then publish the index, then notify
 * (4.1.4.4: the queue's index written at its notify address). */
static void offer(struct vq *q, u16 head)
{
	q->avail[2 + vring_slot(q->avail_idx, q->n)] = head;
	q->avail_idx++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* 2.7.13.3.1: ring entry before the index */
	q->avail[1] = q->avail_idx;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*q->notify = q->index;
}

/* Every receive descriptor gets its buffer, all of it for the device to write. */
static void rx_fill(struct vq *q)
{
	for (u16 i = 0; i < q->n; i++) {
		q->desc[i] = (struct desc){virt_to_phys(q->bufs + (u32)i * HNIC_BUF), HNIC_BUF,
					   D_WRITE, 0};
		offer(q, i);
	}
}

static bool virtio_probe(struct hnic *n)
{
	struct vnic *v = kmalloc(sizeof(*v));
	if (!v)
		return false;
	n->priv = v;
	hpci_enable(n->pci);
	v->common = find_cfg(n, 1, NULL);
	v->notify_base = find_cfg(n, 2, &v->notify_mult);
	v->device = find_cfg(n, 4, NULL);
	bool has_mac = false;
	if (!v->common || !v->notify_base || !v->device || !negotiate(v, &has_mac) ||
	    !queue_setup(v, 0) || !queue_setup(v, 1)) {
		log_warn("hnic: virtio-net at %02x:%02x.%x: no modern interface or setup failed",
			 n->pci->bus, n->pci->dev, n->pci->fn);
		if (v->common)
			w8(v->common, C_STATUS, 0);
		return false;
	}
	for (u32 i = 0; i < 6; i++) /* 5.1.4: mac is the config's first field */
		n->mac[i] = has_mac ? r8(v->device, i) : (u8)(i ? 0x4b * i : 0x02);
	w8(v->common, C_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	rx_fill(&v->q[0]);
	return true;
}

/* Used entry i of q: {id, len} (2.7.8). */
static void used_at(const struct vq *q, u16 i, u32 *id, u32 *len)
{
	*id = q->used[1 + 2 * vring_slot(i, q->n)];
	*len = q->used[2 + 2 * vring_slot(i, q->n)];
}

static u16 used_idx(const struct vq *q)
{
	return (u16)(q->used[0] >> 16);
}

/* Transmit buffers the device is done with become free again. */
static void tx_reclaim(struct vq *q)
{
	while (vring_new(used_idx(q), q->used_seen)) {
		u32 id, len;
		used_at(q, q->used_seen++, &id, &len);
		if (id < q->n)
			q->busy[id] = false;
	}
}

static bool virtio_send(struct hnic *n, const void *frame, u32 len)
{
	struct vq *q = &((struct vnic *)n->priv)->q[1];
	tx_reclaim(q);
	u16 i = q->next;
	if (q->busy[i] || len > HNIC_FRAME_MAX)
		return false;
	u8 *b = q->bufs + (u32)i * HNIC_BUF;
	memset(b, 0, HDR); /* 5.1.6.2: no checksum or segmentation asked for */
	memcpy(b + HDR, frame, len);
	q->desc[i] = (struct desc){virt_to_phys(b), HDR + len, 0, 0};
	q->busy[i] = true;
	q->next = (u16)vring_slot((u16)(i + 1), q->n);
	offer(q, i);
	return true;
}

static u32 virtio_recv(struct hnic *n, void *buf)
{
	struct vq *q = &((struct vnic *)n->priv)->q[0];
	if (!vring_new(used_idx(q), q->used_seen))
		return 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* 2.7.14: the index before the entry */
	u32 id, len;
	used_at(q, q->used_seen++, &id, &len);
	if (id >= q->n)
		return 0; /* a device bug: nothing to give back */
	u32 flen = len > HDR ? MIN(len - HDR, (u32)HNIC_FRAME_MAX) : 0;
	memcpy(buf, q->bufs + id * HNIC_BUF + HDR, flen);
	offer(q, (u16)id);
	return flen;
}

const struct hnic_ops hnic_virtio_ops = {
	.model = "virtio-net",
	.match = virtio_match,
	.probe = virtio_probe,
	.send = virtio_send,
	.recv = virtio_recv,
};
