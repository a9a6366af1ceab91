/* 8259A programmable interrupt controller pair (master at 0x20, slave at 0xa0, cascaded on
 * IRQ2), with the ELCR at 0x4d0/0x4d1. Its output reaches vCPU 0 as an ExtINT through the
 * local APIC's LINT0 (or directly while the APIC is disabled). */
#ifndef KEEL_VPIC_H
#define KEEL_VPIC_H

#include "lib/types.h"

struct vdev_ops;

struct vm;

struct vpic_chip {
	u8 irr, isr, imr;  /* request, in-service and mask registers */
	u8 lines;	   /* current input levels, for edge detection (master bit 2: the slave) */
	u8 elcr;	   /* 1: that line is level-triggered */
	u8 vector_base;	   /* ICW2 */
	u8 init_state;	   /* 0: ready; 1, 2, 3: ICW2, ICW3, ICW4 expected next */
	u8 priority_add;   /* the IRQ with the highest priority (moved by rotation) */
	bool icw4, single; /* ICW1: ICW4 follows; no slave (no ICW3) */
	bool auto_eoi, rotate_aeoi, sfnm;  /* ICW4 AEOI and SFNM; OCW2 rotate in AEOI */
	bool read_isr, poll, special_mask; /* OCW3 */
};

struct vpic {
	struct vpic_chip chip[2]; /* 0: master, 1: slave */
	bool output;		  /* the master's INT pin */
};

/* Power-on state: both chips masked, vectors 0x08 and 0x70 (as a PC BIOS leaves them). */
void vpic_reset(struct vpic *p);
/* Drive ISA IRQ line irq (0-15) to level. Called with the VM's device lock held. */
void vpic_line(struct vm *vm, u32 irq, bool level);
/* The vector an interrupt acknowledge would return now, or -1 if the PIC's INTR output is
 * low. Device lock held. */
int vpic_peek(struct vm *vm);
/* Interrupt acknowledge: returns the vector and moves the request to in-service. */
int vpic_ack(struct vm *vm);

/* Save the PIC pair (dev: its struct vpic) at guest-clock time now as a record in buf (len
 * bytes, VREC_MAX fits): the bytes written, 0 if it does not fit. Device lock held. */
u64 vpic_save(const void *dev, u64 now, void *buf, u64 len);
/* Rebuild dev, a fresh VM's PIC pair, from vpic_save's record, as it was: requests,
 * in-service bits, masks, line levels and modes; vCPU 0 is told if an interrupt is waiting. NULL,
 * or why the record is refused (dev unchanged). Device lock held. */
const char *vpic_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len);

/* The device (bus accesses, attach, reset, save, load), in the platform's table. */
extern const struct vdev_ops vpic_ops;

#endif
