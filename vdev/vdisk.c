/* A disk's copy-on-write overlay: see vdev/vdisk.h. */
#include "vdev/vdisk.h"
#include "vdev/vdev.h"
#include "lib/string.h"

#define VDISK_ZERO 1ull /* a leaf entry: the block reads as zeros and holds no page */
#define LEVEL_BITS 9	/* log2(VDISK_FANOUT) */

static const u8 zeros[VDISK_BLOCK];

/* The entries of the tree page at pa. */
static u64 *entries(u64 pa)
{
	return phys_to_virt(pa);
}

bool vdisk_init(struct vdisk *v, const u8 *base, u64 len)
{
	*v = (struct vdisk){.base = base, .size = ALIGN_DOWN(len, VDISK_SECTOR)};
	v->nblocks = ALIGN_UP(v->size, VDISK_BLOCK) / VDISK_BLOCK;
	v->levels = 1;
	while (v->levels <= VDISK_LEVELS && v->nblocks > 1ull << (LEVEL_BITS * v->levels))
		v->levels++;
	return v->levels <= VDISK_LEVELS;
}

/* The leaf entry of block blk, making the tree's pages on the way: NULL if keel is out of
 * memory. */
static u64 *leaf(struct vdisk *v, u64 blk)
{
	if (!v->root) {
		if (!(v->root = page_alloc(1)))
			return NULL;
		v->nodes++;
	}
	u64 *e = entries(v->root);
	for (u32 l = v->levels - 1; l > 0; l--) {
		u64 *next = &e[(blk >> (LEVEL_BITS * l)) % VDISK_FANOUT];
		if (!*next) {
			if (!(*next = page_alloc(1)))
				return NULL;
			v->nodes++;
		}
		e = entries(*next);
	}
	return &e[blk % VDISK_FANOUT];
}

/* The leaf entry of blk as it stands (0: the base's), making nothing. */
static u64 entry(const struct vdisk *v, u64 blk)
{
	u64 pa = v->root;
	for (u32 l = v->levels - 1; pa && l > 0; l--)
		pa = entries(pa)[(blk >> (LEVEL_BITS * l)) % VDISK_FANOUT];
	return pa ? entries(pa)[blk % VDISK_FANOUT] : 0;
}

const u8 *vdisk_peek(const struct vdisk *v, u64 off, u32 *n)
{
	u64 boff = off % VDISK_BLOCK;
	*n = (u32)MIN(VDISK_BLOCK - boff, v->size - off);
	u64 e = entry(v, off / VDISK_BLOCK);
	if (e == VDISK_ZERO)
		return zeros + boff;
	return e ? (const u8 *)phys_to_virt(e) + boff : v->base + off;
}

/* The bytes of block blk that lie on the disk (the last block may be short). */
static u32 block_len(const struct vdisk *v, u64 blk)
{
	return (u32)MIN(VDISK_BLOCK, v->size - blk * VDISK_BLOCK);
}

/* Fill the parts of a new private block at page p outside [boff, boff + len), which the
 * caller writes: from the base (e is 0) or zeros (VDISK_ZERO); past the disk's end, zeros, so
 * no stale keel memory reaches a snapshot (vdisk_each hands out whole blocks). A write of the
 * whole block fills nothing: the page is written once, not cleared, copied and written. */
static void fill_rest(const struct vdisk *v, u64 blk, u8 *p, u64 e, u32 boff, u32 len)
{
	u32 have = block_len(v, blk), end = boff + len;
	const u8 *from = e ? zeros : v->base + blk * VDISK_BLOCK;
	memcpy(p, from, boff);
	if (end < have)
		memcpy(p + end, from + end, have - end);
	memset(p + MAX(end, have), 0, VDISK_BLOCK - MAX(end, have));
}

u8 *vdisk_poke(struct vdisk *v, u64 off, u32 len)
{
	u64 blk = off / VDISK_BLOCK, boff = off % VDISK_BLOCK;
	u64 *e = leaf(v, blk);
	if (!e)
		return NULL;
	if (*e && *e != VDISK_ZERO)
		return (u8 *)phys_to_virt(*e) + boff;
	u64 pa = page_alloc_uncleared(1, VDISK_BLOCK);
	if (!pa)
		return NULL;
	u8 *p = phys_to_virt(pa);
	fill_rest(v, blk, p, *e, (u32)boff, len);
	*e = pa;
	v->private ++;
	return p + boff;
}

/* Make block blk read as zeros with no page of its own. */
static bool drop_block(struct vdisk *v, u64 blk)
{
	u64 *e = leaf(v, blk);
	if (!e)
		return false;
	if (*e && *e != VDISK_ZERO) {
		page_free(*e, 1);
		v->private --;
	}
	*e = VDISK_ZERO;
	return true;
}

/* Zero or discard [off, off + len) block by block: whole blocks are dropped, the parts of
 * partial ones zeroed if zero_parts. */
static bool forget(struct vdisk *v, u64 off, u64 len, bool zero_parts)
{
	u64 end = off + len;
	while (off < end) {
		u64 blk = off / VDISK_BLOCK, boff = off % VDISK_BLOCK;
		u32 n = (u32)MIN(block_len(v, blk) - boff, end - off);
		if (boff == 0 && n == block_len(v, blk)) {
			if (!drop_block(v, blk))
				return false;
		} else if (zero_parts) {
			u8 *p = vdisk_poke(v, off, n);
			if (!p)
				return false;
			memset(p, 0, n);
		}
		off += n;
	}
	return true;
}

bool vdisk_zero(struct vdisk *v, u64 off, u64 len)
{
	return forget(v, off, len, true);
}

bool vdisk_discard(struct vdisk *v, u64 off, u64 len)
{
	return forget(v, off, len, false);
}

/* Free the tree page at pa, level levels above the leaves, and everything under it. */
static void free_node(u64 pa, u32 level)
{
	u64 *e = entries(pa);
	for (u32 i = 0; i < VDISK_FANOUT; i++) {
		if (!e[i] || e[i] == VDISK_ZERO)
			continue;
		if (level)
			free_node(e[i], level - 1);
		else
			page_free(e[i], 1);
	}
	page_free(pa, 1);
}

void vdisk_free(struct vdisk *v)
{
	if (v->root)
		free_node(v->root, v->levels - 1);
	v->root = v->private = v->nodes = 0;
}

/* A copy of the tree page at pa, level levels above the leaves, in dst: 0 if out of memory
 * (what was copied is dst's, freed with it). */
static u64 copy_node(struct vdisk *dst, u64 pa, u32 level)
{
	u64 to = page_alloc(1);
	if (!to)
		return 0;
	dst->nodes++;
	const u64 *e = entries(pa);
	u64 *t = entries(to);
	for (u32 i = 0; i < VDISK_FANOUT; i++) {
		if (!e[i] || e[i] == VDISK_ZERO) {
			t[i] = e[i];
			continue;
		}
		if (level) {
			t[i] = copy_node(dst, e[i], level - 1);
		} else if ((t[i] = page_alloc(1))) {
			memcpy(phys_to_virt(t[i]), phys_to_virt(e[i]), VDISK_BLOCK);
			dst->private ++;
		}
		if (!t[i])
			return to; /* dst->root is set by the caller: vdisk_free frees this too */
	}
	return to;
}

bool vdisk_copy(struct vdisk *dst, const struct vdisk *src)
{
	if (!src->root)
		return true;
	u64 before = dst->nodes + dst->private;
	dst->root = copy_node(dst, src->root, src->levels - 1);
	if (dst->root && dst->nodes + dst->private - before == src->nodes + src->private)
		return true;
	vdisk_free(dst);
	return false;
}

/* The leaves under the tree page at pa, level levels above them, whose first block is first. */
static bool each_node(u64 pa, u32 level, u64 first, bool (*fn)(void *, u64, const u8 *), void *ctx)
{
	const u64 *e = entries(pa);
	u64 span = 1ull << (LEVEL_BITS * level);
	for (u32 i = 0; i < VDISK_FANOUT; i++) {
		u64 blk = first + i * span;
		if (!e[i])
			continue;
		bool ok = level ? each_node(e[i], level - 1, blk, fn, ctx)
				: fn(ctx, blk, e[i] == VDISK_ZERO ? NULL : phys_to_virt(e[i]));
		if (!ok)
			return false;
	}
	return true;
}

bool vdisk_each(const struct vdisk *v, bool (*fn)(void *ctx, u64 blk, const u8 *data), void *ctx)
{
	return !v->root || each_node(v->root, v->levels - 1, 0, fn, ctx);
}

bool vdisk_set(struct vdisk *v, u64 blk, const u8 *data)
{
	if (!data)
		return drop_block(v, blk);
	u32 n = block_len(v, blk);
	u8 *p = vdisk_poke(v, blk * VDISK_BLOCK, n);
	if (p)
		memcpy(p, data, n);
	return p != NULL;
}
