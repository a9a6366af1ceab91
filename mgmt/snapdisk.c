/* A snapshot's disks (README "Snapshots"): each virtio-blk disk's copy-on-write overlay
 * (vdev/vdisk.h) is part of the VM's state. Saving copies the blocks the guest wrote (never the
 * module, which no VM writes), loading gives the VM a copy of the snapshot's, so the snapshot
 * stays as it was for the next rollback or clone. Callers hold the VM paused. */
#include "mgmt/snapshot.h"
#include "lib/string.h"
#include "vdev/vblk.h"
#include "vdev/virtio_kinds.h"
#include "vm/bus.h"

/* vm's disk i's store: every disk of vm->hw has its virtio-blk device. */
static struct vdisk *disk_of(struct vm *vm, u32 i)
{
	struct virtio_dev *d = virtio_find(vm, &vblk_kind, i);
	return d ? &((struct vblk *)d->state)->disk : NULL;
}

/* An empty overlay over v's base. */
static struct vdisk empty_like(const struct vdisk *v)
{
	struct vdisk e = *v;
	e.root = e.private = e.nodes = 0;
	return e;
}

static u64 held(const struct vdisk *v)
{
	return v->private + v->nodes;
}

void snapdisk_free(struct snapshot *s)
{
	for (u32 i = 0; i < s->ndisks; i++)
		vdisk_free(&s->disk[i]);
	s->ndisks = 0;
}

const char *snapdisk_save(struct vm *vm, struct snapshot *s)
{
	const char *why = NULL;
	s->ndisks = 0;
	dev_lock(vm);
	for (u32 i = 0; i < vm->hw.ndisks && !why; i++) {
		const struct vdisk *v = disk_of(vm, i);
		if (!v) {
			why = "a disk has no device";
			break;
		}
		s->disk[i] = empty_like(v);
		if (!vdisk_copy(&s->disk[i], v))
			why = "out of memory for the disk's written blocks";
		else
			s->ndisks++;
	}
	dev_unlock(vm);
	if (why)
		snapdisk_free(s);
	return why;
}

const char *snapdisk_load(struct vm *vm, const struct vdisk *from, u32 n)
{
	struct vdisk copy[VM_DISKS_MAX];
	if (n != vm->hw.ndisks)
		return "the snapshot has another number of disks than the VM";
	for (u32 i = 0; i < n; i++) {
		const struct vdisk *v = disk_of(vm, i);
		if (!v || v->base != from[i].base || v->size != from[i].size)
			return "a disk of the VM is not over the snapshot's module";
	}
	dev_lock(vm);
	u32 made = 0;
	for (; made < n; made++) {
		struct vdisk *v = disk_of(vm, made);
		copy[made] = empty_like(v);
		if (!vdisk_copy(&copy[made], &from[made]))
			break;
	}
	if (made < n) { /* the VM's disks stay as they are */
		for (u32 i = 0; i < made; i++)
			vdisk_free(&copy[i]);
		dev_unlock(vm);
		return "out of memory for the disk's written blocks";
	}
	for (u32 i = 0; i < n; i++) {
		struct vdisk *v = disk_of(vm, i);
		vm->overhead += (held(&copy[i]) - held(v)) * VDISK_BLOCK; /* mod 2^64, as vblk */
		vdisk_free(v);
		*v = copy[i];
	}
	dev_unlock(vm);
	return NULL;
}

u64 snapdisk_blocks(const struct snapshot *s)
{
	u64 n = 0;
	for (u32 i = 0; i < s->ndisks; i++)
		n += s->disk[i].private;
	return n;
}

const char *snapdisk_set(struct vm *vm, u32 i, u64 blk, const u8 *data)
{
	struct vdisk *v = disk_of(vm, i);
	if (!v || blk >= v->nblocks)
		return "a disk block is outside the disk";
	dev_lock(vm);
	u64 before = held(v);
	bool ok = vdisk_set(v, blk, data);
	vm->overhead += (held(v) - before) * VDISK_BLOCK;
	dev_unlock(vm);
	return ok ? NULL : "keel is out of memory for the disks' written blocks";
}
