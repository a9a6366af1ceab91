/* Device state records: the format lives in vm/vrecord.h (the vCPU's record, vm/vcpu_rec.c,
 * uses it too, and vm/ may not call into vdev/). */
#ifndef KEEL_VDEV_VRECORD_H
#define KEEL_VDEV_VRECORD_H

#include "vm/vrecord.h"

#endif
