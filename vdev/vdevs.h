/* Every virtual device's state for one VM, in one plain struct, and the call that puts them
 * on the VM's buses. One file per device in vdev/, each exporting one const vdev_ops. */
#ifndef KEEL_VDEVS_H
#define KEEL_VDEVS_H

#include "lib/types.h"

#include "kernel/spinlock.h"
#include "vdev/vioapic.h"
#include "vdev/vkbd.h"
#include "vdev/vlapic.h"
#include "vdev/vpci.h"
#include "vdev/vpic.h"
#include "vdev/vpit.h"
#include "vdev/vpm.h"
#include "vdev/vrtc.h"
#include "vdev/vuart.h"

struct vm;

/* fw_cfg at 0x510/0x511 (fwcfg.c). */
struct fwcfg {
	u16 key;
	u32 off;
};

struct vm_devices {
	struct spinlock lock; /* held around every access to the VM-wide devices below */
	struct vuart uart;
	struct fwcfg fwcfg;
	struct vpic pic;
	struct vpit pit;
	struct vrtc rtc;
	struct vioapic ioapic;
	struct vpci pci;
	struct vkbd kbd;
	struct vpm pm;
	/* Per vCPU, not under the lock, except: IRR, ISR and TMR bits change by atomic operations
	 * (any CPU requests an interrupt); the timer's fields change under the lock (it may fire
	 * on another CPU: vlapic.c, timer_fire); IPI senders read LDR, DFR and SVR without it (a
	 * guest reprogramming its destination while another vCPU sends gets the old or the new,
	 * as on hardware). */
	struct vlapic lapic[16];
	u64 unknown_logged[1024]; /* one bit per port: unknown ports are logged once */
};

extern const struct vdev_ops vuart_ops, debugexit_ops, fwcfg_ops, vpic_ops, vlapic_ops, vpit_ops,
	vrtc_ops, vioapic_ops, vpci_ops, vkbd_ops, vpm_ops;

/* Reset every device and register it on vm's buses. */
bool vdevs_attach(struct vm *vm);
/* Put every device back in its power-on state (a guest reset), buses untouched; the device
 * timers on vCPU 0 are disarmed. */
void vdevs_reset(struct vm *vm);
/* A guest reset with on_reset=restart: vdevs_reset under the device lock (another CPU may be
 * delivering console input), keeping the CMOS RAM as a PC does across a reset. */
void vdevs_restart(struct vm *vm);

/* a * b / c, exact, for device clock conversions (guest clock ticks to a device's clock and
 * back): no overflow while a % c * b fits in 64 bits, true for every clock here. */
static inline u64 vdev_muldiv(u64 a, u64 b, u64 c)
{
	return a / c * b + a % c * b / c;
}

/* The same, rounded up. */
static inline u64 vdev_muldiv_up(u64 a, u64 b, u64 c)
{
	return a / c * b + (a % c * b + c - 1) / c;
}

#endif
