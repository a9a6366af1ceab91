/* 16550 UART at 0x3f8 (vuart.c): the guest's console. */
#ifndef KEEL_VUART_H
#define KEEL_VUART_H

#include "kernel/types.h"

struct vuart {
	u8 ier, lcr, mcr, scr, dll, dlm, fcr;
	u16 len;
	char line[240]; /* output not yet logged */
};

#endif
