/* The common configuration structure (virtio 1.2 4.1.4.3) in BAR 4's first page: feature
 * negotiation (2.2, 3.1.1), device status (2.1), and each queue's size, vector, addresses and
 * enable. Little-endian; each field is reached at its natural width, a 64-bit one also in
 * 32-bit halves (4.1.3.1). Any other access reads 0 and writes nothing. */
#include "vdev/virtio_int.h"
#include "vdev/vdev.h"

/* Field offsets (4.1.4.3). */
enum {
	DFSELECT = 0x00,
	DF = 0x04,
	GFSELECT = 0x08,
	GF = 0x0c,
	MSIX_CONFIG = 0x10,
	NUM_QUEUES = 0x12,
	STATUS = 0x14,
	CONFIG_GEN = 0x15,
	Q_SELECT = 0x16,
	Q_SIZE = 0x18,
	Q_MSIX = 0x1a,
	Q_ENABLE = 0x1c,
	Q_NOTIFY_OFF = 0x1e,
	Q_DESC = 0x20,
	Q_DRIVER = 0x28,
	Q_DEVICE = 0x30,
};

/* Each field's width in bytes, by offset; 0 inside a field. */
static const u8 width[VIRTIO_COMMON_LEN] = {
	[DFSELECT] = 4,	    [DF] = 4,	      [GFSELECT] = 4, [GF] = 4,
	[MSIX_CONFIG] = 2,  [NUM_QUEUES] = 2, [STATUS] = 1,   [CONFIG_GEN] = 1,
	[Q_SELECT] = 2,	    [Q_SIZE] = 2,     [Q_MSIX] = 2,   [Q_ENABLE] = 2,
	[Q_NOTIFY_OFF] = 2, [Q_DESC] = 8,     [Q_DRIVER] = 8, [Q_DEVICE] = 8,
};

/* The field an access of size bytes at off reaches: its offset, with *shift the bit position
 * of the access in it; -1 for an access the spec does not allow. */
static int field(u32 off, u8 size, u32 *shift)
{
	*shift = 0;
	if (off >= VIRTIO_COMMON_LEN)
		return -1;
	if (width[off] == size)
		return (int)off;
	if (size != 4)
		return -1;
	if (width[off] == 8)
		return (int)off; /* the low half of a 64-bit field */
	if (off >= 4 && width[off - 4] == 8) {
		*shift = 32;
		return (int)off - 4;
	}
	return -1;
}

/* A 64-bit value with 32 bits at shift replaced by val (a half-field write). */
static u64 merge(u64 old, u64 val, u32 shift, u8 size)
{
	if (size == 8)
		return val;
	return (old & ~(0xffffffffull << shift)) | ((val & 0xffffffffull) << shift);
}

/* The queue the driver selected, NULL if it names none (its fields then read 0: 4.1.4.3.1). */
static struct virtq *selected(struct virtio_dev *d)
{
	return d->queue_select < d->kind->nqueues ? &d->vq[d->queue_select] : NULL;
}

/* 4.1.5.1.2: a vector past the MSI-X table (a queue's each, and one) reads back NO_VECTOR. */
static u16 vector(const struct virtio_dev *d, u64 v)
{
	return v < d->kind->nqueues + 1u ? (u16)v : VIRTIO_NO_VECTOR;
}

/* A feature word (select 0 or 1; beyond, none). */
static u32 word(u64 features, u32 select)
{
	return select < 2 ? (u32)(features >> (32 * select)) : 0;
}

/* The selected queue's fields. */
static u64 queue_read(struct virtio_dev *d, int f)
{
	struct virtq *q = selected(d);
	if (!q)
		return 0;
	switch (f) {
	case Q_SIZE: return q->size;
	case Q_MSIX: return q->msix_vector;
	case Q_ENABLE: return q->enabled;
	case Q_NOTIFY_OFF: return d->queue_select; /* queue i at i * multiplier */
	case Q_DESC: return q->desc;
	case Q_DRIVER: return q->avail;
	default: return q->used;
	}
}

u64 virtio_common_read(struct virtio_dev *d, u32 off, u8 size)
{
	u32 shift;
	int f = field(off, size, &shift);
	u64 v;
	switch (f) {
	case -1: return 0;
	case DFSELECT: v = d->dfselect; break;
	case DF: v = word(d->features, d->dfselect); break;
	case GFSELECT: v = d->gfselect; break;
	case GF: v = word(d->driver_features, d->gfselect); break;
	case MSIX_CONFIG: v = d->config_vector; break;
	case NUM_QUEUES: v = d->kind->nqueues; break;
	case STATUS: v = d->status; break;
	case CONFIG_GEN: v = d->config_gen; break;
	case Q_SELECT: v = d->queue_select; break;
	default: v = queue_read(d, f); break;
	}
	v >>= shift;
	return size == 8 ? v : v & ((1ull << (8 * size)) - 1);
}

/* 3.1.1 step 5: FEATURES_OK holds only a subset of the offered bits with VERSION_1 (a
 * non-transitional device has no legacy interface: 6.1). */
static bool features_ok(const struct virtio_dev *d)
{
	return !(d->driver_features & ~d->features) && (d->driver_features & VIRTIO_F_VERSION_1);
}

/* 2.1: 0 resets the device; otherwise the driver only adds bits. FEATURES_OK stays clear if the
 * features are refused (2.2.2), DRIVER_OK without FEATURES_OK; NEEDS_RESET is the device's.
 * At DRIVER_OK every enabled queue's rings are checked. */
static void status_write(struct virtio_dev *d, u8 v)
{
	if (!v) {
		virtio_reset(d);
		return;
	}
	u8 add = v & (u8) ~(d->status | VIRTIO_S_NEEDS_RESET);
	if ((add & VIRTIO_S_FEATURES_OK) && !features_ok(d))
		add &= (u8)~VIRTIO_S_FEATURES_OK;
	if ((add & VIRTIO_S_DRIVER_OK) && !((d->status | add) & VIRTIO_S_FEATURES_OK))
		add &= (u8)~VIRTIO_S_DRIVER_OK;
	d->status |= add;
	for (u16 q = 0; (add & VIRTIO_S_DRIVER_OK) && q < d->kind->nqueues; q++)
		if (d->vq[q].enabled && !virtq_rings_ok(d, q))
			break;
}

/* 3.1.1: the driver writes its features before FEATURES_OK, never after. */
static void features_write(struct virtio_dev *d, u64 v)
{
	if ((d->status & VIRTIO_S_FEATURES_OK) || d->gfselect >= 2)
		return;
	u32 shift = 32 * d->gfselect;
	d->driver_features = (d->driver_features & ~(0xffffffffull << shift)) | (v << shift);
}

/* 4.1.4.3.2: enabling a queue the driver has set up; it never writes 0. The rings are checked
 * now, and the device starts at index 0 of each (2.7). */
static void enable(struct virtio_dev *d, struct virtq *q, u64 v)
{
	if (v != 1 || q->enabled)
		return;
	q->last_avail = q->used_idx = q->signalled = 0;
	q->enabled = true;
	if (!virtq_rings_ok(d, d->queue_select))
		q->enabled = false;
}

/* The selected queue's fields: size, addresses and enable only while it is not enabled (the
 * driver sets a queue up, then enables it: 4.1.4.3.2). */
static void queue_write(struct virtio_dev *d, int f, u32 shift, u8 size, u64 v)
{
	struct virtq *q = selected(d);
	if (!q || (q->enabled && f != Q_MSIX))
		return;
	switch (f) {
	case Q_SIZE: /* 2.7: a power of two no larger than the device's */
		if (v && v <= d->kind->queue_size && !(v & (v - 1)))
			q->size = (u16)v;
		break;
	case Q_MSIX: q->msix_vector = vector(d, v); break;
	case Q_ENABLE: enable(d, q, v); break;
	case Q_DESC: q->desc = merge(q->desc, v, shift, size); break;
	case Q_DRIVER: q->avail = merge(q->avail, v, shift, size); break;
	case Q_DEVICE: q->used = merge(q->used, v, shift, size); break;
	default: break; /* queue_notify_off is read-only */
	}
}

void virtio_common_write(struct virtio_dev *d, u32 off, u8 size, u64 val)
{
	u32 shift;
	int f = field(off, size, &shift);
	switch (f) {
	case -1: break;
	case DFSELECT: d->dfselect = (u32)val; break;
	case GFSELECT: d->gfselect = (u32)val; break;
	case GF: features_write(d, (u32)val); break;
	case MSIX_CONFIG: d->config_vector = vector(d, val); break;
	case STATUS: status_write(d, (u8)val); break;
	case Q_SELECT: d->queue_select = (u16)val; break;
	case DF:
	case NUM_QUEUES:
	case CONFIG_GEN: break; /* read-only */
	default: queue_write(d, f, shift, size, val); break;
	}
}

void virtio_reset(struct virtio_dev *d)
{
	d->status = 0;
	d->driver_features = 0;
	d->dfselect = d->gfselect = 0;
	d->queue_select = 0;
	d->config_vector = VIRTIO_NO_VECTOR;
	d->isr = 0;
	d->broken = false;
	for (u16 q = 0; q < VIRTIO_QUEUES_MAX; q++)
		d->vq[q] = (struct virtq){.size = d->kind->queue_size,
					  .msix_vector = VIRTIO_NO_VECTOR};
	pci_intx(&d->pci, false);
	if (d->kind->reset)
		d->kind->reset(d);
}
