/* i8042 keyboard controller at 0x60 (data) and 0x64 (status, command), with no keyboard or
 * mouse behind it, and port 0x92 (system control port A: fast reset and A20). Both reset
 * lines reach vm_request_reset. */
#ifndef KEEL_VKBD_H
#define KEEL_VKBD_H

#include "lib/types.h"

struct vdev_ops;

struct vkbd {
	u8 cmd_byte; /* controller RAM byte 0: INT, INT2, SYS, EN# (kbd), AUXEN#, XLATE */
	u8 outport;  /* controller output port: bit 0 reset (active low), bit 1 A20 */
	u8 port92;   /* system control port A: bit 0 fast reset, bit 1 A20 */
	u8 out;	     /* output buffer */
	u8 status;   /* status register (0x64) */
	u8 pending;  /* a command whose data byte comes next at 0x60; 0 if none */
	u8 irqs;     /* levels driven: bit 0 IRQ 1, bit 1 IRQ 12 */
};

/* Power-on state, as a BIOS leaves it: self-test passed, A20 on, output buffer empty. */
void vkbd_reset(struct vkbd *k);

struct vm;
/* Save the i8042 (dev: its struct vkbd) at guest-clock time now as a record in buf (len
 * bytes, VREC_MAX fits): the bytes written, 0 if it does not fit. Device lock held. */
u64 vkbd_save(const void *dev, u64 now, void *buf, u64 len);
/* Rebuild dev, a fresh VM's i8042, from vkbd_save's record: the command byte,
 * ports, output buffer and a command waiting for its data; drives no interrupt line. NULL, or why
 * the record is refused (dev unchanged). Device lock held. */
const char *vkbd_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len);

/* The device (bus accesses, attach, reset, save, load), in the platform's table. */
extern const struct vdev_ops vkbd_ops;

#endif
