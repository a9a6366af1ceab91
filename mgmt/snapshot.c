/* Snapshots in keel's memory (mgmt/snapshot.h): pause, take each part's state, resume. */
#include "mgmt/snapshot.h"
#include "drivers/timer.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "vdev/vdevs.h"
#include "vm/bus.h"
#include "vdev/vrecord.h"
#include "vm/sched.h"
#include "vm/snapmem.h"
#include "vm/vcpu_rec.h"
#include "vm/virq.h"
#include "vm/vmctl.h"

/* Room for every device's record: each device once, the local APIC once per vCPU. */
#define DEVS_MAX ((u64)(VM_DEVICES_MAX + VM_MAX_VCPUS) * VREC_MAX)

static struct snapshot *snaps; /* newest first; only CPU 0 (the commands) touches it */

struct snapshot *snap_next(const struct snapshot *s, const struct vm *vm)
{
	for (s = s->next; s; s = s->next)
		if (!vm || s->vm == vm)
			return (struct snapshot *)s;
	return NULL;
}

struct snapshot *snap_first(const struct vm *vm)
{
	struct snapshot head = {.next = snaps};
	return snap_next(&head, vm);
}

struct snapshot *snap_find(const struct vm *vm, const char *tag)
{
	for (struct snapshot *s = snap_first(vm); s; s = snap_next(s, vm))
		if (!strcmp(s->tag, tag))
			return s;
	return NULL;
}

/* A copy of n bytes of buf on the heap (NULL if out of memory). */
static u8 *dup(const u8 *buf, u64 n)
{
	u8 *p = kmalloc(n ? n : 1);
	if (p)
		memcpy(p, buf, n);
	return p;
}

/* Every vCPU's record, one after another, into a fresh heap block. */
static bool save_vcpus(struct vm *vm, struct snapshot *s, u64 now)
{
	u8 *buf = kmalloc((u64)vm->nvcpus * VCPU_REC_MAX);
	if (!buf)
		return false;
	u64 at = 0;
	for (u32 i = 0; i < vm->nvcpus; i++) {
		u64 n = vcpu_rec_save(vm->vcpu[i], now, buf + at, VCPU_REC_MAX);
		if (!n) {
			kfree(buf);
			return false;
		}
		at += n;
	}
	s->vcpus = dup(buf, at);
	s->vcpus_len = at;
	kfree(buf);
	return s->vcpus != NULL;
}

static bool save_devs(struct vm *vm, struct snapshot *s)
{
	u8 *buf = kmalloc(DEVS_MAX);
	if (!buf)
		return false;
	u64 n = vdevs_save(vm, buf, DEVS_MAX);
	s->devs = n ? dup(buf, n) : NULL;
	s->devs_len = n;
	kfree(buf);
	return s->devs != NULL;
}

static void free_snap(struct snapshot *s)
{
	snapdisk_free(s);
	kfree(s->vcpus);
	kfree(s->devs);
	kfree(s);
}

/* Why vm cannot be snapshotted as it is, or NULL. */
static const char *refuse_save(const struct vm *vm, const char *tag)
{
	if (vm->state != VM_RUNNING || vm->end)
		return "the VM is not running";
	if (snapmem_logging(vm))
		return "the VM is being migrated";
	if (snap_find(vm, tag))
		return "the VM has a snapshot with this tag";
	return NULL;
}

/* vm's state into s while it is paused. */
static const char *take(struct vm *vm, struct snapshot *s)
{
	u64 now = vclock_now();
	s->clock = now;
	s->taken_tsc = tsc_now();
	s->nvcpus = vm->nvcpus;
	if (!save_vcpus(vm, s, now) || !save_devs(vm, s))
		return "out of memory for the vCPUs' or devices' records";
	const char *why = snapdisk_save(vm, s);
	if (why)
		return why;
	dev_lock(vm); /* no device writes its RAM meanwhile (console input, say) */
	s->mem = snapmem_take(vm);
	dev_unlock(vm);
	return s->mem ? NULL : "out of memory for the snapshot's bookkeeping";
}

struct snapshot *snap_save(struct vm *vm, const char *tag, const char **why)
{
	if ((*why = refuse_save(vm, tag)))
		return NULL;
	struct snapshot *s = kmalloc(sizeof(*s));
	if (!s) {
		*why = "out of memory";
		return NULL;
	}
	*s = (struct snapshot){0};
	strlcpy(s->tag, tag, sizeof(s->tag));
	s->vm = vm;
	bool was_paused = vm_is_paused(vm);
	if (!was_paused && (*why = vm_pause(vm))) {
		free_snap(s);
		return NULL;
	}
	*why = take(vm, s);
	if (!was_paused)
		vm_resume(vm);
	if (*why) {
		free_snap(s);
		return NULL;
	}
	s->next = snaps;
	snaps = s;
	log_info("vm %s: snapshot %s taken (%llu bytes of vCPU and device state, %llu disk blocks)",
		 vm->name, s->tag, s->vcpus_len + s->devs_len, snapdisk_blocks(s));
	return s;
}

const char *snap_load_records(struct vm *vm, const u8 *vcpus, u64 vcpus_len, const u8 *devs,
			      u64 devs_len)
{
	u64 at = 0, now = vclock_now();
	for (u32 i = 0; i < vm->nvcpus; i++) {
		u64 n = vrec_len(vcpus + at, vcpus_len - at);
		const char *why = vcpu_rec_load(vm->vcpu[i], now, vcpus + at, n);
		if (why)
			return why;
		at += n;
	}
	if (at != vcpus_len)
		return "more vCPU records than the VM has vCPUs";
	return vdevs_load(vm, devs, devs_len);
}

const char *snap_load(struct vm *vm, struct snapshot *s, u64 *mem_tsc)
{
	if (vm->state != VM_RUNNING || vm->end)
		return "the VM is not running";
	bool was_paused = vm_is_paused(vm);
	const char *why = was_paused ? NULL : vm_pause(vm);
	if (why)
		return why;
	if ((why = snapdisk_load(vm, s->disk, s->ndisks))) { /* first: it may fail, unchanged */
		if (!was_paused)
			vm_resume(vm);
		return why;
	}
	u64 t0 = tsc_now();
	dev_lock(vm);
	bool restored = snapmem_restore(vm, s->mem);
	dev_unlock(vm);
	*mem_tsc = tsc_now() - t0;
	if (!restored)
		why = "out of memory restoring the VM's pages";
	else
		why = snap_load_records(vm, s->vcpus, s->vcpus_len, s->devs, s->devs_len);
	for (u32 i = 0; i < vm->nvcpus; i++)
		sched_resync(vm->vcpu[i]);
	if (!why)
		log_info("vm %s: rolled back to snapshot %s (%llu pages restored)", vm->name,
			 s->tag, snapmem_restored_pages(vm));
	if (why) /* its memory is the snapshot's, its state a mix: it cannot go on */
		vm_stop(vm, VM_END_ERROR, 0, "rolling back to snapshot %s failed: %s", s->tag, why);
	if (!was_paused)
		vm_resume(vm);
	return why;
}

/* Pause vm if it runs and is not paused: true if it was paused here (resume it after). */
static bool pause_here(struct vm *vm)
{
	return vm->state == VM_RUNNING && !vm_is_paused(vm) && !vm_pause(vm);
}

static bool zero_page(const u64 *p)
{
	for (u32 i = 0; i < PAGE_SIZE / 8; i++)
		if (p[i])
			return false;
	return true;
}

bool snap_each_page(const struct snapshot *s, bool (*fn)(void *ctx, u64 gpa, const void *page),
		    void *ctx)
{
	struct vm *vm = s->vm;
	u64 *page = kmalloc(PAGE_SIZE);
	if (!page)
		return false;
	bool paused_here = pause_here(vm), ok = true;
	u64 top = gmem_top(&vm->mem);
	for (u64 gpa = 0; ok && gpa < top;
	     gpa = gpa + PAGE_SIZE == vm->mem.low_end ? GMEM_HIGH_BASE : gpa + PAGE_SIZE) {
		ok = snapmem_read_page(vm, s->mem, gpa, page);
		if (ok && !zero_page(page))
			ok = fn(ctx, gpa, page);
	}
	if (paused_here)
		vm_resume(vm);
	kfree(page);
	return ok;
}

bool snap_clone_mem(struct vm *clone, const struct snapshot *s)
{
	struct vm *vm = s->vm;
	bool paused_here = pause_here(vm);
	dev_lock(vm); /* its devices write no RAM meanwhile: the source's frames become shared */
	bool ok = snapmem_clone(clone, s->mem);
	dev_unlock(vm);
	if (paused_here)
		vm_resume(vm);
	return ok;
}

/* Snapshot memory changes only while the VM's vCPUs are off their CPUs: a running VM is
 * paused around the drop, one that has ended has none left running. */
void snap_delete(struct snapshot *s)
{
	struct vm *vm = s->vm;
	struct snapshot **p = &snaps;
	while (*p != s)
		p = &(*p)->next;
	*p = s->next;
	bool paused_here = pause_here(vm);
	dev_lock(vm);
	snapmem_drop(vm, s->mem);
	dev_unlock(vm);
	if (paused_here)
		vm_resume(vm);
	free_snap(s);
}

void snap_delete_all(struct vm *vm)
{
	struct snapshot *s;
	while ((s = snap_first(vm)))
		snap_delete(s);
}
