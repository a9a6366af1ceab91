/* The platform: a PC's virtual devices for one VM. struct vm_devices holds their state (the VM
 * points to it); vdevs.c's table lists them, and the calls below walk that table. */
#ifndef KEEL_VDEVS_H
#define KEEL_VDEVS_H

#include "lib/types.h"

#include "vdev/fwcfg.h"
#include "vdev/vioapic.h"
#include "vdev/vkbd.h"
#include "vdev/vlapic.h"
#include "vdev/vpci.h"
#include "vdev/vpic.h"
#include "vdev/vpit.h"
#include "vdev/vpm.h"
#include "vdev/vrtc.h"
#include "vdev/vuart.h"
#include "vm/vm.h"

/* The PC's devices, one line each: its ops, its state as a field of struct vm_devices, and
 * that field's name. The order is the order they are reset in and get their timer slots.
 * The local APICs are per vCPU and not under the device lock, except: IRR, ISR and TMR bits
 * change by atomic operations (any CPU requests an interrupt); the timer's fields change under
 * the lock (it may fire on another CPU: vlapic.c, timer_fire); IPI senders read LDR, DFR and
 * SVR without it (a guest reprogramming its destination while another vCPU sends gets the old
 * or the new, as on hardware). The rest are under the VM's device lock (vm->devlock). */
#define VDEVS_PC(X)                                              \
	X(vlapic_ops, struct vlapic lapic[VM_MAX_VCPUS], lapic)  \
	X(vpic_ops, struct vpic pic, pic)                        \
	X(vpit_ops, struct vpit pit, pit)                        \
	X(vrtc_ops, struct vrtc rtc, rtc)                        \
	X(vioapic_ops, struct vioapic ioapic, ioapic)            \
	X(vpci_ops, struct vpci pci, pci)                        \
	X(vkbd_ops, struct vkbd kbd, kbd)                        \
	X(vpm_ops, struct vpm pm, pm)                            \
	X(vuart_ops, struct vuart uart, uart)                    \
	X(debugexit_ops, u8 debugexit /* no state */, debugexit) \
	X(fwcfg_ops, struct fwcfg fwcfg, fwcfg)

/* Every device's state, one plain struct. */
#define VDEVS_FIELD(ops, decl, field) decl;
struct vm_devices {
	VDEVS_PC(VDEVS_FIELD)
};
#undef VDEVS_FIELD

#define VDEVS_OPS(ops, decl, field) extern const struct vdev_ops ops;
VDEVS_PC(VDEVS_OPS)
#undef VDEVS_OPS

/* Give vm its devices, each attached (on the buses, with its timers) and reset. */
bool vdevs_attach(struct vm *vm);
/* Put every device back in its power-on state (a guest reset), buses untouched, their timers
 * disarmed. */
void vdevs_reset(struct vm *vm);
/* A guest reset with on_reset=restart: vdevs_reset under the device lock (another CPU may be
 * delivering console input), keeping the CMOS RAM as a PC does across a reset. */
void vdevs_restart(struct vm *vm);
/* Every device's record, in the table's order (a per-vCPU device: one per vCPU), one after
 * another in buf (len bytes): the bytes written, 0 if they do not fit. No vCPU of vm runs. */
u64 vdevs_save(struct vm *vm, void *buf, u64 len);
/* Load vdevs_save's records into vm's devices (a fresh VM with as many vCPUs): NULL, or why
 * they were refused (devices loaded before the refusal keep their new state). No vCPU of vm
 * runs. */
const char *vdevs_load(struct vm *vm, const void *buf, u64 len);

#endif
