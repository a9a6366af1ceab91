/* Split virtqueues (virtio 1.2, 2.7) from the device's side. The driver owns the descriptor
 * table and the available ring, the device the used ring; every index, length and address read
 * from the first two is checked before use, and a lie marks the device broken (virtio_fail).
 * Guest memory is reached through the VM's map each time (no pointer is kept), so the queue's
 * state stays a few numbers that a record can hold. */
#include "vdev/virtio_int.h"
#include "vdev/vdev.h"

#define DESC_F_NEXT	     1 /* 2.7.5 */
#define DESC_F_WRITE	     2
#define DESC_F_INDIRECT	     4
#define AVAIL_F_NO_INTERRUPT 1 /* 2.7.6 */

/* One descriptor as the driver writes it (2.7.5). */
struct vdesc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};
_Static_assert(sizeof(struct vdesc) == 16, "virtq descriptor");

/* [gpa, gpa + len) is RAM of the VM, without wrapping (RAM is two runs either side of the
 * hole below 4 GiB: mm/gmem.h, so both ends on one side of it is enough). */
static bool in_ram(const struct gmem *m, u64 gpa, u64 len)
{
	u64 last = gpa + len - 1;
	if (!len)
		return true;
	return last >= gpa && gmem_is_ram(m, gpa) && gmem_is_ram(m, last) &&
	       (gpa < GMEM_HIGH_BASE) == (last < GMEM_HIGH_BASE);
}

/* A naturally aligned 16-bit field of a ring: it never crosses a page, so it is one host
 * pointer (checked in RAM when the rings were). */
static u16 *ring16(const struct virtio_dev *d, u64 gpa)
{
	return gmem_ptr(&d->vm->mem, gpa, 2);
}

/* The same, to write: keel's writes into RAM go through gmem's write hook (snapshots). */
static u16 *ring16_w(const struct virtio_dev *d, u64 gpa)
{
	return gmem_ptr_w(&d->vm->mem, gpa, 2);
}

/* 2.7: the descriptor table 16-byte aligned, the available ring 2, the used ring 4, each whole
 * in RAM (with the event fields of 2.7.10). */
bool virtq_rings_ok(struct virtio_dev *d, u16 q)
{
	const struct virtq *vq = &d->vq[q];
	const struct gmem *m = &d->vm->mem;
	u64 n = vq->size;
	if (vq->desc % 16 || vq->avail % 2 || vq->used % 4) {
		virtio_fail(d, "queue %u: rings misaligned", q);
		return false;
	}
	if (!in_ram(m, vq->desc, 16 * n) || !in_ram(m, vq->avail, 6 + 2 * n) ||
	    !in_ram(m, vq->used, 6 + 8 * n)) {
		virtio_fail(d, "queue %u: rings outside RAM", q);
		return false;
	}
	return true;
}

/* The driver's avail idx (2.7.6), read before the ring entries it covers (acquire). */
static u16 avail_idx(const struct virtio_dev *d, const struct virtq *vq)
{
	u16 *p = ring16(d, vq->avail + 2);
	return p ? __atomic_load_n(p, __ATOMIC_ACQUIRE) : vq->last_avail;
}

/* 2.7.10: with EVENT_IDX the device says in avail_event where it wants the next notification.
 * It is written, then (full barrier) avail idx is read again, so a chain made available
 * meanwhile is never missed. */
static void set_avail_event(struct virtio_dev *d, struct virtq *vq)
{
	if (!(d->driver_features & VIRTIO_F_EVENT_IDX))
		return;
	u16 *p = ring16_w(d, vq->used + 4 + 8ull * vq->size);
	if (!p)
		return;
	__atomic_store_n(p, vq->last_avail, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool virtq_has_avail(struct virtio_dev *d, u16 q)
{
	return virtio_queue_ready(d, q) && avail_idx(d, &d->vq[q]) != d->vq[q].last_avail;
}

/* Where a chain walk stands: the table being read (the queue's or an indirect one), its
 * entries, and how many descriptors have been read in all. */
struct walk {
	u64 table;
	u32 n;
	u32 seen;
	bool indirect;
};

/* 2.7.5.3: an indirect descriptor switches the walk to its table (the feature negotiated, not
 * from within one, no NEXT with it, a whole number of descriptors, in RAM). Its WRITE flag is
 * ignored (2.7.5.3.2). */
static const char *enter_indirect(struct virtio_dev *d, struct walk *w, const struct vdesc *x)
{
	if (!(d->driver_features & VIRTIO_F_INDIRECT_DESC))
		return "indirect descriptor not negotiated";
	if (w->indirect)
		return "nested indirect descriptor";
	if (x->flags & DESC_F_NEXT)
		return "indirect descriptor with NEXT";
	if (!x->len || x->len % 16)
		return "indirect table length not a multiple of 16";
	if (!in_ram(&d->vm->mem, x->addr, x->len))
		return "indirect table outside RAM";
	*w = (struct walk){x->addr, x->len / 16, w->seen, true};
	return NULL;
}

/* A buffer descriptor joins the chain: readable ones first, each in RAM, the totals within
 * 32 bits, the segments within the queue's size (2.7.5.3.1: no chain longer, indirect or not)
 * and VIRTQ_SEGS_MAX (2.7.4.1: writable after readable only). */
static const char *add_seg(struct virtio_dev *d, const struct virtq *vq, struct virtq_chain *c,
			   const struct vdesc *x)
{
	bool w = x->flags & DESC_F_WRITE;
	u32 *total = w ? &c->in_len : &c->out_len;
	if (!w && c->nin)
		return "readable descriptor after a writable one";
	if (!in_ram(&d->vm->mem, x->addr, x->len))
		return "buffer outside RAM";
	if (!x->len)
		return NULL; /* nothing to move: not a segment */
	if (c->nout + c->nin == MIN((u32)VIRTQ_SEGS_MAX, (u32)vq->size))
		return "chain too long";
	if (*total + x->len < *total)
		return "chain longer than 4 GiB";
	c->seg[c->nout + c->nin] = (struct virtq_seg){x->addr, x->len};
	*total += x->len;
	if (w)
		c->nin++;
	else
		c->nout++;
	return NULL;
}

/* Follow the chain from head: NULL, or why it breaks the rules. A walk reading more
 * descriptors than the queue holds plus the most a chain may have (an indirect table's) is a
 * loop. */
static const char *walk_chain(struct virtio_dev *d, const struct virtq *vq, u16 head,
			      struct virtq_chain *c)
{
	struct walk w = {vq->desc, vq->size, 0, false};
	u32 i = head;
	for (;;) {
		struct vdesc x;
		const char *why;
		if (++w.seen > vq->size + MIN((u32)VIRTQ_SEGS_MAX, (u32)vq->size))
			return "descriptor loop";
		if (!gmem_read(&d->vm->mem, w.table + 16ull * i, &x, sizeof(x)))
			return "descriptor outside RAM";
		if (x.flags & DESC_F_INDIRECT) {
			why = enter_indirect(d, &w, &x);
			i = 0;
			if (why)
				return why;
			continue;
		}
		why = add_seg(d, vq, c, &x);
		if (why)
			return why;
		if (!(x.flags & DESC_F_NEXT))
			return NULL;
		if (x.next >= w.n)
			return "next descriptor past the table";
		i = x.next;
	}
}

int virtq_pop(struct virtio_dev *d, u16 q, struct virtq_chain *c)
{
	if (!virtio_queue_ready(d, q))
		return 0;
	struct virtq *vq = &d->vq[q];
	u16 idx = avail_idx(d, vq), ahead = (u16)(idx - vq->last_avail);
	if (!ahead) {
		set_avail_event(d, vq);
		idx = avail_idx(d, vq);
		ahead = (u16)(idx - vq->last_avail);
		if (!ahead)
			return 0;
	}
	if (ahead > vq->size) {
		virtio_fail(d, "queue %u: avail idx %u is %u entries past %u", q, idx, ahead,
			    vq->last_avail);
		return -1;
	}
	u16 *slot = ring16(d, vq->avail + 4 + 2ull * (vq->last_avail % vq->size));
	u16 head = slot ? *slot : vq->size;
	if (head >= vq->size) {
		virtio_fail(d, "queue %u: head %u past the queue's %u entries", q, head, vq->size);
		return -1;
	}
	c->head = head; /* the segments are written as the walk finds them: not cleared */
	c->nout = c->nin = 0;
	c->out_len = c->in_len = 0;
	const char *why = walk_chain(d, vq, head, c);
	if (why) {
		virtio_fail(d, "queue %u: chain %u: %s", q, head, why);
		return -1;
	}
	vq->last_avail++;
	set_avail_event(d, vq);
	return 1;
}

/* Copy between buf and the chain's segments [first, first + n), from byte off of them. */
static bool copy(struct virtio_dev *d, const struct virtq_chain *c, u32 first, u32 n, u32 off,
		 u8 *buf, u32 len, bool to_guest)
{
	for (u32 s = first; s < first + n && len; s++) {
		const struct virtq_seg *g = &c->seg[s];
		if (off >= g->len) {
			off -= g->len;
			continue;
		}
		u32 k = MIN(g->len - off, len);
		bool ok = to_guest ? gmem_write(&d->vm->mem, g->gpa + off, buf, k)
				   : gmem_read(&d->vm->mem, g->gpa + off, buf, k);
		if (!ok)
			return false;
		buf += k;
		len -= k;
		off = 0;
	}
	return len == 0;
}

bool virtq_read(struct virtio_dev *d, const struct virtq_chain *c, u32 off, void *buf, u32 len)
{
	return copy(d, c, 0, c->nout, off, buf, len, false);
}

bool virtq_write(struct virtio_dev *d, const struct virtq_chain *c, u32 off, const void *buf,
		 u32 len)
{
	return copy(d, c, c->nout, c->nin, off, (u8 *)buf, len, true);
}

/* 2.7.8: the used element first, then idx with a release store, so the driver that sees the
 * new idx sees the element. */
void virtq_fill(struct virtio_dev *d, u16 q, const struct virtq_chain *c, u32 written)
{
	if (!virtio_queue_ready(d, q))
		return;
	struct virtq *vq = &d->vq[q];
	u32 elem[2] = {c->head, MIN(written, c->in_len)};
	u64 at = vq->used + 4 + 8ull * (vq->used_idx % vq->size);
	if (gmem_write(&d->vm->mem, at, elem, sizeof(elem)))
		vq->used_idx++;
}

void virtq_flush(struct virtio_dev *d, u16 q)
{
	if (!virtio_queue_ready(d, q))
		return;
	u16 *idx = ring16_w(d, d->vq[q].used + 2);
	if (idx)
		__atomic_store_n(idx, d->vq[q].used_idx, __ATOMIC_RELEASE);
}

void virtq_push(struct virtio_dev *d, u16 q, const struct virtq_chain *c, u32 written)
{
	virtq_fill(d, q, c, written);
	virtq_flush(d, q);
}

void virtq_unpop(struct virtio_dev *d, u16 q, u16 n)
{
	d->vq[q].last_avail -= n;
}

/* 2.7.10: interrupt when used idx passed used_event since the last interrupt (the driver's
 * vring_need_event), read after a full barrier that orders it behind the idx store. */
static bool wants_event(struct virtio_dev *d, const struct virtq *vq)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	u16 *p = ring16(d, vq->avail + 4 + 2ull * vq->size);
	u16 event = p ? __atomic_load_n(p, __ATOMIC_RELAXED) : vq->used_idx;
	return (u16)(vq->used_idx - event - 1) < (u16)(vq->used_idx - vq->signalled);
}

/* 2.7.7: without EVENT_IDX the driver's NO_INTERRUPT flag says whether it wants one. */
static bool wants_flag(struct virtio_dev *d, const struct virtq *vq)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	u16 *p = ring16(d, vq->avail);
	return !p || !(__atomic_load_n(p, __ATOMIC_RELAXED) & AVAIL_F_NO_INTERRUPT);
}

void virtq_signal(struct virtio_dev *d, u16 q)
{
	if (!virtio_queue_ready(d, q))
		return;
	struct virtq *vq = &d->vq[q];
	if (vq->used_idx == vq->signalled)
		return; /* nothing new */
	bool event_idx = d->driver_features & VIRTIO_F_EVENT_IDX;
	bool want = event_idx ? wants_event(d, vq) : wants_flag(d, vq);
	vq->signalled = vq->used_idx;
	if (want)
		virtio_irq(d, vq->msix_vector, 1);
}
