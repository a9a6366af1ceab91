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

/* virtio-net's interrupt moderation (vdev/vnet.c): frames for a running VM wait up to
 * VNET_RX_HOLD_US; sent chains go back within VNET_TX_HOLD_US, or once VNET_TX_HOLD_MAX wait. */
#define VNET_RX_HOLD_US	 100
#define VNET_TX_HOLD_US	 1000
#define VNET_TX_HOLD_MAX 8

#define VIRTIO_KIND_DECL(k) extern const struct virtio_kind k;
VIRTIO_KINDS(VIRTIO_KIND_DECL)
#undef VIRTIO_KIND_DECL

#endif
