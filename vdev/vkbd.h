/* i8042 keyboard controller at 0x60 (data) and 0x64 (status, command), with no keyboard or
 * mouse behind it, and port 0x92 (system control port A: fast reset and A20). Both reset
 * lines reach vm_request_reset. */
#ifndef KEEL_VKBD_H
#define KEEL_VKBD_H

#include "kernel/types.h"

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

#endif
