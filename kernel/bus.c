/* Device buses: a short array searched linearly (a VM has a dozen ranges at most). */
#include "kernel/bus.h"

bool bus_add(struct bus *b, u64 base, u64 len, const struct vdev_ops *ops, void *dev)
{
	if (b->n == BUS_MAX_RANGES || !len)
		return false;
	for (int i = 0; i < b->n; i++)
		if (base < b->r[i].base + b->r[i].len && b->r[i].base < base + len)
			return false;
	b->r[b->n++] = (struct bus_range){base, len, ops, dev};
	return true;
}

const struct bus_range *bus_find(const struct bus *b, u64 addr)
{
	for (int i = 0; i < b->n; i++)
		if (addr - b->r[i].base < b->r[i].len)
			return &b->r[i];
	return NULL;
}
