/* Debug exit at port 0xf4 (debugexit.c): a write ends the VM. */
#ifndef KEEL_DEBUGEXIT_H
#define KEEL_DEBUGEXIT_H

#include "lib/types.h"

struct vdev_ops;

struct vm;
/* The device has no state: its record is a header alone, so that every device on the buses
 * saves and loads alike. The bytes written, 0 if len is too small. */
u64 debugexit_save(const void *dev, u64 now, void *buf, u64 len);
/* Check the (empty) record. NULL, or why it is refused. */
const char *debugexit_load(struct vm *vm, void *dev, u64 now, const void *buf, u64 len);

/* The device (bus accesses, attach, reset, save, load), in the platform's table. */
extern const struct vdev_ops debugexit_ops;

#endif
