/* Debug exit at port 0xf4 (as QEMU's isa-debug-exit): a write ends the VM with the written
 * value as its exit status. */
#include "vdev/debugexit.h"
#include "vdev/vdev.h"

static u64 debugexit_read(struct vcpu *v, void *dev, u64 port, u8 size)
{
	(void)v, (void)dev, (void)port, (void)size;
	return ~0ull;
}

static void debugexit_write(struct vcpu *v, void *dev, u64 port, u8 size, u64 val)
{
	(void)dev, (void)port;
	u64 status = size == 1 ? (u8)val : size == 2 ? (u16)val : (u32)val;
	vm_stop(v->vm, VM_END_EXIT, status, "debug-exit port");
}

/* ---- state records (vdev/vrecord.h): kind VREC_DEBUGEXIT, version 1, no payload ---- */

/* A header alone: there is no state. */
u64 debugexit_save(const void *dev, u64 now, void *buf, u64 len)
{
	(void)dev, (void)now;
	return vrec_write(buf, len, VREC_DEBUGEXIT, 1, NULL, 0);
}

/* Only the header to check. */
const char *debugexit_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len)
{
	struct vrec_reader r;
	(void)vm, (void)dev;
	return vrec_open(&r, buf, len, VREC_DEBUGEXIT, 1, NULL, 0, now) ? NULL : r.why;
}

/* Its ports on the buses. */
static bool debugexit_attach(struct vm *vm, void *dev)
{
	return bus_add(&vm->io, 0xf4, 4, &debugexit_ops, dev);
}

/* Power-on state. */
static void debugexit_reset_op(struct vm *vm, void *dev)
{
	(void)vm, (void)dev;
}

const struct vdev_ops debugexit_ops = {
	.name = "debug-exit",
	.read = debugexit_read,
	.write = debugexit_write,
	.attach = debugexit_attach,
	.reset = debugexit_reset_op,
	.save = debugexit_save,
	.load = debugexit_load,
};
