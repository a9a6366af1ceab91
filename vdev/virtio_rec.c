/* The virtio transport's state record (vdev/vrecord.h): kind VREC_VIRTIO, version 2, one per
 * VM. Its payload is a head, then for each device (in attach order) its registers, those of
 * each of its kind's queues, and its kind's own state (rec_size bytes: virtio-console's lines;
 * the other kinds keep none). The devices themselves come from the VM's definition, so a
 * record loads only into a VM with the same devices. */
#include "vdev/virtio_int.h"
#include "vdev/vdev.h"
#include "lib/string.h"

#define VIRTIO_REC_VERSION 2 /* 1 had no kind's part */

struct rec_head {
	u32 ndevs; /* 0x00 */
	u32 zero;  /* 0x04 */
};

struct rec_dev {
	u16 id;		     /* 0x00 VIRTIO_ID_* */
	u16 nqueues;	     /* 0x02 */
	u32 index;	     /* 0x04 */
	u64 driver_features; /* 0x08 */
	u32 dfselect;	     /* 0x10 */
	u32 gfselect;	     /* 0x14 */
	u16 queue_select;    /* 0x18 */
	u16 config_vector;   /* 0x1a */
	u8 status;	     /* 0x1c */
	u8 isr;		     /* 0x1d */
	u8 config_gen;	     /* 0x1e */
	u8 broken;	     /* 0x1f */
	u8 config[64];	     /* 0x20 */
};
_Static_assert(sizeof(struct rec_dev) == 0x60, "virtio device record");

struct rec_queue {
	u64 desc, avail, used; /* 0x00 */
	u16 size;	       /* 0x18 */
	u16 msix_vector;       /* 0x1a */
	u16 last_avail;	       /* 0x1c */
	u16 used_idx;	       /* 0x1e */
	u16 signalled;	       /* 0x20 */
	u8 enabled;	       /* 0x22 */
	u8 zero[5];	       /* 0x23 */
};
_Static_assert(sizeof(struct rec_queue) == 0x28, "virtio queue record");
_Static_assert(sizeof(struct vrec_header) + sizeof(struct rec_head) +
			       VIRTIO_DEVS_MAX * (sizeof(struct rec_dev) +
						  VIRTIO_QUEUES_MAX * sizeof(struct rec_queue)) +
			       VIRTIO_KIND_REC_MAX <=
		       VREC_MAX,
	       "virtio record");

/* Bytes of device d's part of the payload. */
static u32 dev_size(const struct virtio_dev *d)
{
	return sizeof(struct rec_dev) + d->kind->nqueues * sizeof(struct rec_queue) +
	       d->kind->rec_size;
}

u32 virtio_rec_size(const struct virtio_devs *s)
{
	u32 n = sizeof(struct rec_head);
	for (u32 i = 0; i < s->n; i++)
		n += dev_size(s->d[i]);
	return n;
}

/* Device d's part of the payload at p: its bytes. */
static u32 save_dev(const struct virtio_dev *d, u8 *p)
{
	struct rec_dev r = {d->kind->id, d->kind->nqueues, d->index,	    d->driver_features,
			    d->dfselect, d->gfselect,	   d->queue_select, d->config_vector,
			    d->status,	 d->isr,	   d->config_gen,   d->broken,
			    {0}};
	memcpy(r.config, d->config, sizeof(r.config));
	memcpy(p, &r, sizeof(r));
	u32 at = sizeof(r);
	for (u16 q = 0; q < d->kind->nqueues; q++, at += sizeof(struct rec_queue)) {
		const struct virtq *v = &d->vq[q];
		struct rec_queue rq = {
			v->desc,       v->avail,    v->used,	  v->size,    v->msix_vector,
			v->last_avail, v->used_idx, v->signalled, v->enabled, {0}};
		memcpy(p + at, &rq, sizeof(rq));
	}
	if (d->kind->rec_size)
		d->kind->rec_save(d, p + at);
	return at + d->kind->rec_size;
}

u64 virtio_save(const void *dev, u64 now, void *buf, u64 len)
{
	const struct virtio_devs *s = dev;
	struct rec_head h = {s->n, 0};
	(void)now;
	memcpy(s->rec, &h, sizeof(h));
	u32 at = sizeof(h);
	for (u32 i = 0; i < s->n; i++)
		at += save_dev(s->d[i], s->rec + at);
	return vrec_write(buf, len, VREC_VIRTIO, VIRTIO_REC_VERSION, s->rec, at);
}

/* A vector the device could have: one of its MSI-X table's, or none. */
static bool vector_ok(const struct virtio_dev *d, u16 v)
{
	return v == VIRTIO_NO_VECTOR || v < d->kind->nqueues + 1u;
}

/* A queue's saved registers are ones the transport could have accepted. */
static void check_queue(struct vrec_reader *r, const struct virtio_dev *d,
			const struct rec_queue *q)
{
	vrec_require(r, q->size && q->size <= d->kind->queue_size && !(q->size & (q->size - 1)),
		     "virtio queue size out of range");
	vrec_require(r, vector_ok(d, q->msix_vector), "virtio queue vector out of range");
	vrec_require(r, q->enabled <= 1, "virtio queue enable out of range");
	vrec_require(r,
		     (u16)(q->used_idx - q->signalled) <= q->size &&
			     (u16)(q->last_avail - q->used_idx) <= q->size,
		     "virtio queue indices out of range");
	vrec_require(r, !q->enabled || (!(q->desc % 16) && !(q->avail % 2) && !(q->used % 4)),
		     "virtio queue rings misaligned");
}

/* Device d's part at p is one it could have been in. */
static void check_dev(struct vrec_reader *r, const struct virtio_dev *d, const u8 *p)
{
	struct rec_dev x;
	memcpy(&x, p, sizeof(x));
	vrec_require(r, x.id == d->kind->id && x.nqueues == d->kind->nqueues && x.index == d->index,
		     "virtio devices differ from the VM's");
	vrec_require(r, !(x.driver_features & ~d->features), "virtio features not offered");
	vrec_require(r, vector_ok(d, x.config_vector), "virtio config vector out of range");
	vrec_require(r, x.isr <= 3 && x.broken <= 1, "virtio ISR out of range");
	vrec_require(r, !(x.status & 0x30) && !(x.status & VIRTIO_S_NEEDS_RESET) == !x.broken,
		     "virtio status out of range");
	vrec_require(r,
		     !(x.status & VIRTIO_S_FEATURES_OK) || (x.driver_features & VIRTIO_F_VERSION_1),
		     "virtio features accepted without VERSION_1");
	for (u16 q = 0; q < d->kind->nqueues; q++) {
		struct rec_queue rq;
		memcpy(&rq, p + sizeof(x) + q * sizeof(rq), sizeof(rq));
		check_queue(r, d, &rq);
	}
	const char *why = d->kind->rec_size
				  ? d->kind->rec_check(d, p + dev_size(d) - d->kind->rec_size)
				  : NULL;
	vrec_require(r, !why, why);
}

/* Device d from its checked part at p. No interrupt line moves: the PCI bus's record holds the
 * INTx level (README "Device state records"). */
static u32 load_dev(struct virtio_dev *d, const u8 *p)
{
	struct rec_dev x;
	memcpy(&x, p, sizeof(x));
	d->driver_features = x.driver_features;
	d->dfselect = x.dfselect;
	d->gfselect = x.gfselect;
	d->queue_select = x.queue_select;
	d->config_vector = x.config_vector;
	d->status = x.status;
	d->isr = x.isr;
	d->config_gen = x.config_gen;
	d->broken = x.broken;
	memcpy(d->config, x.config, sizeof(d->config));
	u32 at = sizeof(x);
	for (u16 q = 0; q < d->kind->nqueues; q++, at += sizeof(struct rec_queue)) {
		struct rec_queue rq;
		memcpy(&rq, p + at, sizeof(rq));
		d->vq[q] = (struct virtq){.size = rq.size,
					  .msix_vector = rq.msix_vector,
					  .enabled = rq.enabled,
					  .desc = rq.desc,
					  .avail = rq.avail,
					  .used = rq.used,
					  .last_avail = rq.last_avail,
					  .used_idx = rq.used_idx,
					  .signalled = rq.signalled};
	}
	if (d->kind->rec_load)
		d->kind->rec_load(d, p + at);
	return at + d->kind->rec_size;
}

const char *virtio_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len)
{
	struct virtio_devs *s = dev;
	struct vrec_reader r;
	struct rec_head h;
	(void)vm;
	if (!vrec_open(&r, buf, len, VREC_VIRTIO, VIRTIO_REC_VERSION, s->rec, s->rec_size, now))
		return r.why;
	memcpy(&h, s->rec, sizeof(h));
	vrec_require(&r, h.ndevs == s->n && !h.zero, "virtio devices differ from the VM's");
	u32 at = sizeof(h);
	for (u32 i = 0; i < s->n && !r.why; i++) {
		check_dev(&r, s->d[i], s->rec + at);
		at += dev_size(s->d[i]);
	}
	if (r.why)
		return r.why;
	at = sizeof(h);
	for (u32 i = 0; i < s->n; i++)
		at += load_dev(s->d[i], s->rec + at);
	return NULL;
}
