/* The platform: the PC's devices (vdevs.h, VDEVS_PC) given to each VM, and the walks over them
 * that attach, reset, save and load them all. Each device puts its own ports and MMIO ranges
 * on the buses when it attaches. */
#include "vdev/vdevs.h"
#include "kernel/log.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "vdev/vdev.h"

/* A device of the platform: its ops and where its state is in struct vm_devices. */
struct plug {
	const struct vdev_ops *ops;
	u32 at;
};

#define VDEVS_PLUG(ops, decl, field) {&ops, (u32)offsetof(struct vm_devices, field)},
static const struct plug pc[] = {VDEVS_PC(VDEVS_PLUG)};
#undef VDEVS_PLUG

/* The state of device p in vm. */
static void *state(struct vm *vm, const struct plug *p)
{
	return (u8 *)vm->dev + p->at;
}

/* How many records device p saves: one per vCPU for a per-vCPU device. */
static u32 copies(const struct vm *vm, const struct plug *p)
{
	return p->ops->percpu ? vm->nvcpus : 1;
}

/* The state of copy i of device p (vCPU i's, for a per-vCPU device). */
static void *copy(struct vm *vm, const struct plug *p, u32 i)
{
	return (u8 *)state(vm, p) + (u64)i * p->ops->size;
}

/* Each device back to power-on; each disarms its own timers first, so none fires into fresh
 * state. */
void vdevs_reset(struct vm *vm)
{
	for (size_t i = 0; i < ARRAY_SIZE(pc); i++)
		pc[i].ops->reset(vm, state(vm, &pc[i]));
}

void vdevs_restart(struct vm *vm)
{
	u8 cmos[sizeof(vm->dev->rtc.cmos)];
	dev_lock(vm);
	memcpy(cmos, vm->dev->rtc.cmos, sizeof(cmos));
	vdevs_reset(vm);
	vrtc_keep_ram(&vm->dev->rtc, cmos, vm->mem.low_end, vm->mem.size - vm->mem.low_end);
	dev_unlock(vm);
}

/* Fresh state for every device (zeroed by kmalloc), each on the buses with its timers, then
 * reset. Freed with the VM's memory if creating it fails (vm_create). */
bool vdevs_attach(struct vm *vm)
{
	vm->dev = kmalloc(sizeof(*vm->dev));
	if (!vm->dev)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(pc); i++)
		if (!pc[i].ops->attach(vm, state(vm, &pc[i]))) {
			log_err("vm %s: device %s does not fit", vm->name, pc[i].ops->name);
			return false;
		}
	vdevs_reset(vm);
	return true;
}

u64 vdevs_save(struct vm *vm, void *buf, u64 len)
{
	u64 at = 0, now = vclock_now();
	dev_lock(vm); /* console input may reach the UART meanwhile */
	for (size_t i = 0; i < ARRAY_SIZE(pc); i++)
		for (u32 c = 0; c < copies(vm, &pc[i]); c++) {
			u64 n = pc[i].ops->save(copy(vm, &pc[i], c), now, (u8 *)buf + at, len - at);
			if (!n) {
				dev_unlock(vm);
				return 0;
			}
			at += n;
		}
	dev_unlock(vm);
	return at;
}

/* The length of the record at buf (avail bytes left): its header's size, or all that is left
 * when the header is cut short or claims more (the device's load then refuses it). */
static u64 record_len(const u8 *buf, u64 avail)
{
	struct vrec_header h;
	if (avail < sizeof(h))
		return avail;
	memcpy(&h, buf, sizeof(h));
	return MIN(sizeof(h) + (u64)h.size, avail);
}

/* Each device's record in turn, cut at the length its header gives. */
static const char *load_all(struct vm *vm, const u8 *buf, u64 len)
{
	u64 at = 0, now = vclock_now();
	for (size_t i = 0; i < ARRAY_SIZE(pc); i++)
		for (u32 c = 0; c < copies(vm, &pc[i]); c++) {
			u64 n = record_len(buf + at, len - at);
			const char *why =
				pc[i].ops->load(vm, copy(vm, &pc[i], c), now, buf + at, n);
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
