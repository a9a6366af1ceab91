/* The host's 16550 UART: keel's console. */
#ifndef KEEL_UART_H
#define KEEL_UART_H

#include "lib/types.h"

/* Program the UART at `port` for `baud` 8N1; false if no UART answers there. */
bool uart_init(u16 port, u32 baud);
/* Write n bytes, turning "\n" into "\r\n". Gives up on a UART that stops draining. */
void uart_write(const char *s, size_t n);
/* Wait until every byte has left the transmitter (before powering off). */
void uart_drain(void);
/* A received byte, or -1 if none is waiting. */
int uart_getc(void);
u16 uart_port(void);
/* The ISA IRQ of a UART at a standard COM port (4 for 0x3f8 and 0x3e8, 3 for 0x2f8 and
 * 0x2e8), or -1. */
int uart_isa_irq(void);
/* sink() is called when a byte arrives while uart_write waits for the transmitter. */
void uart_set_rx_sink(void (*sink)(void));
/* Raise the IRQ while received bytes wait (IER "data available", MCR OUT2 to gate it). */
void uart_rx_irq_enable(void);

#endif
