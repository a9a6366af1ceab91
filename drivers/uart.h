/* The host's 16550 UART: keel's console. */
#ifndef KEEL_UART_H
#define KEEL_UART_H

#include "kernel/types.h"

/* Program the UART at `port` for `baud` 8N1; false if no UART answers there. */
bool uart_init(u16 port, u32 baud);
/* Write n bytes, turning "\n" into "\r\n". Gives up on a UART that stops draining. */
void uart_write(const char *s, size_t n);
/* Wait until every byte has left the transmitter (before powering off). */
void uart_drain(void);
/* A received byte, or -1 if none is waiting. */
int uart_getc(void);
u16 uart_port(void);

#endif
