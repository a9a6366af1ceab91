/* Device buses: a short array searched linearly (a VM has a few dozen ranges at most). The
 * ranges themselves (add, remove, find) are in vm/busmap.c. */
#include "vm/bus.h"
#include "vm/vm.h"

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
