/* Wiring a VM's virtual devices onto its buses: the one place that knows the PC's map. */
#include "vdev/vdevs.h"
#include "kernel/lib.h"
#include "kernel/vm.h"

void vlapic_attach(struct vm *vm);
void vuart_attach(struct vm *vm);

bool vdevs_attach(struct vm *vm)
{
	struct vm_devices *d = &vm->dev;
	memset(d, 0, sizeof(*d));
	vlapic_attach(vm);
	vuart_attach(vm);
	d->pic.chip[0].imr = d->pic.chip[1].imr = 0xff;
	return bus_add(&vm->io, 0x3f8, 8, &vuart_ops, &d->uart) &&
	       bus_add(&vm->io, 0xf4, 4, &debugexit_ops, NULL) &&
	       bus_add(&vm->io, 0x510, 2, &fwcfg_ops, &d->fwcfg) &&
	       bus_add(&vm->io, 0x20, 2, &vpic_ops, &d->pic) &&
	       bus_add(&vm->io, 0xa0, 2, &vpic_ops, &d->pic) &&
	       bus_add(&vm->mmio, VLAPIC_BASE, PAGE_SIZE, &vlapic_ops, d->lapic);
}
