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
#define LSR_OE	 0x02 /* overrun: a byte arrived with the receive FIFO full, and was lost */
#define LSR_THRE 0x20 /* transmit holding register empty */
#define LSR_TEMT 0x40 /* transmitter empty */

/* Polls before deciding a UART is stuck: long enough for a byte at 300 baud on real hardware. */
#define SPIN_LIMIT 2000000

static struct uart console; /* keel's log and prompt */

/* The UARTs whose input is taken by interrupt into a ring (uart_watch): any UART's output,
 * waiting for its transmitter, drains them all. A log line at 115200 baud takes milliseconds
 * with interrupts off, and Bochs drops what overflows a 16-byte receive FIFO. */
#define WATCHED 4
static struct uart *watched[WATCHED];

/* Read u's line status; an overrun it reports is counted (reading LSR clears it). */
static u8 lsr(struct uart *u)
{
	u8 v = inb(u->port + LSR);
	if (v & LSR_OE)
		__atomic_add_fetch(&u->overruns, 1, __ATOMIC_RELAXED);
	return v;
}

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

/* While output waits for a transmitter: take in what every watched UART received. */
static void drain_watched(void)
{
	for (int i = 0; i < WATCHED; i++) {
		struct uart *w = watched[i];
		if (w && w->alive && (lsr(w) & LSR_DR))
			w->rx_sink();
	}
}

static void put(struct uart *u, char c)
{
	for (int i = 0;; i++) {
		if (lsr(u) & LSR_THRE)
			break;
		drain_watched(); /* a long line takes milliseconds */
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
	if (!u->alive || !(lsr(u) & LSR_DR))
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
		if (lsr(&console) & LSR_TEMT)
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

void uart_rx_trigger(struct uart *u, u8 trigger)
{
	static const u8 fcr[] = {[1] = 0x01, [4] = 0x41, [8] = 0x81, [14] = 0xc1};
	/* 16550 data sheet, FCR bits 7-6: the receive FIFO's trigger level (1, 4, 8 or 14
	 * bytes); fewer bytes left waiting raise the character timeout interrupt after four
	 * character times, which the same handler drains. */
	if (u->alive)
		outb(u->port + FCR, trigger < sizeof(fcr) && fcr[trigger] ? fcr[trigger] : 0x01);
}

void uart_irq_enable(struct uart *u, u8 trigger)
{
	if (!u->alive)
		return;
	uart_rx_trigger(u, trigger);
	outb(u->port + MCR, 0x0b); /* DTR, RTS, OUT2: on a PC, OUT2 connects the IRQ line */
	outb(u->port + IER, 0x01); /* received data available (and the character timeout) */
}

bool uart_watch(struct uart *u, void (*sink)(void))
{
	u->rx_sink = sink;
	for (int i = 0; i < WATCHED; i++) {
		if (!watched[i] || watched[i] == u) {
			watched[i] = u;
			return true;
		}
	}
	return false;
}

u32 uart_overruns(struct uart *u)
{
	return __atomic_exchange_n(&u->overruns, 0, __ATOMIC_RELAXED);
}

int uart_isa_irq(void)
{
	return uart_irq(&console);
}

void uart_set_rx_sink(void (*sink)(void))
{
	uart_watch(&console, sink);
}

void uart_rx_irq_enable(void)
{
	uart_irq_enable(&console, 1); /* what is typed is seen at once */
}
