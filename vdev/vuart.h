/* 16550A UART at 0x3f8 on ISA IRQ 4 (vuart.c): the guest's console. Output goes to keel's
 * log line by line; input comes from keel's serial console when this VM has it. */
#ifndef KEEL_VUART_H
#define KEEL_VUART_H

#include "vdev/vdev.h" /* struct guestout, from vm/guestout.h */

#define VUART_FIFO 64

struct vuart {
	u8 ier, lcr, mcr, scr, dll, dlm, fcr, lsr_extra;
	bool thre_irq; /* "transmitter empty" interrupt pending until IIR shows it or THR written */
	u8 rx[VUART_FIFO];
	u8 rx_head, rx_len;
	struct guest_line out; /* output not yet logged */
};

struct vm;
/* Save the UART (dev: its struct vuart) at guest-clock time now as a record in buf (len
 * bytes, VREC_MAX fits): the bytes written, 0 if it does not fit. Device lock held. */
u64 vuart_save(const void *dev, u64 now, void *buf, u64 len);
/* Rebuild dev, vm's fresh UART, from vuart_save's record: registers, the receive FIFO, the
 * pending "transmitter empty" interrupt and the output line not yet logged; whether console
 * input wakes the guest follows. NULL, or why the record is refused (dev unchanged). Drives
 * no interrupt line. Device lock held. */
const char *vuart_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len);

/* The device (bus accesses, attach, reset, save, load), in the platform's table. */
extern const struct vdev_ops vuart_ops;

#endif
