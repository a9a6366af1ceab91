/* 16550 UART at 0x3f8: the guest's console. Output is collected into lines and each line goes
 * to keel's log as "[NAME] text". The transmitter is always ready, so a polling guest never
 * waits. Register map from the 16550 data sheet. */
#include "kernel/bus.h"
#include "kernel/log.h"
#include "kernel/vm.h"

#define LCR_DLAB 0x80
#define LSR_THRE 0x20 /* transmit holding register empty */
#define LSR_TEMT 0x40 /* transmitter empty */

static void flush(struct vm *vm, struct vuart *u)
{
	log_info("[%s] %.*s", vm->name, (int)u->len, u->line);
	u->len = 0;
}

static void put(struct vm *vm, struct vuart *u, u8 c)
{
	if (c == '\n') {
		flush(vm, u);
		return;
	}
	if (c == '\r')
		return;
	/* A guest must not drive keel's terminal: control bytes become dots. */
	u->line[u->len++] = (c < 0x20 && c != '\t') || c == 0x7f ? '.' : (char)c;
	if (u->len == sizeof(u->line))
		flush(vm, u);
}

static u64 vuart_read(struct vcpu *v, void *dev, u64 port, u8 size)
{
	struct vuart *u = dev;
	(void)v;
	(void)size;
	switch (port & 7) {
	case 0: return (u->lcr & LCR_DLAB) ? u->dll : 0; /* no input yet */
	case 1: return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case 2: return (u->fcr & 1) ? 0xc1 : 0x01; /* IIR: no interrupt pending */
	case 3: return u->lcr;
	case 4: return u->mcr;
	case 5: return LSR_THRE | LSR_TEMT;
	case 6: return 0xb0; /* MSR: DCD, DSR, CTS */
	default: return u->scr;
	}
}

static void vuart_write(struct vcpu *v, void *dev, u64 port, u8 size, u64 val)
{
	struct vuart *u = dev;
	u8 b = (u8)val;
	(void)size;
	switch (port & 7) {
	case 0:
		if (u->lcr & LCR_DLAB)
			u->dll = b;
		else
			put(v->vm, u, b);
		break;
	case 1:
		if (u->lcr & LCR_DLAB)
			u->dlm = b;
		else
			u->ier = b & 0x0f;
		break;
	case 2: u->fcr = b; break;
	case 3: u->lcr = b; break;
	case 4: u->mcr = b & 0x1f; break;
	case 7: u->scr = b; break;
	default: break; /* LSR and MSR are read-only */
	}
}

const struct vdev_ops vuart_ops = {
	.name = "uart",
	.read = vuart_read,
	.write = vuart_write,
};
