/* Snapshots of VMs (README "Snapshots"): a VM's whole state at one moment, built from the three
 * parts DESIGN.md names: each vCPU's record (vm/vcpu_rec.h), each device's record
 * (vdev/vdevs.h) and its memory (vm/snapmem.h, shared copy-before-write with the VM). Kept in
 * keel's memory, named by the VM and a tag. Used on CPU 0 by the commands only. */
#ifndef KEEL_SNAPSHOT_H
#define KEEL_SNAPSHOT_H

#include "vdev/vdisk.h"
#include "vm/vm.h"

#define SNAP_TAG_MAX 32

struct snapshot {
	char tag[SNAP_TAG_MAX];
	struct vm *vm;
	struct snapmem *mem;
	u64 taken_tsc; /* host TSC when it was taken */
	u64 clock;     /* the guest clock (vclock_now) when it was taken */
	u32 nvcpus;
	u8 *vcpus; /* the vCPUs' records, one after another */
	u64 vcpus_len;
	u8 *devs; /* the devices' records (vdevs_save) */
	u64 devs_len;
	u32 ndisks;
	struct vdisk disk[VM_DISKS_MAX]; /* each disk's overlay: the blocks written (snapdisk.c) */
	struct snapshot *next;
};

/* vm's snapshot named tag, or NULL. */
struct snapshot *snap_find(const struct vm *vm, const char *tag);
/* The first snapshot of vm, or of any VM with vm NULL; then snap_next. */
struct snapshot *snap_first(const struct vm *vm);
struct snapshot *snap_next(const struct snapshot *s, const struct vm *vm);
/* Take a snapshot of vm (running or paused) named tag: NULL and *why if not. */
struct snapshot *snap_save(struct vm *vm, const char *tag, const char **why);
/* Roll vm back to s: NULL, or why not (vm unchanged unless the reason says otherwise).
 * *mem_tsc: TSC ticks its memory took. */
const char *snap_load(struct vm *vm, struct snapshot *s, u64 *mem_tsc);
/* Forget s. */
void snap_delete(struct snapshot *s);
/* Forget every snapshot of vm (it is being destroyed). */
void snap_delete_all(struct vm *vm);
/* Load vCPU and device records into vm (paused or not yet started): NULL, or why not. */
const char *snap_load_records(struct vm *vm, const u8 *vcpus, u64 vcpus_len, const u8 *devs,
			      u64 devs_len);

/* Check a snapshot file (len bytes at buf) and start VM name from it: NULL and *out, or why it
 * was refused (then nothing is left of it). */
const char *snap_import(const char *name, const u8 *buf, u64 len, struct vm **out);
/* Start the VMs whose boot modules are snapshot files (loader/vmconfig.h): how many started. */
u32 snap_import_boot(void);
/* Each 4 KiB page of s's memory that is not all zero, in address order: fn(ctx, address,
 * bytes), until it returns false. The VM is paused meanwhile (its RAM may be the snapshot's
 * page). False if fn stopped it or keel had no memory. */
bool snap_each_page(const struct snapshot *s, bool (*fn)(void *ctx, u64 gpa, const void *page),
		    void *ctx);
/* Give clone (vm_create_like(s->vm)) s's memory, sharing its pages (vm/snapmem.h
 * snapmem_clone); s's VM is paused meanwhile. False if keel ran out of memory. */
bool snap_clone_mem(struct vm *clone, const struct snapshot *s);
/* mgmt/snapdisk.c. Copy vm's disks' overlays into s (vm paused): NULL, or why not (then s
 * holds none). */
const char *snapdisk_save(struct vm *vm, struct snapshot *s);
/* Give s's disks back. */
void snapdisk_free(struct snapshot *s);
/* Replace vm's disks' overlays by copies of n overlays at from (over the same modules; vm
 * paused or not started): NULL, or why not (then vm's disks are unchanged). */
const char *snapdisk_load(struct vm *vm, const struct vdisk *from, u32 n);
/* The written blocks s's disks hold. */
u64 snapdisk_blocks(const struct snapshot *s);
/* Set block blk of vm's disk i (not started) to data (NULL: zeros): NULL, or why not. */
const char *snapdisk_set(struct vm *vm, u32 i, u64 blk, const u8 *data);
/* The header record a snapshot file (tag) or a migration's HELLO ("migration") gives vm:
 * its RAM, vCPUs, disks, NICs' switches, console and RNG (mgmt/cmd_snapio.c). */
struct snapf_header;
void snap_header(const struct vm *vm, const char *tag, struct snapf_header *h);
/* Why name cannot be a new VM's (a clone's, an import's), or NULL. */
const char *snap_bad_name(const char *name);

#endif
