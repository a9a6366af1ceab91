/* Host NICs (drivers/hnic.h): each driver in turn over the host's PCI functions. */
#include "drivers/hnic.h"
#include "kernel/log.h"
#include "mm/mm.h"

static const struct hnic_ops *const drivers[] = {&hnic_virtio_ops, &hnic_e1000_ops};

/* Try each driver on d: the NIC it took, NULL if none matched or its probe failed. */
static struct hnic *take(struct hpci_dev *d)
{
	for (u32 i = 0; i < ARRAY_SIZE(drivers); i++) {
		if (!drivers[i]->match(d))
			continue;
		struct hnic *n = kmalloc(sizeof(*n));
		if (!n)
			return NULL;
		*n = (struct hnic){.ops = drivers[i], .pci = d};
		if (drivers[i]->probe(n)) {
			d->claimed = true;
			const u8 *m = n->mac;
			log_info("hnic: %s at %02x:%02x.%x, MAC %02x:%02x:%02x:%02x:%02x:%02x, "
				 "polled",
				 n->ops->model, d->bus, d->dev, d->fn, m[0], m[1], m[2], m[3], m[4],
				 m[5]);
			return n;
		}
		kfree(n);
	}
	return NULL;
}

struct hnic *hnic_first(void)
{
	for (u32 i = 0; i < hpci_count(); i++) {
		struct hnic *n = take(hpci_at(i));
		if (n)
			return n;
	}
	return NULL;
}
