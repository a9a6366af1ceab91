/* virtio-net (virtio 1.2 5.1): one NIC per net=SW of a VM, a port on keel's switch SW
 * (vm/vswitch.h), with the MAC from mac= or the VM's name. One receive queue and one transmit
 * queue, no control queue. The driver may leave checksums to the device (F_CSUM): a receiver
 * that takes partial checksums (F_GUEST_CSUM) gets the frame as it was sent, any other gets
 * it with the checksum filled in by keel. It may send TCP segments up to 64 KiB (HOST_TSO4/6):
 * a receiver that takes them (GUEST_TSO4/6) gets them whole, any other (and the uplink) gets
 * them cut to the MTU by the switch (vm/vswitch_gso.c). With MRG_RXBUF a frame spreads over
 * as many receive buffers as it needs (rx_merged); without it, Linux posts 64 KiB buffers.
 *
 * Transmit runs on the sending vCPU's notify, under its VM's device lock: each chain's frame
 * goes into the switch, which copies it to the destination ports' queues. Receive runs on
 * this VM's vCPU 0 from a timer the switch's receive function arms (any CPU may arm it); the
 * timer takes this VM's device lock and moves queued frames into receive buffers. A guest with
 * no receive buffers leaves frames in its port's queue, where the next ones are dropped and
 * counted once it is full. The port joins its switch at the driver's first notify.
 *
 * Interrupts are moderated, as a NIC's are. A frame for a VM whose vCPU 0 is halted wakes it
 * at once; while it runs, frames wait up to VNET_RX_HOLD_US, so that its driver takes several
 * at an interrupt and its TCP acknowledges them together. Sent frames leave at once, but
 * their chains go back to the driver (the used ring's idx and the interrupt) VNET_TX_HOLD_US
 * after the first of them, or as soon as VNET_TX_HOLD_MAX wait: while a buffer it sent is
 * still out, Linux's TCP merges a socket's small writes into one segment (autocorking) rather
 * than sending each alone. The used elements are written at once, so a record taken meanwhile
 * holds them; its loading arms the timer that publishes them. */
#include "vdev/vdev.h"
#include "vdev/virtio_kinds.h"
#include "lib/fmt.h"
#include "lib/string.h"
#include "vm/vswitch.h"

/* Feature bits (5.1.3). */
#define NET_F_CSUM	 BIT(0)
#define NET_F_GUEST_CSUM BIT(1)
#define NET_F_MTU	 BIT(3)
#define NET_F_MAC	 BIT(5)
#define NET_F_GUEST_TSO4 BIT(7)
#define NET_F_GUEST_TSO6 BIT(8)
#define NET_F_HOST_TSO4	 BIT(11)
#define NET_F_HOST_TSO6	 BIT(12)
#define NET_F_MRG_RXBUF	 BIT(15)
#define NET_F_STATUS	 BIT(16)
#define NET_S_LINK_UP	 1

#define RXQ 0 /* receiveq1 (5.1.2) */
#define TXQ 1 /* transmitq1 */

/* The header before every frame on both queues (5.1.6): 12 bytes with VERSION_1. */
struct virtio_net_hdr {
	u8 flags;	 /* 0x00: NEEDS_CSUM 1, DATA_VALID 2 */
	u8 gso_type;	 /* 0x01: GSO_NONE 0, TCPV4 1, TCPV6 4 (VSW_GSO_*) */
	u16 hdr_len;	 /* 0x02 */
	u16 gso_size;	 /* 0x04 */
	u16 csum_start;	 /* 0x06 */
	u16 csum_offset; /* 0x08 */
	u16 num_buffers; /* 0x0a: receive buffers the frame fills (1 without MRG_RXBUF) */
} __packed;
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio 1.2 5.1.6");
#define HDR_F_NEEDS_CSUM 1

/* The device configuration (5.1.4), little-endian. */
struct virtio_net_config {
	u8 mac[6];		 /* 0x00 */
	u16 status;		 /* 0x06 */
	u16 max_virtqueue_pairs; /* 0x08 */
	u16 mtu;		 /* 0x0a */
} __packed;

/* One NIC: its switch, its port and the port's queue, the chain and frame being moved. */
struct vnet {
	struct virtio_dev *d;
	struct vswitch *sw;
	bool joined, join_failed; /* the port is on the switch; or could not be put there */
	struct vsw_port port;
	struct virtq_chain chain;
	u16 held; /* transmit chains in the used ring whose idx the driver has not been given */
	u8 frame[VSW_GSO_MAX];
	u8 ring[VSW_QUEUE_BYTES];
};

static struct vnet *vnet_of(const struct virtio_dev *d)
{
	return d->state;
}

/* The clock timers count in (vclock_now), us microseconds from now. */
static u64 in_us(u64 us)
{
	return vclock_now() + vclock_khz() * us / 1000;
}

static u32 vnet_count(const struct vm *vm)
{
	return vm->hw.nnics;
}

/* ---- transmit (5.1.6.2) ---- */

/* The GSO type a transmit header asks for is one the driver may use: none, or TCP over the IP
 * version whose HOST_TSO it negotiated (5.1.6.2; keel offers no ECN or UDP segmentation). */
static bool tx_gso_ok(const struct virtio_dev *d, u8 type)
{
	return !type || (type == VSW_GSO_TCPV4 && (d->driver_features & NET_F_HOST_TSO4)) ||
	       (type == VSW_GSO_TCPV6 && (d->driver_features & NET_F_HOST_TSO6));
}

/* Send one transmit chain's frame into the switch. A chain too short for the header breaks
 * the rules (5.1.6.2: the header comes first), so the device stops; a frame the switch cannot
 * carry (runt, larger than the MTU or for GSO the largest IP packet, a segmentation request
 * keel did not offer or whose headers it cannot read, a checksum outside it) is dropped and
 * counted, as a NIC drops a bad frame. */
static void tx_one(struct vnet *n, const struct virtq_chain *c)
{
	struct virtio_net_hdr h;
	if (!virtq_read(n->d, c, 0, &h, sizeof(h))) {
		virtio_fail(n->d, "a transmit chain of %u bytes has no room for its header",
			    c->out_len);
		return;
	}
	u32 len = c->out_len - (u32)sizeof(h);
	struct vsw_meta m = {(h.flags & HDR_F_NEEDS_CSUM) != 0,
			     h.csum_start,
			     h.csum_offset,
			     h.gso_type,
			     h.gso_size,
			     0};
	bool ok = len <= (h.gso_type ? VSW_GSO_MAX : VSW_FRAME_MAX) &&
		  tx_gso_ok(n->d, h.gso_type) &&
		  (!m.needs_csum || (n->d->driver_features & NET_F_CSUM));
	if (!ok || !virtq_read(n->d, c, sizeof(h), n->frame, len)) {
		__atomic_fetch_add(&n->port.errors, 1, __ATOMIC_RELAXED);
		return;
	}
	if (n->joined)
		vsw_send(&n->port, &m, n->frame, len);
}

/* Give the driver the transmit chains written to the used ring so far. Device lock held. */
static void tx_publish(struct vnet *n)
{
	n->held = 0;
	if (!n->d->broken && virtio_queue_ready(n->d, TXQ)) {
		virtq_flush(n->d, TXQ);
		virtq_signal(n->d, TXQ);
	}
}

/* The transmit timer, on vCPU 0 of this NIC's VM: the held chains go back. */
static void vnet_tx_done(struct vcpu *v, void *dev)
{
	dev_lock(v->vm);
	tx_publish(dev);
	dev_unlock(v->vm);
}

/* Send every frame the driver has made available, each chain written back as read and given
 * back within VNET_TX_HOLD_US. */
static void vnet_tx(struct vnet *n)
{
	struct virtio_dev *d = n->d;
	if (!virtio_queue_ready(d, TXQ))
		return;
	while (!d->broken && virtq_pop(d, TXQ, &n->chain) == 1) {
		tx_one(n, &n->chain);
		if (!d->broken) {
			virtq_fill(d, TXQ, &n->chain, 0);
			n->held++;
		}
	}
	if (d->broken || !n->held)
		return;
	if (n->held >= VNET_TX_HOLD_MAX)
		tx_publish(n);
	else
		vcpu_timer_by(d->vm->vcpu[0], in_us(VNET_TX_HOLD_US), vnet_tx_done, n);
}

/* ---- receive (5.1.6.3, 5.1.6.4) ---- */

/* A frame taken from the port went nowhere: count it with the switch's drops, which other CPUs
 * add to as well. */
static void rx_lost(struct vnet *n)
{
	__atomic_fetch_add(&n->port.drops, 1, __ATOMIC_RELAXED);
}

/* The header for a frame of len bytes in n->frame, queued with m, as this driver takes it:
 * the frame's length, 0 if it is lost. */
static u32 rx_header(struct vnet *n, u32 len, const struct vsw_meta *m, struct virtio_net_hdr *h)
{
	*h = (struct virtio_net_hdr){.num_buffers = 1};
	if (m->gso_type && !(n->port.gso & (1u << m->gso_type)))
		return 0; /* queued before the driver's reset took GUEST_TSO away: lost */
	if (m->needs_csum && (n->d->driver_features & NET_F_GUEST_CSUM)) {
		h->flags = HDR_F_NEEDS_CSUM; /* 5.1.6.4: the driver finishes it */
		h->csum_start = m->csum_start;
		h->csum_offset = m->csum_offset;
		h->gso_type = m->gso_type; /* 5.1.6.4: a GSO frame, as its sender gave it */
		h->gso_size = m->gso_size;
		h->hdr_len = m->hdr_len;
		return len;
	}
	return vsw_csum_fill(n->frame, len, m) ? len : 0; /* the switch checked the offsets */
}

/* Take the oldest queued frame into the next receive chain: false if there is none, or the
 * driver has no chain after all (a broken ring), the frame lost. A buffer too small for it
 * (the driver SHOULD give 1526 bytes or more, 5.1.6.3.1) loses the frame too; both are
 * counted. */
static bool rx_one(struct vnet *n)
{
	struct virtio_dev *d = n->d;
	struct vsw_meta m;
	u32 len = vsw_recv(&n->port, &m, n->frame);
	if (!len)
		return false;
	if (virtq_pop(d, RXQ, &n->chain) != 1) {
		rx_lost(n);
		return false;
	}
	struct virtio_net_hdr h;
	len = rx_header(n, len, &m, &h);
	u32 written = 0;
	if (len && n->chain.in_len >= sizeof(h) + len &&
	    virtq_write(d, &n->chain, 0, &h, sizeof(h)) &&
	    virtq_write(d, &n->chain, sizeof(h), n->frame, len))
		written = (u32)sizeof(h) + len;
	else
		rx_lost(n);
	virtq_push(d, RXQ, &n->chain, written);
	return true;
}

/* With MRG_RXBUF (5.1.6.3.2, 5.1.6.4.2) the oldest queued frame fills as many receive buffers
 * as it needs, the header's num_buffers says how many, and they go back together, so the
 * driver never meets a frame's first buffer without the rest. The buffers are counted before
 * the frame is taken: if the driver has not made enough available, they are put back and the
 * frame stays queued (the last virtq_pop left avail_event at the driver's next chain, whose
 * notify comes back here); a frame the whole ring could not hold is lost. The driver must make
 * each buffer hold a header at least (5.1.6.3.1); one that does not breaks the device. A
 * driver that shrinks its buffers between the count and the writes loses the rest of the
 * frame. True if a frame was taken. */
static bool rx_merged(struct vnet *n)
{
	struct virtio_dev *d = n->d;
	u32 need = (u32)sizeof(struct virtio_net_hdr) + vsw_peek(&n->port), have = 0;
	u16 got = 0;
	while (have < need) {
		int r = virtq_pop(d, RXQ, &n->chain);
		if (r <= 0 || n->chain.in_len < sizeof(struct virtio_net_hdr)) {
			if (r > 0)
				virtio_fail(d,
					    "receive buffer %u holds %u bytes, less than a header",
					    n->chain.head, n->chain.in_len);
			if (!r)
				virtq_unpop(d, RXQ, got);
			return false;
		}
		have += n->chain.in_len;
		if (++got == d->vq[RXQ].size && have < need)
			break;
	}
	struct vsw_meta m;
	struct virtio_net_hdr h;
	u32 len = rx_header(n, vsw_recv(&n->port, &m, n->frame), &m, &h);
	if (!len || have < need) {
		virtq_unpop(d, RXQ, got); /* the buffers wait for the next frame */
		rx_lost(n);
		return true;
	}
	if (got > 1)
		virtq_unpop(d, RXQ,
			    got); /* taken again, each written as it comes; one is at hand */
	h.num_buffers = got;
	u32 done = 0;
	for (u16 i = 0; i < got; i++) {
		if (got > 1 && virtq_pop(d, RXQ, &n->chain) != 1)
			break;
		u32 at = i ? 0 : (u32)sizeof(h);
		u32 k = MIN(n->chain.in_len - MIN(n->chain.in_len, at), len - done);
		bool ok = (i || virtq_write(d, &n->chain, 0, &h, sizeof(h))) &&
			  virtq_write(d, &n->chain, at, n->frame + done, k);
		done += ok ? k : 0;
		virtq_fill(d, RXQ, &n->chain, ok ? at + k : 0);
	}
	virtq_flush(d, RXQ);
	if (done < len)
		rx_lost(n);
	return true;
}

/* Move queued frames into receive buffers while there are both, then interrupt the driver.
 * Device lock held. */
static void vnet_rx(struct vnet *n)
{
	struct virtio_dev *d = n->d;
	if (!virtio_queue_ready(d, RXQ))
		return;
	bool any = false;
	bool merged = d->driver_features & NET_F_MRG_RXBUF;
	while (n->joined && !d->broken && vsw_pending(&n->port) && virtq_has_avail(d, RXQ)) {
		if (!(merged ? rx_merged(n) : rx_one(n)))
			break;
		any = true;
	}
	if (any && !d->broken)
		virtq_signal(d, RXQ);
}

/* The receive timer, on vCPU 0 of this NIC's VM: frames are waiting. */
static void vnet_fire(struct vcpu *v, void *dev)
{
	struct vnet *n = dev;
	dev_lock(v->vm);
	vnet_rx(n);
	dev_unlock(v->vm);
}

/* The switch queued frames for this NIC (on the sender's CPU): have vCPU 0 take them, at once
 * if it is halted, within VNET_RX_HOLD_US if it runs. A VM not yet running, or stopped, takes
 * them later or never, and its queue fills. */
static void vnet_receive(struct vsw_port *p)
{
	struct vnet *n = p->owner;
	struct vm *vm = n->d->vm;
	if (vm->state != VM_RUNNING || vm->end)
		return;
	bool busy = vm->vcpu[0]->state == VCPU_RUNNABLE;
	vcpu_timer_by(vm->vcpu[0], in_us(busy ? VNET_RX_HOLD_US : 0), vnet_fire, n);
}

/* ---- the kind's hooks ---- */

/* The NIC's port joins its switch when the driver first notifies a queue: the device is
 * whole then and its VM running, and a VM whose creation failed after its devices were made
 * (their memory freed) leaves nothing behind on the switch. Device lock held. */
static void vnet_join(struct vnet *n)
{
	struct virtio_dev *d = n->d;
	char name[24];
	if (n->joined || n->join_failed)
		return;
	fmt_snprintf(name, sizeof(name), "%s.%u", d->vm->name, d->index);
	n->joined = vsw_attach(n->sw, &n->port, name, n->ring, sizeof(n->ring), vnet_receive, n);
	n->join_failed = !n->joined;
}

static bool vnet_init(struct virtio_dev *d, u32 index)
{
	struct vnet *n = vnet_of(d);
	const struct vm_nic *nic = &d->vm->hw.nic[index];
	n->d = d;
	d->features = NET_F_CSUM | NET_F_GUEST_CSUM | NET_F_MTU | NET_F_MAC | NET_F_STATUS |
		      NET_F_HOST_TSO4 | NET_F_HOST_TSO6 | NET_F_GUEST_TSO4 | NET_F_GUEST_TSO6 |
		      NET_F_MRG_RXBUF;
	struct virtio_net_config cfg = {
		.status = NET_S_LINK_UP, .max_virtqueue_pairs = 1, .mtu = VSW_MTU};
	memcpy(cfg.mac, nic->mac, 6);
	memcpy(d->config, &cfg, sizeof(cfg));
	n->sw = vswitch_get(nic->sw);
	if (!n->sw || vcpu_timer_alloc(d->vm->vcpu[0], vnet_fire, n) < 0 ||
	    vcpu_timer_alloc(d->vm->vcpu[0], vnet_tx_done, n) < 0)
		return false;
	log_info("vm %s: virtio-net %u: %02x:%02x:%02x:%02x:%02x:%02x on switch %s", d->vm->name,
		 index, nic->mac[0], nic->mac[1], nic->mac[2], nic->mac[3], nic->mac[4],
		 nic->mac[5], nic->sw);
	return true;
}

/* The driver reset the device (or the VM restarted): its queues are gone, and so are the
 * frames that waited for them. */
static void vnet_reset(struct virtio_dev *d)
{
	vnet_of(d)->port.gso = 0;
	vnet_of(d)->held = 0;
	if (vnet_of(d)->joined)
		vsw_flush(&vnet_of(d)->port);
}

/* The GSO types this NIC's driver takes whole: those whose GUEST_TSO it negotiated, with the
 * GUEST_CSUM they depend on (5.1.3.1). */
static u8 rx_gso_types(const struct virtio_dev *d)
{
	u64 f = d->driver_features;
	if (!(f & NET_F_GUEST_CSUM))
		return 0;
	return (u8)(((f & NET_F_GUEST_TSO4) ? 1u << VSW_GSO_TCPV4 : 0) |
		    ((f & NET_F_GUEST_TSO6) ? 1u << VSW_GSO_TCPV6 : 0));
}

static void vnet_notify(struct virtio_dev *d, u16 q)
{
	vnet_join(vnet_of(d));
	vnet_of(d)->port.gso = rx_gso_types(d); /* the features are settled once it notifies */
	if (q == TXQ)
		vnet_tx(vnet_of(d));
	else if (q == RXQ)
		vnet_rx(vnet_of(d)); /* new receive buffers: frames may be waiting */
}

/* A record loaded (a rollback, a clone, a migration): transmit chains that were held when it
 * was taken are in the used ring but not its idx; the timer gives them back once the VM
 * runs. The frames waiting at the port stay (a rollback) or start empty (a clone). */
static void vnet_rec_load(struct virtio_dev *d, const void *p)
{
	(void)p;
	struct vnet *n = vnet_of(d);
	n->held = 0;
	vcpu_timer_by(d->vm->vcpu[0], in_us(0), vnet_tx_done, n);
}

/* vm-destroy: the NIC's port leaves its switch. */
static void vnet_free(struct virtio_dev *d)
{
	if (vnet_of(d)->joined)
		vsw_detach(&vnet_of(d)->port);
	vnet_of(d)->joined = false;
}

const struct virtio_kind vnet_kind = {
	.name = "virtio-net",
	.id = VIRTIO_ID_NET,
	.class_code = 0x020000, /* network controller, Ethernet */
	.nqueues = 2,
	.queue_size = 256,
	.state_size = sizeof(struct vnet),
	.config_size = sizeof(struct virtio_net_config),
	.count = vnet_count,
	.init = vnet_init,
	.reset = vnet_reset,
	.notify = vnet_notify,
	.free = vnet_free,
	.rec_load = vnet_rec_load,
};
