/* 8259 interrupt controller pair at 0x20/0x21 and 0xa0/0xa1. For now it keeps the interrupt
 * masks (what guests written for QEMU program first) and follows the initialisation sequence so
 * the mask port is not mistaken for ICW2-4. No interrupts are delivered yet. */
#include "kernel/bus.h"
#include "kernel/vm.h"

static u64 vpic_read(struct vcpu *v, void *dev, u64 port, u8 size)
{
	struct vpic *p = dev;
	(void)v, (void)size;
	return (port & 1) ? p->imr[port >= 0xa0] : 0; /* IRR/ISR: nothing pending */
}

static void vpic_write(struct vcpu *v, void *dev, u64 port, u8 size, u64 val)
{
	struct vpic *p = dev;
	int i = port >= 0xa0;
	(void)v, (void)size;
	if (!(port & 1)) {
		if (val & 0x10) /* ICW1: ICW2, ICW3 and (if bit 0) ICW4 follow */
			p->icw_step[i] = (val & 1) ? 3 : 2;
		return; /* OCW2/OCW3: nothing to do without interrupts */
	}
	if (p->icw_step[i]) {
		p->icw_step[i]--;
		if (!p->icw_step[i])
			p->imr[i] = 0; /* the sequence ends with all lines unmasked */
		return;
	}
	p->imr[i] = (u8)val;
}

const struct vdev_ops vpic_ops = {
	.name = "pic",
	.read = vpic_read,
	.write = vpic_write,
};
