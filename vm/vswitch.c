/* keel's learning L2 switches (vm/vswitch.h). Here, below the devices, because a switch joins
 * VMs rather than serving one: the NICs in vdev/ send into it and the run's summary and the
 * prompt (vm/) show its counters. */
#include "vm/vswitch.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "vm/virq.h"
#include "kernel/x86.h"

static struct vswitch switches[VSW_SWITCHES_MAX];
static u32 nswitches;
static struct spinlock table_lock; /* guards switches[] and nswitches while one is made */

/* A frame's record in a queue: its length and the metadata that came with it. */
struct vsw_rec {
	u32 len;
	u16 csum_start, csum_offset;
	u16 gso_size, hdr_len;
	u8 needs_csum, gso_type;
	u16 pad;
};
_Static_assert(sizeof(struct vsw_rec) == 16, "a queue record is 16 bytes");

void vswitch_init(struct vswitch *sw, const char *name)
{
	memset(sw, 0, sizeof(*sw));
	strlcpy(sw->name, name, sizeof(sw->name));
}

struct vswitch *vswitch_get(const char *name)
{
	struct vswitch *sw = NULL;
	spin_lock(&table_lock);
	for (u32 i = 0; i < nswitches && !sw; i++)
		if (!strcmp(switches[i].name, name))
			sw = &switches[i];
	if (!sw && nswitches < VSW_SWITCHES_MAX) {
		sw = &switches[nswitches];
		vswitch_init(sw, name);
		__atomic_store_n(&nswitches, nswitches + 1, __ATOMIC_RELEASE);
		log_info("switch %s: made", name);
	}
	spin_unlock(&table_lock);
	if (!sw)
		log_err("switch %s: keel has %d switches already", name, VSW_SWITCHES_MAX);
	return sw;
}

struct vswitch *vswitch_find(const char *name)
{
	u32 n = __atomic_load_n(&nswitches, __ATOMIC_ACQUIRE);
	for (u32 i = 0; i < n; i++)
		if (!strcmp(switches[i].name, name))
			return &switches[i];
	return NULL;
}

bool vsw_attach(struct vswitch *sw, struct vsw_port *p, const char *name, u8 *ring, u32 size,
		void (*receive)(struct vsw_port *p), void *owner)
{
	memset(p, 0, sizeof(*p));
	strlcpy(p->name, name, sizeof(p->name));
	p->sw = sw;
	p->receive = receive;
	p->owner = owner;
	p->q = (struct vsw_queue){.buf = ring, .size = size};
	spin_lock(&sw->lock);
	bool ok = sw->nports < VSW_PORTS_MAX;
	if (ok) {
		p->index = sw->nports;
		sw->port[sw->nports++] = p;
	}
	spin_unlock(&sw->lock);
	if (!ok)
		log_err("switch %s: no port left for %s (%d ports)", sw->name, name, VSW_PORTS_MAX);
	return ok;
}

/* The port leaves its switch (its VM is destroyed): its slot stays empty, the addresses
 * learnt on it are forgotten (frames for them flood, as for any unknown address), and once
 * no sender is still telling a port about a frame it queued, nothing refers to p. */
void vsw_detach(struct vsw_port *p)
{
	struct vswitch *sw = p->sw;
	spin_lock(&sw->lock);
	sw->port[p->index] = NULL;
	for (u32 i = 0; i < VSW_MACS_MAX; i++)
		if (sw->mac[i].used && sw->mac[i].port == p->index)
			sw->mac[i].used = false;
	spin_unlock(&sw->lock);
	while (__atomic_load_n(&sw->telling, __ATOMIC_ACQUIRE))
		cpu_relax();
}

/* ---- learning (IEEE 802.1D 7.8: a filtering database with ageing) ---- */

/* How long a learned address stays, in vclock ticks. */
static u64 ageing_ticks(void)
{
	return (u64)VSW_AGEING_S * 1000 * vclock_khz();
}

static bool fresh(const struct vsw_mac *e, u64 now)
{
	return e->used && now - e->seen < ageing_ticks();
}

/* Source address addr was seen on port: remember it (a group address is never a source, and
 * the zero address is nobody). A full table gives up its oldest entry. */
static void learn(struct vswitch *sw, const u8 *addr, u32 port, u64 now)
{
	static const u8 zero[6];
	if ((addr[0] & 1) || !memcmp(addr, zero, 6))
		return;
	struct vsw_mac *slot = NULL;
	for (u32 i = 0; i < VSW_MACS_MAX; i++) {
		struct vsw_mac *e = &sw->mac[i];
		if (e->used && !memcmp(e->addr, addr, 6)) {
			slot = e;
			break;
		}
		if (!slot || (slot->used && (!e->used || e->seen < slot->seen)))
			slot = e;
	}
	memcpy(slot->addr, addr, 6);
	slot->port = (u8)port;
	slot->used = true;
	slot->seen = now;
}

/* The port unicast address addr was last seen on, -1 if unknown or aged out. */
static int lookup(const struct vswitch *sw, const u8 *addr, u64 now)
{
	for (u32 i = 0; i < VSW_MACS_MAX; i++) {
		const struct vsw_mac *e = &sw->mac[i];
		if (fresh(e, now) && !memcmp(e->addr, addr, 6))
			return e->port;
	}
	return -1;
}

/* ---- queues ---- */

static u32 rec_bytes(u32 len)
{
	return (u32)sizeof(struct vsw_rec) + ALIGN_UP(len, 8u);
}

/* Copy n bytes into the ring at byte count pos, wrapping at its end. */
static void ring_in(struct vsw_queue *q, u32 pos, const void *src, u32 n)
{
	u32 off = pos & (q->size - 1), first = MIN(n, q->size - off);
	memcpy(q->buf + off, src, first);
	memcpy(q->buf, (const u8 *)src + first, n - first);
}

static void ring_out(const struct vsw_queue *q, u32 pos, void *dst, u32 n)
{
	u32 off = pos & (q->size - 1), first = MIN(n, q->size - off);
	memcpy(dst, q->buf + off, first);
	memcpy((u8 *)dst + first, q->buf, n - first);
}

/* Queue a frame: false if the queue has no room for it, in frames or in bytes. */
static bool q_put(struct vsw_queue *q, const struct vsw_meta *m, const u8 *frame, u32 len)
{
	u32 need = rec_bytes(len);
	if (q->frames >= VSW_QUEUE_FRAMES || q->size - (q->tail - q->head) < need)
		return false;
	struct vsw_rec r = {len,	m->csum_start, m->csum_offset, m->gso_size,
			    m->hdr_len, m->needs_csum, m->gso_type,    0};
	ring_in(q, q->tail, &r, sizeof(r));
	ring_in(q, q->tail + (u32)sizeof(r), frame, len);
	q->tail += need;
	q->frames++;
	return true;
}

static u32 q_get(struct vsw_queue *q, struct vsw_meta *m, u8 *buf)
{
	if (!q->frames)
		return 0;
	struct vsw_rec r;
	ring_out(q, q->head, &r, sizeof(r));
	ring_out(q, q->head + (u32)sizeof(r), buf, r.len);
	*m = (struct vsw_meta){r.needs_csum, r.csum_start, r.csum_offset,
			       r.gso_type,   r.gso_size,   r.hdr_len};
	q->head += rec_bytes(r.len);
	q->frames--;
	return r.len;
}

/* ---- frames ---- */

/* A frame the switch carries: an Ethernet header at least, the MTU at most (or for a GSO frame,
 * the largest IP packet, with headers keel can cut it by), and a checksum request inside it.
 * Sets a GSO frame's hdr_len. */
static bool frame_ok(struct vsw_meta *m, const u8 *frame, u32 len)
{
	if (len < VSW_FRAME_MIN || len > (m->gso_type ? VSW_GSO_MAX : VSW_FRAME_MAX))
		return false;
	if (m->needs_csum && (u32)m->csum_start + m->csum_offset + 2 > len)
		return false;
	return !m->gso_type || vsw_gso_parse(m, frame, len);
}

/* Queue a GSO frame on port d, which does not take it whole, as the segments it stands for,
 * until its queue is full: the bytes queued. Switch lock held. */
static u32 put_segments(struct vsw_port *d, const struct vsw_meta *m, const u8 *frame, u32 len,
			u32 *frames)
{
	static const struct vsw_meta plain;
	u8 *seg = d->sw->seg;
	u32 n, bytes = 0;
	for (u32 i = 0; (n = vsw_gso_segment(m, frame, len, i, seg)); i++) {
		if (!q_put(&d->q, &plain, seg, n)) {
			__atomic_fetch_add(&d->drops, 1, __ATOMIC_RELAXED);
			break;
		}
		bytes += n;
		(*frames)++;
	}
	return bytes;
}

/* Queue the frame on port d (whole, or cut into segments for a port that does not take its
 * GSO type), counting it or its loss: true if d must be told (its queue was empty). Switch
 * lock held. */
static bool deliver(struct vsw_port *d, const struct vsw_meta *m, const u8 *frame, u32 len,
		    bool *queued)
{
	bool was_empty = !d->q.frames;
	u32 frames = 0, bytes = len;
	if (m->gso_type && !(d->gso & (1u << m->gso_type)))
		bytes = put_segments(d, m, frame, len, &frames);
	else if (q_put(&d->q, m, frame, len))
		frames = 1;
	else
		__atomic_fetch_add(&d->drops, 1, __ATOMIC_RELAXED); /* its owner counts too */
	*queued = frames != 0;
	if (!frames)
		return false;
	d->rx += frames;
	d->rx_bytes += bytes;
	return was_empty;
}

u32 vsw_send(struct vsw_port *p, const struct vsw_meta *meta, const u8 *frame, u32 len)
{
	struct vswitch *sw = p->sw;
	struct vsw_port *tell[VSW_PORTS_MAX];
	struct vsw_meta mm = *meta, *m = &mm;
	u32 ntell = 0, sent = 0;
	u64 now = vclock_now();
	spin_lock(&sw->lock);
	if (!frame_ok(m, frame, len)) {
		__atomic_fetch_add(&p->errors, 1, __ATOMIC_RELAXED);
		spin_unlock(&sw->lock);
		return 0;
	}
	p->tx++;
	p->tx_bytes += len;
	p->tx_gso += m->gso_type != 0;
	learn(sw, frame + 6, p->index, now);
	int to = (frame[0] & 1) ? -1 : lookup(sw, frame, now); /* bit 0: a group address */
	for (u32 i = 0; i < sw->nports; i++) {
		if (i == p->index || (to >= 0 && (u32)to != i) || !sw->port[i])
			continue; /* itself, not the one it goes to, or a port let go */
		bool queued;
		if (deliver(sw->port[i], m, frame, len, &queued))
			tell[ntell++] = sw->port[i];
		sent += queued;
	}
	if (ntell)
		__atomic_fetch_add(&sw->telling, 1, __ATOMIC_ACQ_REL); /* vsw_detach waits */
	spin_unlock(&sw->lock);
	for (u32 i = 0; i < ntell; i++)
		tell[i]->receive(tell[i]);
	if (ntell)
		__atomic_fetch_sub(&sw->telling, 1, __ATOMIC_ACQ_REL);
	return sent;
}

u32 vsw_recv(struct vsw_port *p, struct vsw_meta *m, u8 *buf)
{
	spin_lock(&p->sw->lock);
	u32 len = q_get(&p->q, m, buf);
	spin_unlock(&p->sw->lock);
	return len;
}

u32 vsw_peek(struct vsw_port *p)
{
	struct vsw_rec r = {0};
	spin_lock(&p->sw->lock);
	if (p->q.frames)
		ring_out(&p->q, p->q.head, &r, sizeof(r));
	spin_unlock(&p->sw->lock);
	return r.len;
}

bool vsw_pending(struct vsw_port *p)
{
	return __atomic_load_n(&p->q.frames, __ATOMIC_ACQUIRE) != 0;
}

void vsw_flush(struct vsw_port *p)
{
	spin_lock(&p->sw->lock);
	p->q.head = p->q.tail;
	p->q.frames = 0;
	spin_unlock(&p->sw->lock);
}

bool vsw_csum_fill(u8 *frame, u32 len, const struct vsw_meta *m)
{
	if (!m->needs_csum)
		return true;
	u32 at = (u32)m->csum_start + m->csum_offset;
	if (at + 2 > len)
		return false;
	u64 sum = 0;
	for (u32 i = m->csum_start; i < len; i += 2)
		sum += (u32)frame[i] << 8 | (i + 1 < len ? frame[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	u16 c = (u16)(0xffff - sum); /* its complement: sum fits in 16 bits now */
	if (!c) /* a zero UDP checksum means none (RFC 768): send its other form */
		c = 0xffff;
	frame[at] = (u8)(c >> 8);
	frame[at + 1] = (u8)c;
	return true;
}

void vswitch_show(const char *prefix)
{
	u32 n = __atomic_load_n(&nswitches, __ATOMIC_ACQUIRE);
	for (u32 i = 0; i < n; i++) {
		const struct vswitch *sw = &switches[i];
		for (u32 j = 0; j < sw->nports; j++) {
			const struct vsw_port *p = sw->port[j];
			if (!p)
				continue; /* its VM was destroyed */
			log_info("%sswitch %s port %s: rx %llu frames (%llu bytes), tx %llu frames "
				 "(%llu bytes, %llu GSO), %llu dropped at its full queue, %llu "
				 "refused",
				 prefix, sw->name, p->name, p->rx, p->rx_bytes, p->tx, p->tx_bytes,
				 p->tx_gso, p->drops, p->errors);
		}
	}
}
