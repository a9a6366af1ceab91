/* 16550A UART at 0x3f8 on ISA IRQ 4 (vuart.c): the guest's console. Output goes to keel's
 * log line by line; input comes from keel's serial console when this VM has it. */
#ifndef KEEL_VUART_H
#define KEEL_VUART_H

#include "kernel/guestout.h"

#define VUART_FIFO 64

struct vuart {
	u8 ier, lcr, mcr, scr, dll, dlm, fcr, lsr_extra;
	bool thre_irq; /* "transmitter empty" interrupt pending until IIR shows it or THR written */
	u8 rx[VUART_FIFO];
	u8 rx_head, rx_len;
	struct guest_line out; /* output not yet logged */
};

#endif
