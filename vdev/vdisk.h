/* A VM's disk: a module's bytes, never written, under a copy-on-write overlay of 4 KiB blocks
 * in keel's memory (issue 14, item 3). Each virtio-blk device owns one, so VMs sharing an image
 * see only their own writes; the overlay outlives the VM's resets (vdev/vblk.c keeps it).
 *
 * The overlay is a radix tree of pages of 512 entries, as deep as the disk needs (1 level up
 * to 2 MiB, 2 up to 1 GiB, 3 up to 512 GiB): a look-up is at most 3 steps, and the overlay
 * never holds more blocks than the disk has, plus about one entry page for every 512 of them.
 * A leaf entry is 0 (the block is the base's), VDISK_ZERO (zeros, no memory: a discarded or
 * zeroed block) or the physical address of the VM's private copy. Callers hold the VM's
 * device lock; the base may be read by many VMs at once. */
#ifndef KEEL_VDISK_H
#define KEEL_VDISK_H

#include "lib/types.h"

#define VDISK_BLOCK  4096
#define VDISK_SECTOR 512
#define VDISK_FANOUT 512 /* entries in one page of the tree */
#define VDISK_LEVELS 3	 /* at most: 512^3 blocks of 4 KiB are 512 GiB */

struct vdisk {
	const u8 *base; /* the module's bytes */
	u64 size;	/* bytes the guest sees: the module's size in whole sectors */
	u64 nblocks;	/* 4 KiB blocks covering size (the last may be partial) */
	u32 levels;	/* of the tree */
	u64 root;	/* physical address of the top page, 0 until the first write */
	u64 private;	/* blocks with a private copy (pages held) */
	u64 nodes;	/* pages of the tree itself */
};

/* Set up v over len bytes at base (the tail past a whole sector is ignored): false if the
 * disk is larger than the tree can cover. No memory is taken before the first write. */
bool vdisk_init(struct vdisk *v, const u8 *base, u64 len);
/* Release every page of the overlay: the disk reads as its base again. */
void vdisk_free(struct vdisk *v);
/* The current bytes at off (< size): a pointer to *n readable bytes, up to the end of off's
 * block or of the disk. Never NULL: zeroed blocks read from a page of zeros. */
const u8 *vdisk_peek(const struct vdisk *v, u64 off, u32 *n);
/* Make off's block private and return where to write len bytes at off (off + len inside
 * that block): NULL if keel is out of memory. A new private block gets only the bytes outside
 * [off, off + len) from what it read as (the base or zeros): the caller must write all len. */
u8 *vdisk_poke(struct vdisk *v, u64 off, u32 len);
/* Zero [off, off + len): whole blocks become zero blocks (their copies freed), the parts of
 * partial ones are zeroed in a private copy. False if keel ran out of memory on the way. */
bool vdisk_zero(struct vdisk *v, u64 off, u64 len);
/* Forget [off, off + len) as a discard may (virtio 1.2 5.2.6.2): whole blocks become zero
 * blocks; partial ones stay as they are. False if keel ran out of memory on the way. */
bool vdisk_discard(struct vdisk *v, u64 off, u64 len);

/* Snapshots (mgmt/snapdisk.c): the overlay is part of the VM's state. */
/* Copy src's overlay into dst, a disk over the same base (vdisk_init'ed, its overlay empty):
 * the tree, each private block and each zero block, so the cost is in proportion to what was
 * written, never to the disk's size. False, dst left empty, if keel ran out of memory. */
bool vdisk_copy(struct vdisk *dst, const struct vdisk *src);
/* Each block of the overlay, in block order: fn(ctx, block, its 4 KiB or NULL for a zero
 * block), until it returns false (then false). */
bool vdisk_each(const struct vdisk *v, bool (*fn)(void *ctx, u64 blk, const u8 *data), void *ctx);
/* Block blk (< nblocks) becomes data's VDISK_BLOCK bytes (those past the disk's end ignored),
 * or zeros with no page if data is NULL. False if keel is out of memory. */
bool vdisk_set(struct vdisk *v, u64 blk, const u8 *data);

#endif
