/* Wiring a VM's virtual devices onto its buses: the one place that knows the PC's map. */
#include "vdev/vdevs.h"
#include "lib/string.h"
#include "vm/virq.h"
#include "vm/vm.h"

void vlapic_attach(struct vm *vm);
void vuart_attach(struct vm *vm);

/* The PC's I/O ports and MMIO ranges (ISA ports as on a PIIX3-based PC). */
static bool add_all(struct vm *vm)
{
	struct vm_devices *d = &vm->dev;
	return bus_add(&vm->io, 0x3f8, 8, &vuart_ops, &d->uart) &&
	       bus_add(&vm->io, 0xf4, 4, &debugexit_ops, NULL) &&
	       bus_add(&vm->io, 0x510, 2, &fwcfg_ops, &d->fwcfg) &&
	       bus_add(&vm->io, 0x20, 2, &vpic_ops, &d->pic) &&
	       bus_add(&vm->io, 0xa0, 2, &vpic_ops, &d->pic) &&
	       bus_add(&vm->io, 0x4d0, 2, &vpic_ops, &d->pic) && /* ELCR */
	       bus_add(&vm->io, 0x40, 4, &vpit_ops, &d->pit) &&
	       bus_add(&vm->io, 0x61, 1, &vpit_ops, &d->pit) && /* port B: speaker, OUT2 */
	       bus_add(&vm->io, 0x70, 2, &vrtc_ops, &d->rtc) &&
	       bus_add(&vm->io, 0x60, 1, &vkbd_ops, &d->kbd) &&
	       bus_add(&vm->io, 0x64, 1, &vkbd_ops, &d->kbd) &&
	       bus_add(&vm->io, 0x92, 1, &vkbd_ops, &d->kbd) &&	 /* port A: fast reset, A20 */
	       bus_add(&vm->io, 0xcf8, 8, &vpci_ops, &d->pci) && /* with 0xcf9 reset control */
	       bus_add(&vm->io, VPM_BASE, VPM_LEN, &vpm_ops, &d->pm) &&
	       bus_add(&vm->mmio, VLAPIC_BASE, PAGE_SIZE, &vlapic_ops, d->lapic) &&
	       bus_add(&vm->mmio, VIOAPIC_BASE, PAGE_SIZE, &vioapic_ops, &d->ioapic);
}

/* Each device back to power-on; timers disarmed first so none fires into fresh state. */
void vdevs_reset(struct vm *vm)
{
	struct vm_devices *d = &vm->dev;
	u64 now = vclock_now();
	if (vm->nvcpus) {
		vcpu_timer_set(vm->vcpu[0], VTIMER_PIT, 0, NULL, NULL);
		vcpu_timer_set(vm->vcpu[0], VTIMER_RTC, 0, NULL, NULL);
	}
	vlapic_attach(vm);
	vpic_reset(&d->pic);
	vpit_reset(&d->pit, now);
	vrtc_reset(&d->rtc, now, vm->mem.low_end, vm->mem.size - vm->mem.low_end);
	vioapic_reset(&d->ioapic);
	vpci_reset(&d->pci);
	vkbd_reset(&d->kbd);
	vpm_reset(&d->pm, now);
	d->uart = (struct vuart){0};
	vuart_attach(vm);
	d->fwcfg = (struct fwcfg){0};
}

void vdevs_restart(struct vm *vm)
{
	u8 cmos[sizeof(vm->dev.rtc.cmos)];
	dev_lock(vm);
	memcpy(cmos, vm->dev.rtc.cmos, sizeof(cmos));
	vdevs_reset(vm);
	vrtc_keep_ram(&vm->dev.rtc, cmos, vm->mem.low_end, vm->mem.size - vm->mem.low_end);
	dev_unlock(vm);
}

/* Fresh state for every device, then the PC's map on the buses. */
bool vdevs_attach(struct vm *vm)
{
	memset(&vm->dev, 0, sizeof(vm->dev));
	vdevs_reset(vm);
	return add_all(vm);
}
