/* The platform: the PC's devices (vdevs.h, VDEVS_PC) given to each VM, and the walks over them
 * that attach, reset, save and load them all. Each device puts its own ports and MMIO ranges
 * on the buses when it attaches. */
#include "vdev/vdevs.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "vdev/vdev.h"
#include "vdev/vrtc.h" /* a restart keeps the CMOS RAM */

static const struct vdev_ops *const pc[] = {
#define VDEVS_PLUG(ops) &ops,
	VDEVS_PC(VDEVS_PLUG)
#undef VDEVS_PLUG
};
_Static_assert(ARRAY_SIZE(pc) <= VM_DEVICES_MAX, "struct vm_devices holds every device");

/* How many blocks of state device d has: one per vCPU for a per-vCPU device. */
static u32 copies(const struct vm *vm, const struct vdev_ops *d)
{
	return d->percpu ? vm->nvcpus : 1;
}

/* The state of copy i of device n (vCPU i's, for a per-vCPU device). */
static void *copy(struct vm *vm, size_t n, u32 i)
{
	return (u8 *)vm->dev->d[n].state + (u64)i * pc[n]->size;
}

/* Each device back to power-on; each disarms its own timers first, so none fires into fresh
 * state. */
void vdevs_reset(struct vm *vm)
{
	for (size_t i = 0; i < ARRAY_SIZE(pc); i++)
		pc[i]->reset(vm, vm->dev->d[i].state);
}

void vdevs_restart(struct vm *vm)
{
	struct vrtc *rtc = vm_device(vm, &vrtc_ops);
	u8 cmos[sizeof(rtc->cmos)];
	dev_lock(vm);
	memcpy(cmos, rtc->cmos, sizeof(cmos));
	vdevs_reset(vm);
	vrtc_keep_ram(rtc, cmos, vm->mem.low_end, vm->mem.size - vm->mem.low_end);
	dev_unlock(vm);
}

/* Fresh state for every device, in one zeroed block sized for this VM's vCPUs, each device on
 * the buses with its timers, then reset. Freed with the VM's memory if creating it fails
 * (vm_create). */
bool vdevs_attach(struct vm *vm)
{
	u64 size = ALIGN_UP(sizeof(*vm->dev), 16);
	for (size_t i = 0; i < ARRAY_SIZE(pc); i++)
		size += ALIGN_UP((u64)pc[i]->size * copies(vm, pc[i]), 16);
	vm->dev = kmalloc(size);
	if (!vm->dev)
		return false;
	u8 *state = (u8 *)vm->dev + ALIGN_UP(sizeof(*vm->dev), 16);
	for (size_t i = 0; i < ARRAY_SIZE(pc); i++) {
		vm->dev->d[i] = (struct vm_device){pc[i], pc[i]->size ? state : NULL};
		state += ALIGN_UP((u64)pc[i]->size * copies(vm, pc[i]), 16);
	}
	vm->dev->n = ARRAY_SIZE(pc);
	for (size_t i = 0; i < ARRAY_SIZE(pc); i++)
		if (!pc[i]->attach(vm, vm->dev->d[i].state)) {
			log_err("vm %s: device %s does not fit", vm->name, pc[i]->name);
			return false;
		}
	vdevs_reset(vm);
	return true;
}

void vdevs_free(struct vm *vm)
{
	if (!vm->dev)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(pc); i++)
		if (pc[i]->free)
			for (u32 c = 0; c < copies(vm, pc[i]); c++)
				pc[i]->free(vm, copy(vm, i, c));
}

u64 vdevs_save(struct vm *vm, void *buf, u64 len)
{
	u64 at = 0, now = vclock_now();
	dev_lock(vm); /* console input may reach the UART meanwhile */
	for (size_t i = 0; i < ARRAY_SIZE(pc); i++)
		for (u32 c = 0; c < copies(vm, pc[i]); c++) {
			u64 n = pc[i]->save(copy(vm, i, c), now, (u8 *)buf + at, len - at);
			if (!n) {
				dev_unlock(vm);
				return 0;
			}
			at += n;
		}
	dev_unlock(vm);
	return at;
}

/* Each device's record in turn, cut at the length its header gives. */
static const char *load_all(struct vm *vm, const u8 *buf, u64 len)
{
	u64 at = 0, now = vclock_now();
	for (size_t i = 0; i < ARRAY_SIZE(pc); i++)
		for (u32 c = 0; c < copies(vm, pc[i]); c++) {
			u64 n = vrec_len(buf + at, len - at);
			const char *why = pc[i]->load(vm, copy(vm, i, c), now, buf + at, n);
			if (why)
				return why;
			at += n;
		}
	return at == len ? NULL : "bytes after the last device's record";
}

const char *vdevs_load(struct vm *vm, const void *buf, u64 len)
{
	dev_lock(vm); /* console input may reach the UART meanwhile */
	const char *why = load_all(vm, buf, len);
	dev_unlock(vm);
	return why;
}
