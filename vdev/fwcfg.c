/* fw_cfg at 0x510 (selector, 16-bit) and 0x511 (data, bytes): the firmware-configuration
 * interface QEMU gives its guests, answering the keys small test kernels read. Items are
 * little-endian except the file directory's count (QEMU docs/specs/fw_cfg.rst). */
#include "kernel/bus.h"
#include "kernel/lib.h"
#include "kernel/vm.h"

enum {
	FW_SIGNATURE = 0x00,
	FW_ID = 0x01,
	FW_RAM_SIZE = 0x03,
	FW_NB_CPUS = 0x05,
	FW_MAX_CPUS = 0x0f,
	FW_FILE_DIR = 0x19,
};

/* The item for key, as bytes; returns its length (0: no such item). */
static u32 item(struct vm *vm, u16 key, u8 buf[8])
{
	u64 v;
	memset(buf, 0, 8);
	switch (key) {
	case FW_SIGNATURE: memcpy(buf, "QEMU", 4); return 4;
	case FW_ID: buf[0] = 1; return 4; /* traditional interface, no DMA */
	case FW_RAM_SIZE:
		v = vm->mem.size;
		memcpy(buf, &v, 8);
		return 8;
	case FW_NB_CPUS:
	case FW_MAX_CPUS: buf[0] = (u8)vm->nvcpus; return 2;
	case FW_FILE_DIR: return 4; /* zero files */
	default: return 0;
	}
}

static u64 fwcfg_read(struct vcpu *v, void *dev, u64 port, u8 size)
{
	struct fwcfg *f = dev;
	(void)size;
	if (port == 0x510)
		return f->key;
	u8 buf[8];
	u32 len = item(v->vm, f->key, buf);
	return f->off < len ? buf[f->off++] : 0;
}

static void fwcfg_write(struct vcpu *v, void *dev, u64 port, u8 size, u64 val)
{
	struct fwcfg *f = dev;
	(void)v, (void)size;
	if (port == 0x510) {
		f->key = (u16)val;
		f->off = 0;
	}
}

const struct vdev_ops fwcfg_ops = {
	.name = "fw_cfg",
	.read = fwcfg_read,
	.write = fwcfg_write,
};
