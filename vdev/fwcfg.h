/* fw_cfg at 0x510 (selector) and 0x511 (data) (fwcfg.c). */
#ifndef KEEL_FWCFG_H
#define KEEL_FWCFG_H

#include "lib/types.h"

struct vdev_ops;

/* The selected item and how far it has been read. */
struct fwcfg {
	u16 key;
	u32 off;
};

struct vm;
/* Save fw_cfg (dev: its struct fwcfg) at guest-clock time now as a record in buf (len bytes,
 * VREC_MAX fits): the bytes written, 0 if it does not fit. Device lock held. */
u64 fwcfg_save(const void *dev, u64 now, void *buf, u64 len);
/* Rebuild dev, a fresh VM's fw_cfg, from fwcfg_save's record: the selected key and how far
 * its item has been read. NULL, or why the record is refused (dev unchanged). */
const char *fwcfg_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len);

/* The device (bus accesses, attach, reset, save, load), in the platform's table. */
extern const struct vdev_ops fwcfg_ops;

#endif
