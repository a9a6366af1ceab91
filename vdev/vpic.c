/* 8259A pair (Intel 8259A data sheet, order 231468): initialisation words ICW1-4, OCW1 (mask),
 * OCW2 (EOI, rotation), OCW3 (IRR/ISR read, poll, special mask), edge or level inputs per the
 * PIIX ELCR (0x4d0/0x4d1), priority resolution with the slave cascaded on master IRQ2.
 * The contract is vdev/vpic.h; the device state is struct vpic. */
#include "vdev/vpic.h"
#include "vdev/vdev.h"

#define ELCR_MASK_MASTER 0xf8 /* IRQ 0-2 are always edge-triggered (PIIX 4.1.11) */
#define ELCR_MASK_SLAVE	 0xde /* and so are IRQ 8 and 13 */

/* How many priority steps below the highest the best bit of mask sits; 8 if none. */
static int priority(const struct vpic_chip *c, u8 mask)
{
	if (!mask)
		return 8;
	int p = 0;
	while (!(mask & (1u << ((p + c->priority_add) & 7))))
		p++;
	return p;
}

/* The IRQ (0-7) this chip would raise now, or -1: the best unmasked request, if it beats
 * everything in service. Special mask mode lets masked in-service levels not block; special
 * fully nested mode lets the slave interrupt its own in-service cascade (data sheet, OCW3
 * and ICW4). */
static int chip_irq(const struct vpic_chip *c, bool master)
{
	int req = priority(c, c->irr & ~c->imr);
	if (req == 8)
		return -1;
	u8 busy = c->isr;
	if (c->special_mask)
		busy &= ~c->imr;
	if (master && c->sfnm)
		busy &= ~4;
	return req < priority(c, busy) ? (req + c->priority_add) & 7 : -1;
}

/* An input line: level-triggered lines follow the level in IRR, edge-triggered ones set IRR
 * on a rising edge only. */
static void chip_input(struct vpic_chip *c, int irq, bool level)
{
	u8 bit = (u8)(1u << irq);
	if (level && ((c->elcr & bit) || !(c->lines & bit)))
		c->irr |= bit;
	else if (!level && (c->elcr & bit))
		c->irr &= (u8)~bit;
	c->lines = level ? c->lines | bit : c->lines & (u8)~bit;
}

/* Propagate the slave's output to master IRQ2 and the master's to vCPU 0. The slave's INT is
 * a level: a request on IR2 that drops before the acknowledge is gone (data sheet, "Edge and
 * level triggered modes": the master then answers with its default IR7). */
static void update(struct vm *vm, struct vpic *p)
{
	bool slave = chip_irq(&p->chip[1], false) >= 0;
	chip_input(&p->chip[0], 2, slave);
	if (!slave)
		p->chip[0].irr &= (u8)~4;
	bool out = chip_irq(&p->chip[0], true) >= 0;
	if (out && !p->output && vm->nvcpus)
		vcpu_irq_notify(vm->vcpu[0]);
	p->output = out;
}

/* An ISA line changed: latch it into its chip and propagate the outputs. */
void vpic_line(struct vm *vm, u32 irq, bool level)
{
	struct vpic *p = vm_device(vm, &vpic_ops);
	if (irq >= 16 || irq == 2) /* IRQ2 is the cascade input, not an ISA line */
		return;
	chip_input(&p->chip[irq >> 3], (int)(irq & 7), level);
	update(vm, p);
}

/* INTA on one chip: IRR to ISR (unless AEOI); a level-triggered request stays in IRR while
 * its line is high. */
static void chip_ack(struct vpic_chip *c, int irq)
{
	u8 bit = (u8)(1u << irq);
	if (!c->auto_eoi)
		c->isr |= bit;
	else if (c->rotate_aeoi)
		c->priority_add = (u8)((irq + 1) & 7);
	if (!(c->elcr & bit))
		c->irr &= (u8)~bit;
}

/* The vector for master IRQ irq, looking through the cascade; ack: acknowledge it too. */
static int resolve(struct vpic *p, int irq, bool ack)
{
	struct vpic_chip *m = &p->chip[0], *s = &p->chip[1];
	if (irq < 0) /* the request went away: a spurious IRQ7 (data sheet, "INTA sequence") */
		return m->vector_base + 7;
	int vec = m->vector_base + irq;
	if (irq == 2 && !m->single) {
		int irq2 = chip_irq(s, false);
		vec = s->vector_base + (irq2 < 0 ? 7 : irq2); /* spurious IRQ15 */
		if (ack && irq2 >= 0)
			chip_ack(s, irq2);
	}
	if (ack)
		chip_ack(m, irq);
	return vec;
}

/* The vector INTA would fetch now, changing nothing (vlapic asks before each entry). */
int vpic_peek(struct vm *vm)
{
	struct vpic *p = vm_device(vm, &vpic_ops);
	int irq = chip_irq(&p->chip[0], true);
	return irq < 0 ? -1 : resolve(p, irq, false);
}

/* The INTA cycle itself: resolve, acknowledge on both chips, update the outputs. */
int vpic_ack(struct vm *vm)
{
	struct vpic *p = vm_device(vm, &vpic_ops);
	int vec = resolve(p, chip_irq(&p->chip[0], true), true);
	update(vm, p);
	return vec;
}

/* OCW2 (A0=0, D4:D3=00): EOI and rotation commands, by bits 7:5. */
static void ocw2(struct vpic_chip *c, u8 val)
{
	int irq = val & 7, cmd = val >> 5;
	switch (cmd) {
	case 0: /* rotate in AEOI mode: clear */
	case 4: c->rotate_aeoi = cmd == 4; break;
	case 1: /* non-specific EOI */
	case 5: /* rotate on non-specific EOI */
		if (c->isr) {
			irq = (priority(c, c->isr) + c->priority_add) & 7;
			c->isr &= (u8) ~(1u << irq);
			if (cmd == 5)
				c->priority_add = (u8)((irq + 1) & 7);
		}
		break;
	case 3: c->isr &= (u8) ~(1u << irq); break; /* specific EOI */
	case 7:					    /* rotate on specific EOI */
		c->isr &= (u8) ~(1u << irq);
		c->priority_add = (u8)((irq + 1) & 7);
		break;
	case 6: c->priority_add = (u8)((irq + 1) & 7); break; /* set priority: irq lowest */
	default: break;					      /* 2: no operation */
	}
}

/* A write to the command port (A0=0): ICW1, OCW2 or OCW3. */
static void write_command(struct vpic_chip *c, u8 val)
{
	if (val & 0x10) { /* ICW1: the chip starts over (data sheet, "Initialization") */
		u8 elcr = c->elcr, irr = c->irr & elcr, lines = c->lines & elcr;
		*c = (struct vpic_chip){.elcr = elcr, .irr = irr, .lines = lines};
		c->icw4 = val & 1;
		c->single = val & 2;
		c->init_state = 1;
	} else if (val & 0x08) { /* OCW3 */
		c->poll = val & 4;
		if (val & 2)
			c->read_isr = val & 1;
		if (val & 0x40)
			c->special_mask = val & 0x20;
	} else {
		ocw2(c, val);
	}
}

/* A write to the data port (A0=1): ICW2-4 during initialisation, else OCW1 (the mask). */
static void write_data(struct vpic_chip *c, u8 val)
{
	switch (c->init_state) {
	case 1: /* ICW2: vector bits 7:3 */
		c->vector_base = val & 0xf8;
		c->init_state = !c->single ? 2 : c->icw4 ? 3 : 0;
		break;
	case 2: c->init_state = c->icw4 ? 3 : 0; break; /* ICW3: cascade wiring is fixed */
	case 3:						/* ICW4 */
		c->auto_eoi = val & 2;
		c->sfnm = val & 0x10;
		c->init_state = 0;
		break;
	default: c->imr = val; break;
	}
}

/* OCW3 poll: read as an acknowledge, 0x80 | IRQ, or 0 if nothing is requested. */
static u8 poll(struct vpic_chip *c, bool master)
{
	int irq = chip_irq(c, master);
	c->poll = false;
	if (irq < 0)
		return 0;
	chip_ack(c, irq);
	return (u8)(0x80 | irq);
}

/* One byte read: the ELCR, a poll, the IMR (A0=1), or IRR/ISR as OCW3 selected. */
static u8 read_byte(struct vm *vm, struct vpic *p, u16 port)
{
	if (port == 0x4d0 || port == 0x4d1)
		return p->chip[port & 1].elcr;
	struct vpic_chip *c = &p->chip[port >= 0xa0];
	if (c->poll) {
		u8 r = poll(c, port < 0xa0);
		update(vm, p);
		return r;
	}
	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

/* One byte written to the ELCR, a data port or a command port. */
static void write_byte(struct vm *vm, struct vpic *p, u16 port, u8 val)
{
	if (port == 0x4d0 || port == 0x4d1) {
		struct vpic_chip *c = &p->chip[port & 1];
		c->elcr = val & (port & 1 ? ELCR_MASK_SLAVE : ELCR_MASK_MASTER);
		c->irr &= (u8)(~c->elcr | c->lines); /* a level line that is low requests nothing */
	} else if (port & 1) {
		write_data(&p->chip[port >= 0xa0], val);
	} else {
		write_command(&p->chip[port >= 0xa0], val);
	}
	update(vm, p);
}

/* Ports 0x20-0x21, 0xa0-0xa1, 0x4d0-0x4d1: a wider access is that many byte accesses. */
static bool ours(u64 port)
{
	return port == 0x20 || port == 0x21 || port == 0xa0 || port == 0xa1 || port == 0x4d0 ||
	       port == 0x4d1;
}

/* A port read of any width: one byte per port it covers. */
static u64 vpic_read(struct vcpu *v, void *dev, u64 port, u8 size)
{
	u64 val = 0;
	for (u8 i = 0; i < size; i++)
		val |= (u64)(ours(port + i) ? read_byte(v->vm, dev, (u16)(port + i)) : 0xff)
		       << (8 * i);
	return val;
}

/* A port write of any width: one byte per port it covers. */
static void vpic_write(struct vcpu *v, void *dev, u64 port, u8 size, u64 val)
{
	for (u8 i = 0; i < size; i++)
		if (ours(port + i))
			write_byte(v->vm, dev, (u16)(port + i), (u8)(val >> (8 * i)));
}

/* Both chips masked with BIOS vectors, every line edge-triggered. */
void vpic_reset(struct vpic *p)
{
	*p = (struct vpic){0};
	p->chip[0] = (struct vpic_chip){.imr = 0xff, .vector_base = 0x08};
	p->chip[1] = (struct vpic_chip){.imr = 0xff, .vector_base = 0x70};
}

/* ---- state records (vdev/vrecord.h): kind VREC_PIC, version 1 ---- */

/* A chip's bools, one bit each. */
enum {
	F_ICW4 = 1,
	F_SINGLE = 2,
	F_AUTO_EOI = 4,
	F_ROTATE_AEOI = 8,
	F_SFNM = 16,
	F_READ_ISR = 32,
	F_POLL = 64,
	F_SPECIAL_MASK = 128,
};

struct pic_chip_rec {
	u8 irr, isr, imr, lines; /* 0x00 */
	u8 elcr;		 /* 0x04 */
	u8 vector_base;		 /* 0x05 bits 2:0 clear */
	u8 init_state;		 /* 0x06 0-3 */
	u8 priority_add;	 /* 0x07 0-7 */
	u8 flags;		 /* 0x08 F_* */
};
_Static_assert(sizeof(struct pic_chip_rec) == 9, "PIC chip record");

struct pic_rec {
	struct pic_chip_rec chip[2]; /* 0x00 master, 0x09 slave */
	u8 output;		     /* 0x12 the master's INT pin */
	u8 zero[5];		     /* 0x13 */
};
_Static_assert(sizeof(struct pic_rec) == 24, "PIC record");

/* Fill the payload above from the device and write it out behind its header. */
u64 vpic_save(const void *dev, u64 now, void *buf, u64 len)
{
	const struct vpic *p = dev;
	struct pic_rec rec = {.output = p->output};
	(void)now;
	for (int n = 0; n < 2; n++) {
		const struct vpic_chip *c = &p->chip[n];
		rec.chip[n] = (struct pic_chip_rec){
			c->irr,
			c->isr,
			c->imr,
			c->lines,
			c->elcr,
			c->vector_base,
			c->init_state,
			c->priority_add,
			(u8)(c->icw4 * F_ICW4 | c->single * F_SINGLE | c->auto_eoi * F_AUTO_EOI |
			     c->rotate_aeoi * F_ROTATE_AEOI | c->sfnm * F_SFNM |
			     c->read_isr * F_READ_ISR | c->poll * F_POLL |
			     c->special_mask * F_SPECIAL_MASK),
		};
	}
	return vrec_write(buf, len, VREC_PIC, 1, &rec, sizeof(rec));
}

/* A chip from its record, its fields in the ranges the 8259A code leaves them in. */
static struct vpic_chip chip_load(struct vrec_reader *r, const struct pic_chip_rec *c, u8 elcr_mask)
{
	vrec_require(r, !(c->elcr & ~elcr_mask), "PIC ELCR out of range");
	vrec_require(r, !(c->vector_base & 7), "PIC vector base out of range");
	vrec_require(r, c->init_state <= 3 && c->priority_add <= 7, "PIC state out of range");
	vrec_require(r, !(c->irr & c->elcr & ~c->lines), "PIC level request with its line low");
	return (struct vpic_chip){
		.irr = c->irr,
		.isr = c->isr,
		.imr = c->imr,
		.lines = c->lines,
		.elcr = c->elcr,
		.vector_base = c->vector_base,
		.init_state = c->init_state,
		.priority_add = c->priority_add,
		.icw4 = c->flags & F_ICW4,
		.single = c->flags & F_SINGLE,
		.auto_eoi = c->flags & F_AUTO_EOI,
		.rotate_aeoi = c->flags & F_ROTATE_AEOI,
		.sfnm = c->flags & F_SFNM,
		.read_isr = c->flags & F_READ_ISR,
		.poll = c->flags & F_POLL,
		.special_mask = c->flags & F_SPECIAL_MASK,
	};
}

/* Check the header and every field first; replace the device only if all pass. */
const char *vpic_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len)
{
	struct pic_rec rec;
	struct vrec_reader r;
	if (!vrec_open(&r, buf, len, VREC_PIC, 1, &rec, sizeof(rec), now))
		return r.why;
	struct vpic p = {
		.chip = {chip_load(&r, &rec.chip[0], ELCR_MASK_MASTER),
			 chip_load(&r, &rec.chip[1], ELCR_MASK_SLAVE)},
		.output = rec.output,
	};
	/* The outputs as update() leaves them: the slave's on master IRQ2, the master's INT. */
	bool slave = chip_irq(&p.chip[1], false) >= 0;
	vrec_require(&r, slave == !!(p.chip[0].lines & 4) && (slave || !(p.chip[0].irr & 4)),
		     "PIC cascade out of step");
	vrec_require(&r, rec.output == (chip_irq(&p.chip[0], true) >= 0), "PIC output out of step");
	for (int i = 0; i < 5; i++)
		vrec_require(&r, !rec.zero[i], "PIC reserved bytes");
	if (r.why)
		return r.why;
	*(struct vpic *)dev = p;
	if (p.output && vm->nvcpus)
		vcpu_irq_notify(vm->vcpu[0]);
	return NULL;
}

/* Its ports on the buses. */
static bool vpic_attach(struct vm *vm, void *dev)
{
	return bus_add(&vm->io, 0x20, 2, &vpic_ops, dev) &&
	       bus_add(&vm->io, 0xa0, 2, &vpic_ops, dev) &&
	       bus_add(&vm->io, 0x4d0, 2 /* ELCR */, &vpic_ops, dev);
}

/* Power-on state. */
static void vpic_reset_op(struct vm *vm, void *dev)
{
	(void)vm;
	vpic_reset(dev);
}

const struct vdev_ops vpic_ops = {
	.name = "pic",
	.size = sizeof(struct vpic),
	.read = vpic_read,
	.write = vpic_write,
	.attach = vpic_attach,
	.reset = vpic_reset_op,
	.save = vpic_save,
	.load = vpic_load,
};
