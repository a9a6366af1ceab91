/* Device buses: a short array searched linearly (a VM has a dozen ranges at most). */
#include "vm/bus.h"
#include "vm/vm.h"

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

void dev_lock(struct vm *vm)
{
	spin_lock(&vm->devlock);
}

void dev_unlock(struct vm *vm)
{
	spin_unlock(&vm->devlock);
}

u64 bus_read(struct vcpu *v, const struct bus_range *r, u64 addr, u8 size)
{
	if (r->ops->percpu)
		return r->ops->read(v, r->dev, addr, size);
	dev_lock(v->vm);
	u64 val = r->ops->read(v, r->dev, addr, size);
	dev_unlock(v->vm);
	return val;
}

void bus_write(struct vcpu *v, const struct bus_range *r, u64 addr, u8 size, u64 val)
{
	if (r->ops->percpu) {
		r->ops->write(v, r->dev, addr, size, val);
		return;
	}
	dev_lock(v->vm);
	r->ops->write(v, r->dev, addr, size, val);
	dev_unlock(v->vm);
}
