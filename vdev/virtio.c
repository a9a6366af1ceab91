/* The virtio transport's core (virtio 1.2, 4.1): whether a queue works, interrupting the
 * driver (MSI-X or INTx with ISR: 4.1.5), configuration changes, and marking a device that a
 * guest lied to as needing a reset (2.1.2). The PCI function and its registers are
 * virtio_pci.c's, the common configuration virtio_common.c's, the rings virtq.c's. */
#include "vdev/virtio_int.h"
#include "vdev/vdev.h"
#include "lib/fmt.h"

bool virtio_queue_ready(const struct virtio_dev *d, u16 q)
{
	return q < d->kind->nqueues && (d->status & VIRTIO_S_DRIVER_OK) && !d->broken &&
	       d->vq[q].enabled;
}

void virtio_irq(struct virtio_dev *d, u16 vector, u8 isr_bit)
{
	if (pci_msix_enabled(&d->pci)) {
		if (vector != VIRTIO_NO_VECTOR)
			pci_msix_send(&d->pci, vector);
		return;
	}
	d->isr |= isr_bit;
	pci_intx(&d->pci, true);
}

/* 4.1.5.3: the configuration-change bit is set in ISR whichever way the driver is told. */
static void config_irq(struct virtio_dev *d)
{
	d->isr |= 2;
	virtio_irq(d, d->config_vector, 2);
}

void virtio_config_changed(struct virtio_dev *d)
{
	d->config_gen++;
	if (d->status & VIRTIO_S_DRIVER_OK)
		config_irq(d);
}

/* 2.1.2: DEVICE_NEEDS_RESET, and a configuration-change notification if DRIVER_OK is set. */
void virtio_fail(struct virtio_dev *d, const char *fmt, ...)
{
	char why[128];
	va_list ap;
	if (d->broken)
		return;
	va_start(ap, fmt);
	fmt_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warn("vm %s: %s %u: %s", d->vm->name, d->kind->name, d->index, why);
	d->broken = true;
	d->status |= VIRTIO_S_NEEDS_RESET;
	if (d->status & VIRTIO_S_DRIVER_OK)
		config_irq(d);
}
