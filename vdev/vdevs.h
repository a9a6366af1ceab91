/* The platform: a PC's virtual devices for one VM. The table below lists them; the calls below
 * walk it. Each VM holds its devices' state (struct vm_devices, vm/bus.h). */
#ifndef KEEL_VDEVS_H
#define KEEL_VDEVS_H

#include "lib/types.h"
#include "vm/vm.h"

/* The PC's devices, one line each: its ops (struct vdev_ops, vm/bus.h, which also says how
 * big its state is). The order is the order they are reset in and get their timer slots. A
 * device finds a neighbour's state with vm_device(). The local APICs are per vCPU and not
 * under the device lock, except: IRR, ISR and TMR bits change by atomic operations (any CPU
 * requests an interrupt); the timer's fields change under the lock (it may fire on another
 * CPU: vlapic.c, timer_fire); IPI senders read LDR, DFR and SVR without it (a guest
 * reprogramming its destination while another vCPU sends gets the old or the new, as on
 * hardware). The rest are under the VM's device lock (vm->devlock). */
// clang-format off
#define VDEVS_PC(X)      \
	X(vlapic_ops)    \
	X(vpic_ops)      \
	X(vpit_ops)      \
	X(vrtc_ops)      \
	X(vioapic_ops)   \
	X(vpci_ops)      \
	X(virtio_ops)    \
	X(vkbd_ops)      \
	X(vpm_ops)       \
	X(vuart_ops)     \
	X(debugexit_ops) \
	X(fwcfg_ops)
// clang-format on

#define VDEVS_OPS(ops) extern const struct vdev_ops ops;
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
/* vm-destroy: each device lets go of what it holds beyond its state (disk copies, switch
 * ports, its own allocations). No vCPU of vm runs; vm->dev itself is the caller's to free. */
void vdevs_free(struct vm *vm);
/* Every device's record, in the table's order (a per-vCPU device: one per vCPU), one after
 * another in buf (len bytes): the bytes written, 0 if they do not fit. No vCPU of vm runs. */
u64 vdevs_save(struct vm *vm, void *buf, u64 len);
/* Load vdevs_save's records into vm's devices (a fresh VM with as many vCPUs): NULL, or why
 * they were refused (devices loaded before the refusal keep their new state). No vCPU of vm
 * runs. */
const char *vdevs_load(struct vm *vm, const void *buf, u64 len);

#endif
