/* I/O APIC at 0xfec00000 (82093AA): 24 pins whose redirection entries send interrupts to the
 * vCPUs' local APICs. */
#ifndef KEEL_VIOAPIC_H
#define KEEL_VIOAPIC_H

#include "lib/types.h"

struct vdev_ops;

#define VIOAPIC_BASE	 0xfec00000ull
#define VIOAPIC_PINS	 24
#define VIOAPIC_ID_UNSET 0xffffffffu /* the ID register reads as the vCPU count (the MADT's) */

struct vm;

struct vioapic {
	u32 ioregsel, id;
	u64 redir[VIOAPIC_PINS]; /* redirection table (bit 14: remote IRR, bit 16: masked) */
	u32 lines;		 /* current pin levels */
};

/* Power-on state: every pin masked, edge-triggered, vector 0. */
void vioapic_reset(struct vioapic *io);
/* Drive pin gsi to level. Device lock held. */
void vioapic_line(struct vm *vm, u32 gsi, bool level);
/* A local APIC EOI for a level-triggered vector: clear remote IRR, re-deliver if still
 * asserted. */
void vioapic_eoi(struct vm *vm, u8 vector);

/* Save the I/O APIC (dev: its struct vioapic) at guest-clock time now as a record in buf (len
 * bytes, VREC_MAX fits): the bytes written, 0 if it does not fit. Device lock held. */
u64 vioapic_save(const void *dev, u64 now, void *buf, u64 len);
/* Rebuild dev, a fresh VM's I/O APIC, from vioapic_save's record: entries, remote
 * IRR bits and pin levels as saved; nothing is delivered. NULL, or why the
 * record is refused (dev unchanged). Device lock held. */
const char *vioapic_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len);

/* The device (bus accesses, attach, reset, save, load), in the platform's table. */
extern const struct vdev_ops vioapic_ops;

#endif
