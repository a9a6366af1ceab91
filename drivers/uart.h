/* The host's 16550 UARTs: keel's console (COM1 by default) and the management API's port
 * (COM2 by default). Each port is a struct uart; the uart_* calls without one are the
 * console's. */
#ifndef KEEL_UART_H
#define KEEL_UART_H

#include "lib/types.h"

struct uart {
	u16 port;
	bool alive;	       /* it answered, and has not stopped draining */
	void (*rx_sink)(void); /* takes received bytes while output waits for the line */
	u32 overruns;	       /* receive FIFO overruns (LSR OE), each losing bytes */
	bool crlf; /* "\n" is written as "\r\n" (a terminal; not the API's JSON lines) */
};

/* Program the UART at `port` for `baud` 8N1; false if no UART answers there. */
bool uart_open(struct uart *u, u16 port, u32 baud);
/* Write n bytes. Gives up on a UART that stops draining. */
void uart_send(struct uart *u, const char *s, size_t n);
/* A received byte, or -1 if none is waiting. */
int uart_recv(struct uart *u);
/* u's ISA IRQ at a standard COM port (4 for 0x3f8 and 0x3e8, 3 for 0x2f8 and 0x2e8), or -1. */
int uart_irq(const struct uart *u);
/* Raise u's IRQ once `trigger` received bytes (1, 4, 8 or 14) wait in its FIFO, or fewer have
 * waited four character times (IER "data available", MCR OUT2 to gate it). */
void uart_irq_enable(struct uart *u, u8 trigger);
/* The receive FIFO's trigger level (1, 4, 8 or 14 bytes), without its interrupt: QEMU puts
 * received bytes into the FIFO only up to it (then one at a time). */
void uart_rx_trigger(struct uart *u, u8 trigger);
/* sink() takes u's received bytes (into a ring); it is also called whenever any UART's output
 * waits for its transmitter and u holds a byte, on any CPU. False if too many are watched. */
bool uart_watch(struct uart *u, void (*sink)(void));
/* Bytes u lost to receive FIFO overruns since the last call. */
u32 uart_overruns(struct uart *u);

/* keel's console: */
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
/* sink() takes the console's received bytes (uart_watch). */
void uart_set_rx_sink(void (*sink)(void));
/* Raise the IRQ while received bytes wait (IER "data available", MCR OUT2 to gate it). */
void uart_rx_irq_enable(void);

#endif
