/* 8259A pair: the contract of vdev/vpic.h. For now it keeps the masks and follows the
 * initialisation sequence, and delivers nothing (the full controller comes with issue 6). */
#include "vdev/vpic.h"
#include "kernel/bus.h"
#include "kernel/vm.h"

void vpic_line(struct vm *vm, u32 irq, bool level)
{
	(void)vm, (void)irq, (void)level;
}

int vpic_peek(struct vm *vm)
{
	(void)vm;
	return -1;
}

int vpic_ack(struct vm *vm)
{
	(void)vm;
	return -1;
}

static u64 vpic_read(struct vcpu *v, void *dev, u64 port, u8 size)
{
	struct vpic *p = dev;
	(void)v, (void)size;
	return (port & 1) ? p->chip[port >= 0xa0].imr : 0;
}

static void vpic_write(struct vcpu *v, void *dev, u64 port, u8 size, u64 val)
{
	struct vpic_chip *c = &((struct vpic *)dev)->chip[port >= 0xa0];
	(void)v, (void)size;
	if (!(port & 1)) {
		if (val & 0x10) /* ICW1: ICW2, ICW3 and (if bit 0) ICW4 follow */
			c->icw_step = (val & 1) ? 3 : 2;
		return;
	}
	if (c->icw_step) {
		c->icw_step--;
		if (!c->icw_step)
			c->imr = 0;
		return;
	}
	c->imr = (u8)val;
}

const struct vdev_ops vpic_ops = {
	.name = "pic",
	.read = vpic_read,
	.write = vpic_write,
};
