/* A bus's ranges (vm/bus.h): added and removed by one writer at a time (before the VM runs,
 * or under its device lock), looked up by any vCPU without a lock. A slot is filled before it
 * is published (n, or its len, stored with release); a lookup loads n and each len with
 * acquire before it reads the base, so it never sees a half-written slot. Pure: the host unit
 * tests link it. */
#include "vm/bus.h"

/* Does [base, base+len) overlap a live range? */
static bool overlaps(const struct bus *b, u64 base, u64 len)
{
	for (int i = 0; i < b->n; i++)
		if (b->r[i].len && base < b->r[i].base + b->r[i].len && b->r[i].base < base + len)
			return true;
	return false;
}

/* A removed slot of (ops, dev) to take again, or a new one; NULL if the bus is full. */
static struct bus_range *free_slot(struct bus *b, const struct vdev_ops *ops, const void *dev)
{
	for (int i = 0; i < b->n; i++)
		if (!b->r[i].len && b->r[i].ops == ops && b->r[i].dev == dev)
			return &b->r[i];
	return b->n < BUS_MAX_RANGES ? &b->r[b->n] : NULL;
}

bool bus_add(struct bus *b, u64 base, u64 len, const struct vdev_ops *ops, void *dev)
{
	if (!len || base + len < base || overlaps(b, base, len))
		return false;
	struct bus_range *r = free_slot(b, ops, dev);
	if (!r)
		return false;
	r->ops = ops;
	r->dev = dev;
	__atomic_store_n(&r->base, base, __ATOMIC_RELAXED);
	__atomic_store_n(&r->len, len, __ATOMIC_RELEASE);
	if (r == &b->r[b->n])
		__atomic_store_n(&b->n, b->n + 1, __ATOMIC_RELEASE);
	return true;
}

bool bus_remove(struct bus *b, u64 base, const struct vdev_ops *ops, const void *dev)
{
	for (int i = 0; i < b->n; i++) {
		struct bus_range *r = &b->r[i];
		if (r->len && r->base == base && r->ops == ops && r->dev == dev) {
			__atomic_store_n(&r->len, 0, __ATOMIC_RELEASE);
			return true;
		}
	}
	return false;
}

const struct bus_range *bus_find(const struct bus *b, u64 addr)
{
	int n = __atomic_load_n(&b->n, __ATOMIC_ACQUIRE);
	for (int i = 0; i < n; i++) {
		u64 len = __atomic_load_n(&b->r[i].len, __ATOMIC_ACQUIRE);
		if (addr - __atomic_load_n(&b->r[i].base, __ATOMIC_RELAXED) < len)
			return &b->r[i];
	}
	return NULL;
}
