/* 16550 UARTs, one struct uart each: output polled, input by interrupt once the console asks for it. Register
 * offsets from the 16550 data sheet. */
#include "drivers/uart.h"
#include "kernel/x86.h"

#define THR 0 /* transmit holding (write) / receive buffer (read) */
#define IER 1 /* interrupt enable */
#define FCR 2 /* FIFO control */
#define LCR 3 /* line control */
#define MCR 4 /* modem control */
#define LSR 5 /* line status */
#define SCR 7 /* scratch */

#define LSR_DR	 0x01 /* data ready */
#define LSR_THRE 0x20 /* transmit holding register empty */
#define LSR_TEMT 0x40 /* transmitter empty */

/* Polls before deciding a UART is stuck: long enough for a byte at 300 baud on real hardware. */
#define SPIN_LIMIT 2000000

static struct uart console; /* keel's log and prompt */

bool uart_open(struct uart *u, u16 p, u32 baud)
{
	u->alive = false;
	u->port = p;
	if (!p || !baud)
		return false;
	outb(p + SCR, 0x5a); /* a UART keeps what is written to its scratch register */
	if (inb(p + SCR) != 0x5a || inb(p + LSR) == 0xff)
		return false;
	u32 div = 115200 / baud;
	if (div == 0)
		div = 1;
	outb(p + IER, 0x00);	       /* no interrupts until uart_rx_irq_enable() */
	outb(p + LCR, 0x80);	       /* unlock the divisor latch */
	outb(p + THR, (u8)div);	       /* divisor, low byte */
	outb(p + IER, (u8)(div >> 8)); /* divisor, high byte */
	outb(p + LCR, 0x03);	       /* 8 data bits, no parity, 1 stop bit; lock divisor */
	outb(p + FCR, 0x07);	       /* enable and clear both FIFOs */
	outb(p + MCR, 0x03);	       /* DTR and RTS */
	u->alive = true;
	return true;
}

static void put(struct uart *u, char c)
{
	for (int i = 0;; i++) {
		u8 lsr = inb(u->port + LSR);
		if (lsr & LSR_THRE)
			break;
		/* A long line takes milliseconds: take in what arrives meanwhile. */
		if ((lsr & LSR_DR) && u->rx_sink)
			u->rx_sink();
		if (i == SPIN_LIMIT) {
			u->alive = false; /* a dead UART must not hang keel */
			return;
		}
		cpu_relax();
	}
	outb(u->port + THR, (u8)c);
}

void uart_send(struct uart *u, const char *s, size_t n)
{
	for (size_t i = 0; i < n && u->alive; i++) {
		if (s[i] == '\n' && u->crlf)
			put(u, '\r');
		put(u, s[i]);
	}
}

int uart_recv(struct uart *u)
{
	if (!u->alive || !(inb(u->port + LSR) & LSR_DR))
		return -1;
	return inb(u->port + THR);
}

bool uart_init(u16 p, u32 baud)
{
	console.crlf = true;
	return uart_open(&console, p, baud);
}

void uart_write(const char *s, size_t n)
{
	uart_send(&console, s, n);
}

void uart_drain(void)
{
	for (int i = 0; console.alive && i < SPIN_LIMIT; i++) {
		if (inb(console.port + LSR) & LSR_TEMT)
			return;
		cpu_relax();
	}
}

int uart_getc(void)
{
	return uart_recv(&console);
}

u16 uart_port(void)
{
	return console.alive ? console.port : 0;
}

int uart_irq(const struct uart *u)
{
	if (!u->alive)
		return -1;
	if (u->port == 0x3f8 || u->port == 0x3e8)
		return 4;
	return u->port == 0x2f8 || u->port == 0x2e8 ? 3 : -1;
}

void uart_irq_enable(struct uart *u)
{
	if (!u->alive)
		return;
	outb(u->port + MCR, 0x0b); /* DTR, RTS, OUT2: on a PC, OUT2 connects the IRQ line */
	outb(u->port + IER, 0x01); /* received data available */
}

int uart_isa_irq(void)
{
	return uart_irq(&console);
}

void uart_set_rx_sink(void (*sink)(void))
{
	console.rx_sink = sink;
}

void uart_rx_irq_enable(void)
{
	uart_irq_enable(&console);
}
