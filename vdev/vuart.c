/* 16550A UART at 0x3f8, ISA IRQ 4 (register map and interrupt priorities from the 16550A
 * data sheet). Output is collected into lines, each logged as "[NAME] text"; the transmitter
 * is always ready, so a polling guest never waits and an interrupt-driven one gets a
 * "transmitter empty" interrupt after each write. Input arrives from keel's console into a
 * 64-byte FIFO. Loopback mode (MCR bit 4) works as Linux's probe expects. */
#include "vdev/vuart.h"
#include "vdev/vdev.h"
#include "lib/string.h"

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
#define LCR_DLAB 0x80
#define LSR_DR	 0x01 /* data ready */
#define LSR_OE	 0x02 /* overrun */
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define IER_RDA	 0x01
#define IER_THRE 0x02
#define MCR_OUT2 0x08 /* on a PC, gates the IRQ line */
#define MCR_LOOP 0x10
#define IRQ	 4

/* Output goes to the log a line at a time, made safe for keel's terminal. */
static void put(struct vm *vm, struct vuart *u, u8 c)
{
	guest_line_put(&u->out, vm->name, &c, 1);
}

/* IIR: the highest-priority pending interrupt (received data before transmitter empty). */
static u8 iir(const struct vuart *u)
{
	u8 fifo = (u->fcr & 1) ? 0xc0 : 0;
	if ((u->ier & IER_RDA) && u->rx_len)
		return fifo | 0x04;
	if ((u->ier & IER_THRE) && u->thre_irq)
		return fifo | 0x02;
	return fifo | 0x01;
}

/* Console input would interrupt the guest: received data enabled and OUT2 on. */
static bool wakes(const struct vuart *u)
{
	return (u->ier & IER_RDA) && (u->mcr & MCR_OUT2);
}

/* Drive IRQ 4 from the interrupt state; OUT2 must be set for the line to reach the PIC. */
static bool vuart_input(struct vm *vm, u8 c);

/* keel's console input for this VM comes to the UART, not to hvc0 (vdev/vcons.c). */
static bool has_console(const struct vm *vm)
{
	return vm->console_input == vuart_input;
}

static void update_irq(struct vm *vm, const struct vuart *u)
{
	vm_irq_set(vm, IRQ, !(iir(u) & 1) && (u->mcr & MCR_OUT2));
	if (has_console(vm))
		vm->console_wakes = wakes(u);
}

static void rx_push(struct vuart *u, u8 c)
{
	if (u->rx_len == VUART_FIFO) {
		u->lsr_extra |= LSR_OE;
		return;
	}
	u->rx[(u->rx_head + u->rx_len++) % VUART_FIFO] = c;
}

static u8 rx_pop(struct vuart *u)
{
	if (!u->rx_len)
		return 0;
	u8 c = u->rx[u->rx_head];
	u->rx_head = (u8)((u->rx_head + 1) % VUART_FIFO);
	u->rx_len--;
	return c;
}

/* A byte from keel's console (vm_set_console_input): false while the FIFO is full, and
 * keel's console offers it again later. In loopback mode the line is cut: it is dropped. */
static bool vuart_input(struct vm *vm, u8 c)
{
	struct vuart *u = vm_device(vm, &vuart_ops);
	dev_lock(vm);
	bool taken = (u->mcr & MCR_LOOP) || u->rx_len < VUART_FIFO;
	if (!(u->mcr & MCR_LOOP) && taken)
		rx_push(u, c);
	update_irq(vm, u);
	dev_unlock(vm);
	return taken;
}

/* Modem status: in loopback the outputs (DTR, RTS, OUT1, OUT2) come back as DSR, CTS, RI, DCD. */
static u8 msr(const struct vuart *u)
{
	if (!(u->mcr & MCR_LOOP))
		return 0xb0; /* DCD, DSR, CTS */
	u8 m = u->mcr;
	return (u8)(((m & 1) << 5) | ((m & 2) << 3) | ((m & 4) << 4) | ((m & 8) << 4));
}

static u64 vuart_read(struct vcpu *v, void *dev, u64 port, u8 size)
{
	struct vuart *u = dev;
	u8 r = 0;
	(void)size;
	switch (port & 7) {
	case RBR_THR: r = (u->lcr & LCR_DLAB) ? u->dll : rx_pop(u); break;
	case IER: r = (u->lcr & LCR_DLAB) ? u->dlm : u->ier; break;
	case IIR_FCR:
		r = iir(u);
		if ((r & 0x0f) == 0x02)
			u->thre_irq = false; /* reading IIR clears the THRE interrupt it reports */
		break;
	case LCR: r = u->lcr; break;
	case MCR: r = u->mcr; break;
	case LSR:
		r = LSR_THRE | LSR_TEMT | (u->rx_len ? LSR_DR : 0) | u->lsr_extra;
		u->lsr_extra = 0;
		break;
	case MSR: r = msr(u); break;
	default: r = u->scr; break;
	}
	update_irq(v->vm, u);
	return r;
}

static void vuart_write(struct vcpu *v, void *dev, u64 port, u8 size, u64 val)
{
	struct vuart *u = dev;
	u8 b = (u8)val;
	(void)size;
	switch (port & 7) {
	case RBR_THR:
		if (u->lcr & LCR_DLAB) {
			u->dll = b;
		} else {
			if (u->mcr & MCR_LOOP)
				rx_push(u, b);
			else
				put(v->vm, u, b);
			u->thre_irq = true; /* sent at once: the holding register is empty again */
		}
		break;
	case IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = b;
		} else {
			if ((b & IER_THRE) && !(u->ier & IER_THRE))
				u->thre_irq = true; /* enabling it with THR empty raises it */
			u->ier = b & 0x0f;
		}
		break;
	case IIR_FCR:
		u->fcr = b & 0xc9;
		if (b & 2) /* clear the receive FIFO */
			u->rx_len = 0;
		break;
	case LCR: u->lcr = b; break;
	case MCR: u->mcr = b & 0x1f; break;
	case SCR: u->scr = b; break;
	default: break; /* LSR and MSR are read-only */
	}
	update_irq(v->vm, u);
}

/* ---- state records (vdev/vrecord.h): kind VREC_UART, version 1 ---- */

struct uart_rec {
	u16 out_len;		  /* 0x000 0-GUEST_LINE_MAX */
	u8 ier, lcr, mcr, scr;	  /* 0x002 */
	u8 dll, dlm, fcr;	  /* 0x006 */
	u8 lsr_extra;		  /* 0x009 LSR_OE or 0 */
	u8 thre_irq;		  /* 0x00a 0-1 */
	u8 rx_head, rx_len;	  /* 0x00b 0-63, 0-64 */
	u8 out_more;		  /* 0x00d 0-1: a piece of the line is logged already */
	u8 rx[VUART_FIFO];	  /* 0x00e the receive FIFO, as a ring */
	char out[GUEST_LINE_MAX]; /* 0x04e output not yet logged */
	u8 zero[2];		  /* 0x1de */
};
_Static_assert(sizeof(struct uart_rec) == 480, "UART record");
_Static_assert(sizeof(struct vrec_header) + sizeof(struct uart_rec) <= VREC_MAX, "UART record");

/* Fill the payload above from the device and write it out behind its header. */
u64 vuart_save(const void *dev, u64 now, void *buf, u64 len)
{
	const struct vuart *u = dev;
	struct uart_rec rec = {
		.out_len = u->out.len,
		.ier = u->ier,
		.lcr = u->lcr,
		.mcr = u->mcr,
		.scr = u->scr,
		.dll = u->dll,
		.dlm = u->dlm,
		.fcr = u->fcr,
		.lsr_extra = u->lsr_extra,
		.thre_irq = u->thre_irq,
		.rx_head = u->rx_head,
		.rx_len = u->rx_len,
		.out_more = u->out.more,
	};
	(void)now;
	memcpy(rec.rx, u->rx, sizeof(rec.rx));
	memcpy(rec.out, u->out.buf, sizeof(rec.out));
	return vrec_write(buf, len, VREC_UART, 1, &rec, sizeof(rec));
}

/* The registers as the code leaves them (writes mask IER, MCR and FCR; LSR keeps only OE). */
static void check(struct vrec_reader *r, const struct uart_rec *rec)
{
	vrec_require(r, rec->ier <= 0x0f && rec->mcr <= 0x1f && !(rec->fcr & ~0xc9),
		     "UART register out of range");
	vrec_require(r, !(rec->lsr_extra & ~LSR_OE) && rec->thre_irq <= 1,
		     "UART status out of range");
	vrec_require(r, rec->rx_head < VUART_FIFO && rec->rx_len <= VUART_FIFO,
		     "UART FIFO out of range");
	vrec_require(r, rec->out_len <= GUEST_LINE_MAX && rec->out_more <= 1,
		     "UART output line out of range");
	vrec_require(r, !rec->zero[0] && !rec->zero[1], "UART reserved bytes");
}

/* Check the header and every field first; replace the device only if all pass. */
const char *vuart_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len)
{
	struct uart_rec rec;
	struct vrec_reader r;
	if (!vrec_open(&r, buf, len, VREC_UART, 1, &rec, sizeof(rec), now))
		return r.why;
	check(&r, &rec);
	if (r.why)
		return r.why;
	struct vuart *u = dev;
	*u = (struct vuart){
		.ier = rec.ier,
		.lcr = rec.lcr,
		.mcr = rec.mcr,
		.scr = rec.scr,
		.dll = rec.dll,
		.dlm = rec.dlm,
		.fcr = rec.fcr,
		.lsr_extra = rec.lsr_extra,
		.thre_irq = rec.thre_irq,
		.rx_head = rec.rx_head,
		.rx_len = rec.rx_len,
		.out = {.len = rec.out_len, .more = rec.out_more},
	};
	memcpy(u->rx, rec.rx, sizeof(u->rx));
	memcpy(u->out.buf, rec.out, sizeof(u->out.buf));
	if (has_console(vm))
		vm->console_wakes = wakes(u);
	return NULL;
}

/* Its ports on the buses, and keel's console input for the VM unless hvc0 took it first. */
static bool vuart_attach(struct vm *vm, void *dev)
{
	if (!vm->console_input) /* hvc0, attached before, keeps it (console=virtio) */
		vm_set_console_input(vm, vuart_input);
	return bus_add(&vm->io, 0x3f8, 8, &vuart_ops, dev);
}

/* Power-on state. */
static void vuart_reset_op(struct vm *vm, void *dev)
{
	(void)vm;
	*(struct vuart *)dev = (struct vuart){0};
}

const struct vdev_ops vuart_ops = {
	.name = "uart",
	.size = sizeof(struct vuart),
	.read = vuart_read,
	.write = vuart_write,
	.attach = vuart_attach,
	.reset = vuart_reset_op,
	.save = vuart_save,
	.load = vuart_load,
};
