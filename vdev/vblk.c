/* virtio-blk (virtio 1.2, 5.2): one device per disk of the VM (vm->hw.disk, vda first), one
 * request queue, served from the disk's copy-on-write store (vdev/vdisk.h) while the driver's
 * notify exits. The module's bytes are never written; the store outlives the VM's resets, so a
 * guest that rebooted under on_reset=restart finds what it wrote. */
#include "vdev/vblk.h"
#include "vdev/vdev.h"
#include "vdev/virtio_kinds.h"
#include "lib/string.h"

/* Feature bits (5.2.3). */
#define BLK_F_SEG_MAX	   BIT(2)
#define BLK_F_RO	   BIT(5)
#define BLK_F_BLK_SIZE	   BIT(6)
#define BLK_F_FLUSH	   BIT(9)
#define BLK_F_DISCARD	   BIT(13)
#define BLK_F_WRITE_ZEROES BIT(14)

/* struct virtio_blk_config (5.2.4): the fields keel fills, by offset. */
#define CFG_CAPACITY	      0	 /* le64, 512-byte sectors */
#define CFG_SEG_MAX	      12 /* le32 */
#define CFG_BLK_SIZE	      20 /* le32 */
#define CFG_MAX_DISCARD	      36 /* le32 max_discard_sectors */
#define CFG_DISCARD_SEG	      40 /* le32 max_discard_seg */
#define CFG_DISCARD_ALIGN     44 /* le32 discard_sector_alignment */
#define CFG_MAX_WZEROES	      48 /* le32 max_write_zeroes_sectors */
#define CFG_WZEROES_SEG	      52 /* le32 max_write_zeroes_seg */
#define CFG_WZEROES_MAY_UNMAP 56 /* u8 */
#define CFG_SIZE	      60 /* up to the secure-erase fields, which keel does not offer */

#define SEG_MAX	      (VIRTQ_SEGS_MAX - 2) /* data segments: the header and status take two */
#define RANGE_SECTS   (1u << 22)	   /* sectors in one discard or write-zeroes range */
#define RANGE_ALIGN   (VDISK_BLOCK / VDISK_SECTOR)
#define HDR_LEN	      16 /* struct virtio_blk_req's type, reserved, sector (5.2.6) */
#define RANGE_LEN     16 /* struct virtio_blk_discard_write_zeroes */
#define RANGE_F_UNMAP 1u

_Static_assert(sizeof(((struct virtio_dev *)0)->config) >= CFG_SIZE, "virtio-blk config");

/* A little-endian field of the configuration structure. */
static void put(struct virtio_dev *d, u32 off, u64 val, u32 len)
{
	for (u32 i = 0; i < len; i++)
		d->config[off + i] = (u8)(val >> (8 * i));
}

static u32 vblk_count(const struct vm *vm)
{
	return vm->hw.ndisks;
}

/* The device ID GET_ID returns (5.2.6): the module's file name without its folders, NUL-padded
 * to 20 bytes (not terminated if it is 20 long). */
static void make_id(struct vblk *b, const char *path)
{
	const char *s = path;
	for (const char *p = path; *p; p++)
		if (*p == '/')
			s = p + 1;
	memset(b->id, 0, sizeof(b->id));
	for (u32 i = 0; i < sizeof(b->id) && s[i]; i++)
		b->id[i] = s[i];
}

/* The configuration structure: capacity, segments, block size, discard and write-zeroes
 * limits (5.2.4); ranges are aligned to the store's 4 KiB blocks. */
static void fill_config(struct virtio_dev *d, u64 sectors)
{
	put(d, CFG_CAPACITY, sectors, 8);
	put(d, CFG_SEG_MAX, SEG_MAX, 4);
	put(d, CFG_BLK_SIZE, VDISK_SECTOR, 4);
	put(d, CFG_MAX_DISCARD, RANGE_SECTS, 4);
	put(d, CFG_DISCARD_SEG, VBLK_RANGES_MAX, 4);
	put(d, CFG_DISCARD_ALIGN, RANGE_ALIGN, 4);
	put(d, CFG_MAX_WZEROES, RANGE_SECTS, 4);
	put(d, CFG_WZEROES_SEG, VBLK_RANGES_MAX, 4);
	put(d, CFG_WZEROES_MAY_UNMAP, 1, 1);
}

static bool vblk_init(struct virtio_dev *d, u32 index)
{
	struct vblk *b = d->state;
	const struct vm_disk *k = &d->vm->hw.disk[index];
	if (!vdisk_init(&b->disk, k->data, k->len)) {
		log_err("vm %s: virtio-blk %u: %s is too large for a disk", d->vm->name, index,
			k->name);
		return false;
	}
	if (k->len % VDISK_SECTOR)
		log_warn("vm %s: virtio-blk %u: %s is %llu bytes, not whole sectors: the last %llu "
			 "are ignored",
			 d->vm->name, index, k->name, (unsigned long long)k->len,
			 (unsigned long long)(k->len % VDISK_SECTOR));
	b->ro = k->ro;
	make_id(b, k->name);
	d->features = BLK_F_SEG_MAX | BLK_F_BLK_SIZE | BLK_F_FLUSH | BLK_F_DISCARD |
		      BLK_F_WRITE_ZEROES | (b->ro ? BLK_F_RO : 0);
	fill_config(d, b->disk.size / VDISK_SECTOR);
	return true;
}

/* The driver reset the device, or the VM was reset: the disk's contents stay (issue 14: a disk
 * survives its VM's resets), nothing else is held between requests. */
static void vblk_reset(struct virtio_dev *d)
{
	(void)d;
}

/* n bytes at sector lie on the disk (5.2.6.1: else IOERR). */
static bool inside(const struct vblk *b, u64 sector, u64 n)
{
	u64 sectors = b->disk.size / VDISK_SECTOR;
	return sector <= sectors && n / VDISK_SECTOR <= sectors - sector;
}

/* Keel's memory ran out under a write: the request fails, logged once per device. */
static u8 out_of_memory(struct virtio_dev *d)
{
	struct vblk *b = d->state;
	if (!b->oom_logged)
		log_err("vm %s: virtio-blk %u: keel is out of memory for the disk's copy-on-write "
			"blocks: writes fail with an I/O error",
			d->vm->name, d->index);
	b->oom_logged = true;
	return VBLK_S_IOERR;
}

/* Move n bytes between the disk at off and the chain's data segments, from byte skip of its
 * readable part (a write: the guest's bytes onto the disk) or of its writable part (a read):
 * one pass over the segments, a piece of a block at a time, where virtq_read and virtq_write
 * would seek from the chain's start for every block (a 1 MiB request has 256 segments). A new
 * block takes only the bytes written (vdisk_poke); a buffer that cannot be read leaves zeros
 * there, never keel's old bytes. */
static u8 move(struct virtio_dev *d, const struct virtq_chain *c, bool read, u32 skip, u64 off,
	       u32 n)
{
	struct vblk *b = d->state;
	u32 s = read ? c->nout : 0, end = read ? c->nout + c->nin : c->nout;
	for (; s < end && n; s++, skip = 0) {
		const struct virtq_seg *g = &c->seg[s];
		if (skip >= g->len) {
			skip -= g->len;
			continue;
		}
		for (u32 pos = skip, k, have; pos < g->len && n; pos += k, off += k, n -= k) {
			k = (u32)MIN(MIN(g->len - pos, n), VDISK_BLOCK - off % VDISK_BLOCK);
			if (read) {
				const u8 *p = vdisk_peek(&b->disk, off, &have);
				if (!gmem_write(&d->vm->mem, g->gpa + pos, p, MIN(k, have)))
					return VBLK_S_IOERR;
				continue;
			}
			u8 *p = vdisk_poke(&b->disk, off, k);
			if (!p)
				return out_of_memory(d);
			if (!gmem_read(&d->vm->mem, g->gpa + pos, p, k)) {
				memset(p, 0, k);
				return VBLK_S_IOERR;
			}
		}
	}
	return n ? VBLK_S_IOERR : VBLK_S_OK;
}

/* VIRTIO_BLK_T_IN: the disk's bytes into the writable part, all but its status byte. */
static u8 req_in(struct virtio_dev *d, const struct virtq_chain *c, u64 sector, u32 *written)
{
	struct vblk *b = d->state;
	u32 n = c->in_len - 1;
	if (n % VDISK_SECTOR || !inside(b, sector, n))
		return VBLK_S_IOERR;
	u8 status = move(d, c, true, 0, sector * VDISK_SECTOR, n);
	*written = status == VBLK_S_OK ? n : 0;
	return status;
}

/* VIRTIO_BLK_T_OUT: the readable part after the header onto the disk, copied once from the
 * guest's buffers into each block. */
static u8 req_out(struct virtio_dev *d, const struct virtq_chain *c, u64 sector)
{
	struct vblk *b = d->state;
	u32 n = c->out_len - HDR_LEN;
	if (b->ro || n % VDISK_SECTOR || !inside(b, sector, n))
		return VBLK_S_IOERR;
	return move(d, c, false, HDR_LEN, sector * VDISK_SECTOR, n);
}

/* One struct virtio_blk_discard_write_zeroes (5.2.6) of a request: UNSUPP for flags it may
 * not have (5.2.6.2: no unmap on a discard, no reserved bits), IOERR for a range too long or
 * off the disk. */
static u8 check_range(struct virtio_dev *d, const struct virtq_chain *c, u32 i, bool zeroes,
		      u64 *sector, u32 *n)
{
	const struct vblk *b = d->state;
	u8 r[RANGE_LEN];
	virtq_read(d, c, HDR_LEN + i * RANGE_LEN, r, RANGE_LEN);
	u32 flags;
	memcpy(sector, r, 8);
	memcpy(n, r + 8, 4);
	memcpy(&flags, r + 12, 4);
	if (flags & ~(zeroes ? RANGE_F_UNMAP : 0))
		return VBLK_S_UNSUPP;
	if (*n > RANGE_SECTS || !inside(b, *sector, (u64)*n * VDISK_SECTOR))
		return VBLK_S_IOERR;
	return VBLK_S_OK;
}

/* VIRTIO_BLK_T_DISCARD and _WRITE_ZEROES: every range checked before any is applied. */
static u8 req_ranges(struct virtio_dev *d, const struct virtq_chain *c, bool zeroes)
{
	struct vblk *b = d->state;
	u32 len = c->out_len - HDR_LEN, nr = len / RANGE_LEN;
	if (b->ro || !nr || len % RANGE_LEN || nr > VBLK_RANGES_MAX)
		return VBLK_S_IOERR;
	u64 sector;
	u32 n;
	for (u32 i = 0; i < nr; i++) {
		u8 s = check_range(d, c, i, zeroes, &sector, &n);
		if (s != VBLK_S_OK)
			return s;
	}
	for (u32 i = 0; i < nr; i++) {
		check_range(d, c, i, zeroes, &sector, &n);
		u64 off = sector * VDISK_SECTOR, bytes = (u64)n * VDISK_SECTOR;
		if (!(zeroes ? vdisk_zero(&b->disk, off, bytes)
			     : vdisk_discard(&b->disk, off, bytes)))
			return out_of_memory(d);
	}
	return VBLK_S_OK;
}

/* VIRTIO_BLK_T_GET_ID: the ID into the writable part, as much of it as fits. */
static u8 req_get_id(struct virtio_dev *d, const struct virtq_chain *c, u32 *written)
{
	const struct vblk *b = d->state;
	*written = MIN((u32)sizeof(b->id), c->in_len - 1);
	virtq_write(d, c, 0, b->id, *written);
	return VBLK_S_OK;
}

/* One request by type (5.2.6): its status; *written counts the data bytes put in the chain. */
static u8 request(struct virtio_dev *d, const struct virtq_chain *c, u32 type, u64 sector,
		  u32 *written)
{
	switch (type) {
	case VBLK_T_IN: return req_in(d, c, sector, written);
	case VBLK_T_OUT: return req_out(d, c, sector);
	case VBLK_T_FLUSH: return VBLK_S_OK; /* the store is keel's memory: nothing to flush */
	case VBLK_T_GET_ID: return req_get_id(d, c, written);
	case VBLK_T_DISCARD: return req_ranges(d, c, false);
	case VBLK_T_WRITE_ZEROES: return req_ranges(d, c, true);
	default: return VBLK_S_UNSUPP;
	}
}

/* keel's pages under the disk, its private blocks and the tree's: part of the VM's overhead. */
static u64 disk_pages(const struct vblk *b)
{
	return b->disk.private + b->disk.nodes;
}

bool vblk_serve(struct virtio_dev *d, u16 q, const struct virtq_chain *c)
{
	/* 5.2.6: a header to read and a status byte to write, last; without them the driver
	 * broke the rules and the request cannot even be answered. */
	u8 hdr[HDR_LEN];
	if (c->out_len < HDR_LEN || c->in_len < 1 || !virtq_read(d, c, 0, hdr, HDR_LEN)) {
		virtio_fail(d, "a request with no room for its header or status (%u+%u bytes)",
			    c->out_len, c->in_len);
		return false;
	}
	u32 type, written = 0;
	u64 sector;
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	u64 pages = disk_pages(d->state);
	u8 status = request(d, c, type, sector, &written);
	d->vm->overhead += (disk_pages(d->state) - pages) * VDISK_BLOCK; /* may go down: mod 2^64 */
	virtq_write(d, c, c->in_len - 1, &status, 1);
	virtq_push(d, q, c, written + 1);
	return true;
}

/* The driver made requests available: serve them all, then interrupt it once. */
static void vblk_notify(struct virtio_dev *d, u16 q)
{
	struct vblk *b = d->state;
	while (virtq_pop(d, q, &b->chain) > 0)
		if (!vblk_serve(d, q, &b->chain))
			return;
	virtq_signal(d, q);
}

/* vm-destroy: the disk's copy-on-write store goes back to the page allocator. */
static void vblk_free(struct virtio_dev *d)
{
	vdisk_free(&((struct vblk *)d->state)->disk);
}

const struct virtio_kind vblk_kind = {
	.name = "virtio-blk",
	.id = VIRTIO_ID_BLOCK,
	.class_code = 0x010000, /* mass storage, SCSI: what virtio-blk functions report */
	.nqueues = 1,
	.queue_size = VIRTQ_SIZE_MAX,
	.state_size = sizeof(struct vblk),
	.config_size = CFG_SIZE,
	.count = vblk_count,
	.init = vblk_init,
	.reset = vblk_reset,
	.notify = vblk_notify,
	.free = vblk_free,
};
