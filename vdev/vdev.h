/* Everything a virtual device may use, in one header: its ops (struct vdev_ops: name, attach,
 * reset, accesses, save and load), the VM's buses to put its ports and MMIO ranges on, its
 * interrupt lines, the timers it asks for at attach, the guest clock, the VM's reset and
 * power-off requests, the host's random numbers, the device lock, and its state records. A new
 * device is one file that includes this, its unit test, and one line in the platform's table
 * (vdev/vdevs.c). */
#ifndef KEEL_VDEV_H
#define KEEL_VDEV_H

#include "lib/types.h"

#include "vdev/vrecord.h" /* state records: vrec_write, vrec_open, ... */
#include "kernel/log.h"	  /* log_*: what a device reports about its guest */
#include "vm/entropy.h"	  /* the host's random numbers (virtio-rng) */
#include "vm/bus.h"	  /* struct vdev_ops, bus_add, dev_lock, dev_unlock */
#include "vm/guestout.h"  /* guest output made safe for keel's terminal (the UART) */
#include "vm/virq.h"	  /* vm_irq_set, vcpu_timer_alloc, vcpu_timer_set, vclock_now */
#include "vm/vm.h"	  /* struct vm, struct vcpu, vm_request_reset, vm_request_poweroff */

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
