/* The virtio device kinds keel serves, one line each, in the order their PCI functions take
 * device numbers on a VM's bus 0 (vdev/virtio.h): disks first, so vda is the lowest. */
#ifndef KEEL_VIRTIO_KINDS_H
#define KEEL_VIRTIO_KINDS_H

#include "vdev/virtio.h"

// clang-format off
#define VIRTIO_KINDS(X)  \
	X(vblk_kind)     \
	X(vnet_kind)     \
	X(vcons_kind)    \
	X(vrng_kind)
// clang-format on

#define VIRTIO_KIND_DECL(k) extern const struct virtio_kind k;
VIRTIO_KINDS(VIRTIO_KIND_DECL)
#undef VIRTIO_KIND_DECL

#endif
