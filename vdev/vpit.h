/* 8254 programmable interval timer at 0x40-0x43, and port 0x61 (system control port B: the
 * channel 2 gate, the speaker, OUT2 and the refresh toggle). Channel 0 drives ISA IRQ 0. */
#ifndef KEEL_VPIT_H
#define KEEL_VPIT_H

#include "lib/types.h"

struct vdev_ops;

#define VPIT_HZ 1193182 /* the 8254's input clock on a PC: 14.31818 MHz / 12 */

struct vpit_channel {
	u64 load;      /* guest clock (vclock_now) when counting (re)started */
	u64 frozen;    /* ticks counted when the gate went low */
	u64 armed;     /* channel 0: the tick count (since load) its timer is armed for */
	u32 count;     /* reload value, 1-65536 (a 0 written means 65536, or 10000 in BCD) */
	u16 latch;     /* latched count */
	u8 mode;       /* 0-5 */
	u8 rw;	       /* access: 1 low byte, 2 high byte, 3 low then high */
	u8 status;     /* latched status byte */
	u8 lsb;	       /* first byte of a low/high count write */
	u8 latch_left; /* latched count bytes still to be read */
	bool bcd, gate, counting, triggered, null_count, status_latched, read_hi, write_hi;
};

struct vpit {
	struct vpit_channel ch[3];
	u8 port61;    /* bits 3:0 as written: gate 2, speaker data, parity and I/O check enables */
	u64 base;     /* guest clock at reset, for the refresh toggle */
	u64 timer_at; /* the deadline channel 0's timer is armed for, 0 if none (for save) */
};

/* Power-on state: nothing counting, every channel in mode 0 waiting for a count, gate 2 low. */
void vpit_reset(struct vpit *p, u64 now);

struct vm;
/* Save the PIT (dev: its struct vpit) at guest-clock time now as a record in buf (len
 * bytes, VREC_MAX fits): the bytes written, 0 if it does not fit. Device lock held. */
u64 vpit_save(const void *dev, u64 now, void *buf, u64 len);
/* Rebuild dev, a fresh VM's PIT, from vpit_save's record, at now: counts and deadlines go on
 * where they were; channel 0's timer is armed as it was. NULL, or why the record is refused
 * (dev unchanged). Drives no interrupt line. Device lock held. */
const char *vpit_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len);

/* The device (bus accesses, attach, reset, save, load), in the platform's table. */
extern const struct vdev_ops vpit_ops;

#endif
