/* i8042 keyboard controller with nothing plugged in (IBM PC AT Technical Reference, "Keyboard
 * controller"; command set as in Linux's drivers/input/serio/i8042.h), and port 0x92. The
 * controller answers its own commands (self test, interface tests, command byte, output port,
 * echo into the output buffer, pulsing the reset line); bytes sent to the absent keyboard or
 * mouse come back as a timeout (status bit 6 with 0xfe), as a controller with an unplugged
 * device answers. IRQ 1 / IRQ 12 follow a full output buffer when the command byte enables
 * them. keel's ACPI tables do not announce an 8042, so Linux leaves it alone; 0xfe still
 * resets. */
#include "vdev/vkbd.h"
#include "vdev/vdev.h"

/* Status register bits. */
#define ST_OBF	   0x01 /* output buffer full */
#define ST_SYS	   0x04 /* system flag: self test passed */
#define ST_CMD	   0x08 /* the last write was to 0x64 */
#define ST_UNLOCK  0x10 /* keyboard not inhibited */
#define ST_AUXDATA 0x20 /* the output buffer holds mouse data */
#define ST_TIMEOUT 0x40

/* Command byte bits. */
#define CB_KBDINT 0x01
#define CB_AUXINT 0x02
#define CB_SYS	  0x04
#define CB_KBDDIS 0x10
#define CB_AUXDIS 0x20

/* Output port and port 0x92 bits. */
#define OUT_RESET 0x01 /* output port: low resets the CPU */
#define OUT_A20	  0x02
#define P92_RESET 0x01 /* port 0x92: a rising edge resets */

/* Drive IRQ 1 and 12 from the output buffer and the command byte's enables. */
static void update_irqs(struct vm *vm, struct vkbd *k)
{
	bool full = k->status & ST_OBF, aux = k->status & ST_AUXDATA;
	u8 irqs = (u8)((full && !aux && (k->cmd_byte & CB_KBDINT) ? 1 : 0) |
		       (full && aux && (k->cmd_byte & CB_AUXINT) ? 2 : 0));
	if ((irqs ^ k->irqs) & 1)
		vm_irq_set(vm, 1, irqs & 1);
	if ((irqs ^ k->irqs) & 2)
		vm_irq_set(vm, 12, irqs & 2);
	k->irqs = irqs;
}

/* Fill the output buffer, from the keyboard side or the mouse side. */
static void put(struct vkbd *k, u8 val, bool aux)
{
	k->out = val;
	k->status = (u8)((k->status & ~ST_AUXDATA) | ST_OBF | (aux ? ST_AUXDATA : 0));
}

/* A command written to 0x64. */
static void command(struct vm *vm, struct vkbd *k, u8 cmd)
{
	switch (cmd) {
	case 0x20: put(k, k->cmd_byte, false); break; /* read command byte */
	case 0x60:				      /* write command byte: data follows */
	case 0xd1:				      /* write output port */
	case 0xd2:				      /* write keyboard output buffer */
	case 0xd3:				      /* write mouse output buffer */
	case 0xd4: k->pending = cmd; break;	      /* write to the mouse */
	case 0xa7: k->cmd_byte |= CB_AUXDIS; break;
	case 0xa8: k->cmd_byte &= (u8)~CB_AUXDIS; break;
	case 0xa9:			       /* mouse interface test */
	case 0xab: put(k, 0x00, false); break; /* keyboard interface test: ok */
	case 0xaa:			       /* controller self test */
		k->cmd_byte |= CB_SYS;
		k->status |= ST_SYS;
		put(k, 0x55, false);
		break;
	case 0xad: k->cmd_byte |= CB_KBDDIS; break;
	case 0xae: k->cmd_byte &= (u8)~CB_KBDDIS; break;
	case 0xc0: put(k, 0x80, false); break;	      /* input port: keyboard not inhibited */
	case 0xd0: put(k, k->outport, false); break;  /* read output port */
	case 0xdd: k->outport &= (u8)~OUT_A20; break; /* A20 off */
	case 0xdf: k->outport |= OUT_A20; break;      /* A20 on */
	case 0xe0: put(k, 0x00, false); break;	      /* test inputs */
	default:
		/* 0xf0-0xff pulse output port bits 3:0 low where the command's bits are 0:
		 * bit 0 is the CPU reset line (0xfe is the classic reboot). */
		if (cmd >= 0xf0 && !(cmd & 1))
			vm_request_reset(vm);
		break;
	}
}

/* A byte written to 0x60: a pending command's data, or a byte for the (absent) keyboard. */
static void data(struct vm *vm, struct vkbd *k, u8 val)
{
	u8 cmd = k->pending;
	k->pending = 0;
	switch (cmd) {
	case 0x60:
		k->cmd_byte = val;
		k->status = (u8)((k->status & ~ST_SYS) | (val & CB_SYS));
		break;
	case 0xd1:
		k->outport = val;
		if (!(val & OUT_RESET))
			vm_request_reset(vm);
		break;
	case 0xd2: put(k, val, false); break;
	case 0xd3: put(k, val, true); break;
	default: /* to the keyboard (0) or the mouse (0xd4): nobody answers */
		put(k, 0xfe, cmd == 0xd4);
		k->status |= ST_TIMEOUT;
		break;
	}
}

/* Port 0x92, the status register (0x64), or the output buffer (0x60, which empties it). */
static u64 vkbd_read(struct vcpu *v, void *dev, u64 port, u8 size)
{
	struct vkbd *k = dev;
	(void)size;
	if (port == 0x92)
		return k->port92;
	if (port == 0x64)
		return k->status;
	k->status &= (u8) ~(ST_OBF | ST_AUXDATA | ST_TIMEOUT);
	update_irqs(v->vm, k);
	return k->out; /* an empty buffer reads the last byte again */
}

/* Port 0x92, a command (0x64), or data (0x60). */
static void vkbd_write(struct vcpu *v, void *dev, u64 port, u8 size, u64 val)
{
	struct vkbd *k = dev;
	(void)size;
	if (port == 0x92) {
		u8 old = k->port92;
		k->port92 = (u8)val & (P92_RESET | OUT_A20);
		if ((val & P92_RESET) && !(old & P92_RESET))
			vm_request_reset(v->vm);
		return;
	}
	k->status &= (u8)~ST_TIMEOUT;
	if (port == 0x64) {
		k->status |= ST_CMD;
		command(v->vm, k, (u8)val);
	} else {
		k->status &= (u8)~ST_CMD;
		data(v->vm, k, (u8)val);
	}
	update_irqs(v->vm, k);
}

/* Self-tested, keyboard interrupt on, mouse off, translation on, A20 on. */
void vkbd_reset(struct vkbd *k)
{
	*k = (struct vkbd){
		.cmd_byte = CB_KBDINT | CB_SYS | CB_AUXDIS | 0x40, /* 0x40: scan code translation */
		.outport = OUT_RESET | OUT_A20,
		.port92 = OUT_A20,
		.status = ST_SYS | ST_UNLOCK,
	};
}

/* ---- state records (vdev/vrecord.h): kind VREC_KBD, version 1 ---- */

struct kbd_rec {
	u8 cmd_byte; /* 0x00 */
	u8 outport;  /* 0x01 */
	u8 port92;   /* 0x02 bits 1:0 */
	u8 out;	     /* 0x03 */
	u8 status;   /* 0x04 ST_* bits */
	u8 pending;  /* 0x05 a command awaiting data, or 0 */
	u8 irqs;     /* 0x06 as update_irqs leaves them */
	u8 zero;     /* 0x07 */
};
_Static_assert(sizeof(struct kbd_rec) == 8, "i8042 record");

/* Fill the payload above from the device and write it out behind its header. */
u64 vkbd_save(const void *dev, u64 now, void *buf, u64 len)
{
	const struct vkbd *k = dev;
	struct kbd_rec rec = {k->cmd_byte, k->outport, k->port92, k->out,
			      k->status,   k->pending, k->irqs,	  0};
	(void)now;
	return vrec_write(buf, len, VREC_KBD, 1, &rec, sizeof(rec));
}

/* The commands whose data byte comes next at 0x60 (command()). */
static bool data_command(u8 cmd)
{
	return cmd == 0 || cmd == 0x60 || (cmd >= 0xd1 && cmd <= 0xd4);
}

/* Check the header and every field first; replace the device only if all pass. */
const char *vkbd_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len)
{
	struct kbd_rec rec;
	struct vrec_reader r;
	(void)vm;
	if (!vrec_open(&r, buf, len, VREC_KBD, 1, &rec, sizeof(rec), now))
		return r.why;
	struct vkbd k = {rec.cmd_byte, rec.outport, rec.port92, rec.out,
			 rec.status,   rec.pending, rec.irqs};
	bool full = k.status & ST_OBF, aux = k.status & ST_AUXDATA;
	u8 irqs = (u8)((full && !aux && (k.cmd_byte & CB_KBDINT) ? 1 : 0) |
		       (full && aux && (k.cmd_byte & CB_AUXINT) ? 2 : 0));
	vrec_require(&r, !(rec.port92 & ~(P92_RESET | OUT_A20)), "i8042 port 0x92 out of range");
	vrec_require(&r, !(rec.status & 0x82), "i8042 status out of range");
	vrec_require(&r, data_command(rec.pending), "i8042 pending command out of range");
	vrec_require(&r, rec.irqs == irqs && !rec.zero, "i8042 interrupt lines out of step");
	if (r.why)
		return r.why;
	*(struct vkbd *)dev = k;
	return NULL;
}

/* Its ports on the buses. */
static bool vkbd_attach(struct vm *vm, void *dev)
{
	return bus_add(&vm->io, 0x60, 1, &vkbd_ops, dev) &&
	       bus_add(&vm->io, 0x64, 1, &vkbd_ops, dev) &&
	       bus_add(&vm->io, 0x92, 1 /* port A: fast reset, A20 */, &vkbd_ops, dev);
}

/* Power-on state. */
static void vkbd_reset_op(struct vm *vm, void *dev)
{
	(void)vm;
	vkbd_reset(dev);
}

const struct vdev_ops vkbd_ops = {
	.name = "i8042",
	.size = sizeof(struct vkbd),
	.read = vkbd_read,
	.write = vkbd_write,
	.attach = vkbd_attach,
	.reset = vkbd_reset_op,
	.save = vkbd_save,
	.load = vkbd_load,
};
