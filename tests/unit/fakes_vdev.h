/* Test doubles for the virtual devices (vdev/): one fake VM, the guest clock, the injection
 * API, the device lock and the VM's reset and power-off requests, all recorded for tests. */
#ifndef KEEL_TEST_FAKES_VDEV_H
#define KEEL_TEST_FAKES_VDEV_H

#include "tests/unit/fakes.h"
#include "vm/bus.h"
#include "vm/virq.h"
#include "vm/vm.h"
#include "vdev/vdevs.h"
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

/* The fake VM's devices, each a field tests reach directly (fake_vm lists them in the VM's
 * struct vm_devices, so devices find their neighbours with vm_device as in keel). */
struct fake_devs {
	struct vlapic lapic[VM_MAX_VCPUS];
	struct vpic pic;
	struct vpit pit;
	struct vrtc rtc;
	struct vioapic ioapic;
	struct vpci pci;
	struct vkbd kbd;
	struct vpm pm;
	struct vuart uart;
	struct fwcfg fwcfg;
};
extern struct fake_devs fake_dev;

extern u64 fake_now;  /* vclock_now() */
extern s64 fake_unix; /* vclock_unix(): 2026-01-01 00:00:00 UTC unless a test says otherwise */
extern u64 fake_khz;  /* vclock_khz(): 3 GHz unless a test says otherwise */
extern int fake_lock_depth;
extern bool fake_route_irqs; /* vm_irq_set also drives the PIC and I/O APIC, as vlapic does */
extern bool fake_irq_level[24];
extern int fake_irq_rises[24];
extern int fake_resets, fake_poweroffs, fake_nmis, fake_notifies;
extern int fake_inits, fake_sipis, fake_stops; /* INIT and SIPI signals, vm_stop calls */
extern u64 fake_stop_status;

struct fake_delivery {
	u32 vcpu;
	u8 vector;
	bool level;
};
extern struct fake_delivery fake_deliveries[64];
extern int fake_ndeliveries;

/* A fresh VM with ncpus vCPUs and ram bytes of RAM, every device of mine reset, counters 0. */
struct vm *fake_vm(u32 ncpus, u64 ram);
/* A port or MMIO access by vCPU 0, with the device lock held as the bus holds it. */
u64 fake_read(const struct vdev_ops *ops, void *dev, u64 addr, u8 size);
void fake_write(const struct vdev_ops *ops, void *dev, u64 addr, u8 size, u64 val);
/* Move the guest clock forward by tsc ticks, running timers as they come due (in order). */
void fake_advance(u64 tsc);
/* Guest clock ticks in us microseconds. */
u64 fake_us(u64 us);

/* What a device did, value by value, to compare a device with its saved-and-loaded copy. */
struct fake_trace {
	int n;
	u64 v[4096];
};
void fake_note(struct fake_trace *t, u64 v);
/* The two traces are the same, value by value. */
void fake_same(const struct fake_trace *a, const struct fake_trace *b);
/* The timer of vCPU cpu that device state dev armed (a disarmed one if none). */
struct vtimer *fake_timer(u32 cpu, const void *dev);
/* That timer as seen from start: its deadline - start, or 0 if disarmed. */
u64 fake_deadline(u32 cpu, const void *dev, u64 start);

/* A device's load (vdev/vrecord.h's shape). */
typedef const char *fake_load_fn(struct vm *vm, void *dev, u64 now, const void *buf, u64 len);
/* A device's save (vdev/vrecord.h's shape). */
typedef u64 fake_save_fn(const void *dev, u64 now, void *buf, u64 len);
/* Save dev (a busy device of the current fake VM) into rec and trace what it does from then
 * on (watch); then a fresh VM like it (fresh, if given, finishes it) with its clock at now2,
 * the interrupt lines as they were at save (the PIC's record keeps them), dev loaded from rec
 * and saved again into the same bytes, and traced again: the two traces must match. Returns
 * the record's length. */
u64 fake_save_load(fake_save_fn *save, fake_load_fn *load, void *dev, u8 *rec /* VREC_MAX */,
		   void (*watch)(struct fake_trace *t), void (*fresh)(struct vm *vm), u64 now2);

/* Every damaged copy of a good record (len bytes) is refused with a reason and leaves dev
 * (size bytes) as it was: another magic, kind or version, a byte short, a byte over, and the
 * byte at bad_off set to bad (a field out of its range). */
void fake_refusals(fake_load_fn *load, void *dev, size_t size, const u8 *rec, u64 len, u64 bad_off,
		   u8 bad);

#endif
