/* 8259A programmable interrupt controller pair (master at 0x20, slave at 0xa0, cascaded on
 * IRQ2), with the ELCR at 0x4d0/0x4d1. Its output reaches vCPU 0 as an ExtINT through the
 * local APIC's LINT0 (or directly while the APIC is disabled). */
#ifndef KEEL_VPIC_H
#define KEEL_VPIC_H

#include "kernel/types.h"

struct vm;

struct vpic_chip {
	u8 irr, isr, imr; /* request, in-service and mask registers */
	u8 lines;	  /* current input levels, for edge detection */
	u8 elcr;	  /* 1: that line is level-triggered */
	u8 vector_base;	  /* ICW2 */
	u8 icw_step;	  /* initialisation words still expected (ICW2..ICW4) */
	bool icw4, auto_eoi, read_isr, special_mask, rotate;
	u8 priority_add; /* lowest-priority IRQ after rotation */
};

struct vpic {
	struct vpic_chip chip[2]; /* 0: master, 1: slave */
};

/* Drive ISA IRQ line irq (0-15) to level. Called with the VM's device lock held. */
void vpic_line(struct vm *vm, u32 irq, bool level);
/* The vector an interrupt acknowledge would return now, or -1 if the PIC's INTR output is
 * low. Device lock held. */
int vpic_peek(struct vm *vm);
/* Interrupt acknowledge: returns the vector and moves the request to in-service. */
int vpic_ack(struct vm *vm);

#endif
