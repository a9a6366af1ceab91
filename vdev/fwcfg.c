/* fw_cfg at 0x510 (selector, 16-bit) and 0x511 (data, bytes): the firmware-configuration
 * interface QEMU gives its guests, answering the keys small test kernels read. Items are
 * little-endian except the file directory's count (QEMU docs/specs/fw_cfg.rst). */
#include "vdev/fwcfg.h"
#include "vdev/vdev.h"
#include "lib/string.h"

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

/* ---- state records (vdev/vrecord.h): kind VREC_FWCFG, version 1 ---- */

struct fwcfg_rec {
	u16 key;  /* 0x00 the selected item */
	u16 zero; /* 0x02 */
	u32 off;  /* 0x04 bytes of it read, 0-8 */
};
_Static_assert(sizeof(struct fwcfg_rec) == 8, "fw_cfg record");

/* Fill the payload above from the device and write it out behind its header. */
u64 fwcfg_save(const void *dev, u64 now, void *buf, u64 len)
{
	const struct fwcfg *f = dev;
	struct fwcfg_rec rec = {f->key, 0, f->off};
	(void)now;
	return vrec_write(buf, len, VREC_FWCFG, 1, &rec, sizeof(rec));
}

/* Check the header and every field first; replace the device only if all pass. */
const char *fwcfg_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len)
{
	struct fwcfg_rec rec;
	struct vrec_reader r;
	(void)vm;
	if (!vrec_open(&r, buf, len, VREC_FWCFG, 1, &rec, sizeof(rec), now))
		return r.why;
	vrec_require(&r, rec.off <= 8 && !rec.zero, "fw_cfg offset out of range"); /* item() */
	if (r.why)
		return r.why;
	*(struct fwcfg *)dev = (struct fwcfg){rec.key, rec.off};
	return NULL;
}

/* Its ports on the buses. */
static bool fwcfg_attach(struct vm *vm, void *dev)
{
	return bus_add(&vm->io, 0x510, 2, &fwcfg_ops, dev);
}

/* Power-on state. */
static void fwcfg_reset_op(struct vm *vm, void *dev)
{
	(void)vm;
	*(struct fwcfg *)dev = (struct fwcfg){0};
}

const struct vdev_ops fwcfg_ops = {
	.name = "fw_cfg",
	.size = sizeof(struct fwcfg),
	.read = fwcfg_read,
	.write = fwcfg_write,
	.attach = fwcfg_attach,
	.reset = fwcfg_reset_op,
	.save = fwcfg_save,
	.load = fwcfg_load,
};
