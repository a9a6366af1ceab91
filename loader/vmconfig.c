/* From boot modules to VMs: parse each module's definition, attach extra modules to their
 * VM, create the VM, load its image, queue its first vCPU. Any failure costs only that VM. */
#include "loader/vmconfig.h"
#include "vm/vcpu_rec.h"
#include "kernel/cmdline.h"
#include "drivers/timer.h"
#include "loader/guest_boot.h"
#include "lib/string.h"
#include "kernel/log.h"
#include "kernel/percpu.h"
#include "vm/kvmclock.h"
#include "vm/lifecycle.h"
#include "vm/cpustate.h"
#include "vm/sched.h"
#include "vm/virt.h"
#include "vm/vmctl.h"
#include "loader/vmdef.h"
#include "mgmt/snapfile.h" /* SNAPF_MAGIC: the format is mgmt/'s */
#include "mm/mm.h"
#include "vdev/vdevs.h"
#include "exit/exit.h"

static const struct vmdef *find_vm(const struct vmdef *defs, const bool *ok, int n,
				   const char *name)
{
	for (int i = 0; i < n; i++)
		if (ok[i] && defs[i].kind == VMDEF_VM && !strcmp(defs[i].name, name))
			return &defs[i];
	return NULL;
}

_Static_assert(GUEST_NAME_MAX == sizeof(((struct vmdef *)0)->image), "module paths fit");

/* A copy of s on the heap, or NULL. */
static char *copy_string(const char *s)
{
	size_t n = strlen(s) + 1;
	char *c = kmalloc(n);
	if (c)
		memcpy(c, s, n);
	return c;
}

/* Free what image_of built (a VM refused before it owned it). */
static void image_free(struct guest_image *gi)
{
	for (int i = 0; i < gi->nmods; i++)
		kfree(gi->mods[i].string);
	kfree(gi);
}

/* An extra module of the VM: its name and string copied, its bytes left where they are. */
static bool add_module(struct guest_image *gi, const struct vmdef *d, const struct boot_module *m)
{
	struct guest_module *g = &gi->mods[gi->nmods];
	g->string = copy_string(m->str);
	if (!g->string)
		return false;
	strlcpy(g->name, d->image, sizeof(g->name));
	g->data = phys_to_virt(m->start);
	g->len = m->end - m->start;
	gi->nmods++;
	return true;
}

/* Everything VM i loads, in a struct the VM owns (NULL, logged, if memory runs out). */
static struct guest_image *image_of(const struct boot_info *bi, const struct vmdef *defs,
				    const bool *ok, int i)
{
	const struct vmdef *d = &defs[i];
	struct guest_image *gi = kmalloc(sizeof(*gi));
	if (!gi)
		goto oom;
	strlcpy(gi->image_name, d->image[0] ? d->image : d->name, sizeof(gi->image_name));
	gi->data = phys_to_virt(bi->mods[i].start);
	gi->len = bi->mods[i].end - bi->mods[i].start;
	for (int j = 0; j < bi->nmods; j++) {
		if (!ok[j] || defs[j].kind == VMDEF_VM || strcmp(defs[j].name, d->name))
			continue;
		if (defs[j].kind == VMDEF_DISK)
			continue; /* hw_of's */
		if (defs[j].kind == VMDEF_INITRD) {
			if (gi->initrd) {
				log_err("vm %s: a second initrd %s ignored", d->name,
					defs[j].image);
				vm_count_refused();
			}
			strlcpy(gi->initrd_name, defs[j].image[0] ? defs[j].image : "initrd",
				sizeof(gi->initrd_name));
			gi->initrd = phys_to_virt(bi->mods[j].start);
			gi->initrd_len = bi->mods[j].end - bi->mods[j].start;
			continue;
		}
		if (gi->nmods == GUEST_MAX_MODULES) {
			log_err("vm %s: more than %d modules; %s ignored", d->name,
				GUEST_MAX_MODULES, defs[j].image);
			vm_count_refused();
			continue;
		}
		if (!add_module(gi, &defs[j], &bi->mods[j])) {
			image_free(gi);
			goto oom;
		}
	}
	return gi;
oom:
	log_err("vm %s: out of memory for its image's description; not started", d->name);
	return NULL;
}

/* The first NIC's address when mac= does not give one: locally administered, unicast, from
 * the VM's name (FNV-1a), so a VM keeps it from run to run; NIC n adds n to the last byte. */
static void default_mac(const char *name, u8 *mac)
{
	u32 h = 2166136261u;
	for (; *name; name++)
		h = (h ^ (u8)*name) * 16777619u;
	mac[0] = 0x02;
	mac[1] = 0x6b; /* 'k' */
	for (int i = 0; i < 4; i++)
		mac[2 + i] = (u8)(h >> (8 * i));
}

/* What VM i has besides CPUs and RAM: its disks in module order, a NIC per switch, its
 * console and entropy source. False (logged) if it has more disks than it can take. */
static bool hw_of(const struct boot_info *bi, const struct vmdef *defs, const bool *ok, int i,
		  struct vm_hw *hw)
{
	const struct vmdef *d = &defs[i];
	*hw = (struct vm_hw){.virtio_console = d->virtio_console, .rng = !d->no_rng};
	for (int j = 0; j < bi->nmods; j++) {
		if (!ok[j] || defs[j].kind != VMDEF_DISK || strcmp(defs[j].name, d->name))
			continue;
		if (hw->ndisks == VM_DISKS_MAX) {
			log_err("vm %s: more than %d disks; %s refused", d->name, VM_DISKS_MAX,
				defs[j].image);
			return false;
		}
		struct vm_disk *k = &hw->disk[hw->ndisks++];
		k->data = phys_to_virt(bi->mods[j].start);
		k->len = bi->mods[j].end - bi->mods[j].start;
		k->ro = defs[j].ro;
		strlcpy(k->name, defs[j].image[0] ? defs[j].image : "disk", sizeof(k->name));
	}
	hw->nnics = d->nnics;
	for (u32 n = 0; n < d->nnics; n++) {
		strlcpy(hw->nic[n].sw, d->sw[n], sizeof(hw->nic[n].sw));
		if (d->has_mac)
			memcpy(hw->nic[n].mac, d->mac, 6);
		else
			default_mac(d->name, hw->nic[n].mac);
		hw->nic[n].mac[5] = (u8)(hw->nic[n].mac[5] + n);
	}
	return true;
}

/* A new VM's devices, and what the exit handlers keep per VM (its CPUID answers). */
static bool attach(struct vm *vm)
{
	return vdevs_attach(vm) && exit_vm_attach(vm);
}

/* The CPUs keel runs on, as a mask. */
static u64 online_cpus(void)
{
	u64 online = 0;
	for (u32 c = 0; c < ncpus; c++)
		if (cpus[c].online)
			online |= BIT(c);
	return online;
}

static bool start_vm(const struct boot_info *bi, const struct vmdef *defs, const bool *ok, int i)
{
	const struct vmdef *d = &defs[i];
	u64 online = online_cpus();
	if (d->pin && !(d->pin & online)) {
		log_err("vm %s: pin=%#llx names no online CPU (online: %#llx); not started",
			d->name, d->pin, online);
		return false;
	}
	struct vm_hw hw;
	if (!hw_of(bi, defs, ok, i, &hw))
		return false;
	struct guest_image *gi = image_of(bi, defs, ok, i);
	if (!gi)
		return false;
	struct vm *vm = vm_create(d->name, d->mem, d->cpus, &hw, attach, false);
	if (!vm) {
		image_free(gi);
		return false;
	}
	vm->weight = d->weight ? d->weight : SCHED_WEIGHT;
	vm->cap = d->cap;
	vm->pin = d->pin ? d->pin & online : online;
	strlcpy(vm->cmdline, d->cmdline, sizeof(vm->cmdline));
	vm->on_reset_restart = d->on_reset_restart;
	vm->image = gi;
	struct vcpu_boot_state s;
	if (!guest_load(vm, gi, &s)) {
		vm_stop(vm, VM_END_ERROR, 0, "image could not be loaded");
		vm_destroy(vm);
		return false;
	}
	virt->vcpu_reset(vm->vcpu[0], &s);
	vm->vcpu[0]->state = VCPU_RUNNABLE;
	/* Secondary vCPUs wait for the guest to start them (INIT/SIPI through its LAPIC). */
	for (u32 c = 1; c < vm->nvcpus; c++)
		vm->vcpu[c]->state = VCPU_WAIT_SIPI;
	log_info("vm %s: %llu MiB, %u vCPU%s, weight %u%s, CPUs %#llx, keel overhead %llu KiB%s%s",
		 vm->name, (d->mem / MiB), vm->nvcpus, vm->nvcpus == 1 ? "" : "s", vm->weight,
		 vm->cap ? ", capped" : "", vm->pin, (vm->overhead / KiB),
		 vm->cmdline[0] ? ", cmdline " : "", vm->cmdline);
	vm_lifecycle_add(vm);
	vm->debug_wait = d->gdb_wait;
	if (d->gdb_wait && !keel_cfg.gdb_port)
		log_warn("vm %s: gdb=wait, but keel has no gdb= stub: it waits for vm-start",
			 vm->name);
	else if (d->gdb_wait)
		log_info("vm %s: gdb=wait: waits for gdb (README \"Debugging a guest\")", vm->name);
	else if (d->no_start)
		log_info("vm %s: start=no: waits for vm-start", vm->name);
	else
		vm_start(vm);
	return true;
}

/* vm_create_with, its RAM paged (for a clone) or not. */
static struct vm *create_with(const char *name, u64 ram, u32 nvcpus, const struct vm_hw *hw,
			      bool paged)
{
	struct vm_hw own = *hw;
	for (u32 n = 0; n < own.nnics; n++) { /* its own addresses, from its own name */
		default_mac(name, own.nic[n].mac);
		own.nic[n].mac[5] = (u8)(own.nic[n].mac[5] + n);
	}
	struct vm *vm = vm_create(name, ram, nvcpus, &own, attach, paged);
	if (vm) {
		vm->weight = SCHED_WEIGHT;
		vm->pin = online_cpus();
	}
	return vm;
}

struct vm *vm_create_with(const char *name, u64 ram, u32 nvcpus, const struct vm_hw *hw)
{
	return create_with(name, ram, nvcpus, hw, false);
}

struct vm *vm_create_like(const struct vm *src, const char *name)
{
	struct vm *vm = create_with(name, src->mem.size, src->nvcpus, &src->hw, true);
	if (!vm)
		return NULL;
	vm->weight = src->weight;
	vm->cap = src->cap;
	vm->pin = src->pin;
	strlcpy(vm->cmdline, src->cmdline, sizeof(vm->cmdline));
	vm->on_reset_restart = src->on_reset_restart;
	vm->image = src->image; /* shared: images live as long as keel's run */
	return vm;
}

/* README "VM definitions": a restart loads the image into cleared RAM, as at the VM's start
 * (gmem_init zeroes it). All of it: keel does not track which pages the guest wrote. */
static void clear_ram(struct vm *vm)
{
	gmem_zero(&vm->mem, 0, vm->mem.low_end);
	if (vm->mem.size > vm->mem.low_end)
		gmem_zero(&vm->mem, GMEM_HIGH_BASE, vm->mem.size - vm->mem.low_end);
}

static void vm_restart(struct vm *vm)
{
	struct vcpu_boot_state s;
	if (!vm->image) { /* imported from a snapshot file: nothing to boot again */
		vm_stop(vm, VM_END_RESET, 0,
			"reset by the guest (an imported VM has no image to "
			"restart from)");
		return;
	}
	vm->restarts++;
	log_info("vm %s: reset by the guest: restarting it (restart %u)", vm->name, vm->restarts);
	for (u32 i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpu[i];
		for (u32 t = 0; t < v->ntimers; t++) /* disarmed; the slots stay the devices' */
			v->timers[t].deadline = 0;
		v->next_deadline = 0;
		v->event.pending = false;
		v->irq_pending = 0;
		v->nmi_pending = v->init_pending = false;
		v->sipi_vector = 0;
		kvmclock_reset(v); /* its structure's address means nothing in cleared RAM */
		v->tsc_offset = v->tsc_adjust = v->tsc_aux = 0; /* as when the VM started */
		vcpu_state_reset(v); /* XCR0 and the FPU, SSE, AVX and PKRU state: power-up's */
		memset(&v->msrs, 0, sizeof(v->msrs));
	}
	vdevs_restart(vm); /* the buses keep their devices; the device lock is never cleared */
	clear_ram(vm);
	if (!guest_load(vm, vm->image, &s)) {
		vm_stop(vm, VM_END_ERROR, 0, "could not restart after a reset");
		return;
	}
	virt->vcpu_reset(vm->vcpu[0], &s);
}

/* The VMs whose module is a snapshot file (README "Snapshot format"): mgmt/ starts them. */
static struct boot_snapshot boot_snaps[BOOT_SNAPSHOTS_MAX];
static u32 nboot_snaps;

const struct boot_snapshot *vmconfig_snapshots(u32 *n)
{
	*n = nboot_snaps;
	return boot_snaps;
}

static struct vm_disk boot_disks[BOOT_DISKS_MAX];
static u32 nboot_disks;

const struct vm_disk *vmconfig_disks(u32 *n)
{
	*n = nboot_disks;
	return boot_disks;
}

/* Module i is a disk: remembered for imports (the first BOOT_DISKS_MAX). */
static void keep_disk(const struct boot_info *bi, const struct vmdef *d, int i)
{
	if (d->kind != VMDEF_DISK || nboot_disks == BOOT_DISKS_MAX)
		return;
	struct vm_disk *k = &boot_disks[nboot_disks++];
	k->data = phys_to_virt(bi->mods[i].start);
	k->len = bi->mods[i].end - bi->mods[i].start;
	k->ro = d->ro;
	strlcpy(k->name, d->image[0] ? d->image : "disk", sizeof(k->name));
}

/* Module i is a snapshot file (its first record's magic): keep it for mgmt/ to import. */
static bool keep_snapshot(const struct boot_info *bi, const struct vmdef *d, int i)
{
	const u8 *data = phys_to_virt(bi->mods[i].start);
	u64 len = bi->mods[i].end - bi->mods[i].start;
	u32 magic;
	if (len < sizeof(magic))
		return false;
	memcpy(&magic, data, sizeof(magic));
	if (magic != SNAPF_MAGIC)
		return false;
	if (nboot_snaps == BOOT_SNAPSHOTS_MAX) {
		log_err("vm %s: more than %d snapshot files; not started", d->name,
			BOOT_SNAPSHOTS_MAX);
		vm_count_refused();
		return true;
	}
	struct boot_snapshot *b = &boot_snaps[nboot_snaps++];
	strlcpy(b->name, d->name, sizeof(b->name));
	b->data = data;
	b->len = len;
	return true;
}

int vms_from_modules(const struct boot_info *bi)
{
	int n = bi->nmods, started = 0;
	vm_reload = vm_restart;
	if (keel_cfg.vcpurec) /* the vCPU record's test mode */
		sched_on_turn = vcpu_rec_test;
	struct vmdef *defs = kmalloc(sizeof(*defs) * (size_t)MAX(n, 1));
	bool *ok = kmalloc(sizeof(*ok) * (size_t)MAX(n, 1));
	if (!defs || !ok) {
		log_err("vm: out of memory reading the VM definitions");
		return 0;
	}
	for (int i = 0; i < n; i++) {
		ok[i] = vmdef_parse(bi->mods[i].str, &defs[i]);
		if (ok[i] && defs[i].kind == VMDEF_VM && find_vm(defs, ok, i, defs[i].name)) {
			ok[i] = false;
			strlcpy(defs[i].error, "a VM with this name is already defined",
				sizeof(defs[i].error));
		}
		if (!ok[i]) {
			log_err("vm: module %d \"%s\": %s; not started", i, bi->mods[i].str,
				defs[i].error);
			vm_count_refused();
		}
	}
	for (int i = 0; i < n; i++)
		if (ok[i] && defs[i].kind != VMDEF_VM && !find_vm(defs, ok, n, defs[i].name)) {
			log_err("vm: module %d \"%s\": no VM named '%s'; ignored", i,
				bi->mods[i].str, defs[i].name);
			vm_count_refused();
		}
	for (int i = 0; i < n; i++)
		if (ok[i])
			keep_disk(bi, &defs[i], i);
	for (int i = 0; i < n; i++) {
		if (!ok[i] || defs[i].kind != VMDEF_VM)
			continue;
		if (keep_snapshot(bi, &defs[i], i))
			continue;
		if (start_vm(bi, defs, ok, i))
			started++;
		else
			vm_count_refused(); /* its reason is logged */
	}
	kfree(defs);
	kfree(ok);
	return started;
}
