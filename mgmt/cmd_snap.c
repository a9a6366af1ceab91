/* Snapshots, rollback and clones (README "Snapshots"): the commands over mgmt/snapshot.c. */
#include "mgmt/cmds.h"
#include "drivers/timer.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "loader/vmconfig.h"
#include "mgmt/snapshot.h"
#include "mm/mm.h"
#include "vm/lifecycle.h"
#include "vdev/vdevs.h"
#include "vm/snapmem.h"
#include "vm/vmctl.h"

/* The "tag" argument: 1 to SNAP_TAG_MAX - 1 printable bytes. */
static bool arg_tag(struct cmd_ctx *c, char *tag)
{
	if (!cmd_arg_str(c, "tag", tag, SNAP_TAG_MAX, true))
		return false;
	if (!tag[0])
		return cmd_fail(c, CMD_ERR_GENERIC, "argument 'tag' is empty");
	for (const char *p = tag; *p; p++)
		if (*p <= ' ' || *p > '~')
			return cmd_fail(c, CMD_ERR_GENERIC,
					"argument 'tag' has a space or "
					"a control character");
	return true;
}

/* The snapshot named by "vm" and "tag": NULL, and c failed, if there is none. */
static struct snapshot *arg_snap(struct cmd_ctx *c)
{
	char tag[SNAP_TAG_MAX];
	struct vm *vm = cmd_arg_vm(c);
	if (!vm || !arg_tag(c, tag))
		return NULL;
	struct snapshot *s = snap_find(vm, tag);
	if (!s)
		cmd_fail(c, CMD_ERR_GENERIC, "VM %s has no snapshot '%s'", vm->name, tag);
	return s;
}

static void put_snap(struct jw *w, const struct snapshot *s)
{
	jw_obj_begin(w);
	jw_kstr(w, "vm", s->vm->name);
	jw_kstr(w, "tag", s->tag);
	jw_ku64(w, "vcpus", s->nvcpus);
	jw_ku64(w, "age-ms", tsc_to_us(tsc_now() - s->taken_tsc) / 1000);
	jw_ku64(w, "pages-held", snapmem_pages(s->mem));
	jw_ku64(w, "disk-blocks-held", snapdisk_blocks(s));
	jw_ku64(w, "state-bytes", s->vcpus_len + s->devs_len);
	jw_obj_end(w);
}

bool cmd_snapshot_save(struct cmd_ctx *c)
{
	char tag[SNAP_TAG_MAX];
	struct vm *vm = cmd_arg_vm(c);
	if (!vm || !arg_tag(c, tag))
		return false;
	const char *why;
	u64 t0 = tsc_now();
	struct snapshot *s = snap_save(vm, tag, &why);
	if (!s)
		return cmd_fail(c, CMD_ERR_GENERIC, "cannot snapshot VM %s: %s", vm->name, why);
	jw_obj_begin(c->out);
	jw_kstr(c->out, "vm", vm->name);
	jw_kstr(c->out, "tag", s->tag);
	jw_ku64(c->out, "time-us", tsc_to_us(tsc_now() - t0));
	jw_ku64(c->out, "state-bytes", s->vcpus_len + s->devs_len);
	jw_obj_end(c->out);
	return true;
}

bool cmd_snapshot_load(struct cmd_ctx *c)
{
	struct snapshot *s = arg_snap(c);
	if (!s)
		return false;
	u64 mem_tsc = 0, t0 = tsc_now();
	const char *why = snap_load(s->vm, s, &mem_tsc);
	if (why)
		return cmd_fail(c, CMD_ERR_GENERIC, "cannot roll VM %s back to %s: %s", s->vm->name,
				s->tag, why);
	jw_obj_begin(c->out);
	jw_kstr(c->out, "vm", s->vm->name);
	jw_kstr(c->out, "tag", s->tag);
	jw_ku64(c->out, "time-us", tsc_to_us(tsc_now() - t0));
	jw_ku64(c->out, "memory-us", tsc_to_us(mem_tsc));
	jw_ku64(c->out, "pages-restored", snapmem_restored_pages(s->vm));
	jw_obj_end(c->out);
	return true;
}

bool cmd_snapshot_delete(struct cmd_ctx *c)
{
	struct snapshot *s = arg_snap(c);
	if (!s)
		return false;
	snap_delete(s);
	return true;
}

bool cmd_query_snapshots(struct cmd_ctx *c)
{
	struct vm *vm = NULL;
	if (cmd_has_arg(c, "vm") && !(vm = cmd_arg_vm(c)))
		return false;
	jw_arr_begin(c->out);
	for (struct snapshot *s = snap_first(vm); s; s = snap_next(s, vm))
		put_snap(c->out, s);
	jw_arr_end(c->out);
	return true;
}

/* Why name cannot be a new VM's, or NULL. A destroyed VM (vm-destroy, or migrated away) stays
 * listed but leaves its name free: the VM may come back by a migration, or a clone or import
 * may take it. */
const char *snap_bad_name(const char *name)
{
	if (!name[0])
		return "the name is empty";
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return "a VM name has only letters, digits, '-', '_' and '.'";
	for (struct vm *vm = vm_list; vm; vm = vm->next)
		if (!strcmp(vm->name, name) && vm->state != VM_DESTROYED)
			return "a VM with this name exists";
	return NULL;
}

bool cmd_vm_clone(struct cmd_ctx *c)
{
	char name[VM_NAME_MAX];
	struct snapshot *s = arg_snap(c);
	if (!s || !cmd_arg_str(c, "name", name, sizeof(name), true))
		return false;
	const char *why = snap_bad_name(name);
	if (why)
		return cmd_fail(c, CMD_ERR_GENERIC, "cannot clone into '%s': %s", name, why);
	u64 t0 = tsc_now(), free0 = mm_free_pages();
	struct vm *vm = vm_create_like(s->vm, name);
	if (!vm)
		return cmd_fail(c, CMD_ERR_GENERIC, "cannot create VM %s (see keel's log)", name);
	if (!snap_clone_mem(vm, s)) /* the snapshot's pages, shared until written */
		why = "out of memory";
	else if (!(why = snapdisk_load(vm, s->disk, s->ndisks))) /* its own overlay */
		why = snap_load_records(vm, s->vcpus, s->vcpus_len, s->devs, s->devs_len);
	if (why) {
		vm_stop(vm, VM_END_ERROR, 0, "clone of %s/%s failed: %s", s->vm->name, s->tag, why);
		vdevs_free(vm);
		vm_free(vm);
		return cmd_fail(c, CMD_ERR_GENERIC, "cannot clone %s/%s: %s", s->vm->name, s->tag,
				why);
	}
	vm_lifecycle_add(vm);
	vm_start(vm);
	log_info("vm %s: cloned from snapshot %s of vm %s", vm->name, s->tag, s->vm->name);
	jw_obj_begin(c->out);
	jw_kstr(c->out, "name", vm->name);
	jw_ku64(c->out, "time-us", tsc_to_us(tsc_now() - t0));
	/* what the clone cost keel: its tables and bookkeeping, not its RAM (shared) */
	jw_ku64(c->out, "kib-used", (free0 - MIN(free0, mm_free_pages())) * (PAGE_SIZE / KiB));
	jw_obj_end(c->out);
	return true;
}
